"""A received JSON credential holding NaN or Infinity (Python's JSON reader takes them, RFC 8259
has neither, other readers refuse the file) or 1e999 (read as infinite) is refused by validate,
preview and verify as inspect refuses it, naming where the value is; the other files of the
batch are still checked."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from cryptography.hazmat.primitives.serialization import Encoding

from edcbridge.cli import main
from edcbridge.seal import Sealer, SealKey, devpki
from tests.conftest import fixture_credentials

FIRST = fixture_credentials()[0][1]
SUBJECT = json.dumps(FIRST["credentialSubject"]["id"])
WRITTEN = [("NaN", "NaN"), ("Infinity", "Infinity"), ("-Infinity", "-Infinity"), ("1e999", "Infinity")]


def _holding(written: str) -> str:
    text = json.dumps(FIRST, ensure_ascii=False)
    assert text.count(f'"id": {SUBJECT}') == 1
    return text.replace(f'"id": {SUBJECT}', f'"id": {SUBJECT}, "points": [1, {written}]')


def _said(named: str) -> str:
    return f"holds {named} at $.credentialSubject.points[1], which is no JSON number"


@pytest.mark.parametrize(("written", "named"), WRITTEN)
@pytest.mark.parametrize("wrapped", [False, True])
def test_validate_refuses_the_file_and_checks_the_others(tmp_path: Path, written: str, named: str,
                                                        wrapped: bool) -> None:
    text = _holding(written)
    bad, good = tmp_path / "received.jsonld", tmp_path / "good.jsonld"
    bad.write_text(f'{{"credential": {text}}}' if wrapped else text, "utf-8")
    good.write_text(json.dumps(FIRST, ensure_ascii=False), "utf-8")
    result = CliRunner().invoke(main, ["validate", "--json", str(bad), str(good)])
    assert result.exit_code == 1, result.output
    first, second = json.loads(result.stdout)
    assert first["ok"] is False and second["ok"] is True, result.output
    assert any(_said(named) in finding["message"] for finding in first["findings"]), first


@pytest.mark.parametrize(("written", "named"), WRITTEN[:2])
def test_preview_makes_no_page_of_the_file_and_previews_the_others(tmp_path: Path, written: str,
                                                                   named: str) -> None:
    bad, good = tmp_path / "received.jsonld", tmp_path / "good.jsonld"
    bad.write_text(_holding(written), "utf-8")
    good.write_text(json.dumps(FIRST, ensure_ascii=False), "utf-8")
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["preview", "--json", "--out", str(out), str(bad), str(good)])
    assert result.exit_code == 1, result.output
    first, second = json.loads(result.stdout)
    assert first["verdict"] == "UNREADABLE" and first["html"] is None, first
    assert _said(named) in first["error"], first
    assert second["html"] is not None and not (out / "received.html").exists()


@pytest.fixture(scope="module")
def pki() -> devpki.DevPki:
    return devpki.generate()


@pytest.mark.parametrize(("written", "named"), WRITTEN)
def test_verify_does_not_find_a_seal_over_such_a_credential_valid(tmp_path: Path, pki: devpki.DevPki,
                                                                  written: str, named: str) -> None:
    sealer = Sealer(SealKey(pki.seal.key, pki.seal.certificate, (pki.root.certificate,)))
    root = tmp_path / "root.pem"
    root.write_bytes(pki.root.certificate.public_bytes(Encoding.PEM))
    bad, good = tmp_path / "bad.json", tmp_path / "good.json"
    bad.write_text(sealer.seal(_holding(written)), "utf-8")
    good.write_text(sealer.seal(json.dumps(FIRST, ensure_ascii=False)), "utf-8")
    result = CliRunner().invoke(main, ["verify", "--json", "--trust-anchor", str(root), str(bad), str(good)])
    assert result.exit_code == 1, result.output
    first, second = json.loads(result.stdout)
    assert first["checks"]["SEAL"]["status"] == "OK"  # the signature holds: the content is the problem
    assert first["checks"]["FORMAT"]["status"] == "ERROR" and first["ok"] is False, first
    assert f"the signed credential {_said(named)}" in first["checks"]["FORMAT"]["reason"]
    assert first["verdict"] not in ("VALID", "UNCONFIRMED")
    assert second["checks"]["FORMAT"]["status"] == "OK", second


@pytest.mark.parametrize(("written", "named"), WRITTEN)
@pytest.mark.parametrize("wrapped", [False, True])
def test_verify_names_the_value_in_an_unsealed_credential(tmp_path: Path, written: str, named: str,
                                                         wrapped: bool) -> None:
    text = _holding(written)
    bad = tmp_path / "received.jsonld"
    bad.write_text(f'{{"credential": {text}}}' if wrapped else text, "utf-8")
    result = CliRunner().invoke(main, ["verify", "--json", str(bad)])
    assert result.exit_code == 1, result.output
    report = json.loads(result.stdout)[0]
    assert report["verdict"] == "NOT SEALED", report
    assert _said(named) in report["verdict_reason"], report["verdict_reason"]
    plain = CliRunner().invoke(main, ["verify", str(bad)])
    assert _said(named) in plain.stdout, plain.stdout


def test_verify_of_an_unsealed_credential_with_finite_numbers_names_none(tmp_path: Path) -> None:
    good = tmp_path / "received.jsonld"
    good.write_text(_holding("1e308"), "utf-8")
    report = json.loads(CliRunner().invoke(main, ["verify", "--json", str(good)]).stdout)[0]
    assert report["verdict"] == "NOT SEALED" and "no JSON number" not in report["verdict_reason"]


_JWK = {"kty": "EC", "crv": "P-256", "x": "AAAA", "y": "AAAA"}
UNSIGNED_HEADERS = [
    ("badge, typ vc+jwt", {"alg": "ES256", "typ": "vc+jwt", "jwk": _JWK}, True),
    ("badge, another header", {"alg": "ES256", "typ": "JWT", "jwk": _JWK, "cty": "vc"}, True),
    ("a DID's key", {"alg": "ES256", "typ": "JWT", "kid": "did:web:example.org#key-1"}, False),
]


def _token(header: dict[str, object], written: str, badge: bool) -> str:
    """A compact JWS with no valid signature over a credential holding ``written`` as written."""
    from edcbridge.seal import jades

    doc = json.loads(_holding("0"))
    if badge:
        doc["type"] = ["VerifiableCredential", "OpenBadgeCredential"]
    payload = json.dumps(doc, ensure_ascii=False)
    assert payload.count('"points": [1, 0]') == 1
    payload = payload.replace('"points": [1, 0]', f'"points": [1, {written}]')
    return ".".join([jades.b64url(json.dumps(header).encode()), jades.b64url(payload.encode()), "AAAA"])


@pytest.mark.parametrize(("written", "named"), WRITTEN)
def test_verify_names_the_value_in_a_jwt_without_a_valid_signature(tmp_path: Path, written: str,
                                                                  named: str) -> None:
    files = []
    for number, (_, header, badge) in enumerate(UNSIGNED_HEADERS):
        files.append(tmp_path / f"received-{number}.jwt")
        files[-1].write_text(_token(header, written, badge) + "\n", "ascii")
    result = CliRunner().invoke(main, ["verify", "--json", *map(str, files)])
    assert result.exit_code == 1, result.output
    reports = json.loads(result.stdout)
    assert [r["verdict"] for r in reports] == ["INVALID"] * len(files), reports
    for (what, _, _), report in zip(UNSIGNED_HEADERS, reports, strict=True):
        assert _said(named) in report["verdict_reason"], (what, report["verdict_reason"])
