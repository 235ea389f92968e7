"""``edcbridge erase OUT KEY... --reason TEXT``: a learner's right to erasure (GDPR art. 17) in an
output folder.

Everything the folder keeps of the learner's awards goes: their credential files of every
format (published or withdrawn, preview pages, Open Badges, the learner's CLR, offer QR codes),
their rows in the last run's reports, the personal data the journal kept (the errors and
warnings quoting their rows, the addresses and wallet ids of their deliveries), what wallets
told the offers file, and the lines of their deposits in ``push wallet``'s state and results.
What an auditor needs stays, without personal data: the award key, the hashes and the earlier
events of the audit trail, and an ``erased`` event (who, when, why, which files with their
sha256, which delivery targets, which offers it closed), written in the same transaction as
the record's new state, so ``audit verify`` tells an erasure from tampering.

Credentials issued before are neither revoked nor called back: the learner holds them, and the
qualification stands. The status list entries of credentials ``serve`` issued stay, so that
``edcbridge revoke`` still works should the award be rescinded later.

The journal is written first: should the command stop part way, no run exports the award again,
and the same command removes what is left, naming the offers it closes in an ``offers-closed``
event of the audit trail.
"""

from __future__ import annotations

import hashlib
import json
import shlex
import sqlite3
import sys
import time
from collections.abc import Callable
from pathlib import Path

import click

from edcbridge.cli import EXIT_FAILED, EXIT_OK, EXIT_USAGE, quiet_option, reason_text
from edcbridge.pipeline.award_commands import (
    Said,
    closing_recorded,
    event_detail,
    event_name,
    exported_by_name,
    open_journal,
    pages_and_badges,
    published_place,
    resolve_key,
    say,
    stamp,
    trail_name,
)
from edcbridge.pipeline.erase_learner import (
    DELIVERIES,
    REPORT,
    Learner,
    RefusedRow,
    awards_of,
    delivered_to,
    not_erased,
    places,
    refused_rows,
)
from edcbridge.pipeline.journal import ERASED, JOURNAL_NAME, Journal, actor, output_file


def _reason(_ctx: click.Context, _param: click.Parameter, value: str) -> str:
    """Callback of ``--reason``: given, and kept as :func:`edcbridge.cli.reason_text` says."""
    text = reason_text(value)
    if text is None:
        raise click.BadParameter("give why the data are erased (the request's reference, no personal data)")
    return text


def _learner_option(_ctx: click.Context, _param: click.Parameter, value: str | None) -> str | None:
    """Callback of ``--learner``: an id, not blank."""
    if value is not None and not value.strip():
        raise click.BadParameter("give the learner's id (the student number the credentials name)")
    return value


def _email_option(_ctx: click.Context, _param: click.Parameter, value: str | None) -> str | None:
    """Callback of ``--email``: an e-mail address."""
    from edcbridge.model.fields import is_email

    if value is not None and not is_email(value.strip()):
        raise click.BadParameter("not an e-mail address; write it like name@example.org")
    return value


def _inside(out_dir: Path, path: Path) -> bool:
    """Whether ``path`` lies in OUT (a record of a journal brought from elsewhere may name
    files outside it, which are not this folder's to remove)."""
    return path.parent.resolve().is_relative_to(out_dir.resolve())


def _recorded_files(out_dir: Path, outputs: dict[str, dict[str, str]]) -> list[Path]:
    """The files a record lists, where they are and, for a withdrawn one, where it was published."""
    found = [output_file(out_dir, output) for output in outputs.values()
             if output.get("path") or output.get("file")]
    found += [published_place(out_dir, output) for output in outputs.values() if output.get("published")]
    return found


