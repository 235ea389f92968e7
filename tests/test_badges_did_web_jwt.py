"""An issuer with a did:web in the catalogue and an RSA or EC seal: its VC-JWTs name the DID as
``iss`` and the key as ``kid`` (a DID URL), and the did.json written beside them publishes that
key as a JsonWebKey2020 in ``assertionMethod``. Checked with npm jose (tests/peers), the key taken
from the did.json only, its id compared with jose's own RFC 7638 thumbprint."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from edcbridge.badges import read_vc_jwt
from edcbridge.did_documents import load_did_documents
from edcbridge.load import load_catalogue
from edcbridge.sealing import demo_seal
from tests.preview_support import run_jose
from tests.test_badges_data_integrity import DID, SOFIA, _badges, _catalogue_with_did
from tests.test_badges_signing import _ec_key, seal_options

# OB 3.0, "Verify a Credential" (VC-JWT): a kid is dereferenced to the public key JWK; here the
# DID URL is resolved in the given did.json only as the issuer's: the method must be the kid,
# controlled by the DID that is the token's iss, and listed in assertionMethod. A Multikey (the
# key of an Ed25519 seal) is converted to its JWK by Digital Bazaar's ed25519-multikey, and its
# fragment must be the key itself; a JsonWebKey2020's fragment is its RFC 7638 thumbprint.
_DID_VERIFY = """
import { readFileSync } from "node:fs";
import { calculateJwkThumbprint, decodeProtectedHeader, importJWK, jwtVerify } from "jose";
import * as Ed25519Multikey from "@digitalbazaar/ed25519-multikey";
const [didFile, ...files] = process.argv.slice(1);
const did = JSON.parse(readFileSync(didFile, "utf8"));
console.log(JSON.stringify({ didDocument: didFile }));
for (const file of files) {
  try {
    const token = readFileSync(file, "utf8").trim();
    const header = decodeProtectedHeader(token);
    const [controller, fragment] = header.kid.split("#");
    const method = did.verificationMethod.find((m) => m.id === header.kid);
    const asserts = did.assertionMethod.includes(header.kid);
    const jwk = method.publicKeyJwk
      ?? await Ed25519Multikey.toJwk({ keyPair: await Ed25519Multikey.from(method) });
    const named = method.type === "Multikey" ? method.publicKeyMultibase
      : await calculateJwkThumbprint(jwk, "sha256");
    const key = await importJWK(jwk, header.alg);
    const { payload } = await jwtVerify(token, key, { algorithms: [header.alg], issuer: controller });
    console.log(JSON.stringify({ ok: did.id === controller && method.controller === controller && asserts
                                 && named === fragment && payload.issuer.id === controller,
                                 alg: header.alg, kid: header.kid, type: method.type }));
  } catch (error) {
    console.log(JSON.stringify({ ok: false, error: `${error.code ?? error.name}: ${error.message}` }));
  }
}
"""


def _did_verify(did_json: Path, files: list[Path]) -> list[dict[str, Any]]:
    """Each token's result from npm jose, its key dereferenced from ``did_json`` by its kid."""
    lines, _ = run_jose(_DID_VERIFY, [did_json, *files])
    assert lines[0] == {"didDocument": str(did_json)}
    return lines[1:]


def _rsa_seal(folder: Path, catalogue: Path) -> Any:
    return demo_seal(folder, load_catalogue(catalogue)).load().key


def _ec_seal(_folder: Path, catalogue: Path) -> Any:
    return _ec_key(ec.SECP256R1(), load_catalogue(catalogue))


