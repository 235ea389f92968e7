"""`verify` on sealed files that JSON readers cannot agree on: integers longer than Python reads
(4,300 digits) in each part of a seal, and a plain credential spliced beside a seal's payload.
Each input is mutated from an official sealed sample; each gets a verdict, never a traceback."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from edcbridge.seal.cli import make_verify_command
from edcbridge.seal.verify import VerifyOptions, verify_document
from edcbridge.validation.document import read_credential

LONG = "9" * 5000


@pytest.fixture
def sealed(reference: Path) -> dict[str, Any]:
    path = reference / "examples" / "elm-repo-v3-jsonld" / "Sample-MC-Annex1-signed.jsonld"
    doc: dict[str, Any] = json.loads(path.read_bytes())
    return doc


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _protected(doc: dict[str, Any]) -> bytes:
    value: str = doc["signatures"][0]["protected"]
    return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))


def _long_number_in(part: str, doc: dict[str, Any]) -> bytes:
    if part == "document":
        return json.dumps({**doc, "n": 0}).replace('"n": 0', f'"n": {LONG}').encode()
    if part == "protected header":
        doc["signatures"][0]["protected"] = _b64url(_protected(doc)[:-1] + f',"n":{LONG}}}'.encode())
    elif part == "etsiU entry":
        doc["signatures"][0]["header"]["etsiU"].append(_b64url(f'{{"n":{LONG}}}'.encode()))
    else:
        doc["payload"] = doc["payload"][:-1] + f',"n":{LONG}}}'
    return json.dumps(doc).encode()


@pytest.mark.parametrize(("part", "verdict"), [("document", "UNREADABLE"), ("protected header", "INVALID"),
                                               ("payload", "INVALID"), ("etsiU entry", "CHECK")])
def test_an_integer_too_long_to_read_gets_a_verdict(part: str, verdict: str, sealed: dict[str, Any],
                                                    tmp_path: Path) -> None:
    """An unsigned etsiU entry that cannot be read is left out, as one nested too deep is, and named
    as not covered by the seal (CHECK, exit 0)."""
    path = tmp_path / "long-number.jsonld"
    path.write_bytes(_long_number_in(part, sealed))
    result = CliRunner().invoke(make_verify_command(), [str(path)])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert result.output.startswith(f"{path}: {verdict}"), result.output
    assert result.exit_code == (0 if verdict in ("UNCONFIRMED", "CHECK") else 1), result.output


def test_a_long_integer_in_the_protected_header_is_named(sealed: dict[str, Any]) -> None:
    verification = verify_document(_long_number_in("protected header", sealed), VerifyOptions())
    seal = verification.checks["SEAL"]
    assert seal.status == "ERROR"
    assert "protected header" in seal.reason and "4300 digits" in seal.reason
    assert "set_int_max_str_digits" not in seal.reason


def test_a_protected_header_that_is_not_utf8_is_said_to_be_no_json(sealed: dict[str, Any]) -> None:
    """The limit on long integers is the one error of JSON reading said as unreadable: bytes that
    are not UTF-8 are still no JSON."""
    sealed["signatures"][0]["protected"] = _b64url(b'{"alg": "\xff"}')
    verification = verify_document(json.dumps(sealed).encode(), VerifyOptions())
    seal = verification.checks["SEAL"]
    assert seal.status == "ERROR"
    assert seal.reason.startswith("protected header is not JSON: 'utf-8' codec can't decode"), seal.reason


def test_a_credential_spliced_beside_the_payload_is_refused(sealed: dict[str, Any], reference: Path,
                                                             tmp_path: Path) -> None:
    """Other readers (inspect, validate, preview) read a document with an @context as the plain
    credential it holds, so a seal beside one must not vouch for the file."""
    plain = reference / "examples" / "elm-repo-v3-jsonld" / "Sample-MC-Annex1-unsigned.jsonld"
    forged = json.loads(plain.read_text("utf-8").replace("Andromeda", "Mallory"))
    path = tmp_path / "spliced.jsonld"
    path.write_text(json.dumps({**forged, "payload": sealed["payload"],
                                "signatures": sealed["signatures"]}), "utf-8")
    credential, form = read_credential(path)
    assert form == "plain" and "Mallory" in json.dumps(credential)

    verification = verify_document(path.read_bytes(), VerifyOptions())
    assert verification.checks["SEAL"].status == "ERROR"
    assert "@context" in verification.checks["SEAL"].reason
    result = CliRunner().invoke(make_verify_command(), [str(path)])
    assert result.exit_code == 1, result.output
    assert "spliced.jsonld: UNREADABLE" in result.output or "spliced.jsonld: INVALID" in result.output