def _withdrawn_copies(out_dir: Path, path: Path, taken: Callable[[str], bool]) -> list[Path]:
    """The copies in OUT/withdrawn/ of the published file ``path``: its name, and the names
    ``withdraw`` gives a later withdrawal of the award (``.2``, ``.3``... before the suffix), but
    those that are the file of another award of the journal (``taken``: ``X.2``'s is ``X``'s
    second copy's name)."""
    import glob

    folder = out_dir / "withdrawn" / path.parent.name
    stem, dot, suffix = path.name.partition(".")
    copies = [folder / path.name]
    for copy in sorted(folder.glob(f"{glob.escape(stem)}.*{dot}{glob.escape(suffix)}")):
        number = copy.name[len(stem) + 1:len(copy.name) - len(dot + suffix)]
        if number.isdigit() and not taken(copy.name.removesuffix(path.suffix)):
            copies.append(copy)
    return copies


def _files_by_name(out_dir: Path, key: str, taken: Callable[[str], bool] = lambda _name: False) -> list[Path]:
    """The files of the award's name an export, ``withdraw``, ``preview``, ``badges``, ``offer`` or
    ``upload-dc4eu`` (a QR code and the record of its offer) writes, published or in OUT/withdrawn/."""
    from edcbridge.oid4vci.gateway_offers import record_path
    from edcbridge.output import award_file

    published = [*exported_by_name(out_dir, key).values(), *pages_and_badges(out_dir, key).values()]
    withdrawn = [copy for path in published for copy in _withdrawn_copies(out_dir, path, taken)]
    dc4eu_qr = award_file(out_dir / "offers-dc4eu", key, ".png")
    offers = [award_file(out_dir / "offers", key, ".png"), dc4eu_qr, record_path(dc4eu_qr)]
    return published + withdrawn + offers


def _learner_records(out_dir: Path, key: str) -> list[Path]:
    """The learner's CLRs (published or withdrawn) that bundle the award, with their VC-JWTs."""
    from edcbridge.badges.export import held_badges
    from edcbridge.badges.ob3 import credential_id

    badge = credential_id(*key.split("/", 1))
    found: list[Path] = []
    for folder in (out_dir / "clr", out_dir / "withdrawn" / "clr"):
        for path in sorted(folder.glob("*.json")):
            if badge in held_badges(path):
                found += [path, path.with_suffix(".jwt")]
    return found


def _named_for(journal: Journal, issuer: str) -> Callable[[str], bool]:
    """Whether a file name (without its suffix) is that of an award of ``issuer`` in the journal."""
    from edcbridge.output import safe_name

    prefix = safe_name(issuer, "x")[:-1]

    def taken(name: str) -> bool:
        award_id = name.removeprefix(prefix)
        return name.startswith(prefix) and safe_name(issuer, award_id) == name \
            and journal.entry(f"{issuer}/{award_id}") is not None
    return taken


def _files_of(journal: Journal, out_dir: Path, key: str,
              outputs: dict[str, dict[str, str]]) -> dict[Path, str]:
    """Every file of the award in OUT, by path, with its sha256."""
    taken = _named_for(journal, key.split("/", 1)[0])
    candidates = [*_recorded_files(out_dir, outputs), *_files_by_name(out_dir, key, taken),
                  *_learner_records(out_dir, key)]
    found: dict[Path, str] = {}
    for path in candidates:
        if path not in found and path.is_file() and not path.is_symlink() and _inside(out_dir, path):
            found[path] = hashlib.sha256(path.read_bytes()).hexdigest()
    return found


def _named(out_dir: Path, path: Path) -> str:
    """A removed file as the audit trail names it: by its place in OUT, but a CLR, whose name
    is the learner's id, by its folder alone (``clr/*.json``)."""
    return trail_name(path.relative_to(out_dir).as_posix())


def _other_awards_of_clrs(out_dir: Path, files: dict[Path, str], erased: set[str]) -> list[str]:
    """The CLRs among ``files`` that also held awards not erased by this command: what to
    run to publish those awards again in a CLR."""
    from edcbridge.badges.export import held_badges
    from edcbridge.badges.ob3 import credential_id

    own = {credential_id(*key.split("/", 1)) for key in erased}
    return [path.relative_to(out_dir).as_posix() for path in files
            if path.parent.name == "clr" and path.suffix == ".json" and held_badges(path) - own]


