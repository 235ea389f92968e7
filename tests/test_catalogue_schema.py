"""The published catalogue schema takes what the loader reads and refuses what it refuses."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from edcbridge.load import CatalogueError, load_catalogue
from edcbridge.load.formats import input_schemas
from tests.conftest import FIXTURES


def _base() -> dict[str, Any]:
    text = (FIXTURES / "imperial" / "catalogue.yaml").read_text("utf-8")
    data: dict[str, Any] = json.loads(json.dumps(yaml.safe_load(text), default=str))
    return data


@pytest.mark.parametrize(("field", "value"), [
    ("eqf", 9), ("eqf", 0), ("eqf", 8), ("eqf", 1),
    ("max_duration_months", "12"), ("max_duration_months", 0), ("max_duration_months", 1201),
    ("validity_years", "5"), ("validity_years", 101), ("credit_currency_years", " 3 "),
    ("credits", "7,5"), ("credits", "7.5"), ("credits", 0), ("credits", "0"), ("credits", 1001),
    ("credits", "5 ECTS"), ("hours", "150h"), ("hours", "150 hours"), ("hours", "187,5"),
    ("hours", " 150 "), ("hours", "1.250"), ("hours", 0), ("hours", -150),
    ("hour", 125), ("languages", "en"), ("title", ["Data skills"]),
])
def test_schema_and_loader_agree(tmp_path: Path, field: str, value: object) -> None:
    data = copy.deepcopy(_base())
    data["specifications"][0][field] = value
    path = tmp_path / "catalogue.json"
    path.write_text(json.dumps(data), "utf-8")
    try:
        load_catalogue(path)
        loaded = True
    except CatalogueError:
        loaded = False
    schema = input_schemas()["catalogue"]
    valid = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker()).is_valid(data)
    assert valid == loaded, (field, value, loaded)
