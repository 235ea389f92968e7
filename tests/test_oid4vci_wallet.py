"""End to end with an independent wallet: npm @openid4vc/openid4vci (tests/wallet/wallet.mjs)
takes credentials from `edcbridge serve` (a uvicorn subprocess on 127.0.0.1), and the SD-JWT VC
verifies with the OWF reference implementation (PyPI sd-jwt), disclosures and key binding."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from jwcrypto import jwk
from jwcrypto.jws import InvalidJWSSignature
from sd_jwt.holder import SDJWTHolder
from sd_jwt.verifier import SDJWTVerifier

from edcbridge.oid4vci.offers import OfferStore
from edcbridge.oid4vci.sdjwt import decode_part
from edcbridge.schemas import SchemaStore
from tests.conftest import need_tool
from tests.wallet.issuer_support import WALLET, Exported, edcbridge_cli, export_awards, serve_process, x5c_key

VERIFIER = "https://verifier.example"


@pytest.fixture(scope="module")
def node() -> str:
    path = need_tool("node")
    if not (WALLET / "node_modules" / "@openid4vc" / "openid4vci").is_dir():
        pytest.fail(f"npm @openid4vc/openid4vci is missing: run `npm ci` in {WALLET}")
    return path


@pytest.fixture(scope="module")
def exported(store: SchemaStore, tmp_path_factory: pytest.TempPathFactory) -> Exported:
    return export_awards(tmp_path_factory.mktemp("oid4vci-wallet"), 3, store.root)


@pytest.fixture(scope="module")
def serve_log(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("serve") / "serve.log"


@pytest.fixture(scope="module")
def issuer(exported: Exported, serve_log: Path) -> Iterator[str]:
    with serve_process(exported, serve_log) as url:
        yield url


def _offer(exported: Exported, issuer: str, key: str, *extra: str) -> dict[str, Any]:
    result = subprocess.run(
        edcbridge_cli("offer", key, "-o", str(exported.out_dir), "--issuer-url", issuer, "--json", *extra),
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    offer: dict[str, Any] = json.loads(result.stdout)
    return offer


def _wallet(node: str, link: str, *args: str) -> tuple[int, dict[str, Any]]:
    result = subprocess.run(
        [node, str(WALLET / "wallet.mjs"), link, *args],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.stdout, result.stderr
    return result.returncode, json.loads(result.stdout.splitlines()[-1])


def everything(value: Any) -> Any:
    """sd-jwt's selection of every disclosure under ``value``."""
    if isinstance(value, dict):
        return {name: everything(item) for name, item in value.items()}
    if isinstance(value, list):
        return [everything(item) for item in value]
    return True


def _present(credential: str, holder_jwk: dict[str, Any], selection: dict[str, Any], nonce: str) -> str:
    holder = SDJWTHolder(credential)
    holder.create_presentation(
        selection, nonce=nonce, aud=VERIFIER, holder_key=jwk.JWK(**holder_jwk), sign_alg="ES256"
    )
    return str(holder.sd_jwt_presentation)


def _verify(presentation: str, nonce: str) -> dict[str, Any]:
    verifier = SDJWTVerifier(
        presentation, lambda iss, header: x5c_key(header), expected_aud=VERIFIER, expected_nonce=nonce
    )
    payload: dict[str, Any] = verifier.get_verified_payload()
    return payload