def _remove(out_dir: Path, files: dict[Path, str]) -> list[str]:
    """Remove each file; the problems (a file that cannot be removed stays, and is said)."""
    problems: list[str] = []
    for path in files:
        try:
            path.unlink(missing_ok=True)
        except OSError as exc:
            problems.append(f"{path} cannot be removed ({exc.strerror or exc}); make {out_dir} writable, "
                            "then run the same command again")
    return problems


def _unused_offers(out_dir: Path, key: str) -> tuple[str, ...]:
    """The ids of the award's offers a wallet could still get a credential from, which the
    erasure closes (closing them says when the offers file cannot be used)."""
    from edcbridge.oid4vci.offers import UNUSED, folder_offers

    return folder_offers(out_dir, key, UNUSED)


def _clear_offers(out_dir: Path, key: str, by: str | None) -> tuple[int, str | None]:
    """Close the award's offers and overwrite what wallets told of it; the offers closed, and
    a problem when the offers file cannot be used. ``by``: who, when the offers file is to keep
    the closing for the audit trail (the erasure's own event does not name them)."""
    from edcbridge.oid4vci.offers import OFFERS_NAME, OfferStore

    if not (out_dir / OFFERS_NAME).is_file():
        return 0, None
    try:
        with OfferStore.opened(out_dir) as store:
            return len(store.erase_award(key, by=by).offers), None
    except (OSError, sqlite3.Error) as exc:
        return 0, (f"the offers file {out_dir / OFFERS_NAME} cannot be used ({exc}); repair or restore it, "
                   "then run the same command again")


WALLET_STATE = "wallet-state.json"  # ``push wallet``'s state file in its -o folder, by default
WALLET_RESULTS = ("wallet-results", "wallet-dry-run")


def _credential_ids(key: str, files: dict[Path, str]) -> set[str]:
    """The ids of the award's credentials: the one an export gives it, and those its JSON files
    hold (``push wallet`` names each deposit by its credential's id)."""
    from edcbridge.mapping.nodes import credential_id
    from edcbridge.validation.document import NotACredential, unwrap

    ids = {credential_id(*key.split("/", 1))}
    for path in files:
        if path.suffix not in (".json", ".jsonld"):
            continue
        try:
            inner = unwrap(json.loads(path.read_bytes().decode("utf-8-sig")))[0]
        except (OSError, UnicodeDecodeError, ValueError, NotACredential):
            continue
        if isinstance(inner.get("id"), str):
            ids.add(inner["id"])
    return ids


def _push_item_of(ids: set[str], names: set[str]) -> Callable[[str], bool]:
    """Whether a ``push wallet`` item key (``CREDENTIAL -> RECIPIENT``, CREDENTIAL being the
    credential's id, or its file's name when it could not be read) is one of the award's."""
    def of_award(item_key: str) -> bool:
        credential = item_key.split(" -> ", 1)[0]
        return credential in ids or credential in names
    return of_award


def _clear_wallet_pushes(out_dir: Path, key: str, of_award: Callable[[str], bool]) -> tuple[int, str | None]:
    """Take the award's deposits out of ``push wallet``'s state file, its log and its results
    in OUT; how many lines went, and a problem when a file cannot be changed."""
    from edcbridge.deliver.errors import DeliveryConfigError
    from edcbridge.deliver.results import drop_results
    from edcbridge.deliver.state import drop_items

    note = (f"the items of an award were taken out of these results on {stamp(time.time())} (edcbridge "
            "erase: its learner's data erased); the summary counts are those of the run")
    try:
        dropped = drop_items(out_dir / WALLET_STATE, "wallet", of_award)
        for name in WALLET_RESULTS:
            dropped += drop_results(out_dir, name, of_award, note)
    except DeliveryConfigError as exc:
        return 0, f"{exc}; then run the same command again"
    except (OSError, ValueError, UnicodeError) as exc:
        return 0, (f"push wallet's results in {out_dir} cannot be rewritten without {key} ({exc}); make them "
                   "readable and writable and run the same command again, or delete wallet-results.* and "
                   "wallet-dry-run.*")
    return dropped, None


