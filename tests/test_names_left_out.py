"""A learner's name given in two languages: the credential carries one (the shapes allow one
givenName and one familyName), and the record says which was left out."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from edcbridge.cli import main
from tests.conftest import FIXTURES

IMPERIAL = FIXTURES / "imperial"


def test_the_name_left_out_is_named_on_its_record(store, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EDCBRIDGE_SCHEMAS", str(store.root))
    awards = tmp_path / "awards.csv"
    awards.write_text(
        "award_id,specification,learner_id,given_name,given_name@el,family_name,date_of_birth,"
        "email,awarding_date,grade\n"
        "T-1,IMP-MC-MLH,S1,Eleni,Ελένη,Jones,1990-01-02,e@example.org,2025-07-14,Merit\n"
        "T-2,IMP-MC-MLH,S2,Ana,,Jones,1990-01-02,a@example.org,2025-07-14,Merit\n", encoding="utf-8")
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["export", str(awards), "-c", str(IMPERIAL / "catalogue.yaml"),
                                       "-o", str(out)])
    assert result.exit_code == 0, result.output
    records = {r["award_id"]: r for r in json.loads((out / "report.json").read_text())["records"]}
    (left,) = [w for w in records["T-1"]["warnings"] if "name-left-out" in w]
    assert "$.credentialSubject.givenName" in left and "given_name@el 'Ελένη'" in left
    assert "(en: 'Eleni')" in left
    assert not any("name-left-out" in w for w in records["T-2"]["warnings"])
    credential = json.loads(next((out / "edc").glob("*T-1*")).read_text())
    assert credential["credentialSubject"]["givenName"] == {"en": "Eleni"}