@pytest.mark.parametrize(("make_seal", "alg"), [(_rsa_seal, "RS256"), (_ec_seal, "ES256")])
def test_vc_jwts_of_an_rsa_or_ec_seal_name_the_issuers_did_web_key_that_jose_verifies_from_did_json(
        tmp_path: Path, make_seal: Any, alg: str) -> None:
    catalogue = _catalogue_with_did(tmp_path / "catalogue", DID)
    key = make_seal(tmp_path / "seal", catalogue)
    result = _badges(tmp_path / "out", *seal_options(tmp_path, key), catalogue=catalogue)
    did_json = tmp_path / "out" / "did.json"
    assert str(did_json) in result.stdout.splitlines()
    assert f"publish {did_json} at https://registry.uni-sofia.example/.well-known/did.json" in result.stderr
    tokens = sorted((tmp_path / "out").glob("*/*.jwt"))
    assert {path.parent.name for path in tokens} == {"ob3", "clr"}
    results = _did_verify(did_json, tokens)
    assert all(r["ok"] and r["alg"] == alg and r["type"] == "JsonWebKey2020" for r in results), results
    assert {r["kid"] for r in results} == {json.loads(did_json.read_bytes())["assertionMethod"][0]}
    documents = load_did_documents([did_json])
    for token in tokens:
        header, payload, _ = read_vc_jwt(token.read_text("ascii"), did_documents=documents)
        assert payload["iss"] == DID and header["kid"] in documents[DID]["assertionMethod"]
    for path in sorted((tmp_path / "out").glob("*/*.json")):
        doc = json.loads(path.read_bytes())
        assert doc["issuer"]["id"] == DID and "proof" not in doc


def test_vc_jwts_of_an_ed25519_seal_name_the_did_web_multikey_their_proofs_name(tmp_path: Path) -> None:
    from tests.test_badges_signing import ed25519_seal

    catalogue = _catalogue_with_did(tmp_path / "catalogue", DID)
    _badges(tmp_path / "out", *seal_options(tmp_path, ed25519_seal(load_catalogue(catalogue))),
            catalogue=catalogue)
    did_json = tmp_path / "out" / "did.json"
    method = json.loads(did_json.read_bytes())["assertionMethod"][0]
    tokens = sorted((tmp_path / "out").glob("*/*.jwt"))
    results = _did_verify(did_json, tokens)
    assert all(r["ok"] and r["alg"] == "EdDSA" and r["type"] == "Multikey" for r in results), results
    assert {r["kid"] for r in results} == {method}
    documents = load_did_documents([did_json])
    for token in tokens:
        header, _, _ = read_vc_jwt(token.read_text("ascii"), did_documents=documents)
        proof = json.loads(token.with_suffix(".json").read_bytes())["proof"][0]
        assert header["kid"] == proof["verificationMethod"] == method


def test_a_did_json_of_another_key_fails_joses_check(tmp_path: Path) -> None:
    from edcbridge.badges.jwt import jwk_did_document

    catalogue = _catalogue_with_did(tmp_path / "catalogue", DID)
    key = _ec_seal(tmp_path, catalogue)
    _badges(tmp_path / "out", *seal_options(tmp_path, key), catalogue=catalogue)
    token = next((tmp_path / "out").glob("ob3/*.jwt"))
    own = json.loads((tmp_path / "out" / "did.json").read_bytes())
    other = jwk_did_document(DID, _ec_key(ec.SECP256R1()).certificate.public_key())
    other["verificationMethod"][0]["id"] = other["assertionMethod"][0] = own["assertionMethod"][0]
    forged = tmp_path / "other-did.json"
    forged.write_text(json.dumps(other), "utf-8")
    [result] = _did_verify(forged, [token])
    assert result["ok"] is False and "ERR_JWS_SIGNATURE_VERIFICATION_FAILED" in result["error"], result


def test_without_a_did_the_vc_jwt_names_no_kid_and_no_did_json_is_written(tmp_path: Path) -> None:
    from edcbridge.seal import jades

    key = _rsa_seal(tmp_path / "seal", SOFIA / "catalogue.yaml")
    _badges(tmp_path / "out", *seal_options(tmp_path, key))
    assert not (tmp_path / "out" / "did.json").exists()
    for path in sorted((tmp_path / "out").glob("*/*.jwt")):
        header = json.loads(jades.b64url_decode(path.read_text("ascii").split(".")[0]))
        assert list(header) == ["alg", "typ", "jwk"]


