"""``verify`` of an Open Badge or CLR VC-JWT (``.jwt``): its signature is checked as
``read_vc_jwt`` checks it, with the key the issuer's DID document (``--did-document``) lists for
the token's ``kid``, else with the header's ``jwk`` (whose x5c certificate is then judged as a
JAdES seal's: see test_verify_badge_vc_jwt_trust), saying that the DID document was not
checked. A changed token is INVALID, and npm jose refuses it too."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner
from cryptography.hazmat.primitives.asymmetric import ec

from edcbridge.badges.jwt import jwk_did_document
from edcbridge.load import load_catalogue
from edcbridge.seal import jades
from tests.test_badges_data_integrity import DID, SOFIA, _badges, _catalogue_with_did
from tests.test_badges_did_web_jwt import _did_verify
from tests.test_badges_signing import _ec_key, seal_options


@pytest.fixture(scope="module")
def did_web_jwts(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Badges and CLRs of an issuer with a did:web, signed ES256 with an EC seal."""
    tmp_path = tmp_path_factory.mktemp("did-web-jwt")
    catalogue = _catalogue_with_did(tmp_path / "catalogue", DID)
    key = _ec_key(ec.SECP256R1(), load_catalogue(catalogue))
    _badges(tmp_path / "out", *seal_options(tmp_path, key), catalogue=catalogue)
    return tmp_path / "out"


def _verify(*args: str) -> Any:
    from edcbridge.seal.cli import register

    group = click.Group()
    register(group)
    return CliRunner().invoke(group, ["verify", *args])


def _changed(token: Path, target: Path) -> Path:
    """``token`` with another description in its payload, its signature kept."""
    head, body, signature = token.read_text("ascii").strip().split(".")
    payload = json.loads(jades.b64url_decode(body))
    payload["description"] = "changed"
    target.write_text(f"{head}.{jades.b64url(json.dumps(payload).encode('utf-8'))}.{signature}", "ascii")
    return target


def test_a_vc_jwt_verifies_with_the_key_its_kid_names_in_the_did_document_given(did_web_jwts: Path) -> None:
    did_json = did_web_jwts / "did.json"
    kid = json.loads(did_json.read_bytes())["assertionMethod"][0]
    files = [str(next(did_web_jwts.glob("ob3/*.jwt"))), str(next(did_web_jwts.glob("clr/*.jwt")))]
    result = _verify("--json", "--did-document", str(did_json), *files)
    for report, path in zip(json.loads(result.stdout), files, strict=True):
        assert report["file"] == path and report["verdict"] == "NOT SEALED", report
        assert (f"its VC-JWT signature verifies (key {kid}, which the DID document of its issuer {DID} "
                "lists)") in report["verdict_reason"]


def test_the_verdict_of_a_vc_jwt_has_the_keys_and_lines_of_the_other_badge_files(did_web_jwts: Path) -> None:
    token, badge = next(did_web_jwts.glob("ob3/*.jwt")), next(did_web_jwts.glob("ob3/*.json"))
    jwt_report, json_report = json.loads(_verify("--json", str(token), str(badge)).stdout)
    assert list(jwt_report) == list(json_report)
    lines = _verify("--did-document", str(did_web_jwts / "did.json"), str(token)).stdout.splitlines()
    assert lines[0].startswith(f"{token}: NOT SEALED: an Open Badge 3.0 / CLR 2.0 VC-JWT, not JAdES-sealed: ")
    assert [line.split()[0] for line in lines[1:]] == ["SEAL", "TIMESTAMP", "FORMAT", "EXPIRY", "REVOCATION"]


