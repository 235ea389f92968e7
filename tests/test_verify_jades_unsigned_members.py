"""Members added to a JAdES seal outside its protected header and payload (beside the payload, in
the signature object, in the unprotected header beside etsiU) are covered by no signature: the
seal stays intact, but verify names them and gives CHECK, as verify-xml does for content added
inside a XAdES signature."""

from __future__ import annotations

import json
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from edcbridge.seal import Sealer, SealKey, devpki
from edcbridge.seal.cli import register as register_seal

CREDENTIAL = json.dumps({"@context": ["https://www.w3.org/ns/credentials/v2"], "id": "urn:x:members",
                         "type": ["VerifiableCredential"]})
ADDED = {"credentialSubject": {"name": "Doctor of Medicine"}}


@click.group()
def main() -> None:
    """verify without a format check."""


register_seal(main)


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