def _did_token(key: Any, *, kid: str | None = None, jwk: bool = True, issuer: str = DID) -> str:
    """A badge of ``issuer`` signed RS256 with ``key``, its header naming ``kid`` (default: the
    key's DID URL under ``DID``) and, when ``jwk``, the key's jwk beside it."""
    from edcbridge.badges import open_badge, sign_vc_jwt
    from edcbridge.badges.jwt import did_key_id
    from tests.preview_support import first_award
    from tests.test_badges_verify import _b64, _rs256

    award, catalogue = first_award("sofia")
    token = sign_vc_jwt(open_badge(award, catalogue, issuer), key,
                        kid=kid or did_key_id(DID, key.certificate.public_key()))
    head, body, _ = token.split(".")
    header = json.loads(_decoded(head))
    if not jwk:
        del header["jwk"]
    return _rs256(key, _b64(header), body)


def _decoded(part: str) -> bytes:
    """The bytes of a base64url JWS part."""
    from edcbridge.seal import jades

    return jades.b64url_decode(part)


def _did_json_of(key: Any) -> dict[str, Any]:
    """The did.json of ``DID`` publishing ``key`` (a seal, or a bare public key)."""
    from edcbridge.badges.jwt import jwk_did_document

    return jwk_did_document(DID, key.certificate.public_key() if hasattr(key, "certificate") else key)


def test_a_kid_is_looked_up_in_the_did_document_given_also_without_a_jwk() -> None:
    from edcbridge.badges import read_vc_jwt
    from tests.preview_support import make_key

    key = make_key()
    for token in (_did_token(key), _did_token(key, jwk=False)):
        header, payload, _ = read_vc_jwt(token, did_documents={DID: _did_json_of(key)})
        assert header["kid"] == _did_json_of(key)["assertionMethod"][0] and payload["iss"] == DID


def test_a_jwk_that_is_not_the_did_documents_key_for_the_kid_is_refused() -> None:
    from edcbridge.badges import JwtError, read_vc_jwt
    from tests.preview_support import make_key

    key, other = make_key(), rsa.generate_private_key(65537, 2048).public_key()
    forged = _did_json_of(other)
    own_kid = _did_json_of(key)["assertionMethod"][0]
    forged["verificationMethod"][0]["id"] = forged["assertionMethod"][0] = own_kid
    with pytest.raises(JwtError, match="not the key its kid"):
        read_vc_jwt(_did_token(key), did_documents={DID: forged})
    with pytest.raises(JwtError, match="signature does not verify"):
        read_vc_jwt(_did_token(key, jwk=False), did_documents={DID: forged})


def test_a_kid_the_did_document_does_not_let_assert_or_of_another_did_is_refused() -> None:
    from edcbridge.badges import JwtError, read_vc_jwt
    from tests.preview_support import make_key

    key = make_key()
    not_asserting = {**_did_json_of(key), "assertionMethod": []}
    with pytest.raises(JwtError, match="not an assertionMethod"):
        read_vc_jwt(_did_token(key), did_documents={DID: not_asserting})
    with pytest.raises(JwtError, match="no verification method"):
        read_vc_jwt(_did_token(key, kid=f"{DID}#another-key"), did_documents={DID: _did_json_of(key)})
    with pytest.raises(JwtError, match="not of the token's issuer"):
        read_vc_jwt(_did_token(key, issuer="did:web:other.example"), did_documents={DID: _did_json_of(key)})


def _issuer_given_did(catalogue: Any, did: str) -> Any:
    """``catalogue`` with its issuing organisation given ``did``."""
    organisations = tuple(o.model_copy(update={"did": did}) if o.key == catalogue.issuer else o
                          for o in catalogue.organisations)
    return catalogue.model_copy(update={"organisations": organisations})


