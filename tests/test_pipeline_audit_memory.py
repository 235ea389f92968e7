"""`audit verify` on the trail of a large output folder: memory stays small however many
events it holds, and a damaged trail is described in a bounded list."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

from edcbridge.pipeline.journal import JOURNAL_NAME, Journal, verify_audit

RECORDS = 20_000


def _trail(out: Path, records: int) -> Path:
    journal = Journal.for_folder(out)
    try:
        for index in range(records):
            name = f"imperial_SYN-{index:07d}.jsonld"
            stamp = "1733390000000000000"
            outputs = {"edc": {"path": f"{out}/edc/{name}", "file": f"edc/{name}", "sha256": "ab" * 32,
                               "size": "33000", "mtime_ns": stamp},
                       "edc-sealed": {"path": f"{out}/edc-sealed/{name}", "file": f"edc-sealed/{name}",
                                      "sha256": "cd" * 32, "size": "50000", "mtime_ns": stamp}}
            journal.record(f"imperial/SYN-{index:07d}", f"{index:064x}", "done", None, outputs, None,
                           ["issued", "sealed"])
        journal.commit()
    finally:
        journal.close()
    return out / JOURNAL_NAME


# traced in a process of its own: in the test run, threads other tests left (servers ending)
# allocate meanwhile, and tracemalloc counts every thread's allocations
_TRACED_VERIFY = """
import json, sys, tracemalloc
from pathlib import Path
from edcbridge.pipeline.journal import verify_audit
tracemalloc.start()
check = verify_audit(Path(sys.argv[1]))
print(json.dumps([check.intact, check.events, tracemalloc.get_traced_memory()[1]]))
"""


def test_audit_verify_reads_the_trail_as_a_stream(tmp_path: Path) -> None:
    path = _trail(tmp_path, RECORDS)
    done = subprocess.run([sys.executable, "-c", _TRACED_VERIFY, str(path)], capture_output=True,
                          text=True, check=True)
    intact, events, peak = json.loads(done.stdout)
    assert intact and events == 2 * RECORDS
    # a small digest per event (about 80 bytes), not the rows themselves (about 900 bytes each)
    assert peak < 200 * 2 * RECORDS, peak


def test_a_trail_broken_everywhere_is_described_in_a_bounded_list(tmp_path: Path) -> None:
    path = _trail(tmp_path, 500)
    with sqlite3.connect(path) as db:
        db.execute("DROP TRIGGER audit_no_update")
        db.execute("UPDATE audit SET actor = 'someone@else'")  # every event edited
    check = verify_audit(path)
    assert not check.intact
    assert len(check.problems) <= 25, len(check.problems)
    assert any("more breaks of the chain" in problem for problem in check.problems)


def test_audit_verify_while_a_run_commits_sees_one_moment_of_the_journal(tmp_path: Path) -> None:
    """Records and their events are committed together; a check reading the trail and then the
    records must not find the records of a commit made in between without their events."""
    import threading

    path = _trail(tmp_path, RECORDS // 2)
    stop = threading.Event()
    commits: list[int] = []

    def run_committing() -> None:
        journal = Journal.for_folder(tmp_path)
        try:
            index = 0
            while not stop.is_set():
                journal.record(f"imperial/NEW-{index:07d}", f"{index:064x}", "done", None,
                               {"edc": {"path": "x", "sha256": "0" * 64}}, None, ["issued"])
                journal.commit()
                commits.append(index)
                index += 1
        finally:
            journal.close()

    writer = threading.Thread(target=run_committing)
    writer.start()
    try:
        checks = [verify_audit(path) for _ in range(3)]
    finally:
        stop.set()
        writer.join()
    assert commits  # the trail grew while it was checked
    assert all(check.intact for check in checks), [check.problems[:3] for check in checks]
