"""What the commands that act on recorded awards (``withdraw``, ``erase``) share: the journal of
OUT, an award named by key or id, the places of its files, the audit trail's spellings, and
what is said of each award."""

from __future__ import annotations

import json
import shlex
import sqlite3
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import click

from edcbridge.cli import EXIT_USAGE
from edcbridge.output import printable
from edcbridge.pipeline.journal import JOURNAL_NAME, Journal, output_file
from edcbridge.pipeline.report_marks import ReportMark


@dataclass
class Said:
    """What the command says of one award: its line, warnings said even with -q, and whether
    it went as asked."""

    line: str = ""
    warnings: list[str] = field(default_factory=list)
    ok: bool = True
    mark: ReportMark | None = None  # what the last run's reports are to say of the award now


def stamp(moment: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(moment))


def event_detail(fields: dict[str, Any]) -> str:
    """An event's detail: JSON, one spelling for one content (its sha256 is the output hash)."""
    return json.dumps(fields, sort_keys=True, separators=(",", ":"))


def trail_name(place: str) -> str:
    """A file of OUT (``clr/x.json``, ``withdrawn/clr/x.jwt``) as the audit trail names it: a
    CLR, whose name is its learner's id, by its folder alone (``clr/*.json``), so the trail
    holds no learner id."""
    folder, _, name = place.rpartition("/")
    if folder.rpartition("/")[2] != "clr":
        return place
    suffix = name[name.rfind("."):] if "." in name else ""
    return f"{folder}/*{suffix}"


def event_name(head: str) -> str:
    return f"audit event {head.split(':')[0]}"


def closing_recorded(journal: Journal, out_dir: Path, key: str, closed: int) -> tuple[str, str | None]:
    """Of an award withdrawn or erased already: the offers a first run left open (stopped part
    way, or made by an earlier version), ``closed`` now, written to the audit trail as an
    ``offers-closed`` event, with any the offers file kept of the award; what is said of it,
    and the problem."""
    from edcbridge.oid4vci.trail import record_kept

    head, problem = record_kept(journal, out_dir, key)
    event = f" ({event_name(head)})" if head else ""
    if closed:
        return f"; {closed} offer(s) left open closed{event}", problem
    return (f"; the earlier closing of its offers recorded{event}" if head else ""), problem


def resolve_key(journal: Journal, name: str, command: str = "withdraw") -> str | Said:
    """The record key ``name`` stands for (the key, or an award id of one issuer only);
    ``command``: the one the fix names."""
    if journal.entry(name) is not None:
        return name
    keys = journal.keys_of_award(name)
    shown = printable(name)  # as given on a command line: a control character is not sent to the terminal
    if "/" in name and keys:  # an id holding "/" could be read as <issuer>/<award_id>: it takes its issuer
        given = " or ".join(shlex.quote(key) for key in keys)
        return Said(f"error: {shown}: no award has this key; an award id holding '/' is given with its "
                    f"issuer: {given}, as in: edcbridge {command} {shlex.quote(str(journal.path.parent))} "
                    f"{shlex.quote(keys[0])} --reason TEXT", ok=False)
    if len(keys) == 1 and "/" not in name:
        return keys[0]
    if keys:
        return Said(f"error: {shown}: several awards have this id ({', '.join(keys)}); give one as "
                    "<issuer>/<award_id>", ok=False)
    return Said(f"error: {shown}: no such award in {journal.path}; give it as the run notes and "
                "report.csv name it (<issuer>/<award_id>), with OUT the folder it was exported to", ok=False)


def published_place(out_dir: Path, output: dict[str, str]) -> Path:
    """Where a withdrawn file was published, as its withdrawn output notes it."""
    return output_file(out_dir, {"path": output["published"], "file": output["published"]})


def exported_by_name(out_dir: Path, key: str) -> dict[str, Path]:
    """Where an export writes the files of ``key``: what a record whose last run failed (and so
    lists no files) may have left from an earlier run."""
    from edcbridge.output import safe_name
    from edcbridge.pipeline.worker import FORMATS

    issuer, _, award_id = key.partition("/")
    name = safe_name(issuer, award_id)
    return {fmt: out_dir / folder / f"{name}{suffix}" for fmt, (folder, suffix) in FORMATS.items()}


def pages_and_badges(out_dir: Path, key: str) -> dict[str, Path]:
    """Where the award's preview pages (``export --preview``) and Open Badges (``demo``,
    ``badges -o OUT``) are published in OUT: no record lists them."""
    from edcbridge.output import safe_name

    issuer, _, award_id = key.partition("/")
    page, badge = safe_name(f"{issuer}_{award_id}"), safe_name(issuer, award_id)
    return {**{f"preview{suffix}": out_dir / "preview" / f"{page}{suffix}" for suffix in (".html", ".pdf")},
            **{f"ob3{suffix}": out_dir / "ob3" / f"{badge}{suffix}" for suffix in (".json", ".jwt")}}


def badges_command(out_dir: Path, sealed: bool,
                   given: str = "the awards files and catalogue they were made from") -> str:
    """The command that makes the Open Badges and CLRs of OUT again (withdrawn awards left out)."""
    return (f"edcbridge badges AWARDS... -c CATALOGUE -o {shlex.quote(str(out_dir))}"
            + (" --seal P12" if sealed else "") + f" ({given})")


def say(said: Said, quiet: bool) -> None:
    if said.line and not (quiet and said.ok):
        click.echo(said.line, err=True)
    for warning in said.warnings:
        click.echo(warning, err=True)


def open_journal(out_dir: Path) -> Journal:
    path = out_dir / JOURNAL_NAME
    try:
        return Journal(path, timeout=30.0)
    except (OSError, sqlite3.Error) as exc:
        click.echo(f"error: {path}: the journal cannot be used ({exc}); 'edcbridge audit verify "
                   f"{out_dir}' says why", err=True)
        sys.exit(EXIT_USAGE)
