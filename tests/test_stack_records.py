"""The institution's records given to stack: a row that cannot be read, or one award id given
two meanings, is said with its file and row, never passed over or counted twice."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner, Result

from edcbridge.cli import main
from tests.conftest import FIXTURES

TARGET = "IMP-PGCERT-DSH"
HEADER = (FIXTURES / "imperial" / "awards.csv").read_text("utf-8-sig").splitlines()[0]


def _row(award: str, code: str, day: str = "2025-07-14") -> str:
    return ",".join([award, code, "02214587", "Chloé", "Lefèvre-Dubois", "", "", "1994-03-17",
                     "c@example.org", "", "", day, "Pass", ""])


def _file(path: Path, *rows: str, header: str = HEADER) -> str:
    path.write_text("\n".join([header, *rows]) + "\n", "utf-8")
    return str(path)


def _stack(*records: str) -> Result:
    args = ["stack", TARGET, "-c", str(FIXTURES / "imperial" / "catalogue.yaml"), "--as-of", "2026-01-01"]
    for path in records:
        args += ["--records", path]
    return CliRunner().invoke(main, args)


def test_a_row_that_cannot_be_read_is_said_with_its_place_and_fix(tmp_path: Path) -> None:
    awards = _file(tmp_path / "a.csv", _row("X1", "IMP-MC-MLH"), _row("X3", "IMP-MC-DLH", "2025-14-14"),
                   _row("X2", "IMP-MC-CRA"))
    done = _stack(awards)
    assert done.exit_code == 1, done.output
    assert f"{awards}:3: " in done.stderr and "awarding_date" in done.stderr, done.stderr
    assert "not counted" in done.stderr and "fix:" in done.stderr, done.stderr


def test_a_records_file_whose_header_cannot_be_read_is_said_by_its_problem(tmp_path: Path) -> None:
    header = HEADER.replace("learner_id", "learner")
    awards = _file(tmp_path / "a.csv", _row("X1", "IMP-MC-MLH"), header=header)
    done = _stack(awards)
    assert done.exit_code == 2, done.output
    assert f"{awards}:1: column 'learner': unknown column" in done.stderr, done.stderr
    assert "did you mean 'learner_id'?" in done.stderr, done.stderr


def test_a_column_stack_does_not_read_leaves_the_rows_counted(tmp_path: Path) -> None:
    rows = (_row("X1", "IMP-MC-MLH") + ",hello", _row("X2", "IMP-MC-CRA") + ",",
            _row("X3", "IMP-MC-DLH") + ",")
    done = _stack(_file(tmp_path / "a.csv", *rows, header=HEADER + ",notes"))
    assert done.exit_code == 0, done.output
    assert "unknown column 'notes'" in done.stderr, done.stderr


def test_one_award_id_for_two_specifications_is_refused_not_counted_twice(tmp_path: Path) -> None:
    first = _file(tmp_path / "a.csv", _row("X1", "IMP-MC-MLH"))
    second = _file(tmp_path / "b.csv", _row("X1", "IMP-MC-DLH"), _row("X2", "IMP-MC-CRA"))
    done = _stack(first, second)
    assert done.exit_code == 2, done.output
    assert f"{first}:2" in done.stderr and f"{second}:2" in done.stderr and "X1" in done.stderr, done.stderr


def test_the_same_row_in_two_files_still_counts_once(tmp_path: Path) -> None:
    rows = (_row("X1", "IMP-MC-MLH"), _row("X2", "IMP-MC-CRA"), _row("X3", "IMP-MC-DLH"))
    done = _stack(_file(tmp_path / "a.csv", *rows), _file(tmp_path / "b.csv", rows[0]))
    assert done.exit_code == 0, done.output
    assert "SATISFIED: 27.5 of 27.5" in done.stdout, done.stdout
    assert "given twice; it counts once" in done.stdout, done.stdout


def test_a_copy_of_a_credential_the_records_say_has_expired_does_not_count(tmp_path: Path) -> None:
    """One credential, two forms: the records row says its validity ended, the learner's copy
    gives no end. Copies of one credential share its verdict: neither counts."""
    import json

    from edcbridge.load import load_catalogue
    from edcbridge.mapping.edc import to_edc
    from edcbridge.sealing import demo_seal
    from tests.test_stack_issue import PARTS, _award
    from tests.test_stack_trust import _sealed

    catalogue = load_catalogue(FIXTURES / "imperial" / "catalogue.yaml")
    seal = demo_seal(tmp_path / "seal", catalogue)
    held = tmp_path / "P1.jsonld"
    held.write_bytes(_sealed(seal, to_edc(_award(*PARTS[0]), catalogue)))
    row = _row("P1", "IMP-MC-MLH") + "2026-01-01"  # valid_until
    args = ["stack", TARGET, "-c", str(FIXTURES / "imperial" / "catalogue.yaml"), "--as-of", "2026-06-30",
            "--json", "--records", _file(tmp_path / "a.csv", row), "--held", str(held),
            "--trust-anchor", str(seal.p12.parent / "root-ca.pem")]
    done = CliRunner().invoke(main, args)
    assert done.exit_code == 1, done.output
    items = json.loads(done.stdout)["items"]
    assert [i["state"] for i in items] == ["expired", "expired"], items
    assert f"the same credential as {tmp_path / 'a.csv'}:2" in items[1]["reason"], items[1]["reason"]
