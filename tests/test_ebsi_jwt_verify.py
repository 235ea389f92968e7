"""verify FILE.jwt --did-document DOC: the EBSI profile signed as a JWT, checked against a key of
the issuer's DID document given as a file. What our reader accepts and refuses is what npm jose
(node:crypto for ES256K) accepts and refuses with the same document."""

from __future__ import annotations

import base64
import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from edcbridge.cli import main
from edcbridge.schemas import SchemaStore
from edcbridge.seal.ebsi_jwt import public_jwk
from tests.conftest import need_tool
from tests.test_ebsi_jwt import KID, PEERS, _export, _key_files
from tests.test_ebsi_profile import ISSUER_DID


@pytest.fixture
def schemas(store: SchemaStore, monkeypatch: pytest.MonkeyPatch) -> SchemaStore:
    monkeypatch.setenv("EDCBRIDGE_SCHEMAS", str(store.root))
    return store


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _part(text: str) -> Any:
    return json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))


def _did_document(path: Path, private: Path, *, asserting: bool = True) -> Path:
    key = serialization.load_pem_private_key(private.read_bytes(), None)
    assert isinstance(key, ec.EllipticCurvePrivateKey)
    document = {"@context": ["https://www.w3.org/ns/did/v1"], "id": ISSUER_DID,
                "verificationMethod": [{"id": "#keys-1", "type": "JsonWebKey2020", "controller": ISSUER_DID,
                                        "publicKeyJwk": public_jwk(key.public_key())}],
                "assertionMethod": ["#keys-1"] if asserting else []}
    path.write_text(json.dumps(document), "utf-8")
    return path


def _resigned(token: str, private: Path, header: dict[str, Any] | None = None,
              payload: dict[str, Any] | None = None) -> str:
    """The token with its header or payload replaced, signed again with *private*."""
    head, body, _ = token.split(".")
    head = _b64(json.dumps(header).encode()) if header is not None else head
    body = _b64(json.dumps(payload).encode()) if payload is not None else body
    key = serialization.load_pem_private_key(private.read_bytes(), None)
    assert isinstance(key, ec.EllipticCurvePrivateKey)
    r, s = decode_dss_signature(key.sign(f"{head}.{body}".encode(), ec.ECDSA(hashes.SHA256())))
    return f"{head}.{body}.{_b64(r.to_bytes(32, 'big') + s.to_bytes(32, 'big'))}"


def _verify(*args: str) -> tuple[int, list[dict[str, Any]]]:
    result = CliRunner().invoke(main, ["verify", "--json", *args])
    return result.exit_code, json.loads(result.stdout)


def _peer_accepts(token: Path, document: Path) -> bool:
    done = subprocess.run([need_tool("node"), str(PEERS / "verify-jwt-did-document.mjs"), str(token),
                           str(document)], capture_output=True, text=True, timeout=60, check=False)
    return done.returncode == 0


def _signed_export(tmp_path: Path, curve: ec.EllipticCurve) -> tuple[Path, list[Path]]:
    private, _ = _key_files(tmp_path, curve)
    assert _export(tmp_path, "out", "--ebsi-key", str(private), "--ebsi-kid", KID).exit_code == 0
    tokens = sorted((tmp_path / "out/ebsi").glob("*.jwt"))
    assert tokens
    return private, tokens


@pytest.mark.parametrize(("curve", "alg"), [(ec.SECP256R1(), "ES256"), (ec.SECP256K1(), "ES256K")])
def test_verify_accepts_the_exported_jwt_with_the_issuers_did_document(
        schemas: SchemaStore, tmp_path: Path, curve: ec.EllipticCurve, alg: str) -> None:
    private, tokens = _signed_export(tmp_path, curve)
    document = _did_document(tmp_path / "did.json", private)
    code, reports = _verify(*map(str, tokens), "--did-document", str(document))
    assert code == 0
    for token, report in zip(tokens, reports, strict=True):
        assert report["verdict"] == "VALID" and report["ok"] is True
        assert report["sealed_by"] == KID and report["did_document"] == str(document)
        assert report["checks"]["SEAL"]["status"] == "OK" and alg in report["checks"]["SEAL"]["reason"]
        assert report["checks"]["FORMAT"] == {"status": "OK",
                                              "reason": "conforms to the EBSI EDC JSON Schema"}
        assert _peer_accepts(token, document)


def test_verify_without_a_did_document_says_the_signature_was_not_checked(schemas: SchemaStore,
                                                                         tmp_path: Path) -> None:
    _, tokens = _signed_export(tmp_path, ec.SECP256R1())
    code, reports = _verify(str(tokens[0]))
    assert code == 1
    assert reports[0]["verdict"] == "CHECK" and reports[0]["checks"]["SEAL"]["status"] == "ERROR"
    assert "no --did-document was given" in reports[0]["checks"]["SEAL"]["reason"]
    printed = CliRunner().invoke(main, ["verify", str(tokens[0])])
    assert printed.exit_code == 1
    assert f"{tokens[0]}: CHECK: the signature could not be checked" in printed.stdout
    assert "  SEAL       ERROR   not checked: no --did-document" in printed.stdout