def _wallet_warnings(out_dir: Path, key: str, deliveries: dict[str, str]) -> list[str]:
    """What erasing cannot reach: copies in wallets, and credentials 'serve' issued."""
    from edcbridge.oid4vci.offers import OFFERS_NAME

    said = [f"note: {key}: delivered to {target} (or maybe, its answer lost) before: the learner's "
            "wallet keeps its copy, which this folder cannot erase; the learner removes it there"
            for target, state in deliveries.items() if state in ("delivered", "sending")]
    if (out_dir / OFFERS_NAME).is_file():
        said.append(f"note: {key}: status list entries of credentials 'edcbridge serve' issued, if any, "
                    "are kept as they are (not revoked: the learner keeps the credential); 'edcbridge "
                    "revoke' still works should the award be rescinded")
    return said


def erase_award(journal: Journal, out_dir: Path, key: str, reason: str, who: str, erased: set[str]) -> Said:
    """Erase one award's personal data: journal and event first, then files and offers."""
    entry = journal.entry(key)
    assert entry is not None
    deliveries = journal.deliveries_of(key)
    files = _files_of(journal, out_dir, key, entry.outputs)
    again = entry.state == ERASED
    if again:
        journal.scrub_erased(key)
        line = f"{key}: erased already"
    else:
        now = time.time()
        offers = _unused_offers(out_dir, key)  # ids drawn at random: nothing of the learner
        detail = event_detail({"by": who, "at": stamp(now), "reason": reason, "was": entry.state,
                          "deliveries": sorted(deliveries),
                          "files": [{"file": _named(out_dir, path), "sha256": digest}
                                    for path, digest in sorted(files.items())],
                          **({"offers_closed": [{"offer": offer, "closed_at": stamp(now)}
                                                for offer in offers]} if offers else {})})
        head = journal.erase(key, f"erased on {stamp(now)} by {who}: {reason}", detail)
        line = f"{key}: erased ({event_name(head)})"
    clrs = _other_awards_of_clrs(out_dir, files, erased)
    names = {path.name for path in [*files, *_files_by_name(out_dir, key)]}
    of_award = _push_item_of(_credential_ids(key, files), names)  # read before the files go
    problems = _remove(out_dir, files)
    line += (f"; {len(files) - len(problems)} file(s) removed" if files or not again else "")
    closed, offers_problem = _clear_offers(out_dir, key, f"{who} (edcbridge erase)" if again else None)
    problems += [offers_problem] if offers_problem else []
    closing, trail_problem = closing_recorded(journal, out_dir, key, closed) if again else ("", None)
    problems += [trail_problem] if trail_problem else []
    pushed, push_problem = _clear_wallet_pushes(out_dir, key, of_award)
    problems += [push_problem] if push_problem else []
    line += f"; {len(deliveries)} delivery record(s) cleared" if deliveries and not again else ""
    line += closing or (f"; {closed} offer(s) closed" if closed else "")
    line += f"; {pushed} line(s) of push wallet's state and results erased" if pushed else ""
    warnings = [f"error: {key}: {problem}" for problem in problems]
    warnings += [f"warning: {key}: the learner's CLR {clr} held other awards too and was removed whole; "
                 f"make it again without {key}: edcbridge badges AWARDS... -c CATALOGUE -o {out_dir}"
                 for clr in clrs]
    if not again:
        warnings += _wallet_warnings(out_dir, key, deliveries)
    return Said(line, warnings, not problems)


def _unrecorded(journal: Journal, out_dir: Path, name: str) -> str | None:
    """The award id of ``name`` when the journal holds no award of that id but the last run's
    report.json lists a row of it naming no file: refused before a record was made (a value
    of the row malformed), its errors quoting the learner's data, which are taken out too."""
    award_id = name.split("/", 1)[-1]
    if journal.keys_of_award(award_id):
        return None
    try:
        records = json.loads((out_dir / "report.json").read_text(encoding="utf-8")).get("records", [])
    except (OSError, UnicodeError, ValueError, AttributeError):
        return None
    return award_id if any(isinstance(record, dict) and record.get("award_id") == award_id
                           and not record.get("outputs") for record in records) else None


