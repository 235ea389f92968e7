"""A received JSON credential holding NaN or Infinity (which Python's JSON reader takes though
RFC 8259 has neither) or a number too large for a float (1e999, read as infinite) is refused by
inspect, naming the file and where the value is, as the award reader refuses such cells."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from edcbridge.cli import main
from tests.conftest import fixture_credentials

FIRST = fixture_credentials()[0][1]
SUBJECT = json.dumps(FIRST["credentialSubject"]["id"])  # type: ignore[index]


@pytest.mark.parametrize(("written", "named"), [
    ("NaN", "NaN"), ("Infinity", "Infinity"), ("-Infinity", "-Infinity"), ("1e999", "Infinity"),
])
@pytest.mark.parametrize("wrapped", [False, True])
def test_inspect_refuses_a_credential_holding_a_number_json_has_not(
        tmp_path: Path, written: str, named: str, wrapped: bool) -> None:
    text = json.dumps({"credential": FIRST} if wrapped else FIRST, ensure_ascii=False)
    assert text.count(f'"id": {SUBJECT}') == 1
    path = tmp_path / "received.jsonld"
    path.write_text(text.replace(f'"id": {SUBJECT}', f'"id": {SUBJECT}, "points": [1, {written}]'), "utf-8")
    result = CliRunner().invoke(main, ["inspect", str(path)])
    assert result.exit_code != 0, result.output
    assert str(path) in result.output and f"holds {named} at $.credentialSubject.points[1]" in result.output
    assert "award:" not in result.output


def test_inspect_still_reads_the_credential_without_such_a_number(tmp_path: Path) -> None:
    path = tmp_path / "received.jsonld"
    path.write_text(json.dumps(FIRST, ensure_ascii=False), "utf-8")
    result = CliRunner().invoke(main, ["inspect", str(path)])
    assert result.exit_code == 0 and "award:" in result.output, result.output