def test_wallet_receives_the_elm_credential_with_pin(node: str, issuer: str, exported: Exported) -> None:
    key = exported.keys[0]
    offer = _offer(exported, issuer, key)
    assert offer["link"].startswith("openid-credential-offer://?credential_offer=")
    assert Path(offer["qr_png"]).read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    code, result = _wallet(node, offer["link"], "--wrong-tx-code", "x" * 6, "--tx-code", offer["tx_code"])
    assert code == 0, result
    assert result["version"] == "V1" and result["configurationId"] == "elm"
    assert result["wrongTxCodeError"]["error"] == "invalid_grant"
    assert result["wrongTxCodeError"]["status"] == 400

    credential = result["credential"]
    document = exported.edc(key)
    payload = _verify(_present(credential, result["holderJwk"], {"elm": everything(document)}, "n-1"), "n-1")
    assert payload["vct"] == "urn:eudi:elm:1" and payload["iss"] == issuer
    assert payload["elm"] == document  # every personal claim disclosed: the exported document, exactly
    public = {k: v for k, v in result["holderJwk"].items() if k != "d"}
    assert payload["cnf"]["jwk"] == public

    # x5c names our seal certificate
    header_key = x5c_key(decode_part(credential.split(".")[0]))
    seal = (
        exported.seal().certificate.public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)
    )
    assert header_key.export_to_pem() == seal

    # selective disclosure: only the family name
    subject = document["credentialSubject"]
    partial = _verify(
        _present(
            credential,
            result["holderJwk"],
            {"elm": {"credentialSubject": {"familyName": everything(subject["familyName"])}}},
            "n-2",
        ),
        "n-2",
    )
    disclosed = partial["elm"]["credentialSubject"]
    assert disclosed["familyName"] == subject["familyName"]
    assert "givenName" not in disclosed and "dateOfBirth" not in disclosed
    assert "Learner0000" not in credential.split("~")[0]  # personal claims are not in the signed JWT itself

    # key binding: a presentation signed by another key is refused
    stranger = json.loads(jwk.JWK.generate(kty="EC", crv="P-256").export_private())
    with pytest.raises(InvalidJWSSignature):
        _verify(_present(credential, stranger, {"elm": {}}, "n-3"), "n-3")

    offers = OfferStore.for_folder(exported.out_dir)
    status = offers.status(offer["offer_id"])
    offers.close()
    assert status is not None and (status.state, status.event) == ("issued", "credential_accepted")

    # the same offer again: the pre-authorized code is spent
    code, replay = _wallet(node, offer["link"], "--tx-code", offer["tx_code"])
    assert code == 1 and (replay["error"], replay["status"]) == ("invalid_grant", 400), replay


def test_wallet_follows_an_offer_by_reference(
    node: str, issuer: str, exported: Exported, serve_log: Path
) -> None:
    key = exported.keys[1]
    offer = _offer(exported, issuer, key, "--by-reference", "--no-tx-code")
    assert offer["link"].startswith("openid-credential-offer://?credential_offer_uri=")
    assert offer["tx_code"] is None
    code, result = _wallet(node, offer["link"])
    assert code == 0, result
    reference = unquote(offer["link"].split("credential_offer_uri=", 1)[1]).rsplit("/", 1)[1]
    log = serve_log.read_text("utf-8")
    assert '"GET /offers/... HTTP/1.1" 200' in log  # the access log shows the request, not the secret
    assert reference not in log
    assert "EUDI wallets (HAIP) expect ES256" in log  # the test seal is RSA: said when serving starts
    payload = _verify(_present(result["credential"], result["holderJwk"], {"elm": {}}, "n"), "n")
    assert payload["elm"]["id"] == exported.edc(key)["id"]
    assert "givenName" not in payload["elm"]["credentialSubject"]


def test_wallet_takes_a_batch_of_copies_each_bound_to_its_own_key(
    node: str, exported: Exported, tmp_path: Path
) -> None:
    key = exported.keys[2]
    with serve_process(exported, tmp_path / "serve.log", "--batch-size", "3") as batch_issuer:
        offer = _offer(exported, batch_issuer, key)
        code, result = _wallet(node, offer["link"], "--tx-code", offer["tx_code"], "--copies", "3")
        log = (tmp_path / "serve.log").read_text("utf-8")
    assert code == 0, result
    assert len(result["credentials"]) == len(result["holderJwks"]) == 3
    assert f"elm issued for {key} (3 copies)" in log
    entries = set()
    copies = zip(result["credentials"], result["holderJwks"], strict=True)
    for number, (credential, holder_jwk) in enumerate(copies):
        payload = _verify(_present(credential, holder_jwk, {"elm": {}}, f"b-{number}"), f"b-{number}")
        assert payload["cnf"]["jwk"] == {k: v for k, v in holder_jwk.items() if k != "d"}
        assert payload["elm"]["id"] == exported.edc(key)["id"]
        entries.add((payload["status"]["status_list"]["uri"], payload["status"]["status_list"]["idx"]))
        other = result["holderJwks"][(number + 1) % 3]  # a copy answers to its own key only
        with pytest.raises(InvalidJWSSignature):
            _verify(_present(credential, other, {"elm": {}}, "x"), "x")
    assert len(entries) == 3
