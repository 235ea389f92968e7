"""A failed row names its award wherever its award_id could be read: report.csv, report.json,
report.html and the error line on stderr. A JSON object refused whole for another key (NaN, a
lone surrogate, a key written twice) still holds a readable award_id."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import Workbook

from edcbridge.cli import main
from tests.conftest import FIXTURES

CATALOGUE = FIXTURES / "wales" / "catalogue.yaml"


@pytest.fixture
def env(store, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("EDCBRIDGE_SCHEMAS", str(store.root))


def _first() -> dict[str, str]:
    with (FIXTURES / "wales" / "awards.csv").open(encoding="utf-8", newline="") as handle:
        return next(csv.DictReader(handle))


def _object(award_id: str, extra: str = "", **cells: str) -> str:
    """One award as JSON text, ``extra`` written in before its closing brace as it is (NaN, a
    key again); a cell ``LONE`` holds the escape of a lone surrogate."""
    text = json.dumps({**_first(), "award_id": award_id, **cells}, ensure_ascii=False)
    return text[:-1].replace('"LONE"', '"\\ud800"') + (f", {extra}" if extra else "") + "}"


AWARDS = [
    _object("W-1"),  # exported
    _object("W-2", given_name="LONE"),
    _object("W-3", '"grade": "Merit"'),  # a key written twice
    _object("W-4", '"grade_points": NaN'),
    _object("W-5", awarding_date="2025-13-45"),
    _object("W-6", '"award_id": "W-7"'),  # award_id twice: which one is meant cannot be told
    _object("W-8", '"nested": [{"a": 1}]'),
]
NAMED = {2: "W-2", 3: "W-3", 4: "W-4", 5: "W-5", 6: "", 7: "W-8"}  # failed line: its award


def _write(path: Path) -> Path:
    if path.suffix == ".json":  # an array, an award a line
        path.write_text("[\n" + ",\n".join(AWARDS) + "\n]\n", "utf-8")
    else:
        path.write_text("\n".join(AWARDS) + "\n", "utf-8")
    return path


def _export(awards: Path, out: Path, *options: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["export", str(awards), "-c", str(CATALOGUE), "-o", str(out),
                                       "--fail-fast", "100", "-j", "1", *options])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stderr


@pytest.mark.parametrize("name", ["awards.jsonl", "awards.json"])
def test_an_object_refused_whole_names_its_award_in_every_report(env: None, tmp_path: Path,
                                                                 name: str) -> None:
    awards, out = _write(tmp_path / name), tmp_path / "out"
    code, stderr = _export(awards, out)
    assert code == 1, stderr
    rows = {number + (name == "awards.json"): award for number, award in NAMED.items()}
    with (out / "report.csv").open(encoding="utf-8-sig", newline="") as handle:
        failed = {int(r["row"]): r["award_id"] for r in csv.DictReader(handle) if r["status"] == "failed"}
    assert failed == rows
    records = json.loads((out / "report.json").read_text("utf-8"))["records"]
    assert {r["row"]: r["award_id"] for r in records if r["status"] == "failed"} == rows
    page = (out / "report.html").read_text("utf-8")
    for row, award in rows.items():
        assert f"<td>{row}</td><td>{award}</td>" in page
        said = [line for line in stderr.splitlines() if line.startswith(f"{awards}:{row}:")]
        assert said, stderr
        assert all(line.startswith(f"{awards}:{row}: award {award!r}: ") == bool(award) for line in said)
        assert all(" column '" in line for line in said)  # the field it is about
    line = 2 + (name == "awards.json")
    assert f"{awards}:{line}: award 'W-2': column 'given_name': holds a lone surrogate" in stderr


def test_a_mapped_award_id_names_an_object_refused_whole(env: None, tmp_path: Path) -> None:
    first = {("Nummer" if key == "award_id" else key): value for key, value in _first().items()}
    lines = [json.dumps({**first, "Nummer": "M-1"})[:-1] + ', "grade_points": NaN}',
             json.dumps({**first, "Nummer": "M-2", "Vorname": "Siân"})]  # Vorname and given_name: given_name
    awards = tmp_path / "awards.jsonl"
    awards.write_text("\n".join(lines) + "\n", "utf-8")
    code, stderr = _export(awards, tmp_path / "out", "--column", "Nummer=award_id",
                           "--column", "Vorname=given_name")
    assert code == 1, stderr
    with (tmp_path / "out" / "report.csv").open(encoding="utf-8-sig", newline="") as handle:
        assert [(r["row"], r["award_id"]) for r in csv.DictReader(handle)] == [("1", "M-1"), ("2", "M-2")]
    assert f"{awards}:1: award 'M-1': column 'grade_points': " in stderr
    assert f"{awards}:2: award 'M-2': column 'Vorname': " in stderr


def _xlsx(path: Path, rows: list[list[str]]) -> Path:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_a_row_of_a_table_names_its_award_on_stderr(env: None, tmp_path: Path, suffix: str) -> None:
    first = _first()
    header = list(first)
    rows = [header, [*first.values()], [{"award_id": "T-2", "awarding_date": "2025-13-45"}.get(k, v)
                                        for k, v in first.items()]]
    awards = tmp_path / f"awards{suffix}"
    if suffix == ".csv":
        with awards.open("w", encoding="utf-8", newline="") as handle:
            csv.writer(handle).writerows(rows)
    else:
        _xlsx(awards, rows)
    code, stderr = _export(awards, tmp_path / "out")
    assert code == 1, stderr
    assert f"{awards}:3: award 'T-2': column 'awarding_date' = '2025-13-45': " in stderr
    with (tmp_path / "out" / "report.csv").open(encoding="utf-8-sig", newline="") as handle:
        assert [r["award_id"] for r in csv.DictReader(handle) if r["status"] == "failed"] == ["T-2"]
