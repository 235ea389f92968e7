"""The credential's own status entries (Bitstring Status List, StatusList2021): named when not
checked, checked against a list served on 127.0.0.1 with --fetch-revocation."""

from __future__ import annotations

import base64
import gzip
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization

from edcbridge.seal import devpki, jades, keys
from edcbridge.seal.sealer import Sealer
from edcbridge.seal.verify import VerifyOptions, verify_document
from tests.fake_http import static_files

NOW = datetime.now(UTC).replace(microsecond=0)
REFERENCE = Path(__file__).resolve().parents[1].parent / "shared" / "reference"


@pytest.fixture(scope="module")
def pki() -> devpki.DevPki:
    return devpki.generate(now=NOW - timedelta(days=1))


@pytest.fixture(scope="module")
def lists() -> Iterator[tuple[str, dict[str, bytes]]]:
    with static_files("application/vc+ld+json") as (server, files):
        yield server.base_url, files


def _sealer(pki: devpki.DevPki) -> Sealer:
    return Sealer(keys.SealKey(pki.seal.key, pki.seal.certificate, (pki.root.certificate,)))


def _encoded(revoked: set[int], *, multibase: bool) -> str:
    bits = bytearray(16_384)  # 131,072 entries, the Bitstring Status List minimum
    for index in revoked:
        bits[index // 8] |= 0x80 >> (index % 8)
    text = base64.urlsafe_b64encode(gzip.compress(bytes(bits))).rstrip(b"=").decode()
    return "u" + text if multibase else text


def _list_credential(revoked: set[int], kind: str = "BitstringStatusList") -> str:
    return json.dumps({
        "type": ["VerifiableCredential", f"{kind}Credential"],
        "validUntil": f"{NOW + timedelta(days=1):%Y-%m-%dT%H:%M:%SZ}",
        "credentialSubject": {"type": kind, "statusPurpose": "revocation",
                              "encodedList": _encoded(revoked, multibase=kind == "BitstringStatusList")},
    })


def _credential(url: str, index: int, kind: str = "BitstringStatusListEntry") -> str:
    return json.dumps({
        "id": "urn:credential:status",
        "credentialStatus": {"id": f"{url}#{index}", "type": kind, "statusPurpose": "revocation",
                             "statusListIndex": str(index), "statusListCredential": url},
    })


def _options(pki: devpki.DevPki, *, fetch: bool) -> VerifyOptions:
    return VerifyOptions(trust_anchors=(pki.root.certificate,), fetch_revocation=fetch)


def _with_crl(pki: devpki.DevPki, sealed: str) -> bytes:
    """Embed the root's current CRL, so the certificate part of REVOCATION is OK."""
    doc = json.loads(sealed)
    der = pki.crl.public_bytes(serialization.Encoding.DER)
    entry = jades.etsiu_entry({"rVals": {"crlVals": [{"val": base64.b64encode(der).decode()}]}})
    doc["signatures"][0]["header"] = {"etsiU": [entry]}
    return json.dumps(doc).encode()


def test_unchecked_status_is_named(pki: devpki.DevPki) -> None:
    url = "https://status.example/lists/1"
    data = _with_crl(pki, _sealer(pki).seal(_credential(url, 42)))
    revocation = verify_document(data, _options(pki, fetch=False)).checks["REVOCATION"]
    assert revocation.status == "OK", revocation.reason
    assert revocation.reason.endswith(
        f"credential status BitstringStatusListEntry (revocation) at {url} index 42 not checked; "
        "add --fetch-revocation"
    )


def test_sealed_status_list_is_checked(pki: devpki.DevPki, lists: tuple[str, dict[str, bytes]]) -> None:
    base, files = lists
    url = f"{base}/lists/sealed"
    files["/lists/sealed"] = _sealer(pki).seal(_list_credential({7})).encode()
    active = _with_crl(pki, _sealer(pki).seal(_credential(url, 42)))
    good = verify_document(active, _options(pki, fetch=True)).checks["REVOCATION"]
    assert good.status == "OK", good.reason
    assert good.reason.endswith(f"credential not revoked per status list {url} (index 42)")
    revoked = _with_crl(pki, _sealer(pki).seal(_credential(url, 7)))
    bad = verify_document(revoked, _options(pki, fetch=True)).checks["REVOCATION"]
    assert bad.status == "ERROR"
    assert bad.reason.endswith(f"credential revoked per status list {url} (index 7)")


def test_status_list_sealed_by_someone_else_is_refused(
    pki: devpki.DevPki, lists: tuple[str, dict[str, bytes]]
) -> None:
    base, files = lists
    other = devpki.issue_seal_certificate(
        pki.root, organisation="EDCBRIDGE TEST Other", organisation_identifier="NTRBE-TEST0012",
        country="BE", not_before=NOW - timedelta(days=1), not_after=NOW + timedelta(days=30))
    sibling = Sealer(keys.SealKey(other.key, other.certificate, (pki.root.certificate,)))
    files["/lists/sibling"] = sibling.seal(_list_credential(set())).encode()
    files["/lists/foreign"] = _sealer(devpki.generate()).seal(_list_credential(set())).encode()
    for name, reason in [("sibling", " is sealed by 'CN=EDCBRIDGE TEST Other TEST e-seal"),
                         ("foreign", ": seal not valid: ")]:
        url = f"{base}/lists/{name}"
        data = _with_crl(pki, _sealer(pki).seal(_credential(url, 3)))
        revocation = verify_document(data, _options(pki, fetch=True)).checks["REVOCATION"]
        assert revocation.status == "ERROR"
        assert f"status list {url}{reason}" in revocation.reason


def test_unsealed_status_list2021_is_read_but_said_unverified(
    pki: devpki.DevPki, lists: tuple[str, dict[str, bytes]]
) -> None:
    base, files = lists
    url = f"{base}/lists/2021"
    files["/lists/2021"] = _list_credential({5}, kind="StatusList2021").encode()
    data = _with_crl(pki, _sealer(pki).seal(_credential(url, 4, kind="StatusList2021Entry")))
    good = verify_document(data, _options(pki, fetch=True)).checks["REVOCATION"]
    assert good.status == "OK", good.reason
    assert good.reason.endswith("(index 4) (list signature not verified)")
    revoked = _with_crl(pki, _sealer(pki).seal(_credential(url, 5, kind="StatusList2021Entry")))
    assert verify_document(revoked, _options(pki, fetch=True)).checks["REVOCATION"].status == "ERROR"


def test_missing_status_list_is_an_error(pki: devpki.DevPki, lists: tuple[str, dict[str, bytes]]) -> None:
    url = f"{lists[0]}/lists/gone"
    data = _with_crl(pki, _sealer(pki).seal(_credential(url, 1)))
    revocation = verify_document(data, _options(pki, fetch=True)).checks["REVOCATION"]
    assert revocation.status == "ERROR"
    assert f"status list {url} answered HTTP 404" in revocation.reason


@pytest.mark.skipif(not REFERENCE.is_dir(), reason="reference samples not found")
def test_mynextid_sample_names_its_unchecked_status_lists() -> None:
    sample = REFERENCE / "mynextid-edc/degree-certificate/v1/edc/examples/edc-dc-signed.jsonld"
    revocation = verify_document(sample.read_bytes()).checks["REVOCATION"]
    assert revocation.status == "OK", revocation.reason
    assert "credential status StatusList2021Entry (revocation) at https://app.velocert.com/status/" in (
        revocation.reason
    )
    assert " and StatusList2021Entry (suspension) at https://app.velocert.com/status/" in revocation.reason
    assert revocation.reason.endswith(" not checked; add --fetch-revocation")


def test_a_batch_from_one_issuer_fetches_its_list_once(pki: devpki.DevPki) -> None:
    with static_files("application/vc+ld+json") as (server, files):
        files["/lists/batch"] = _sealer(pki).seal(_list_credential({3})).encode()
        url = f"{server.base_url}/lists/batch"
        verdicts = [verify_document(_with_crl(pki, _sealer(pki).seal(_credential(url, index))),
                                    _options(pki, fetch=True)).checks["REVOCATION"].status
                    for index in (1, 2, 3, 4)]
        asked = [entry for entry in server.log if entry.path == "/lists/batch"]
    assert verdicts == ["OK", "OK", "ERROR", "OK"]
    assert len(asked) == 1  # reused for revocation.STATUS_LIST_TTL seconds


def test_a_credential_naming_many_status_lists_makes_no_fetch(pki: devpki.DevPki) -> None:
    """The lists' URLs are the signer's to choose: a credential naming hundreds must not make
    the verifier fetch hundreds."""
    with static_files("application/vc+ld+json") as (server, files):
        urls = [f"{server.base_url}/lists/{n}" for n in range(50)]
        for n in range(50):
            files[f"/lists/{n}"] = _sealer(pki).seal(_list_credential(set())).encode()
        doc = json.loads(_credential(urls[0], 1))
        doc["credentialStatus"] = [{"id": f"{url}#1", "type": "BitstringStatusListEntry",
                                    "statusPurpose": "revocation", "statusListIndex": "1",
                                    "statusListCredential": url} for url in urls]
        check = verify_document(_with_crl(pki, _sealer(pki).seal(json.dumps(doc))),
                                _options(pki, fetch=True)).checks["REVOCATION"]
        asked = [entry for entry in server.log if entry.path.startswith("/lists/")]
    assert check.status == "ERROR" and "names 50 status lists" in check.reason, check.reason
    assert asked == []


def test_an_unsealed_status_list_is_read_as_json_or_as_the_vc_claim_of_a_vc_jwt() -> None:
    from edcbridge.seal.verify import _unsealed_list

    listed = {"type": ["VerifiableCredential"], "credentialSubject": {"encodedList": "H4sI"}}
    claims = base64.urlsafe_b64encode(json.dumps({"vc": listed}).encode()).rstrip(b"=")
    assert _unsealed_list(b"eyJhbGciOiJub25lIn0." + claims + b".c2ln\n") == listed
    assert _unsealed_list(b"\xef\xbb\xbf " + json.dumps(listed).encode()) == listed
    assert _unsealed_list(b"eyJhbGciOiJub25lIn0.not-json.c2ln") is None