def test_without_the_did_document_the_header_jwk_verifies_and_the_verdict_says_the_did_was_not_checked(
        did_web_jwts: Path) -> None:
    token = next(did_web_jwts.glob("ob3/*.jwt"))
    [report] = json.loads(_verify("--json", str(token)).stdout)
    assert report["verdict"] == "UNCONFIRMED", report  # its x5c chain is judged as a JAdES seal's
    reason = report["verdict_reason"]
    assert "VC-JWT, its seal certificate in the x5c of its header's jwk: the seal is intact" in reason
    assert ("the issuer's DID document was not checked: its key did:web:registry.uni-sofia.example#" in reason
            and "save it from https://registry.uni-sofia.example/.well-known/did.json" in reason)


def test_a_changed_vc_jwt_is_invalid_as_jose_finds_it(did_web_jwts: Path, tmp_path: Path) -> None:
    changed = _changed(next(did_web_jwts.glob("ob3/*.jwt")), tmp_path / "changed.jwt")
    did_json = did_web_jwts / "did.json"
    for options in ([], ["--did-document", str(did_json)]):
        result = _verify("--json", *options, str(changed))
        assert result.exit_code == 1
        [report] = json.loads(result.stdout)
        assert report["verdict"] == "INVALID", report
        assert "its VC-JWT signature is refused" in report["verdict_reason"]
        assert "the JWT signature does not verify" in report["verdict_reason"]
    [peer] = _did_verify(did_json, [changed])
    assert peer["ok"] is False and "ERR_JWS_SIGNATURE_VERIFICATION_FAILED" in peer["error"], peer


def test_a_did_document_of_another_key_for_the_kid_makes_the_vc_jwt_invalid(did_web_jwts: Path,
                                                                            tmp_path: Path) -> None:
    own = json.loads((did_web_jwts / "did.json").read_bytes())
    other = jwk_did_document(DID, _ec_key(ec.SECP256R1()).certificate.public_key())
    other["verificationMethod"][0]["id"] = other["assertionMethod"][0] = own["assertionMethod"][0]
    forged = tmp_path / "did.json"
    forged.write_text(json.dumps(other), "utf-8")
    token = next(did_web_jwts.glob("ob3/*.jwt"))
    result = _verify("--json", "--did-document", str(forged), str(token))
    [report] = json.loads(result.stdout)
    assert result.exit_code == 1 and report["verdict"] == "INVALID", report
    assert "the JWT header's jwk is not the key its kid" in report["verdict_reason"]


def test_a_vc_jwt_of_an_issuer_without_a_did_verifies_with_its_jwk_alone(tmp_path: Path) -> None:
    key = _ec_key(ec.SECP256R1(), load_catalogue(SOFIA / "catalogue.yaml"))
    _badges(tmp_path / "out", *seal_options(tmp_path, key))
    [report] = json.loads(_verify("--json", str(next((tmp_path / "out").glob("clr/*.jwt")))).stdout)
    assert report["verdict"] == "UNCONFIRMED", report
    assert "its seal certificate in the x5c of its header's jwk" in report["verdict_reason"]
    assert "DID document" not in report["verdict_reason"]


def test_a_vc_jwt_naming_its_key_by_kid_alone_could_not_be_checked_without_the_did_document() -> None:
    from edcbridge.badges.reader import read_jwt
    from tests.preview_support import make_key
    from tests.test_badges_did_web_jwt import _did_json_of, _did_token

    key = make_key()
    token = _did_token(key, jwk=False)
    unchecked = read_jwt(token)
    assert unchecked.verified is None
    assert f"its VC-JWT signature could not be checked: its key {DID}#" in unchecked.text
    assert read_jwt(token, {DID: _did_json_of(key)}).verified is True


def test_a_vc_jwt_naming_its_key_by_a_kid_that_is_no_did_url_could_not_be_checked() -> None:
    from edcbridge.badges.reader import read_jwt
    from tests.preview_support import make_key
    from tests.test_badges_did_web_jwt import _did_token

    unchecked = read_jwt(_did_token(make_key(), kid="seal-2026", jwk=False))
    assert unchecked.verified is None
    assert "its header names its key only as 'seal-2026', which is no DID URL" in unchecked.text