def test_a_run_of_several_issuers_with_a_did_web_writes_each_did_document_where_it_is_published(
        tmp_path: Path) -> None:
    from edcbridge.badges import write_badges
    from edcbridge.sealing import demo_seal
    from tests.preview_support import fixture_pairs

    dids = {"sofia": DID, "wales": "did:web:wales.example:registry:badges"}
    catalogues = {name: _issuer_given_did(c, dids[name]) for name, _, c in fixture_pairs() if name in dids}
    pairs = [(a, catalogues[name]) for name, a, _ in fixture_pairs() if name in dids]
    keys = {id(c): demo_seal(tmp_path / "seal" / name, c).load().key for name, c in catalogues.items()}
    outputs = write_badges(pairs, tmp_path / "out", key_for=lambda c: keys[id(c)])
    assert outputs.ok, outputs.failed
    places = {DID: tmp_path / "out" / "did" / "registry.uni-sofia.example" / "did.json",
              dids["wales"]: tmp_path / "out" / "did" / "wales.example" / "registry" / "badges" / "did.json"}
    assert all(path.is_file() for path in places.values()) and not (tmp_path / "out" / "did.json").exists()
    assert set(places.values()) <= set(outputs.written)
    assert outputs.did_documents == {path: did for did, path in places.items()}
    for did, path in places.items():
        tokens = [t for t in sorted((tmp_path / "out").glob("*/*.jwt"))
                  if json.loads(t.with_suffix(".json").read_bytes())["issuer"]["id"] == did]
        assert tokens and all(r["ok"] for r in _did_verify(path, tokens)), did
        documents = load_did_documents([path])
        for token in tokens:
            read_vc_jwt(token.read_text("ascii"), did_documents=documents)


def test_a_run_of_one_issuer_with_a_did_web_writes_its_did_json_in_the_output_folder(tmp_path: Path) -> None:
    from edcbridge.badges import write_badges
    from tests.preview_support import fixture_pairs

    pairs = [(a, c) for name, a, c in fixture_pairs() if name == "sofia"]
    catalogue = _issuer_given_did(pairs[0][1], DID)
    key = demo_seal(tmp_path / "seal", catalogue).load().key
    outputs = write_badges([(a, catalogue) for a, _ in pairs], tmp_path / "out", key_for=lambda _c: key)
    assert outputs.did_documents == {tmp_path / "out" / "did.json": DID}
    assert not (tmp_path / "out" / "did").exists()


def test_a_did_document_path_never_leaves_the_did_folder(tmp_path: Path) -> None:
    from edcbridge.badges.export import did_document_path

    for did in ("did:web:..:..:etc", "did:web:example.org:..", "did:web:a%2F..%2F..:b"):
        path = did_document_path(tmp_path, did)
        assert path.name == "did.json" and path.resolve().is_relative_to(tmp_path / "did"), path
        assert ".." not in path.relative_to(tmp_path).parts


def test_demo_of_two_issuers_with_a_did_web_lists_each_did_document_and_where_to_publish_it(
        store: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import shutil

    from click.testing import CliRunner

    from edcbridge.cli import main
    from tests.conftest import FIXTURES

    monkeypatch.setenv("EDCBRIDGE_SCHEMAS", str(store.root))
    dids = {"galway": "did:web:galway.example:credentials", "sofia": DID}
    for name, did in dids.items():
        shutil.copytree(FIXTURES / name, tmp_path / "fixtures" / name)
        catalogue = tmp_path / "fixtures" / name / "catalogue.yaml"
        text = catalogue.read_text("utf-8")
        marker = next(line for line in text.splitlines(keepends=True) if "eidas_identifier:" in line)
        assert text.count(marker) == 1
        catalogue.write_text(text.replace(marker, f"{marker}    did: {did}\n"), "utf-8")
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["demo", "--out", str(out), "--fixtures", str(tmp_path / "fixtures")])
    assert result.exit_code == 0, result.stderr
    places = {dids["galway"]: (out / "did" / "galway.example" / "credentials" / "did.json",
                               "https://galway.example/credentials/did.json"),
              DID: (out / "did" / "registry.uni-sofia.example" / "did.json",
                    "https://registry.uni-sofia.example/.well-known/did.json")}
    for did, (path, url) in places.items():
        assert str(path) in result.stdout.splitlines()
        assert f"publish {path} at {url}" in result.stderr
        assert json.loads(path.read_bytes())["id"] == did
    assert not (out / "did.json").exists()