def _scrub_reports(out_dir: Path, keys: list[str], who: str, unrecorded: tuple[str, ...] = (),
                   rows: tuple[RefusedRow, ...] = ()) -> list[str]:
    """Take the erased awards' rows out of the last run's reports, those of the award ids
    ``unrecorded`` (rows naming no file) and the refused ``rows``; problems said."""
    from edcbridge.output import safe_name
    from edcbridge.pipeline.reports import erase_from_reports

    awards = {award_id: "" for award_id in unrecorded}  # no file of theirs: none has such a name
    awards.update({key.split("/", 1)[1]: safe_name(*key.split("/", 1)) for key in keys})
    when = stamp(time.time())

    def note(count: int) -> str:
        return (f"the rows of {count} award(s) were taken out of this report on {when} by {who} "
                "(edcbridge erase: their learners' data erased); the counts are those of the run")
    try:
        erase_from_reports(out_dir, awards, note, [(row.file, row.row, row.award_id) for row in rows])
    except (OSError, ValueError, UnicodeError) as exc:
        return [f"error: the reports in {out_dir} cannot be rewritten without the erased awards ({exc}); "
                "make them readable and writable and run the same command again, or delete report.* "
                "and deliveries.csv (the next run writes its own)"]
    return []


def _learners(learner_id: str | None, email: str | None) -> list[Learner]:
    return ([Learner("--learner", learner_id.strip())] if learner_id else []) + \
        ([Learner("--email", email.strip())] if email else [])


def _found(learner: Learner, keys: list[str], how: dict[str, list[str]]) -> None:
    """Name the awards found, and where each named the learner."""
    click.echo(f"{learner.option}: {len(keys)} award(s) of this learner found: {', '.join(keys)}", err=True)
    for key in keys:
        click.echo(f"  {key}: by {', '.join(how[key])}", err=True)


_SHOWN = 10  # the awards an unchecked list names; the rest are counted


def _unchecked(out_dir: Path, learner: Learner, keys: list[str]) -> None:
    """Say which awards nothing in OUT tells of (their files removed, or none written), and
    how to erase one that is the learner's."""
    if not keys:
        return
    more = f" and {len(keys) - _SHOWN} more" if len(keys) > _SHOWN else ""
    other = " (--email ADDRESS finds those delivered to the learner's address)" \
        if learner.option == "--learner" else ""
    click.echo(f"warning: {learner.option}: {len(keys)} award(s) of {out_dir} have no file left here that "
               f"names their learner (removed, or none written), so whether they are this learner's is not "
               f"known: {', '.join(keys[:_SHOWN])}{more}. Find the learner's awards in the system the input "
               f"is exported from{other}, and erase each by its KEY: edcbridge erase "
               f"{shlex.quote(str(out_dir))} KEY... --reason TEXT", err=True)


def _named_rows(learner: Learner, rows: list[RefusedRow]) -> None:
    """Name the refused rows of the last run's reports that quote the learner's id or address."""
    if rows:
        click.echo(f"{learner.option}: {len(rows)} refused row(s) of the last run's reports name this "
                   f"learner: {', '.join(map(str, rows))}", err=True)


def _unknown_rows(journal: Journal, out_dir: Path, learner: Learner, rows: list[RefusedRow]) -> None:
    """Say which refused rows of awards the journal holds no record of quote none of the values
    given (a row refused for its date of birth quotes that alone): whether they are the
    learner's is not known, and what they quote stays until each is erased by its award id."""
    rows = [row for row in rows if row.row is not None and not journal.keys_of_award(row.award_id)]
    if not rows:
        return
    more = f" and {len(rows) - _SHOWN} more" if len(rows) > _SHOWN else ""
    no_id = "; a row without an award id stays until the next export run writes its reports, or report.* " \
        "are deleted" if any(not row.award_id for row in rows) else ""
    click.echo(f"warning: {learner.option}: {len(rows)} refused row(s) of the last run's reports do not name "
               f"this learner (their errors quote other values of the row), so whether they are this "
               f"learner's is not known: {', '.join(map(str, rows[:_SHOWN]))}{more}. If one is, erase it by "
               f"its award id: edcbridge erase {shlex.quote(str(out_dir))} AWARD_ID --reason TEXT{no_id}",
               err=True)


