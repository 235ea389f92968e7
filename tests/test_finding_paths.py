"""Every check names a finding's place the same way: a JSONPath from the document's root."""

from __future__ import annotations

import copy
import json
import re
from typing import Any

import pytest

from edcbridge.load import iter_awards, load_catalogue
from edcbridge.mapping.edc import to_edc
from edcbridge.validation import validate_credential
from tests.conftest import FIXTURES

JSONPATH = re.compile(r"^\$(\.[A-Za-z@:_][\w@:-]*|\[\d+\])*$")


@pytest.fixture(scope="module")
def broken() -> dict[str, Any]:
    catalogue = load_catalogue(FIXTURES / "imperial" / "catalogue.yaml")
    award = next(r.award for r in iter_awards(FIXTURES / "imperial" / "awards.csv", catalogue) if r.award)
    doc = json.loads(json.dumps(to_edc(award, catalogue)))
    subject = doc["credentialSubject"]
    del subject["hasClaim"]["awardedBy"]  # shapes (nested node) and Annex I
    subject["dateOfBirth"] = "yesterday"  # shapes, a value below the root
    subject["eqflevel"] = 5  # lint
    doc["validFrom"] = "2025-13-01T00:00:00Z"  # shapes, at the root
    spec = subject["hasClaim"]["specifiedBy"]
    spec["creditPoint"] = [{**spec["creditPoint"][0], "point": "90"}] if isinstance(
        spec.get("creditPoint"), list) else spec.get("creditPoint")  # policy: far too large
    return doc


def test_every_check_gives_a_path_from_the_root(store, broken: dict[str, Any]) -> None:
    report = validate_credential(copy.deepcopy(broken), store, policies=("eu-council",))
    sources = {f.code.split(".")[0] for f in report.findings}
    assert {"lint", "shacl", "annex1"} <= sources
    for finding in report.findings:
        place = finding.where.split(" (")[0]  # a claim may be followed by its title
        assert JSONPATH.match(place), (finding.code, finding.where)
    wheres = {f.where for f in report.findings}
    assert "$.credentialSubject.hasClaim.awardedBy" in wheres  # the shapes, below the root
    assert "$.credentialSubject.hasClaim.awardedBy.awardingBody" in wheres  # Annex I
