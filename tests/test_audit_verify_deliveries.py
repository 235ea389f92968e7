"""`audit verify` holds the journal's deliveries table to the trail: a delivery the table holds
as made must have its `delivered` event, so the events of deliveries cut off the end, or a
delivery row added or edited by hand, are named. A row erased as the README's erasure says
leaves the trail intact."""

from __future__ import annotations

import csv
import json
import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from edcbridge.cli import main
from edcbridge.load import load_catalogue
from edcbridge.pipeline import Job, RunOptions, run
from edcbridge.pipeline.delivery import WalletTarget
from edcbridge.pipeline.journal import JOURNAL_NAME
from edcbridge.schemas import SchemaStore
from edcbridge.sealing import demo_seal
from tests.conftest import FIXTURES
from tests.fake_http import FakeServer
from tests.fake_wallet import WalletFake

CATALOGUE = FIXTURES / "imperial" / "catalogue.yaml"
AWARDS = 3


@pytest.fixture(scope="module")
def delivered(store: SchemaStore, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """An output folder whose sealed credentials were each delivered to a wallet, over HTTP."""
    base = tmp_path_factory.mktemp("delivered")
    with (FIXTURES / "imperial" / "awards.csv").open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))[:AWARDS]
    awards = base / "awards.csv"
    with awards.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    server = FakeServer(WalletFake()).start()
    try:
        options = RunOptions(out_dir=base / "out", store_root=store.root, formats=(), workers=1,
                             seal=demo_seal(base / "seal", load_catalogue(CATALOGUE)),
                             deliver=WalletTarget(server.base_url, send_email=False, locale="en"))
        result = run([Job(CATALOGUE, (awards,))], options)
    finally:
        server.stop()
    assert (result.done, result.delivered) == (AWARDS, AWARDS)
    yield base / "out"


def _copy(folder: Path, tmp_path: Path) -> Path:
    out = tmp_path / "out"
    shutil.copytree(folder, out)
    return out


def _edit(out: Path, *statements: str) -> None:
    """Statements run on the journal as anyone who can write the file could (triggers dropped)."""
    db = sqlite3.connect(out / JOURNAL_NAME, isolation_level=None)
    try:
        db.execute("DROP TRIGGER audit_no_delete")
        for statement in statements:
            db.execute(statement)
    finally:
        db.close()


def _verify(out: Path) -> tuple[Result, dict[str, object]]:
    result = CliRunner().invoke(main, ["audit", "verify", str(out), "--json"])
    return result, json.loads(result.stdout)


def _first_key(out: Path) -> str:
    db = sqlite3.connect(out / JOURNAL_NAME)
    try:
        return str(db.execute("SELECT min(key) FROM deliveries").fetchone()[0])
    finally:
        db.close()


def test_deliveries_cut_off_the_end_with_the_report_are_named_each(delivered: Path, tmp_path: Path) -> None:
    out = _copy(delivered, tmp_path)
    _edit(out, "DELETE FROM audit WHERE action = 'delivered'")
    (out / "report.json").unlink()  # the head it noted goes with it
    result, verdict = _verify(out)
    assert result.exit_code == 1, result.output
    problems = [str(problem) for problem in verdict["problems"]]  # type: ignore[attr-defined]
    assert len(problems) == AWARDS, problems
    assert all(problem.startswith("delivery of imperial/") and "no delivered event of it" in problem
               for problem in problems), problems
    assert "BROKEN: delivery of " + _first_key(out) in result.stderr


def test_a_delivery_row_added_by_hand_is_named_with_its_target(delivered: Path, tmp_path: Path) -> None:
    """Each delivery is an event of its own: a second target holding the same version needs one."""
    out = _copy(delivered, tmp_path)
    key = _first_key(out)
    columns = "recipient, path, sha256, state, target_id, updated, run, held, delivered"
    _edit(out, f"INSERT INTO deliveries (key, target, {columns}) "
               f"SELECT key, 'wallet https://wallet.example', {columns} FROM deliveries WHERE key = '{key}'")
    result, verdict = _verify(out)
    assert result.exit_code == 1, result.output
    [problem] = verdict["problems"]  # type: ignore[misc]
    assert problem.startswith(f"delivery of {key} to wallet https://wallet.example (version "), problem


def test_a_delivered_version_edited_by_hand_is_named(delivered: Path, tmp_path: Path) -> None:
    out = _copy(delivered, tmp_path)
    key = _first_key(out)
    _edit(out, f"UPDATE deliveries SET delivered = '{'0' * 64}' || substr(delivered, 65) WHERE key = '{key}'")
    result, verdict = _verify(out)
    assert result.exit_code == 1, result.output
    [problem] = verdict["problems"]  # type: ignore[misc]
    assert problem.startswith(f"delivery of {key} to wallet http://127.0.0.1:") and \
        f"(version {'0' * 16}..., state delivered)" in problem, problem


def test_a_delivery_row_deleted_by_hand_is_named_until_the_erasure_is_recorded(delivered: Path,
                                                                                tmp_path: Path) -> None:
    out = _copy(delivered, tmp_path)
    key = _first_key(out)
    _edit(out, f"DELETE FROM deliveries WHERE key = '{key}'")
    result, verdict = _verify(out)
    assert result.exit_code == 1, result.output
    [problem] = verdict["problems"]  # type: ignore[misc]
    assert f"deliveries table holds no delivery of {key}" in problem and "edcbridge erase" in problem
    erased = CliRunner().invoke(main, ["erase", str(out), key, "--reason", "request 2026/4"])
    assert erased.exit_code == 0, erased.output
    result, verdict = _verify(out)
    assert result.exit_code == 0, result.output
    assert verdict["intact"] is True and verdict["problems"] == []