def _awards_of_learners(journal: Journal, out_dir: Path,
                        learners: list[Learner]) -> tuple[list[str], list[RefusedRow]] | None:
    """The awards of the learners given, and the refused rows of the last run's reports that
    quote their ids or addresses, each option's said with where they were found; None (said
    why) when an option finds neither, for then the learner may be mistyped and nothing is
    erased."""
    keys: list[str] = []
    pending = not_erased(journal) if learners else []
    refused = refused_rows(out_dir) if learners else []
    named = {learner: [row for row in refused if any(map(learner.is_named_in, row.texts))]
             for learner in learners}
    rows = [row for row in refused if any(row in rows for rows in named.values())]
    unknown = [row for row in refused if row not in rows]
    for learner in learners:
        deliveries = delivered_to(journal, learner.value) if learner.option == "--email" else None
        found = awards_of(out_dir, learner, journal.keys(), deliveries)
        for path in found.unreadable:
            click.echo(f"warning: {path} cannot be read, so whether it is the learner's is not known; "
                       "make it readable and run the same command again", err=True)
        if not found.keys and not named[learner]:
            journal_too = f" or {DELIVERIES}" if deliveries is not None else ""
            click.echo(f"error: {learner.option}: no award of this learner in the credentials of {out_dir} "
                       f"({', '.join(places())}){journal_too}, nor a refused row of {REPORT} naming them; "
                       f"nothing was erased. Check the {learner.option[2:]} given; an award erased already "
                       "is not found again", err=True)
            _unchecked(out_dir, learner, found.unchecked(pending))
            _unknown_rows(journal, out_dir, learner, unknown)
            return None
        if found.keys:
            _found(learner, found.keys, found.how)
        _named_rows(learner, named[learner])
        _unchecked(out_dir, learner, found.unchecked(pending))
        _unknown_rows(journal, out_dir, learner, unknown)
        keys += [key for key in found.keys if key not in keys]
    return keys, rows


def _each(journal: Journal, out_dir: Path, names: tuple[str, ...], reason: str, quiet: bool,
          rows: tuple[RefusedRow, ...] = ()) -> bool:
    """Erase each award, saying so, then the reports' rows of all and the refused ``rows``;
    whether all went as asked."""
    who, ok, unrecorded = actor(), True, []
    keys = [key for key in (resolve_key(journal, name, "erase") for name in names) if isinstance(key, str)]
    for name in names:
        key = resolve_key(journal, name, "erase")
        award_id = _unrecorded(journal, out_dir, name) if isinstance(key, Said) else None
        if award_id is not None:
            unrecorded.append(award_id)
            said = Said(f"{name}: its row failed before the journal made a record of it: no file of it "
                        "here; its rows in the last run's reports are taken out (the audit trail holds "
                        "nothing of it)")
        elif isinstance(key, Said):
            said = key
        else:
            try:
                said = erase_award(journal, out_dir, key, reason, who, set(keys))
            except (OSError, sqlite3.Error) as exc:
                said = Said(f"error: {key}: the journal could not take it ({exc}); nothing was erased of it: "
                            "run the same command again", ok=False)
        say(said, quiet)
        ok = ok and said.ok
    left = set(journal.not_erased()) if rows else set()
    for row in rows:
        others = [key for key in journal.keys_of_award(row.award_id) if key in left]
        note = [f"note: {row}: the journal holds {', '.join(others)}, which nothing here ties to this "
                "learner: if it is theirs, erase it by its key"] if others else []
        say(Said(f"{row}: refused row taken out of the last run's reports", note), quiet)
    return _reports_scrubbed(journal, out_dir, who, tuple(unrecorded), rows) and ok


