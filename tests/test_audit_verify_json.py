"""`audit verify --json`: the verdict as one JSON object on stdout (intact, events, the head to
note, the problems found), for an auditor's records and scripts."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from click.testing import CliRunner

from edcbridge.cli import main
from edcbridge.pipeline.journal import JOURNAL_NAME, Journal


def _trail(out: Path, records: int = 3) -> str:
    journal = Journal.for_folder(out)
    try:
        for index in range(records):
            journal.record(f"imperial/SYN-{index}", f"{index:064x}", "done", None,
                           {"edc": {"path": f"{out}/edc/{index}.jsonld", "sha256": "ab" * 32}}, None,
                           ["issued"])
        journal.commit()
        return journal.head()
    finally:
        journal.close()


def test_an_intact_trail_is_said_as_json_with_the_head_to_note(tmp_path: Path) -> None:
    head = _trail(tmp_path)
    result = CliRunner().invoke(main, ["audit", "verify", str(tmp_path), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {"intact": True, "events": 3, "head": head, "problems": []}


def test_a_trail_edited_is_said_as_json_with_each_problem(tmp_path: Path) -> None:
    _trail(tmp_path)
    with sqlite3.connect(tmp_path / JOURNAL_NAME, isolation_level=None) as db:
        db.execute("DROP TRIGGER audit_no_update")
        db.execute("UPDATE audit SET time = '2020-01-01T00:00:00Z' WHERE seq = 2")
    db.close()
    result = CliRunner().invoke(main, ["audit", "verify", str(tmp_path), "--json"])
    assert result.exit_code == 1, result.output
    verdict = json.loads(result.stdout)
    assert verdict["intact"] is False and verdict["events"] == 3
    assert verdict["problems"] == ["event 2 (issued imperial/SYN-1): content does not match its hash"]


def test_a_noted_head_that_is_gone_is_named_by_where_it_was_noted(tmp_path: Path) -> None:
    head = _trail(tmp_path)
    (tmp_path / "report.json").write_text(json.dumps({"records": [], "audit_head": head}), "utf-8")
    with sqlite3.connect(tmp_path / JOURNAL_NAME, isolation_level=None) as db:
        db.execute("DROP TRIGGER audit_no_delete")
        db.execute("DELETE FROM audit WHERE seq = 3")
    db.close()
    result = CliRunner().invoke(main, ["audit", "verify", str(tmp_path), "--json", "--head", head])
    problems = json.loads(result.stdout)["problems"]
    report = tmp_path / "report.json"
    assert f"event 3 noted as {head[2:18]}... in {report} is gone (events removed)" in problems
    assert f"event 3 noted as {head[2:18]}... with --head is gone (events removed)" in problems


def test_a_revocation_cut_off_the_end_is_found_by_the_head_the_offers_file_noted(tmp_path: Path) -> None:
    from edcbridge.oid4vci.offers import OFFERS_NAME, OfferStore

    _trail(tmp_path)
    offers = OfferStore.for_folder(tmp_path)
    offers.create("imperial/SYN-1", ("elm",), valid_for=600)
    offers.close()
    revoked = CliRunner().invoke(main, ["revoke", "SYN-1", "-o", str(tmp_path), "--reason", "annulled"])
    assert revoked.exit_code == 0, revoked.output
    assert CliRunner().invoke(main, ["audit", "verify", str(tmp_path)]).exit_code == 0
    with sqlite3.connect(tmp_path / JOURNAL_NAME, isolation_level=None) as db:
        db.execute("DROP TRIGGER audit_no_delete")
        db.execute("DELETE FROM audit WHERE action = 'revoked'")
    db.close()
    result = CliRunner().invoke(main, ["audit", "verify", str(tmp_path), "--json"])
    assert result.exit_code == 1, result.output
    [problem] = json.loads(result.stdout)["problems"]
    assert problem.startswith("event 4 noted as ") and \
        problem.endswith(f"in {tmp_path / OFFERS_NAME} is gone (events removed)"), problem


def test_the_chain_recomputes_from_audit_show_as_the_readme_says(tmp_path: Path) -> None:
    import hashlib

    journal = Journal.for_folder(tmp_path)
    journal.record("imperial/SYN-ü", "0" * 64, "done", None, {"edc": {"path": "x", "sha256": "y"}}, None,
                   ["issued"], redone="the row changed")
    journal.close()
    shown = CliRunner().invoke(main, ["audit", "show", str(tmp_path)])
    prev = "0" * 64
    with sqlite3.connect(tmp_path / JOURNAL_NAME) as db:
        details = dict(db.execute("SELECT seq, detail FROM audit WHERE detail IS NOT NULL").fetchall())
    db.close()
    for line in shown.stdout.splitlines():
        event = json.loads(line)
        body = json.dumps({name: event[name] for name in ("time", "actor", "action", "key", "input_hash",
                                                            "output_hash")},
                          sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        assert event["prev"] == prev and event["hash"] == hashlib.sha256((prev + body).encode()).hexdigest()
        if event["seq"] in details:
            assert hashlib.sha256(details[event["seq"]].encode()).hexdigest() == event["output_hash"]
        prev = event["hash"]
    verdict = json.loads(CliRunner().invoke(main, ["audit", "verify", str(tmp_path), "--json"]).stdout)
    assert verdict["head"] == f"2:{prev}"


def _report(tmp_path: Path, summary: str) -> Path:
    """A report.json ending in ``summary`` (its last keys, as a run writes them)."""
    report = tmp_path / "report.json"
    report.write_text('{\n "records": [\n],\n "failed": 0,\n' + summary + '\n "seconds": {}\n}\n', "utf-8")
    return report


def test_a_garbled_head_in_the_report_is_named_not_passed_over(tmp_path: Path) -> None:
    head = _trail(tmp_path)
    report = _report(tmp_path, f' "audit_head": "{head}x",')
    result = CliRunner().invoke(main, ["audit", "verify", str(tmp_path), "--json"])
    assert result.exit_code == 1, result.output
    verdict = json.loads(result.stdout)
    assert verdict["intact"] is False
    assert verdict["problems"] == [f'{report}: its audit_head "{head}x" is not EVENT:SHA256 as a run writes '
                                   "it (edited?): restore report.json from a copy"]
    assert f"BROKEN: {report}: its audit_head" in result.stderr and "NOT intact: 3 events" in result.stderr


def test_a_report_without_its_head_is_named_not_passed_over(tmp_path: Path) -> None:
    _trail(tmp_path)
    report = _report(tmp_path, "")
    result = CliRunner().invoke(main, ["audit", "verify", str(tmp_path)])
    assert result.exit_code == 1, result.output
    assert f"BROKEN: {report} holds no audit_head (cut short or edited?)" in result.stderr, result.stderr


def test_a_head_written_twice_is_read_as_a_json_reader_does_the_last(tmp_path: Path) -> None:
    head = _trail(tmp_path)
    _report(tmp_path, f' "audit_head": "{head}",\n "audit_head": "9:{"e" * 64}",')
    result = CliRunner().invoke(main, ["audit", "verify", str(tmp_path), "--json"])
    assert result.exit_code == 1, result.output
    assert json.loads(result.stdout)["problems"] == [
        f"event 9 noted as {'e' * 16}... in {tmp_path / 'report.json'} is gone (events removed)"]


def test_a_folder_without_its_report_says_the_trail_is_held_to_no_head(tmp_path: Path) -> None:
    _trail(tmp_path)
    result = CliRunner().invoke(main, ["audit", "verify", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert f"note: {tmp_path / 'report.json'} is not there: the trail is held to no head" in result.stderr
    noted = CliRunner().invoke(main, ["audit", "verify", str(tmp_path), "--head", _head_of(tmp_path)])
    assert noted.exit_code == 0 and "note:" not in noted.stderr, noted.output


def _head_of(out: Path) -> str:
    journal = Journal.for_folder(out)
    try:
        return journal.head()
    finally:
        journal.close()


def test_a_head_of_event_0_is_held_to_the_start_of_the_trail(tmp_path: Path) -> None:
    """Event 0 is the empty trail, whose hash is 64 zeros: any other hash noted for it, in the
    report or with --head, is no head a run printed."""
    _trail(tmp_path)
    report = _report(tmp_path, f' "audit_head": "0:{"f" * 64}",')
    result = CliRunner().invoke(main, ["audit", "verify", str(tmp_path), "--json", "--head", f"0:{'e' * 64}"])
    assert result.exit_code == 1, result.output
    assert json.loads(result.stdout)["problems"] == [
        f"event 0 noted as {'e' * 16}... with --head is {'0' * 16}... now",
        f"event 0 noted as {'f' * 16}... in {report} is {'0' * 16}... now"]
    _report(tmp_path, f' "audit_head": "0:{"0" * 64}",')  # a run that made nothing
    result = CliRunner().invoke(main, ["audit", "verify", str(tmp_path), "--head", f"0:{'0' * 64}"])
    assert result.exit_code == 0, result.output