def test_a_did_document_given_that_lists_no_key_of_the_kid_is_named_not_said_missing(
        schemas: SchemaStore, tmp_path: Path) -> None:
    """The issuer's did.json as `badges` writes it for a did:web (Multikey methods only): given
    with --did-document, the SEAL line names that document and the key it lacks."""
    _, tokens = _signed_export(tmp_path, ec.SECP256R1())
    multikey = {"id": "#z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK", "type": "Multikey",
                "controller": ISSUER_DID,
                "publicKeyMultibase": "z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"}
    document = tmp_path / "did.json"
    document.write_text(json.dumps({"@context": ["https://www.w3.org/ns/did/v1"], "id": ISSUER_DID,
                                    "verificationMethod": [multikey],
                                    "assertionMethod": [multikey["id"]]}), "utf-8")
    assert not _peer_accepts(tokens[0], document)
    code, reports = _verify(str(tokens[0]), "--did-document", str(document))
    assert code == 1
    assert reports[0]["verdict"] == "CHECK"
    reason = reports[0]["checks"]["SEAL"]["reason"]
    assert "no --did-document was given" not in reason
    assert f"the DID document of {ISSUER_DID} given ({document})" in reason
    assert f"lists no key {KID}" in reason


def _forgeries(token: str, private: Path, other: Path) -> dict[str, str]:
    """Tokens a verifier must refuse, each changed in one way from the genuine *token*."""
    head, body, signature = token.split(".")
    header, payload = _part(head), _part(body)
    changed = {**payload, "credentialSubject": {**payload["credentialSubject"], "id": "urn:epass:person:x"}}
    return {
        "changed-payload": f"{head}.{_b64(json.dumps(changed).encode())}.{signature}",
        "another-key": _resigned(token, other),
        "typ-jwt": _resigned(token, private, header={**header, "typ": "JWT"}),
        "iss-of-another-did": _resigned(token, private, payload={**payload, "iss": "did:ebsi:zOther"}),
        "kid-not-in-the-document": _resigned(token, private, header={**header, "kid": f"{ISSUER_DID}#k9"}),
        "alg-none": f"{_b64(json.dumps({**header, 'alg': 'none'}).encode())}.{body}.{signature}",
    }


@pytest.mark.parametrize("forgery", ["changed-payload", "another-key", "typ-jwt", "iss-of-another-did",
                                     "kid-not-in-the-document", "alg-none"])
def test_verify_refuses_what_jose_refuses(schemas: SchemaStore, tmp_path: Path, forgery: str) -> None:
    private, tokens = _signed_export(tmp_path, ec.SECP256R1())
    (tmp_path / "other").mkdir()
    other, _ = _key_files(tmp_path / "other", ec.SECP256R1())
    document = _did_document(tmp_path / "did.json", private)
    forged = tmp_path / f"{forgery}.jwt"
    forged.write_text(_forgeries(tokens[0].read_text("ascii"), private, other)[forgery], "ascii")
    assert _peer_accepts(tokens[0], document)
    assert not _peer_accepts(forged, document)
    code, reports = _verify(str(forged), "--did-document", str(document))
    assert code == 1
    assert reports[0]["verdict"] in ("INVALID", "CHECK") and reports[0]["checks"]["SEAL"]["status"] == "ERROR"
    expected = "CHECK" if forgery == "kid-not-in-the-document" else "INVALID"
    assert reports[0]["verdict"] == expected


def test_a_key_the_document_does_not_let_sign_credentials_is_refused(schemas: SchemaStore,
                                                                     tmp_path: Path) -> None:
    private, tokens = _signed_export(tmp_path, ec.SECP256R1())
    document = _did_document(tmp_path / "did.json", private, asserting=False)
    code, reports = _verify(str(tokens[0]), "--did-document", str(document))
    assert code == 1 and reports[0]["verdict"] == "INVALID"
    assert "is not an assertionMethod" in reports[0]["checks"]["SEAL"]["reason"]


def test_a_did_document_that_is_none_is_a_usage_error(schemas: SchemaStore, tmp_path: Path) -> None:
    _, tokens = _signed_export(tmp_path, ec.SECP256R1())
    not_one = tmp_path / "not-a-did.json"
    not_one.write_text('{"id": "https://example.org/"}', "utf-8")
    result = CliRunner().invoke(main, ["verify", str(tokens[0]), "--did-document", str(not_one)])
    assert result.exit_code == 2 and "is not a DID document" in result.stderr


