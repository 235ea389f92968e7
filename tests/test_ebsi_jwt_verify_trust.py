"""verify FILE.jwt --did-document DOC: what the DID documents given vouch for, and the JOSE header
members a verifier must understand. Each forgery here is one npm jose refuses with the same files."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from edcbridge.schemas import SchemaStore
from edcbridge.seal.ebsi_jwt import EbsiKeyError, EbsiSigner, public_jwk
from tests.test_ebsi_jwt import KID, _key_files
from tests.test_ebsi_jwt_verify import (
    _b64,
    _did_document,
    _part,
    _peer_accepts,
    _resigned,
    _signed_export,
    _verify,
)

OTHER_DID = "did:ebsi:zdPj1GPXjfERXxXPE1YTYdJ"


@pytest.fixture
def schemas(store: SchemaStore, monkeypatch: pytest.MonkeyPatch) -> SchemaStore:
    monkeypatch.setenv("EDCBRIDGE_SCHEMAS", str(store.root))
    return store


def _document_claiming_the_issuers_kid(path: Path, private: Path) -> Path:
    """Another DID's document listing, under the issuer's kid, a key of its own."""
    key = serialization.load_pem_private_key(private.read_bytes(), None)
    assert isinstance(key, ec.EllipticCurvePrivateKey)
    document = {"@context": ["https://www.w3.org/ns/did/v1"], "id": OTHER_DID,
                "verificationMethod": [{"id": KID, "type": "JsonWebKey2020", "controller": OTHER_DID,
                                        "publicKeyJwk": public_jwk(key.public_key())}],
                "assertionMethod": [KID]}
    path.write_text(json.dumps(document), "utf-8")
    return path


@pytest.mark.parametrize("with_the_issuers_own", [False, True], ids=["alone", "after-the-issuers-own"])
def test_a_did_document_vouches_for_no_key_of_another_did(schemas: SchemaStore, tmp_path: Path,
                                                          with_the_issuers_own: bool) -> None:
    private, tokens = _signed_export(tmp_path, ec.SECP256R1())
    (tmp_path / "other").mkdir()
    other, _ = _key_files(tmp_path / "other", ec.SECP256R1())
    claiming = _document_claiming_the_issuers_kid(tmp_path / "other-did.json", other)
    token = tokens[0].read_text("ascii")
    payload = _part(token.split(".")[1])
    payload["credentialSubject"] = {**payload["credentialSubject"], "id": "urn:epass:person:someone-else"}
    payload["sub"] = payload["credentialSubject"]["id"]
    forged = tmp_path / "forged.jwt"
    forged.write_text(_resigned(token, other, payload=payload), "ascii")
    assert not _peer_accepts(forged, claiming)
    documents = ["--did-document", str(claiming)]
    if with_the_issuers_own:
        documents = ["--did-document", str(_did_document(tmp_path / "did.json", private)), *documents]
    code, reports = _verify(str(forged), *documents)
    assert code == 1
    assert reports[0]["verdict"] == ("INVALID" if with_the_issuers_own else "CHECK")
    assert reports[0]["checks"]["SEAL"]["status"] == "ERROR"
    assert str(claiming) not in reports[0]["checks"]["SEAL"]["reason"]


def _header_with(token: str, private: Path, **members: Any) -> str:
    return _resigned(token, private, header={**_part(token.split(".")[0]), **members})


@pytest.mark.parametrize("members", [
    {"crit": ["urn:example:must-understand"], "urn:example:must-understand": True},
    {"b64": False, "crit": ["b64"]},
], ids=["unknown-crit", "unencoded-payload"])
def test_a_header_member_a_verifier_must_understand_is_refused(schemas: SchemaStore, tmp_path: Path,
                                                               members: dict[str, Any]) -> None:
    private, tokens = _signed_export(tmp_path, ec.SECP256R1())
    document = _did_document(tmp_path / "did.json", private)
    forged = tmp_path / "forged.jwt"
    forged.write_text(_header_with(tokens[0].read_text("ascii"), private, **members), "ascii")
    assert _peer_accepts(tokens[0], document)
    assert not _peer_accepts(forged, document)
    code, reports = _verify(str(forged), "--did-document", str(document))
    assert code == 1
    assert reports[0]["verdict"] == "INVALID"
    assert "crit" in reports[0]["checks"]["SEAL"]["reason"]


def test_a_did_document_that_publishes_the_private_key_vouches_for_nothing(schemas: SchemaStore,
                                                                          tmp_path: Path) -> None:
    private, tokens = _signed_export(tmp_path, ec.SECP256R1())
    document = _did_document(tmp_path / "did.json", private)
    assert _peer_accepts(tokens[0], document)
    key = serialization.load_pem_private_key(private.read_bytes(), None)
    assert isinstance(key, ec.EllipticCurvePrivateKey)
    leaky = json.loads(document.read_text("utf-8"))
    secret = key.private_numbers().private_value.to_bytes(32, "big")
    leaky["verificationMethod"][0]["publicKeyJwk"]["d"] = _b64(secret)
    leaked = tmp_path / "leaked-did.json"
    leaked.write_text(json.dumps(leaky), "utf-8")
    assert not _peer_accepts(tokens[0], leaked)
    code, reports = _verify(str(tokens[0]), "--did-document", str(leaked))
    assert code == 1
    assert reports[0]["verdict"] == "INVALID"
    assert "private key" in reports[0]["checks"]["SEAL"]["reason"]


@pytest.mark.parametrize("typ", ["application/vc+jwt", "VC+JWT"])
def test_the_typ_is_read_as_the_media_type_it_names(schemas: SchemaStore, tmp_path: Path, typ: str) -> None:
    """RFC 7515 4.1.9: "application/" may be left out of typ, and media types are case-insensitive."""
    private, tokens = _signed_export(tmp_path, ec.SECP256R1())
    document = _did_document(tmp_path / "did.json", private)
    token = tmp_path / "typ.jwt"
    token.write_text(_header_with(tokens[0].read_text("ascii"), private, typ=typ), "ascii")
    assert _peer_accepts(token, document)
    code, reports = _verify(str(token), "--did-document", str(document))
    assert (code, reports[0]["verdict"]) == (0, "VALID"), reports[0]["checks"]["SEAL"]


@pytest.fixture(params=["UTC0", "CEST-2"], ids=["utc", "utc+2"])
def local_zone(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The machine's time zone (POSIX TZ, no tz database needed)."""
    monkeypatch.setenv("TZ", request.param)
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def test_a_date_without_time_zone_gets_one_verdict_wherever_verify_runs(schemas: SchemaStore, tmp_path: Path,
                                                                         local_zone: None) -> None:
    private, tokens = _signed_export(tmp_path, ec.SECP256R1())
    document = _did_document(tmp_path / "did.json", private)
    token = tokens[0].read_text("ascii")
    payload = _part(token.split(".")[1])
    assert payload["validFrom"] == "2025-07-14T00:00:00Z" and payload["nbf"] == 1752451200
    payload["validFrom"] = "2025-07-14T00:00:00"  # the same moment for a signer in UTC, no instant at all
    naive = tmp_path / "naive.jwt"
    naive.write_text(_resigned(token, private, payload=payload), "ascii")
    code, reports = _verify(str(naive), "--did-document", str(document))
    assert (code, reports[0]["verdict"]) == (1, "INVALID")
    assert "no time zone" in reports[0]["checks"]["SEAL"]["reason"]


def test_a_date_without_time_zone_is_not_signed(tmp_path: Path) -> None:
    private, _ = _key_files(tmp_path, ec.SECP256R1())
    signer = EbsiSigner(private.read_bytes(), KID)
    credential = {"id": "urn:credential:1", "issuer": {"id": KID.partition("#")[0]},
                  "credentialSubject": {"id": "urn:epass:person:1"}, "validFrom": "2025-07-14T00:00:00"}
    with pytest.raises(EbsiKeyError, match="no time zone"):
        signer.sign(credential)
