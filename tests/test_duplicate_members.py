"""A credential naming one member twice in an object is read one way here and another way
elsewhere (most readers keep the last value, some the first, some refuse it): validate, inspect
and verify refuse it, and a seal over such a payload is not found VALID, whatever its signature."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from edcbridge.cli import main
from edcbridge.seal import Sealer, SealKey, VerifyOptions, devpki, verify_file
from edcbridge.validation.document import NotACredential, read_credential
from tests.conftest import fixture_credentials

FIRST = fixture_credentials()[0][1]


def _twice(doc: dict[str, object]) -> str:
    """The credential's JSON with its credential subject's id given a second time, another value."""
    text = json.dumps(doc, ensure_ascii=False)
    subject = json.dumps(doc["credentialSubject"]["id"])  # type: ignore[index]
    assert text.count(f'"id": {subject}') == 1
    return text.replace(f'"id": {subject}', f'"id": {subject}, "id": "urn:x:someone-else"')


def test_validate_refuses_a_credential_naming_a_member_twice(tmp_path: Path) -> None:
    path = tmp_path / "twice.jsonld"
    path.write_text(_twice(FIRST), "utf-8")
    with pytest.raises(NotACredential, match="'id' appears twice in one object"):
        read_credential(path)
    result = CliRunner().invoke(main, ["validate", str(path)])
    assert result.exit_code != 0 and "appears twice" in result.output, result.output
    inspected = CliRunner().invoke(main, ["inspect", str(path)])
    assert inspected.exit_code != 0 and "appears twice" in inspected.output, inspected.output


def test_a_seal_over_a_payload_naming_a_member_twice_is_not_valid(tmp_path: Path) -> None:
    pki = devpki.generate()
    sealer = Sealer(SealKey(pki.seal.key, pki.seal.certificate, (pki.root.certificate,)))
    anchors = VerifyOptions(trust_anchors=(pki.root.certificate,))
    once, twice = tmp_path / "once.json", tmp_path / "twice.json"
    once.write_text(sealer.seal(json.dumps(FIRST, ensure_ascii=False)), "utf-8")
    twice.write_text(sealer.seal(_twice(FIRST)), "utf-8")
    assert verify_file(once, anchors).checks["FORMAT"].status != "ERROR"
    result = verify_file(twice, anchors)
    assert result.checks["SEAL"].status == "OK"  # the signature holds: the content is the problem
    assert result.checks["FORMAT"].status == "ERROR" and "appears twice" in result.checks["FORMAT"].reason
    assert not result.ok
    with pytest.raises(NotACredential, match="appears twice"):
        read_credential(twice)


def test_the_seal_itself_naming_a_member_twice_is_still_refused(tmp_path: Path) -> None:
    pki = devpki.generate()
    sealed = Sealer(SealKey(pki.seal.key, pki.seal.certificate, (pki.root.certificate,))).seal(
        json.dumps({"@context": [], "id": "urn:x:1"}))
    path = tmp_path / "sealed.json"
    assert sealed.startswith('{"payload":')
    path.write_text(sealed.replace('{"payload":', '{"payload":"{}","payload":', 1), "utf-8")
    check = verify_file(path).checks["SEAL"]
    assert check.status == "ERROR" and "appears twice" in check.reason, check
