"""The published award schema (`edcbridge formats`) and the loader agree on JSON numbers: a
column the loader refuses as a number is text only in the schema."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from edcbridge.load import iter_awards, load_catalogue
from edcbridge.load.formats import award_row_schema
from tests.conftest import FIXTURES

IMPERIAL = FIXTURES / "imperial"


def _row() -> dict[str, object]:
    with (IMPERIAL / "awards.csv").open(encoding="utf-8-sig") as handle:
        return {k: v for k, v in next(csv.DictReader(handle)).items() if v}


@pytest.mark.parametrize(("column", "number"), [
    ("learner_id", 2214587), ("national_id", 12345), ("email", 5), ("date_of_birth", 36000),
    ("awarding_date", 45000), ("valid_until", 46000), ("issued", 45000), ("language", 5),
    ("national_id_country", 5)])
def test_a_number_the_loader_refuses_is_refused_by_the_schema(column: str, number: int,
                                                              tmp_path: Path) -> None:
    row = {**_row(), column: number}
    if column == "national_id":
        row["national_id_country"] = "BE"
    path = tmp_path / "awards.jsonl"
    path.write_text(json.dumps(row) + "\n", encoding="utf-8")
    (read,) = iter_awards(path, load_catalogue(IMPERIAL / "catalogue.yaml"))
    assert read.award is None  # the loader refuses it...
    assert not Draft202012Validator(award_row_schema()).is_valid(row)  # ...and so does the schema


def test_a_number_the_loader_reads_is_allowed(tmp_path: Path) -> None:
    row = {**_row(), "award_id": 12345}
    path = tmp_path / "awards.jsonl"
    path.write_text(json.dumps(row) + "\n", encoding="utf-8")
    (read,) = iter_awards(path, load_catalogue(IMPERIAL / "catalogue.yaml"))
    assert read.award is not None
    assert Draft202012Validator(award_row_schema()).is_valid(row)
