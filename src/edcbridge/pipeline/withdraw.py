"""``edcbridge withdraw OUT KEY... --reason TEXT``: take awards back from an output folder (entered
in error, a degree rescinded), and ``--undo`` to put them back.

A withdrawn award's files leave the published folders for ``OUT/withdrawn/<format>/`` (kept for
the record, never written over), its record becomes ``withdrawn`` in the same transaction as the
``withdrawn`` audit event (who, when, why, which files and which offers, as its detail), its
wallet deliveries not made are cancelled, and the offers of it ``edcbridge serve`` could still
issue from are closed (``--undo`` does not reopen them); an export run whose input still holds
the award fails its row, naming this command, instead of exporting it again. ``--undo``
reinstates the record (a ``reinstated`` event): the next export run exports the award afresh.

The journal is written before the files are moved and the offers closed: should the command
stop between, the award is withdrawn already (no run exports it, ``serve`` refuses its offers)
and the same command moves and closes what is left, naming the offers it closes in an
``offers-closed`` event of the audit trail.
"""

from __future__ import annotations

import hashlib
import sqlite3
import sys
import time
from pathlib import Path

import click

from edcbridge.cli import EXIT_FAILED, EXIT_OK, EXIT_USAGE, quiet_option, reason_text
from edcbridge.pipeline.award_commands import (
    Said,
    badges_command,
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
from edcbridge.pipeline.journal import JOURNAL_NAME, Entry, Journal, actor, output_file
from edcbridge.pipeline.report_marks import ReportMark, mark_reports, reinstated_note, withdrawn_note

WITHDRAWN = "withdrawn"  # the folder, in OUT, of the files of withdrawn awards


def _reason(_ctx: click.Context, _param: click.Parameter, value: str) -> str:
    """Callback of ``--reason``: given, and kept as :func:`edcbridge.cli.reason_text` says."""
    text = reason_text(value)
    if text is None:
        raise click.BadParameter("give why the awards are withdrawn (a sentence, a case number)")
    return text


def _free_place(folder: Path, name: str, taken: set[Path]) -> Path:
    """``folder/name``, or with ``.2``, ``.3``... before its suffix when that is taken."""
    stem, dot, suffix = name.partition(".")
    place, number = folder / name, 1
    while place.exists() or place in taken:
        number += 1
        place = folder / f"{stem}.{number}{dot}{suffix}"
    return place


def _exported_file(out_dir: Path, output: dict[str, str]) -> Path:
    """Where a recorded output is published: by its place in OUT (``file``); a record of an
    earlier version has only the path as given then (``out/edc/x.jsonld``, relative to that
    run's working directory), so its file is looked for in its format's folder of OUT."""
    if output.get("file"):
        return output_file(out_dir, output)
    recorded = Path(output["path"])
    return out_dir / recorded.parent.name / recorded.name


def _plan(out_dir: Path, outputs: dict[str, dict[str, str]]) -> dict[str, dict[str, str]]:
    """The outputs as they will be once withdrawn: each file there, in OUT/withdrawn/ under the
    name of its folder (a format's, ``preview`` or ``ob3``), in the order given."""
    planned: dict[str, dict[str, str]] = {}
    taken: set[Path] = set()
    for name, output in outputs.items():
        source = _exported_file(out_dir, output)
        if not source.is_file():  # deleted by hand earlier: nothing to move
            continue
        place = _free_place(out_dir / WITHDRAWN / source.parent.name, source.name, taken)
        taken.add(place)
        published = output.get("file") or source.relative_to(out_dir).as_posix()
        planned[name] = {**output, "path": str(place), "file": place.relative_to(out_dir).as_posix(),
                         "published": published}
    return planned


def _found(out_dir: Path, paths: dict[str, Path]) -> dict[str, dict[str, str]]:
    """The files of ``paths`` that are in OUT, as a record lists its outputs."""
    return {name: {"path": str(path), "file": path.relative_to(out_dir).as_posix(),
                   "sha256": hashlib.sha256(path.read_bytes()).hexdigest()}
            for name, path in paths.items() if path.is_file()}


def _learner_records(out_dir: Path, key: str) -> dict[str, Path]:
    """The CLRs in OUT/clr/ (``demo``, ``badges -o OUT``) that bundle the award, each with its
    VC-JWT. A CLR is made from the awards files and sealed with the issuer's key, neither of
    which withdraw has: it is withdrawn whole, and ``badges`` makes it again without the award."""
    from edcbridge.badges.export import held_badges
    from edcbridge.badges.ob3 import credential_id

    issuer, _, award_id = key.partition("/")
    badge_id = credential_id(issuer, award_id)
    found: dict[str, Path] = {}
    clrs = sorted((out_dir / "clr").glob("*.json"))
    for number, path in enumerate(p for p in clrs if badge_id in held_badges(p)):
        tag = f"-{number + 1}" if number else ""
        found.update({f"clr{tag}{suffix}": path.with_suffix(suffix) for suffix in (".json", ".jwt")})
    return found


def _clr_warning(out_dir: Path, key: str, planned: dict[str, dict[str, str]]) -> list[str]:
    """What to run to publish again the learner's other awards that went with its CLR."""
    from edcbridge.badges.export import held_badges
    from edcbridge.badges.ob3 import credential_id

    records = [output["published"] for name, output in planned.items() if name.startswith("clr")]
    own = {credential_id(*key.split("/", 1))}
    if not any(held_badges(out_dir / output["file"]) - own for name, output in planned.items()
               if name.startswith("clr") and output["file"].endswith(".json")):
        return []  # the CLR held no other award of the learner: there is nothing to make again
    shown = ", ".join(record for record in records if record.endswith(".json")) or ", ".join(records)
    sealed = any(record.endswith(".jwt") for record in records)
    return [f"warning: {key}: its learner's CLR ({shown}) held it and was withdrawn whole, with the "
            f"learner's other awards in it; make it again without {key}: {badges_command(out_dir, sealed)}"]


def _gone(out_dir: Path, outputs: dict[str, dict[str, str]],
          planned: dict[str, dict[str, str]]) -> list[dict[str, str]]:
    """The record's files no longer in OUT when it is withdrawn (removed by hand): named in the
    audit event, since the record then no longer knows them."""
    return [{"format": name, "from": output.get("file") or _exported_file(out_dir, output).relative_to(
             out_dir).as_posix(), "sha256": output.get("sha256", "")}
            for name, output in sorted(outputs.items()) if name not in planned]


def _move(out_dir: Path, outputs: dict[str, dict[str, str]]) -> tuple[list[str], list[str]]:
    """Move each file still published to its place in OUT/withdrawn/; the files moved, and
    the problems (a file that cannot be moved stays, and is said)."""
    moved: list[str] = []
    problems: list[str] = []
    for output in outputs.values():
        source, place = published_place(out_dir, output), output_file(out_dir, output)
        if not source.is_file() or place.exists():
            continue
        try:
            place.parent.mkdir(parents=True, exist_ok=True)
            source.rename(place)
        except OSError as exc:
            problems.append(f"{source} cannot be moved to {place} ({exc.strerror or exc}); make "
                            f"{out_dir} writable, then run the same command again")
            continue
        moved.append(str(place))
    return moved, problems


def _serve_warning(out_dir: Path, key: str) -> str | None:
    """What to revoke when 'edcbridge serve' offered or issued credentials of ``key`` (status
    list entries), or may have: its offers file cannot be read. The award is withdrawn either
    way (not revoked here: --undo could not make a revoked credential valid)."""
    from edcbridge.oid4vci.offers import OFFERS_NAME, OfferStore

    path = out_dir / OFFERS_NAME
    if not path.is_file():
        return None
    revoke = f"edcbridge revoke {key} -o {out_dir} --reason TEXT"
    try:
        with OfferStore.opened(out_dir) as store:
            offered = bool(store.revocable_awards(key))
    except (OSError, sqlite3.Error) as exc:
        return (f"warning: {key}: the offers file {path} cannot be read ({exc}), so whether 'edcbridge "
                f"serve' offered or issued it to EUDI wallets is not known; repair or restore that file, "
                f"then revoke what was issued (for good): {revoke}")
    if not offered:
        return None
    return (f"warning: {key}: 'edcbridge serve' offered or issued it to EUDI wallets; revoke those "
            f"credentials (for good): {revoke}")


def _unused_offers(out_dir: Path, key: str) -> tuple[str, ...]:
    """The award's offers a wallet could still get a credential from (open, or redeemed with
    credentials not all issued); none when the offers file cannot be read (:func:`_serve_warning`
    says so)."""
    from edcbridge.oid4vci.offers import UNUSED, folder_offers

    return folder_offers(out_dir, key, UNUSED)


def _close_offers(out_dir: Path, key: str, by: str | None) -> tuple[int, str | None]:
    """Close the award's unused offers at once (``serve`` would close each only when a wallet
    tried it, showing the offer until then): how many, and the problem when the offers file
    cannot be changed. ``by``: who, when the offers file is to keep the closing for the audit
    trail (the withdrawal's own event does not name them)."""
    from edcbridge.oid4vci.offers import OFFERS_NAME, OfferStore

    try:
        with OfferStore.opened(out_dir) as store:
            return len(store.close_withdrawn(key, by=by).offers), None
    except (OSError, sqlite3.Error) as exc:
        return 0, (f"its offers in {out_dir / OFFERS_NAME} cannot be closed ({exc}): 'edcbridge serve' "
                   "still shows them, refusing each only when a wallet tries it; make that file writable, "
                   "then run the same command again")


def _closed_offers(out_dir: Path, key: str, offers: tuple[str, ...],
                   by: str | None = None) -> tuple[int, list[str]]:
    """Close ``offers`` (the award's unused ones), if any: how many were closed, and the
    problem as an error line."""
    if not offers:
        return 0, []
    closed, problem = _close_offers(out_dir, key, by)
    return closed, [f"error: {key}: {problem}"] if problem else []


def _closed_left_open(journal: Journal, out_dir: Path, key: str, who: str) -> tuple[str, list[str]]:
    """Close the offers a withdrawal left open (stopped part way, or made by an earlier version)
    and write their closing to the audit trail as an ``offers-closed`` event, with any the offers
    file kept of the award; what is said of it, and the problems as error lines."""
    by = f"{who} (edcbridge withdraw)"
    closed, errors = _closed_offers(out_dir, key, _unused_offers(out_dir, key), by)
    said, problem = closing_recorded(journal, out_dir, key, closed)
    return said, errors + ([f"error: {key}: {problem}"] if problem else [])


def _wallet_warnings(out_dir: Path, key: str, deliveries: dict[str, str]) -> list[str]:
    """What withdrawing cannot take back: credentials in wallets already, or maybe."""
    said = [f"warning: {key}: delivered to {target} before; a sealed EDC carries no status and "
            "cannot be called back: tell the learner and the wallet's operator"
            for target, state in deliveries.items() if state == "delivered"]
    said += [f"warning: {key}: a delivery to {target} was under way (its outcome is not known): the "
             "wallet may hold the credential; ask its operator"
             for target, state in deliveries.items() if state == "sending"]
    served = _serve_warning(out_dir, key)
    return said + ([served] if served else [])


def _withdrawn_already(journal: Journal, out_dir: Path, entry: Entry, who: str) -> Said:
    """An award withdrawn before: the files and offers a command stopped part way left behind
    are moved and closed now (the offers closed recorded in the audit trail), and what
    withdrawing cannot take back is said again (a command stopped before its messages said none
    of it)."""
    deliveries = journal.deliveries_of(entry.key)
    moved, problems = _move(out_dir, entry.outputs)
    done = f"; {len(moved)} file(s) left behind moved to {out_dir / WITHDRAWN}" if moved else ""
    closing, offer_errors = _closed_left_open(journal, out_dir, entry.key, who)
    done += closing
    when = (entry.error or "").removeprefix("withdrawn ")
    errors = [f"error: {entry.key}: {problem}" for problem in problems] + offer_errors
    files = tuple(output["published"] for output in entry.outputs.values() if output.get("published"))
    mark = ReportMark(entry.key, "withdrawn", withdrawn_note(entry.key, entry.error or "withdrawn", out_dir),
                      files, catch_up=True)  # a command stopped before it marked the reports
    return Said(f"{entry.key}: withdrawn already ({when}){done}",
                errors + _wallet_warnings(out_dir, entry.key, deliveries), not errors, mark)


def withdraw_award(journal: Journal, out_dir: Path, entry: Entry, reason: str, who: str) -> Said:
    """Withdraw one award: journal and event first, then the files."""
    if entry.state == "withdrawn":
        return _withdrawn_already(journal, out_dir, entry, who)
    outputs = entry.outputs  # a failed record keeps those of its earlier version (none, in a
    # journal of an earlier version); files of its name its record does not list: all, for a
    # failed record that keeps none; else those of formats its last run did not write (a run
    # without --seal leaves the sealed credential of an earlier run in the folder)
    unlisted_formats = {fmt: path for fmt, path in exported_by_name(out_dir, entry.key).items()
                        if fmt not in outputs}
    outputs = {**outputs, **_found(out_dir, unlisted_formats)}
    unlisted = _found(out_dir, {**pages_and_badges(out_dir, entry.key),
                                **_learner_records(out_dir, entry.key)})
    planned = _plan(out_dir, {**dict(sorted(outputs.items())), **unlisted})
    gone = _gone(out_dir, outputs, planned)
    deliveries = journal.deliveries_of(entry.key)
    cancelled = sorted(target for target, state in deliveries.items() if state in ("pending", "failed"))
    offers = _unused_offers(out_dir, entry.key)
    now = time.time()
    detail = event_detail({"by": who, "at": stamp(now), "reason": reason, "deliveries_cancelled": cancelled,
                      "files": [{"format": name, "from": trail_name(output["published"]),
                                 "to": trail_name(output["file"]),
                                 "sha256": output.get("sha256")} for name, output in planned.items()],
                      **({"files_gone": gone} if gone else {}),
                      **({"offers_closed": [{"offer": offer, "closed_at": stamp(now)} for offer in offers]}
                         if offers else {})})
    note = f"withdrawn on {stamp(now)} by {who}: {reason}"
    head = journal.set_withdrawal("withdrawn", entry.key, planned, note, detail)
    moved, problems = _move(out_dir, planned)
    closed, offer_errors = _closed_offers(out_dir, entry.key, offers)
    line = (f"{entry.key}: withdrawn ({event_name(head)}); {len(moved)} file(s) moved to "
            f"{out_dir / WITHDRAWN}"
            + (f" ({', '.join(sorted(planned))})" if planned else " (none was left in the folder)")
            + (f"; {len(cancelled)} wallet delivery(ies) cancelled" if cancelled else "")
            + (f"; {closed} offer(s) closed" if closed else ""))
    warnings = [f"error: {entry.key}: {problem}" for problem in problems] + offer_errors
    if gone:
        warnings.append(f"warning: {entry.key}: {', '.join(file['from'] for file in gone)}: no longer in "
                        f"{out_dir} (removed or moved by hand?), so not moved; if a copy is published "
                        "elsewhere, take it back there too (the audit event names the file and its sha256)")
    if entry.state == "failed" and not entry.outputs:  # its files were found by name
        found = ", ".join(output["published"] for output in planned.values()) or "none"
        warnings.append(f"warning: {entry.key}: its record had failed, so the journal names no files of "
                        f"it; the files of its name in {out_dir} were withdrawn ({found}); if an earlier "
                        "run wrote it elsewhere or under another name, that run's report.csv names them")
    warnings += _clr_warning(out_dir, entry.key, planned)
    files = tuple(output["published"] for output in planned.values()) + tuple(file["from"] for file in gone)
    mark = ReportMark(entry.key, "withdrawn", withdrawn_note(entry.key, note, out_dir), files)
    return Said(line, warnings + _wallet_warnings(out_dir, entry.key, deliveries),
                not problems and not offer_errors, mark)


def _badges_again(out_dir: Path, kept: list[str]) -> str:
    """What makes the reinstated award's Open Badge and its learner's CLR again, if they were
    withdrawn with it (they stay in OUT/withdrawn/: the CLR may hold other awards withdrawn)."""
    badges = [file for file in kept if file.split("/")[1:2] in (["ob3"], ["clr"])]
    if not badges:
        return ""
    sealed = any(file.endswith(".jwt") for file in badges)
    return (f"; to publish its Open Badge and put it back in its learner's CLR: "
            f"{badges_command(out_dir, sealed)}")


def _offers_stay_closed(out_dir: Path, key: str) -> str:
    """What the reinstatement leaves as it is: the offers the withdrawal closed."""
    from edcbridge.oid4vci.offers import AWARD_WITHDRAWN, folder_offers

    closed = folder_offers(out_dir, key, (AWARD_WITHDRAWN,))
    if not closed:
        return ""
    return (f"; its {len(closed)} offer(s) closed by the withdrawal stay closed: to hand the learner the "
            "credential, make a new offer ('edcbridge offer')")


def reinstate_award(journal: Journal, out_dir: Path, entry: Entry, reason: str, who: str) -> Said:
    """Reinstate one award: its record is cleared, so the next export run exports it again."""
    again = "the next export run whose input holds it exports it again"
    if entry.state == "reinstated":  # the reports, should a command have stopped before it marked them
        mark = ReportMark(entry.key, "reinstated", reinstated_note(entry.key, out_dir), (), catch_up=True)
        return Said(f"{entry.key}: reinstated already; {again}", mark=mark)
    if entry.state != "withdrawn":
        return Said(f"error: {entry.key}: not withdrawn (its record is {entry.state}): nothing to "
                    "reinstate", ok=False)
    kept = sorted(output["file"] for output in entry.outputs.values())
    detail = event_detail({"by": who, "at": stamp(time.time()), "reason": reason,
                      "kept": [trail_name(file) for file in kept]})
    head = journal.set_withdrawal("reinstated", entry.key, {}, None, detail)
    files = tuple(output["published"] for output in entry.outputs.values() if output.get("published"))
    still = _badges_again(out_dir, kept) + _offers_stay_closed(out_dir, entry.key)
    return Said(f"{entry.key}: reinstated ({event_name(head)}); {again} (its withdrawn files stay in "
                f"{out_dir / WITHDRAWN}){still}",
                mark=ReportMark(entry.key, "reinstated", reinstated_note(entry.key, out_dir), files))


def _each(journal: Journal, out_dir: Path, keys: tuple[str, ...], reason: str, undo: bool,
          quiet: bool) -> tuple[bool, list[ReportMark]]:
    """Withdraw (or reinstate) each award, saying so; whether all went as asked, and what the
    last run's reports are to say of the awards now."""
    who, ok, marks = actor(), True, []
    step = reinstate_award if undo else withdraw_award
    for name in keys:
        key = resolve_key(journal, name)
        if isinstance(key, Said):
            said = key
        else:
            entry = journal.entry(key)
            assert entry is not None
            try:
                said = step(journal, out_dir, entry, reason, who)
            except (OSError, sqlite3.Error) as exc:
                said = Said(f"error: {key}: the journal could not take it ({exc}); nothing was changed for "
                            "it: run the same command again", ok=False)
        say(said, quiet)
        ok = ok and said.ok
        marks += [said.mark] if said.mark is not None else []
    return ok, marks


def _mark_reports(out_dir: Path, marks: list[ReportMark], quiet: bool) -> None:
    """Bring the last run's reports up to date, saying so; a report that cannot be changed is
    said, with what to trust instead (the withdrawal stands)."""
    try:
        changed = mark_reports(out_dir, marks)
    except (OSError, UnicodeError, ValueError) as exc:
        click.echo(f"warning: {out_dir}: the reports of the last run could not be marked ({exc}): they "
                   f"still list {', '.join(mark.key for mark in marks)} as they were; the journal and "
                   f"'edcbridge audit show {out_dir}' say what stands", err=True)
        return
    if changed and not quiet:
        click.echo(f"{', '.join(path.name for path in changed)}: the last run's report marks "
                   f"{', '.join(mark.key for mark in marks)} {marks[0].status}", err=True)


@click.command()
@click.argument("out_dir", metavar="OUT", type=click.Path(path_type=Path, file_okay=False, exists=True))
@click.argument("keys", metavar="KEY...", nargs=-1, required=True)
@click.option("--reason", required=True, callback=_reason, metavar="TEXT",
              help="Why (a sentence, a case number): kept in the audit trail, said by later runs.")
@click.option("--undo", is_flag=True, help="Reinstate the awards: the next export run exports them again.")
@quiet_option("line per award")
def withdraw(out_dir: Path, keys: tuple[str, ...], reason: str, undo: bool, quiet: bool) -> None:
    """Withdraw awards KEY (<issuer>/<award_id>, or a unique award id) exported to OUT: their files are
    moved to OUT/withdrawn/ and no export run makes them again; --undo reinstates them. A learner's
    CLR (OUT/clr/) holding one goes with it; 'edcbridge badges' makes it again without it.

    Each withdrawal is an event of the audit trail ('edcbridge audit show OUT'), with who, when,
    --reason and the files moved, written with the record's new state; wallet deliveries not yet
    made are cancelled; the last run's report.csv, report.json and report.html mark them. An
    export run whose input still holds a withdrawn award does not export its row and says how to
    reinstate it; such a row is no failure (exit 0). Offers 'edcbridge serve' could still issue
    from are closed at once (--undo does not reopen them: make a new offer). Credentials
    'edcbridge serve' issued to EUDI wallets are not revoked here (a revocation cannot be
    undone): the command says when 'edcbridge revoke' is needed.

    \b
    Exit codes: 0 withdrawn (or withdrawn already), or reinstated; 1 an award not found, not
    withdrawn (--undo), or whose files could not all be moved or offers closed or recorded (run
    the same command again);
    2 usage error, OUT holding no journal, or an export run using OUT.
    """
    from edcbridge.pipeline.runner import RunError, folder_of_one_run

    if not (out_dir / JOURNAL_NAME).is_file():
        raise click.BadParameter(f"{out_dir} holds no journal ({JOURNAL_NAME}): nothing was exported "
                                 "there; give the folder the awards were exported to", param_hint="OUT")
    try:
        with folder_of_one_run(out_dir, elsewhere=""):
            journal = open_journal(out_dir)
            try:
                ok, marks = _each(journal, out_dir, keys, reason, undo, quiet)
            finally:
                journal.close(fold_log=True)
            _mark_reports(out_dir, marks, quiet)
    except RunError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(EXIT_USAGE)
    sys.exit(EXIT_OK if ok else EXIT_FAILED)


def register(group: click.Group) -> None:
    """Add ``withdraw`` to the edcbridge command group."""
    group.add_command(withdraw)
