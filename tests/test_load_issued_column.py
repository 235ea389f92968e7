"""The issued column: a value that is not a date-time with its zone is named with what was
found and the form to write, as the date columns are."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from edcbridge.load import LoadedRow, iter_awards
from tests.test_load_inputs import CATALOGUE, GOOD, HEADER, _csv, _xlsx


def _rows(path: Path) -> list[LoadedRow]:
    return list(iter_awards(path, CATALOGUE))


def _issued_error(path: Path) -> tuple[str, int | None, str | None, str | None, str, str]:
    [row] = _rows(path)
    assert row.award is None
    [error] = row.errors
    return error.file, error.row, error.column, error.value, error.message, error.fix


def test_a_date_without_a_time_in_issued_says_what_to_write(tmp_path: Path) -> None:
    path = _csv(tmp_path, [[*HEADER, "issued"], [*GOOD, "2025-07-14"]])
    assert _issued_error(path) == (
        str(path), 2, "issued", "2025-07-14",
        "'2025-07-14' is not a date-time: it has no time of day and no time zone",
        "write the time and zone too, e.g. 2025-07-14T00:00:00Z (midnight UTC), in a Text cell; "
        "or leave issued empty to issue on the awarding date at 00:00 UTC")


def test_a_date_cell_in_issued_gets_the_same_words(tmp_path: Path) -> None:
    path = _xlsx(tmp_path, [[*GOOD, dt.datetime(2025, 7, 14)]], header=[*HEADER, "issued"])
    _, row, column, value, message, _ = _issued_error(path)
    assert (row, column, value) == (2, "issued", "2025-07-14")
    assert message == "'2025-07-14' is not a date-time: it has no time of day and no time zone"


@pytest.mark.parametrize("written", ["14/07/2025 10:00", "tomorrow", "2025-07-14T25:00:00Z"])
def test_a_value_that_is_no_date_time_names_the_form(tmp_path: Path, written: str) -> None:
    path = _csv(tmp_path, [[*HEADER, "issued"], [*GOOD, written]])
    _, _, column, value, message, fix = _issued_error(path)
    assert (column, value) == ("issued", written)
    assert message == f"{written!r} is not a date-time"
    assert fix == "write it as YYYY-MM-DDThh:mm:ss with its zone, e.g. 2025-07-14T10:00:00Z or " \
                  "2025-07-14T12:00:00+02:00"


@pytest.mark.parametrize("written", ["2025-07-14T10:00:00Z", "2025-07-14 12:00+02:00",
                                     "2025-07-14T10:00:00.5Z"])
def test_date_times_with_a_zone_still_load(tmp_path: Path, written: str) -> None:
    [row] = _rows(_csv(tmp_path, [[*HEADER, "issued"], [*GOOD, written]]))
    assert row.errors == () and row.award is not None and row.award.issued is not None


# a number is never read as a count of seconds since 1970 (45852, Excel's 2025-07-14, was 1970-01-01)

@pytest.mark.parametrize("written", ["45852", "45852.5", "1752480000"])
def test_a_number_in_issued_is_refused_not_read_as_seconds(tmp_path: Path, written: str) -> None:
    path = _csv(tmp_path, [[*HEADER, "issued"], [*GOOD, written]])
    _, row, column, value, message, fix = _issued_error(path)
    assert (row, column, value) == (2, "issued", written)
    assert message == f"{written!r} is not a date-time: it is a number (a spreadsheet's date serial " \
                      "or a count of seconds)"
    assert fix.startswith("write it as YYYY-MM-DDThh:mm:ss with its zone, e.g. 2025-07-14T10:00:00Z")


def test_a_number_cell_in_issued_is_refused(tmp_path: Path) -> None:
    path = _xlsx(tmp_path, [[*GOOD, 45852]], header=[*HEADER, "issued"])
    _, _, column, value, message, _ = _issued_error(path)
    assert (column, value) == ("issued", "45852")
    assert message.startswith("'45852' is not a date-time: it is a number")


def test_a_json_number_in_issued_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "awards.jsonl"
    path.write_text(json.dumps({**dict(zip(HEADER, GOOD, strict=True)), "issued": 1752480000}) + "\n")
    _, _, column, _, message, _ = _issued_error(path)
    assert column == "issued"
    assert message.endswith("1752480000' is not a date-time: it is a number (a spreadsheet's date "
                            "serial or a count of seconds)")