def _reports_scrubbed(journal: Journal, out_dir: Path, who: str, unrecorded: tuple[str, ...] = (),
                      rows: tuple[RefusedRow, ...] = ()) -> bool:
    """Take the rows of every award erased out of the reports: this command's, and those of a
    command stopped part way, which --learner or --email no longer finds, their files being
    gone; whether that could be done (said when not)."""
    problems = _scrub_reports(out_dir, journal.erased(), who, unrecorded, rows)
    for problem in problems:
        click.echo(problem, err=True)
    return not problems


@click.command()
@click.argument("out_dir", metavar="OUT", type=click.Path(path_type=Path, file_okay=False, exists=True))
@click.argument("keys", metavar="[KEY]...", nargs=-1)
@click.option("--learner", "learner_id", metavar="ID", callback=_learner_option,
              help="Erase every award of the learner with this id (student number), found in OUT's "
                   "credentials of every format (EDC, EBSI, EDC XML, Open Badges, CLRs), and the rows "
                   "of report.* the last run refused that quote it.")
@click.option("--email", metavar="ADDRESS", callback=_email_option,
              help="Erase every award of the learner with this e-mail address, found in OUT's "
                   "credentials of every format and the addresses the journal kept of deliveries, and "
                   "the rows of report.* the last run refused that quote it.")
@click.option("--reason", required=True, callback=_reason, metavar="TEXT",
              help="Why (the request's reference; no personal data): kept in the audit trail.")
@quiet_option("line per award")
def erase(out_dir: Path, keys: tuple[str, ...], learner_id: str | None, email: str | None, reason: str,
          quiet: bool) -> None:
    """Erase the personal data OUT keeps of awards KEY (<issuer>/<award_id>, or a unique award id),
    or of every award of a learner (--learner ID, --email ADDRESS: the awards found are named
    first, with where each was found, and so are those of which OUT keeps no file to tell; none
    found erases nothing), at their learner's request (GDPR article 17): files, report rows,
    delivery addresses; the audit trail records the erasure.

    Gone are the awards' credential files of every format, published or withdrawn, their preview
    pages, Open Badges and the learner's CLR, their rows in the reports, the addresses of their
    wallet deliveries, their lines in push wallet's state and results files in OUT and the
    journal's errors quoting their rows.

    The audit trail keeps the award key, the hashes and an 'erased' event (who, when, --reason,
    which files with their sha256, the offers it closed), so 'edcbridge audit verify' holds it
    intact; no export run makes the awards again. Credentials already in wallets are the
    learner's: neither called back nor revoked (status list entries stay, for a later
    'edcbridge revoke').

    \b
    Exit codes: 0 erased (or erased already); 1 an award not found, or a file, the offers file
    or a report that could not be changed (run the same command again); 2 usage error, OUT
    holding no journal, or an export run using OUT.
    """
    from edcbridge.pipeline.runner import RunError, folder_of_one_run

    learners = _learners(learner_id, email)
    if not keys and not learners:
        raise click.UsageError("give the awards to erase: their KEYs, or --learner ID or --email ADDRESS")
    if not (out_dir / JOURNAL_NAME).is_file():
        raise click.BadParameter(f"{out_dir} holds no journal ({JOURNAL_NAME}): nothing was exported "
                                 "there; give the folder the awards were exported to", param_hint="OUT")
    try:
        with folder_of_one_run(out_dir, elsewhere=""):
            journal = open_journal(out_dir)
            try:
                found = _awards_of_learners(journal, out_dir, learners)
                awards, rows = found or ([], [])
                names = (*keys, *(key for key in awards if key not in keys))
                ok = found is not None and _each(journal, out_dir, names, reason, quiet, tuple(rows))
                if found is None:
                    _reports_scrubbed(journal, out_dir, actor())
            finally:
                journal.close(fold_log=True)
    except RunError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(EXIT_USAGE)
    sys.exit(EXIT_OK if ok else EXIT_FAILED)


def register(group: click.Group) -> None:
    """Add ``erase`` to the edcbridge command group."""
    group.add_command(erase)
