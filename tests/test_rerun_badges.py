"""An export made again into a folder holding the Open Badges and CLRs of `badges -o OUT`: a
record made again from a changed row or catalogue part takes its Open Badge and its learner's
CLR out of the folder, which hold the award as it was, naming them and the command that makes
them again."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from edcbridge.cli import main
from edcbridge.load import load_catalogue
from edcbridge.schemas import SchemaStore
from edcbridge.sealing import demo_seal
from tests.conftest import FIXTURES
from tests.pipeline_support import synthetic_awards

CATALOGUE = FIXTURES / "imperial" / "catalogue.yaml"
# synthetic awards cycle over the 9 fixture rows: SYN-00000 and SYN-00009 are one learner's
CLR = Path("clr") / "imperial_02214587.json"


@pytest.fixture
def env(store: SchemaStore, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EDCBRIDGE_SCHEMAS", str(store.root))


def _cli(*args: str | Path) -> Result:
    return CliRunner().invoke(main, [str(arg) for arg in args])


def _graded(awards: Path, award_id: str, grade: str) -> None:
    with awards.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    with awards.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows({**row, "grade": grade} if row["award_id"] == award_id else row for row in rows)


def test_the_badge_and_clr_of_an_award_made_again_are_removed_and_named(env: None, tmp_path: Path) -> None:
    awards, out = synthetic_awards(tmp_path / "awards.csv", 10), tmp_path / "out"
    export = ("export", awards, "-c", CATALOGUE, "-o", out, "-j", "1")
    assert _cli(*export).exit_code == 0
    assert _cli("badges", awards, "-c", CATALOGUE, "-o", out, "-q").exit_code == 0
    badge, other = out / "ob3" / "imperial_SYN-00009.json", out / "ob3" / "imperial_SYN-00001.json"
    clrs = sorted((out / "clr").glob("*.json"))
    assert badge.is_file() and (out / CLR) in clrs
    _graded(awards, "SYN-00009", "MALLORY")
    result = _cli(*export)
    assert result.exit_code == 0, result.output
    assert not badge.exists() and other.is_file()
    assert sorted((out / "clr").glob("*.json")) == [clr for clr in clrs if clr != out / CLR]
    records = json.loads((out / "report.json").read_text("utf-8"))["records"]
    redone = {record["award_id"]: record["redone"] for record in records}
    assert redone["SYN-00000"] is None
    assert redone["SYN-00009"] == (f"the row changed; {badge} removed: an Open Badge of the award as it "
                                   "was; its learner's CLR (clr/*.json) removed: it held the award as it was")
    notes = json.loads((out / "report.json").read_text("utf-8"))["notes"]
    (note,) = [note for note in notes if "Open Badge" in note]
    assert note.startswith(f"{out}: 1 award(s) made again from a changed row or part of the catalogue had "
                           "1 Open Badge(s) and 1 learner's CLR(s) holding them as they were: removed"), note
    assert f"edcbridge badges AWARDS... -c CATALOGUE -o {out}" in note and note in result.stderr
    # made again from the row as it is now, they are left as they are
    assert _cli("badges", awards, "-c", CATALOGUE, "-o", out, "-q").exit_code == 0
    assert "MALLORY" in badge.read_text("utf-8") and "MALLORY" in (out / CLR).read_text("utf-8")
    result = _cli(*export)
    assert result.exit_code == 0 and "Open Badge" not in result.stderr, result.stderr
    assert badge.is_file() and (out / CLR).is_file()


def test_sealed_badges_go_with_their_vc_jwts_and_the_command_names_the_seal(env: None,
                                                                            tmp_path: Path) -> None:
    awards, out = synthetic_awards(tmp_path / "awards.csv", 10), tmp_path / "out"
    seal = demo_seal(tmp_path / "seal", load_catalogue(CATALOGUE))
    password = tmp_path / "password.txt"
    password.write_bytes(seal.password)
    export = ("export", awards, "-c", CATALOGUE, "-o", out, "-j", "1")
    assert _cli(*export).exit_code == 0
    made = _cli("badges", awards, "-c", CATALOGUE, "-o", out, "--seal", seal.p12, "--password-file", password,
                "-q")
    assert made.exit_code == 0, made.output
    badge = out / "ob3" / "imperial_SYN-00000.json"
    files = [badge, badge.with_suffix(".jwt"), out / CLR, (out / CLR).with_suffix(".jwt")]
    assert all(file.is_file() for file in files)
    _graded(awards, "SYN-00000", "MALLORY")
    result = _cli(*export)
    assert result.exit_code == 0, result.output
    assert not any(file.exists() for file in files)
    records = json.loads((out / "report.json").read_text("utf-8"))["records"]
    (redone,) = [record["redone"] for record in records if record["award_id"] == "SYN-00000"]
    said = (f"; {badge.with_suffix('.jwt')} removed: an Open Badge of the award as it was; its learner's CLR "
            "(clr/*.json, clr/*.jwt) removed: it held the award as it was")
    assert redone.endswith(said), redone
    assert f"edcbridge badges AWARDS... -c CATALOGUE -o {out} --seal P12 (" in result.stderr, result.stderr


def test_a_clr_nested_too_deep_to_read_holds_no_badge_and_the_run_goes_on(env: None, tmp_path: Path) -> None:
    """A file of clr/ whose JSON nests deeper than Python reads holds no Open Badge the run knows
    of: it is left as it is, where the run stopped at the first award made again."""
    awards, out = synthetic_awards(tmp_path / "awards.csv", 2), tmp_path / "out"
    export = ("export", awards, "-c", CATALOGUE, "-o", out, "-j", "1")
    assert _cli(*export).exit_code == 0
    deep = out / "clr" / "imperial_x.json"
    deep.parent.mkdir()
    deep.write_text("[" * 100_000 + "]" * 100_000, "utf-8")
    _graded(awards, "SYN-00001", "MALLORY")
    result = _cli(*export)
    assert result.exit_code == 0, result.output
    assert deep.is_file()
