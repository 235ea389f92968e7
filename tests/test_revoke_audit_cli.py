"""`edcbridge revoke` and `edcbridge offer --reissue` write to the audit trail of the output
folder: who (the OS user, as for every event), what (the award, the status list uri and index of
each credential, the offers closed), when and why (--reason); `audit verify` proves the trail
intact with them and `audit show` lists them. A folder with no trail that can take them still
revokes, and says where the revocation was recorded; a trail that failed is written by the next
run, once. (The journal's side: tests/test_revoke_audit_journal.py.)"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from edcbridge.oid4vci.offers import OFFERS_NAME, OfferStore
from edcbridge.oid4vci.sdjwt import decode_part
from edcbridge.pipeline.journal import FORMAT, JOURNAL_NAME, Journal, actor, verify_audit
from edcbridge.schemas import SchemaStore
from tests.wallet.issuer_support import (
    CATALOGUE,
    Exported,
    Holder,
    edcbridge_cli,
    export_awards,
    serve_process,
)


@pytest.fixture(scope="module")
def exported(store: SchemaStore, tmp_path_factory: pytest.TempPathFactory) -> Exported:
    return export_awards(tmp_path_factory.mktemp("revoke-audit"), 2, store.root)


@pytest.fixture
def folder(exported: Exported, tmp_path: Path) -> Exported:
    """The export, copied for one test (its journal, offers file and files)."""
    copy = tmp_path / "out"
    shutil.copytree(exported.out_dir, copy)
    return replace(exported, out_dir=copy)


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(edcbridge_cli(*args), capture_output=True, text=True, timeout=120)


def _edcbridge(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "edcbridge", *args], capture_output=True, text=True,
                          timeout=120)


def _trail(out: Path) -> list[dict[str, Any]]:
    journal = Journal.for_folder(out)
    try:
        return list(journal.audit_events())
    finally:
        journal.close()


def _offered(out: Path, key: str) -> str:
    offers = OfferStore.for_folder(out)
    try:
        return offers.create(key, ("elm",), valid_for=600).offer_id
    finally:
        offers.close()


def test_a_revocation_and_a_reissue_are_in_the_trail_with_who_what_when_and_why(
    folder: Exported, tmp_path: Path
) -> None:
    out, key = folder.out_dir, folder.keys[0]
    with serve_process(folder, tmp_path / "serve.log") as url:
        offers = OfferStore.for_folder(out)
        code = offers.create(key, ("elm",), valid_for=600).pre_authorized_code
        unused = offers.create(folder.keys[1], ("elm",), valid_for=600).offer_id
        offers.close()
        _, answer = Holder(url).fetch(code)
    status = decode_part(answer["credentials"][0]["credential"].split(".")[1])["status"]["status_list"]
    before = len(_trail(out))

    revoked = _run("revoke", key, folder.keys[1], "-o", str(out), "--reason", "Exam board decision 2025/17")
    assert revoked.returncode == 0, revoked.stderr
    assert f"{key}: revoked 1 credential (list 1 index {status['idx']})" in revoked.stdout
    for award in (key, folder.keys[1]):
        assert (f"{award}: the revocation is recorded in the audit trail {out / JOURNAL_NAME} (event "
                in revoked.stderr), revoked.stderr
    assert f"by {actor()})" in revoked.stderr

    events = _trail(out)
    assert len(events) == before + 2
    mine, other = events[-2:]
    assert (mine["action"], mine["key"], mine["actor"]) == ("revoked", key, actor())
    detail = mine["detail"]
    assert detail["by"] == actor() and detail["reason"] == "Exam board decision 2025/17"
    # the entry as the credential names it (status.status_list): serve recorded its uri
    named = [(entry["uri"], entry["idx"]) for entry in detail["credentials"]]
    assert named == [(status["uri"], status["idx"])]
    assert detail["offers_closed"] == []  # its offer was used up
    assert (other["key"], other["detail"]["credentials"]) == (folder.keys[1], [])
    assert [entry["offer"] for entry in other["detail"]["offers_closed"]] == [unused]
    verified = _edcbridge("audit", "verify", str(out))
    assert verified.returncode == 0 and f"intact: {before + 2} events" in verified.stderr, verified.stderr

    again = _run("revoke", key, "-o", str(out), "--reason", "asked twice")  # nothing new: no event
    assert again.returncode == 0, again.stderr
    assert again.stdout.strip() == f"{key}: already revoked 1 credential (list 1 index {status['idx']})"
    assert "audit trail" not in again.stderr and len(_trail(out)) == before + 2

    reissued = _run("offer", key, "-o", str(out), "--reissue", "--reason", "grade corrected", "--json",
                    "--no-qr-terminal")
    assert reissued.returncode == 0, reissued.stderr
    offer_id = json.loads(reissued.stdout)["offer_id"]
    assert f"{key}: the reissue is recorded in the audit trail" in reissued.stderr, reissued.stderr
    event = _trail(out)[-1]
    assert (event["action"], event["key"], event["actor"]) == ("reissued", key, actor())
    assert event["detail"]["offer"] == offer_id and event["detail"]["reason"] == "grade corrected"
    assert event["detail"]["configurations"] == ["elm"] and event["detail"]["by"] == actor()
    plain = _run("offer", folder.keys[1], "-o", str(out), "--reissue", "--no-qr-terminal")
    assert plain.returncode == 0, plain.stderr
    assert _trail(out)[-1]["action"] == "reissued" and _trail(out)[-1]["detail"]["reason"] is None
    assert _edcbridge("audit", "verify", str(out)).returncode == 0


def test_audit_show_prints_a_revocation_with_its_detail(folder: Exported) -> None:
    offer_id = _offered(folder.out_dir, folder.keys[0])
    assert _run("revoke", folder.keys[0], "-o", str(folder.out_dir), "--reason", "annulled").returncode == 0
    shown = _edcbridge("audit", "show", str(folder.out_dir))
    assert shown.returncode == 0, shown.stderr
    lines = [json.loads(line) for line in shown.stdout.splitlines()]
    assert "detail" not in lines[0]  # an issued event, as before
    last = lines[-1]
    assert (last["action"], last["key"], last["actor"]) == ("revoked", folder.keys[0], actor())
    assert last["detail"]["reason"] == "annulled" and last["detail"]["by"] == actor()
    assert last["detail"]["offers_closed"][0]["offer"] == offer_id


def test_a_folder_without_a_trail_still_revokes_and_says_where_it_is_recorded(folder: Exported) -> None:
    out = folder.out_dir
    _offered(out, folder.keys[0])
    (out / JOURNAL_NAME).unlink()
    revoked = _run("revoke", folder.keys[0], "-o", str(out))
    assert revoked.returncode == 0, revoked.stderr
    assert "1 unused offer closed" in revoked.stdout
    assert (f"note: {folder.keys[0]}: the revocation is recorded in the offers file {out / OFFERS_NAME} "
            f"only: {out} holds no audit trail (no {JOURNAL_NAME})") in revoked.stderr, revoked.stderr
    assert not (out / JOURNAL_NAME).exists()  # no trail is made up for it


def test_a_journal_made_anew_takes_no_event_of_an_award_it_does_not_hold(folder: Exported) -> None:
    out = folder.out_dir
    _offered(out, folder.keys[0])
    (out / JOURNAL_NAME).unlink()
    Journal.for_folder(out).close()  # e.g. a new export into the folder, of other awards
    revoked = _run("revoke", folder.keys[0], "-o", str(out))
    assert revoked.returncode == 0, revoked.stderr
    assert "recorded in the offers file" in revoked.stderr, revoked.stderr
    assert "holds no record of the award" in revoked.stderr
    assert _trail(out) == [] and verify_audit(out / JOURNAL_NAME).intact


def _set_format(out: Path, version: int) -> None:
    with sqlite3.connect(out / JOURNAL_NAME, isolation_level=None) as db:
        db.execute(f"PRAGMA user_version = {version}")
    db.close()


def test_a_trail_that_cannot_take_the_revocation_fails_and_the_next_run_writes_it_once(
    folder: Exported,
) -> None:
    out, key = folder.out_dir, folder.keys[0]
    _offered(out, key)
    before = len(_trail(out))
    _set_format(out, FORMAT + 1)  # written by a newer edcbridge: this one may not write to it
    revoked = _run("revoke", key, "-o", str(out), "--reason", "fraud")
    assert revoked.returncode == 1, revoked.stderr
    assert "1 unused offer closed" in revoked.stdout  # in effect all the same
    assert (f"error: {key}: the revocation is in effect but not in the audit trail {out / JOURNAL_NAME}"
            in revoked.stderr), revoked.stderr
    assert "the next 'edcbridge revoke'" in revoked.stderr

    reissued = _run("offer", key, "-o", str(out), "--reissue", "--no-qr-terminal", "--reason", "cleared")
    assert reissued.returncode == 0, reissued.stderr  # the offer stands: a warning, not a failure
    assert f"warning: {key}: the reissue is in effect but not in the audit trail" in reissued.stderr

    _set_format(out, FORMAT)
    again = _run("revoke", key, "-o", str(out))
    assert again.returncode == 0, again.stderr
    assert f"{key}: the earlier revocation (of " in again.stderr, again.stderr
    assert "is recorded in the audit trail" in again.stderr
    assert f"{key}: the earlier reissue (of " in again.stderr
    # the offer reissued above is closed by this revocation: an event of its own
    actions = [(event["action"], event["detail"].get("reason")) for event in _trail(out)[before:]]
    assert actions == [("revoked", "fraud"), ("reissued", "cleared"), ("revoked", None)], actions
    third = _run("revoke", key, "-o", str(out))
    assert third.returncode == 0 and "audit trail" not in third.stderr, third.stderr
    assert len(_trail(out)) == before + 3 and verify_audit(out / JOURNAL_NAME).intact


def test_a_reason_is_checked_before_anything_is_done(folder: Exported) -> None:
    out = folder.out_dir
    long = _run("revoke", folder.keys[0], "-o", str(out), "--reason", "x" * 1001)
    assert long.returncode == 2 and "at most 1000 characters" in long.stderr, long.stderr
    alone = _run("offer", folder.keys[0], "-o", str(out), "--reason", "why", "--no-qr-terminal")
    assert alone.returncode == 2 and "--reissue" in alone.stderr, alone.stderr
    offers = OfferStore.for_folder(out)
    try:
        assert not offers.was_revoked(folder.keys[0]) and offers.unrecorded() == []
    finally:
        offers.close()


def test_a_reason_pasted_with_line_breaks_and_terminal_escapes_is_kept_on_one_printable_line(
        folder: Exported) -> None:
    """`audit show` and later commands print the reason: it cannot move the cursor, retitle the
    terminal or start a line of its own."""
    out, key = folder.out_dir, folder.keys[0]
    _offered(out, key)
    pasted = "Exam board\n decision \x1b]0;pwned\x07 2025/17\u202e"
    assert _run("revoke", key, "-o", str(out), "--reason", pasted).returncode == 0
    kept = _trail(out)[-1]["detail"]["reason"]
    assert kept == "Exam board decision \\x1b]0;pwned\\x07 2025/17\\u202e", kept
    assert kept.isprintable()


def test_a_run_after_a_revocation_goes_on_from_it_and_the_trail_stays_intact(
    folder: Exported, exported: Exported, store: SchemaStore
) -> None:
    """The revocation sits between a run's events and the next run's: the run follows it."""
    out, key = folder.out_dir, folder.keys[0]
    _offered(out, key)
    assert _run("revoke", key, "-o", str(out), "--reason", "grade wrong").returncode == 0
    awards = exported.out_dir.parent / "awards.csv"
    corrected = out.parent / "awards.csv"
    lines = awards.read_text("utf-8").splitlines()
    lines[1] = lines[1].replace("Learner0000", "Learner0000 Corrected")
    corrected.write_text("\n".join(lines) + "\n", "utf-8")
    run = subprocess.run(
        [sys.executable, "-m", "edcbridge", "export", str(corrected), "-c", str(CATALOGUE), "-o", str(out),
         "--no-validate", "--seal", str(folder.p12), "--password-file", str(folder.password_file), "-q"],
        capture_output=True, text=True, timeout=600, env={**os.environ, "EDCBRIDGE_SCHEMAS": str(store.root)})
    assert run.returncode == 0, run.stderr
    actions = [(event["action"], event["key"]) for event in _trail(out)]
    revoked_at = actions.index(("revoked", key))
    assert ("issued", key) in actions[revoked_at + 1:]  # the corrected award, exported again after it
    verified = _edcbridge("audit", "verify", str(out))
    assert verified.returncode == 0 and "intact" in verified.stderr, verified.stderr
    reissued = _run("offer", key, "-o", str(out), "--reissue", "--no-qr-terminal", "--reason", "corrected")
    assert reissued.returncode == 0, reissued.stderr
    assert _trail(out)[-1]["action"] == "reissued" and verify_audit(out / JOURNAL_NAME).intact
