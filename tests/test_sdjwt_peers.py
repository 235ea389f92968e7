"""The ELM SD-JWT VC as an independent verifier reads it: npm jose checks the issuer-signed JWT
(``typ``, ``alg``, ``x5c``, ``nbf``/``exp``) and node:crypto recomputes the disclosure digests
(RFC 9901 7.1), without edcbridge's own code."""

from __future__ import annotations

import json
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from jwcrypto import jwk

from edcbridge.mapping.edc import to_edc
from edcbridge.oid4vci.sdjwt import SdJwtIssuer, decode_part
from edcbridge.seal import devpki
from edcbridge.seal.keys import SealKey
from tests.conftest import fixture_awards, need_tool

PEERS = Path(__file__).resolve().parent / "peers"
HOLDER = json.loads(jwk.JWK.generate(kty="EC", crv="P-256").export_public())
ISSUER = "https://issuer.example"

# Reads {"credential", "now", "withDisclosures"} on stdin; prints {"ok", "claims", "arrays"} with
# the claims a verifier rebuilds and, per _sd array, its path, size and disclosed digests.
VERIFIER = r"""
import { createHash } from 'node:crypto'
import { decodeProtectedHeader, importX509, jwtVerify } from 'jose'

const chunks = []
for await (const chunk of process.stdin) chunks.push(chunk)
const input = JSON.parse(Buffer.concat(chunks).toString('utf8'))
const BASE64URL = /^[A-Za-z0-9_-]+$/

function disclosureMap(disclosures) {
  const byDigest = new Map()
  for (const text of disclosures) {
    if (!BASE64URL.test(text)) throw new Error('a disclosure is not base64url without padding')
    const value = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'))
    if (!Array.isArray(value) || value.length !== 3) throw new Error('not [salt, name, value]')
    if (Buffer.from(value[0], 'base64url').length < 16) throw new Error('a salt has fewer than 128 bits')
    if (value[1] === '_sd' || value[1] === '...') throw new Error('a disclosure names _sd or ...')
    byDigest.set(createHash('sha256').update(text, 'ascii').digest('base64url'), value)
  }
  return byDigest
}

function rebuild(payload, byDigest) {
  const used = new Set()
  const arrays = []
  const walk = (node, path) => {
    if (Array.isArray(node)) return node.map((item, index) => walk(item, [...path, index]))
    if (node === null || typeof node !== 'object') return node
    const result = {}
    for (const [name, value] of Object.entries(node)) {
      if (name !== '_sd') result[name] = walk(value, [...path, name])
    }
    if (!('_sd' in node)) return result
    let disclosed = 0
    for (const digest of node._sd) {
      if (used.has(digest)) throw new Error('a digest appears twice')
      const found = byDigest.get(digest)
      if (found === undefined) continue
      if (found[1] in result) throw new Error(`claim ${found[1]} is disclosed and also in the clear`)
      used.add(digest)
      disclosed += 1
      result[found[1]] = walk(found[2], [...path, found[1]])
    }
    arrays.push({ path, size: node._sd.length, disclosed })
    return result
  }
  const claims = walk(payload, [])
  if (used.size !== byDigest.size) throw new Error('a disclosure matches no digest')
  delete claims._sd_alg
  return { claims, arrays }
}

try {
  const [jwt, ...rest] = input.credential.split('~')
  if (rest.length === 0 || rest.at(-1) !== '') throw new Error('the SD-JWT does not end with ~')
  const header = decodeProtectedHeader(jwt)
  const lines = header.x5c[0].match(/.{1,64}/g).join('\n')
  const pem = `-----BEGIN CERTIFICATE-----\n${lines}\n-----END CERTIFICATE-----\n`
  const key = await importX509(pem, header.alg)
  const { payload } = await jwtVerify(jwt, key, {
    typ: 'dc+sd-jwt', algorithms: ['ES256', 'ES384', 'ES512', 'RS256'],
    currentDate: new Date(input.now * 1000),
  })
  if (payload._sd_alg !== 'sha-256') throw new Error(`_sd_alg is ${payload._sd_alg}`)
  const byDigest = disclosureMap(input.withDisclosures ? rest.slice(0, -1) : [])
  console.log(JSON.stringify({ ok: true, ...rebuild(payload, byDigest) }))
} catch (error) {
  const text = `${error.code ?? error.name}: ${error.message}`
  console.log(JSON.stringify({ ok: false, error: text, claim: error.claim }))
}
"""

