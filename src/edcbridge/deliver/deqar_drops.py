"""What a DEQAR update would drop: an update (PUT) replaces the whole report, so whatever the
register holds and the batch's report leaves out (a file, a programme, a ``valid_to`` set in
DEQAR's own interface) is deleted. The register's copy is the answer of
``check/local-identifier`` (the ``submitted_report`` shape), which an update reads anyway.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

REFUSE_OPTION = "--refuse-drops"
KEEP_FIX = "to keep one, add it to this report in the batch file"


def dropped_fields(held: dict[str, Any], payload: dict[str, Any], files: bool = True) -> list[str]:
    """Each field or file of the register's copy ``held`` that sending ``payload`` would drop or
    empty. ``files``: whether the files are replaced too (a CSV row's upsert keeps them)."""
    return [
        *_scalars(held, payload),
        *_agencies(held, payload),
        *(_files(held, payload.get("report_files") or []) if files else ()),
        *_programmes(held, payload.get("programmes") or []),
        *_platforms(held, payload),
    ]


def _given(value: Any) -> bool:
    return value not in (None, "", [], {})


def _scalars(held: dict[str, Any], payload: dict[str, Any]) -> Iterable[str]:
    for name in ("summary", "valid_to"):
        if _given(held.get(name)) and not _given(payload.get(name)):
            yield f"{name} ({_short(str(held[name]))})"


def _agencies(held: dict[str, Any], payload: dict[str, Any]) -> Iterable[str]:
    """DEQAR answers with acronyms; a batch may name an agency by its DEQAR id instead, which
    cannot be matched to one: then only an agency more than the batch names is said dropped."""
    sent = {str(a).strip().upper() for a in payload.get("contributing_agencies") or []}
    holds = [str(a).strip() for a in held.get("contributing_agencies") or []]
    by_id = {a for a in sent if a.isdigit()}
    if by_id:
        if len(holds) > len(sent):
            yield (f"contributing agencies ({len(holds)} held: {', '.join(holds)}; the batch names "
                   f"{len(sent)})")
        return
    for agency in holds:
        if agency.upper() not in sent:
            yield f"contributing agency {agency}"


def _files(held: dict[str, Any], sent: list[Any]) -> Iterable[str]:
    """Files are re-created from the list sent: one held is kept when a file sent has its
    address (``original_location``) or, embedded, its name."""
    locations = {f.get("original_location") for f in sent if isinstance(f, dict)} - {None, ""}
    names = {f.get(k) for f in sent if isinstance(f, dict) for k in ("file_name", "display_name")}
    names -= {None, ""}
    for held_file in held.get("files") or []:
        if not isinstance(held_file, dict):
            continue
        location = held_file.get("file_original_location") or ""
        stored = str(held_file.get("file") or "")
        name = held_file.get("file_display_name") or stored.rsplit("/", 1)[-1]
        kept = location in locations if location else (
            name in names or any(stored.endswith(f"_{n}") for n in names))
        if not kept:
            yield f"report file {name!r}" + (f" ({location})" if location else "")


def _programmes(held: dict[str, Any], sent: list[Any]) -> Iterable[str]:
    names = {str(p.get("name_primary") or "").strip().casefold() for p in sent if isinstance(p, dict)}
    for programme in held.get("programmes") or []:
        name = str(programme.get("name_primary") or "") if isinstance(programme, dict) else ""
        if name.strip().casefold() not in names:
            yield f"programme {name!r}"


def _platforms(held: dict[str, Any], payload: dict[str, Any]) -> Iterable[str]:
    if payload.get("platforms"):
        return
    for platform in held.get("platforms") or []:
        if isinstance(platform, dict):
            platform = platform.get("name_primary") or platform.get("deqar_id")
        yield f"platform {platform!r}"


def _short(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def drop_warning(found: list[str]) -> str:
    """The warning of an update that drops ``found``."""
    return (f"the update dropped what DEQAR held and the batch leaves out: {', '.join(found)}; "
            f"{KEEP_FIX} (or use {REFUSE_OPTION} to refuse such updates)")


def drop_refusal(found: list[str]) -> str:
    """Why an update refused by ``--refuse-drops`` was not sent, with the fix."""
    return (f"not sent ({REFUSE_OPTION}): the update would drop what DEQAR holds and the batch "
            f"leaves out: {', '.join(found)}; {KEEP_FIX}, then run the same command again "
            f"(or run it without {REFUSE_OPTION} to let the update drop them)")


def planned_drops(found: list[str]) -> str:
    """What a dry run says of an update that would drop ``found``."""
    return (f"would drop what DEQAR holds and the batch leaves out: {', '.join(found)}; {KEEP_FIX}")
