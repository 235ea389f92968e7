"""Members added to a JAdES seal outside its protected header and payload (beside the payload, in
the signature object, in the unprotected header beside etsiU) are covered by no signature: the
seal stays intact, but verify names them and gives CHECK, as verify-xml does for content added
inside a XAdES signature."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from edcbridge.seal import Sealer, SealKey, devpki
from tests.conftest import seal_commands

CREDENTIAL = json.dumps({"@context": ["https://www.w3.org/ns/credentials/v2"], "id": "urn:x:members",
                         "type": ["VerifiableCredential"]})
ADDED = {"credentialSubject": {"name": "Doctor of Medicine"}}


main = seal_commands()  # verify without a format check


@pytest.fixture(scope="module")
def sealed() -> dict[str, object]:
    pki = devpki.generate()
    sealer = Sealer(SealKey(pki.seal.key, pki.seal.certificate, (pki.root.certificate,)))
    parsed: dict[str, object] = json.loads(sealer.seal(CREDENTIAL))
    return parsed


def _beside_payload(seal: dict) -> None:  # type: ignore[type-arg]
    seal.update(ADDED)


def _in_signature(seal: dict) -> None:  # type: ignore[type-arg]
    seal["signatures"][0].update(ADDED)


def _in_header(seal: dict) -> None:  # type: ignore[type-arg]
    seal["signatures"][0].setdefault("header", {}).update(ADDED)


@pytest.mark.parametrize("add", [_beside_payload, _in_signature, _in_header])
def test_unsigned_members_are_named_and_not_vouched_for(add: object, sealed: dict[str, object],
                                                        tmp_path: Path) -> None:
    seal = json.loads(json.dumps(sealed))
    add(seal)  # type: ignore[operator]
    path = tmp_path / "added.jsonld"
    path.write_text(json.dumps(seal), "utf-8")
    result = CliRunner().invoke(main, ["verify", str(path)])
    assert result.exit_code == 0, result.output
    first = result.stdout.splitlines()[0]
    assert first.startswith(f"{path}: CHECK: the seal is intact, but ")
    assert "not covered by the seal" in first and "credentialSubject" in first
    as_json = json.loads(CliRunner().invoke(main, ["verify", "--json", str(path)]).stdout)[0]
    assert as_json["verdict"] == "CHECK" and as_json["unsigned_content"]


def test_a_seal_as_written_names_none(sealed: dict[str, object], tmp_path: Path) -> None:
    path = tmp_path / "sealed.jsonld"
    path.write_text(json.dumps(sealed), "utf-8")
    as_json = json.loads(CliRunner().invoke(main, ["verify", "--json", str(path)]).stdout)[0]
    assert (as_json["verdict"], as_json["unsigned_content"]) == ("UNCONFIRMED", [])


@pytest.mark.parametrize("entry", [
    pytest.param("bm90IEpTT04", id="base64url-not-json"),  # "not JSON"
    pytest.param("eyJhIjox", id="base64url-cut-json"),
    pytest.param("*not base64url*", id="not-base64url"),
    pytest.param(42, id="a-number"),
    pytest.param(["Doctor of Medicine"], id="an-array"),
])
def test_an_unreadable_etsiu_entry_is_named_and_not_vouched_for(entry: object, sealed: dict[str, object],
                                                                tmp_path: Path) -> None:
    """TS 119 182-1 5.3: each etsiU entry is one unsigned property, a JSON object (base64url or
    clear); an entry that is none is no property a verifier reads, and nothing signs it."""
    seal = json.loads(json.dumps(sealed))
    seal["signatures"][0].setdefault("header", {})["etsiU"] = [entry]
    path = tmp_path / "etsiu.jsonld"
    path.write_text(json.dumps(seal), "utf-8")
    result = CliRunner().invoke(main, ["verify", str(path)])
    assert result.exit_code == 0, result.output
    assert "not covered by the seal" in result.stdout.splitlines()[0]
    as_json = json.loads(CliRunner().invoke(main, ["verify", "--json", str(path)]).stdout)[0]
    assert as_json["verdict"] == "CHECK" and "etsiU" in "; ".join(as_json["unsigned_content"])


def test_an_etsiu_that_is_no_array_is_named(sealed: dict[str, object], tmp_path: Path) -> None:
    seal = json.loads(json.dumps(sealed))
    seal["signatures"][0].setdefault("header", {})["etsiU"] = {"credentialSubject": "Doctor of Medicine"}
    path = tmp_path / "etsiu.jsonld"
    path.write_text(json.dumps(seal), "utf-8")
    as_json = json.loads(CliRunner().invoke(main, ["verify", "--json", str(path)]).stdout)[0]
    assert as_json["verdict"] == "CHECK" and "etsiU" in "; ".join(as_json["unsigned_content"])