ELM: dict[str, Any] = {
    "@context": ["https://www.w3.org/2018/credentials/v1"],
    "id": "urn:credential:7f3c",
    "type": ["VerifiableCredential", "EuropeanDigitalCredential"],
    "validFrom": "2028-09-01T00:00:00Z",
    "validUntil": "2034-01-01T00:00:00Z",
    "credentialSubject": {
        "id": "urn:epass:person:1",
        "type": "Person",
        "givenName": {"en": "Chloé", "el": "Χλόη"},
        "familyName": {"en": "Lefèvre-Dubois", "el": "Λεφέβρ"},
        "dateOfBirth": "1994-03-17T00:00:00Z",
        "nationalID": {"type": "LegalIdentifier", "notation": "FR-1234"},
        "contactPoint": {"type": "ContactPoint", "emailAddress": {"id": "mailto:c@example.org"}},
        "hasClaim": {"type": "LearningAchievement", "title": {"en": "MSc Machine Learning"}},
    },
}
FEWER_CLAIMS: dict[str, Any] = {
    **ELM,
    "credentialSubject": {
        "id": "urn:epass:person:2",
        "type": "Person",
        "givenName": {"en": "Ana"},
        "familyName": {"en": "Silva"},
        "hasClaim": {"type": "LearningAchievement", "title": {"en": "MSc Machine Learning"}},
    },
}


def _seconds(text: str) -> int:
    return int(datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp())