def test_a_did_document_nested_too_deeply_to_read_is_a_usage_error(tmp_path: Path) -> None:
    credential = tmp_path / "credential.json"
    credential.write_text("{}", "utf-8")
    deep = tmp_path / "did.json"
    deep.write_text("[" * 200_000 + "]" * 200_000, "utf-8")
    result = CliRunner().invoke(main, ["verify", str(credential), "--did-document", str(deep)])
    assert result.exit_code == 2 and f"{deep} is not JSON" in result.stderr, result.output


def _peer_signature_holds(token: Path, document: Path) -> bool:
    """npm jose's word on the signature alone (compactVerify), the payload left unread."""
    done = subprocess.run([need_tool("node"), str(PEERS / "verify-jwt-did-document.mjs"), str(token),
                           str(document), "--signature-only"], capture_output=True, text=True, timeout=60,
                          check=False)
    return done.returncode == 0


def _number_at(doc: Any, name: str, path: str = "$") -> tuple[Any, str] | None:
    """The object holding the first member *name* (a number the schema allows there) and its path."""
    if isinstance(doc, dict):
        if isinstance(doc.get(name), int):
            return doc, f"{path}.{name}"
        found = (_number_at(value, name, f"{path}.{key}") for key, value in doc.items())
    elif isinstance(doc, list):
        found = (_number_at(value, name, f"{path}[{at}]") for at, value in enumerate(doc))
    else:
        return None
    return next((hit for hit in found if hit is not None), None)


def _with_number(token: str, private: Path, did: str, written: str | None) -> tuple[str, str]:
    """The token of the credential of *did* (its kid, iss and issuer), its display page number
    written as *written* (NaN, Infinity, 1e999: no JSON number; None: as it was), signed again
    with *private*; and the path of that number."""
    head, body, _ = token.split(".")
    header, payload = _part(head), _part(body)
    header["kid"] = did + "#keys-1"
    issuer = payload["issuer"]
    payload = {**payload, "iss": did, "issuer": {**issuer, "id": did} if isinstance(issuer, dict) else did}
    found = _number_at(payload, "page")
    assert found is not None
    holder, where = found
    holder["page"] = "__number__" if written is not None else holder["page"]
    text = json.dumps(payload).replace('"__number__"', written or "")
    key = serialization.load_pem_private_key(private.read_bytes(), None)
    assert isinstance(key, ec.EllipticCurvePrivateKey)
    signing_input = f"{_b64(json.dumps(header).encode())}.{_b64(text.encode())}"
    r, s = decode_dss_signature(key.sign(signing_input.encode(), ec.ECDSA(hashes.SHA256())))
    return f"{signing_input}.{_b64(r.to_bytes(32, 'big') + s.to_bytes(32, 'big'))}", where


@pytest.mark.parametrize("did", [ISSUER_DID, "did:web:uni.example.org"])
@pytest.mark.parametrize(("written", "named"), [("NaN", "NaN"), ("Infinity", "Infinity"),
                                                ("-Infinity", "-Infinity"), ("1e999", "Infinity")])
def test_a_jwt_whose_signature_holds_over_a_number_json_has_not_is_invalid(
        schemas: SchemaStore, tmp_path: Path, did: str, written: str, named: str) -> None:
    """JSON has no NaN or Infinity (RFC 8259): jose cannot read such a payload, so a signature
    over it is not enough; 1e999, which JavaScript reads as Infinity, is refused as validate
    refuses it. The path is named; the other file is still checked."""
    private, tokens = _signed_export(tmp_path, ec.SECP256R1())
    token, at = _with_number(tokens[0].read_text("ascii").strip(), private, did, written)
    holding = tmp_path / "holding.jwt"
    holding.write_text(token, "ascii")
    document = _did_document(tmp_path / "did.json", private)
    document.write_text(document.read_text("utf-8").replace(ISSUER_DID, did), "utf-8")
    intact, _ = _with_number(tokens[0].read_text("ascii").strip(), private, did, None)
    (tmp_path / "intact.jwt").write_text(intact, "ascii")
    assert _peer_signature_holds(holding, document)
    assert _peer_accepts(holding, document) is (written == "1e999")
    assert _peer_accepts(tmp_path / "intact.jwt", document)
    code, reports = _verify(str(holding), str(tmp_path / "intact.jwt"), "--did-document", str(document))
    assert code == 1
    assert [r["verdict"] for r in reports] == ["INVALID", "VALID"], [r["checks"] for r in reports]
    where = f"holds {named} at {at}, which is no JSON number"
    assert where in reports[0]["verdict_reason"]
    assert reports[0]["checks"]["SEAL"]["status"] == "ERROR"
    assert reports[0]["checks"]["SEAL"]["reason"].startswith("the signature holds, but")
    assert where in reports[0]["checks"]["SEAL"]["reason"]