def _verify(credential: str, now: int, *, with_disclosures: bool = True) -> dict[str, Any]:
    node = need_tool("node")
    if not (PEERS / "node_modules" / "jose").is_dir():
        pytest.fail(f"npm jose is missing: run `make peers` (npm ci in {PEERS})")
    result = subprocess.run(
        [node, "--input-type=module", "-e", VERIFIER],
        input=json.dumps({"credential": credential, "now": now, "withDisclosures": with_disclosures}),
        cwd=PEERS,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert result.stdout, result.stderr
    answer: dict[str, Any] = json.loads(result.stdout)
    return answer


@pytest.fixture(scope="module")
def p384_seal(pki: devpki.DevPki) -> SealKey:
    return devpki.ec_seal_key(pki, curve=ec.SECP384R1())


@pytest.fixture(scope="module")
def p521_seal(pki: devpki.DevPki) -> SealKey:
    return devpki.ec_seal_key(pki, curve=ec.SECP521R1())


@pytest.mark.parametrize(("seal_name", "algorithm"), [("p384_seal", "ES384"), ("p521_seal", "ES512")])
def test_a_p384_or_p521_seal_signs_with_its_curves_algorithm_and_verifies(
    seal_name: str, algorithm: str, request: pytest.FixtureRequest
) -> None:
    """A qualified seal on P-384 or P-521 serves wallets too, signed with its curve's algorithm."""
    seal: SealKey = request.getfixturevalue(seal_name)
    issuer = SdJwtIssuer(seal, ISSUER)
    assert issuer.algorithm == algorithm
    credential = issuer.issue(ELM, HOLDER, now=_seconds("2029-01-01T00:00:00"))
    assert decode_part(credential.split(".", 1)[0])["alg"] == algorithm
    answer = _verify(credential, _seconds("2029-06-01T00:00:00"))
    assert answer["ok"], answer
    assert answer["claims"]["elm"] == ELM


@pytest.mark.parametrize("seal_name", ["ec_seal", "rsa_seal"])
def test_an_independent_verifier_rebuilds_the_elm_from_the_disclosures(
    seal_name: str, request: pytest.FixtureRequest
) -> None:
    seal: SealKey = request.getfixturevalue(seal_name)
    credential = SdJwtIssuer(seal, ISSUER).issue(ELM, HOLDER, now=_seconds("2029-01-01T00:00:00"))
    answer = _verify(credential, _seconds("2029-06-01T00:00:00"))
    assert answer["ok"], answer
    claims = answer["claims"]
    assert claims["elm"] == ELM
    assert (claims["iss"], claims["vct"], claims["cnf"]) == (ISSUER, "urn:eudi:elm:1", {"jwk": HOLDER})
    assert all(array["disclosed"] > 0 for array in answer["arrays"])


def test_a_verifier_refuses_the_credential_outside_the_elm_validity_period(ec_seal: SealKey) -> None:
    credential = SdJwtIssuer(ec_seal, ISSUER).issue(ELM, HOLDER, now=_seconds("2028-01-01T00:00:00"))
    early = _verify(credential, _seconds("2028-06-01T00:00:00"))
    assert (early["ok"], early.get("claim")) == (False, "nbf"), early
    assert _verify(credential, _seconds("2028-09-02T00:00:00"))["ok"]
    late = _verify(credential, _seconds("2034-01-02T00:00:00"))
    assert (late["ok"], late.get("claim")) == (False, "exp"), late


def _digest_counts(credential: str) -> dict[str, int]:
    answer = _verify(credential, _seconds("2029-01-01T00:00:00"), with_disclosures=False)
    assert answer["ok"], answer
    return {".".join(map(str, array["path"])): array["size"] for array in answer["arrays"]}


def test_the_number_of_digests_does_not_tell_which_personal_claims_a_learner_has(ec_seal: SealKey) -> None:
    issuer = SdJwtIssuer(ec_seal, ISSUER)
    now = _seconds("2029-01-01T00:00:00")
    many, few = _digest_counts(issuer.issue(ELM, HOLDER, now=now)), _digest_counts(
        issuer.issue(FEWER_CLAIMS, HOLDER, now=now)
    )
    assert many == few == {"elm.credentialSubject": many["elm.credentialSubject"]}
    assert many["elm.credentialSubject"] >= 8  # more than the most claims a learner here has


def test_the_digests_of_one_name_do_not_tell_in_how_many_languages_it_is_written(ec_seal: SealKey) -> None:
    issuer = SdJwtIssuer(ec_seal, ISSUER)
    now = _seconds("2029-01-01T00:00:00")
    sizes = []
    for credential in (issuer.issue(ELM, HOLDER, now=now), issuer.issue(FEWER_CLAIMS, HOLDER, now=now)):
        answer = _verify(credential, _seconds("2029-01-02T00:00:00"))
        assert answer["ok"], answer
        names = [a for a in answer["arrays"] if len(a["path"]) == 3]  # elm.credentialSubject.<name>
        sizes.append({a["path"][2]: a["size"] for a in names})
    assert sizes[0] == sizes[1] == dict.fromkeys(["givenName", "familyName"], sizes[0]["givenName"])


def test_without_disclosures_two_learners_credentials_look_the_same(ec_seal: SealKey) -> None:
    """The ELM mapping derives the person's id from the person's claims; a verifier who is shown
    no disclosure sees nothing that depends on them (no hash to test a guessed name against)."""
    name, award, catalogue = fixture_awards()[0]
    renamed = award.learner.model_copy(update={"given_name": {"en": "Maria"}})
    other = award.model_copy(update={"learner": renamed})
    issuer = SdJwtIssuer(ec_seal, ISSUER)
    now = _seconds("2029-01-01T00:00:00")
    views = []
    for source in (award, other):
        credential = issuer.issue(to_edc(source, catalogue), HOLDER, now=now)
        answer = _verify(credential, now, with_disclosures=False)
        assert answer["ok"], (name, answer)
        views.append(answer["claims"])
    assert views[0] == views[1]
