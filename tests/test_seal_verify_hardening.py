"""`verify` against crafted input: future times, weak timestamps, deep JSON, BOMs, crit."""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from edcbridge.seal import devpki, jades, keys, tsa_server, tst
from edcbridge.seal.cli import make_verify_command
from edcbridge.seal.errors import SealFormatError
from edcbridge.seal.sealer import Sealer
from edcbridge.seal.verify import VerifyOptions, verify_document
from tests.test_seal_peers import _run_peer

NOW = datetime.now(UTC).replace(microsecond=0)
PAYLOAD = '{"id": "urn:credential:hard", "type": ["VerifiableCredential"], "name": "Zeugnis – ä"}'


@pytest.fixture(scope="module")
def pki() -> devpki.DevPki:
    return devpki.generate(now=NOW - timedelta(days=30))


def _sealer(pki: devpki.DevPki, at: datetime = NOW) -> Sealer:
    seal_key = keys.SealKey(pki.seal.key, pki.seal.certificate, (pki.root.certificate,))
    return Sealer(seal_key, clock=lambda: at)


# --- signing time in the future -------------------------------------------------------------


def test_signing_time_in_the_future_is_refused(pki: devpki.DevPki) -> None:
    sealed = _sealer(pki, NOW + timedelta(days=300)).seal(PAYLOAD).encode()
    result = verify_document(sealed, VerifyOptions(at=NOW))
    assert result.checks["SEAL"].status == "ERROR"
    assert "is in the future" in result.checks["SEAL"].reason
    assert result.checks["EXPIRY"].status == "ERROR"
    skewed = _sealer(pki, NOW + timedelta(minutes=2)).seal(PAYLOAD).encode()
    assert verify_document(skewed, VerifyOptions(at=NOW)).ok  # within the clock skew


def test_certificate_not_yet_valid_cannot_hide_behind_future_sigt(pki: devpki.DevPki) -> None:
    later = devpki.issue_seal_certificate(
        pki.root, organisation="EDCBRIDGE TEST Later", organisation_identifier="NTRBE-TEST0011",
        country="BE", not_before=NOW + timedelta(days=10), not_after=NOW + timedelta(days=400))
    seal_key = keys.SealKey(later.key, later.certificate, (pki.root.certificate,))
    sealed = Sealer(seal_key, clock=lambda: NOW + timedelta(days=20)).seal(PAYLOAD).encode()
    result = verify_document(sealed, VerifyOptions(at=NOW))
    assert result.checks["EXPIRY"].status == "ERROR", result.checks["EXPIRY"].reason
    assert not result.ok


# --- credential validity -------------------------------------------------------------------


@pytest.mark.parametrize("member", ["validFrom", "issuanceDate"])
def test_credential_not_yet_valid_fails_expiry(pki: devpki.DevPki, member: str) -> None:
    payload = json.dumps({"id": "urn:credential:later", member: "2099-01-01T00:00:00Z"})
    result = verify_document(_sealer(pki).seal(payload).encode(), VerifyOptions(at=NOW))
    assert result.checks["EXPIRY"].status == "ERROR"
    assert result.checks["EXPIRY"].reason == f"credential not valid before 2099-01-01T00:00:00Z ({member})"
    started = json.dumps({"id": "urn:credential:now", member: f"{NOW:%Y-%m-%dT%H:%M:%SZ}"})
    assert verify_document(_sealer(pki).seal(started).encode(), VerifyOptions(at=NOW)).ok


# --- timestamp imprint hash ----------------------------------------------------------------


def _token(pki: devpki.DevPki, name: str, oid: str, data: bytes, monkeypatch: pytest.MonkeyPatch) -> bytes:
    """A token our test TSA signs properly, over *data* hashed with *name* (OID *oid*)."""
    monkeypatch.setitem(tsa_server._HASH_OIDS, name, oid)
    digest = hashlib.new(name if name in hashlib.algorithms_available else "sha256", data).digest()
    request = tst.Request(name, digest, 7, True)
    response = tsa_server.build_response(request, pki.tsa_signer(), NOW, 1)
    return tst.token_from_response(response, digest, 7, "test TSA", hash_algorithm=name)


def _with_sig_tst(sealed: str, token: bytes) -> bytes:
    doc = json.loads(sealed)
    value = {"sigTst": {"tstTokens": [{"val": base64.b64encode(token).decode()}]}}
    doc["signatures"][0]["header"] = {"etsiU": [jades.etsiu_entry(value)]}
    return json.dumps(doc).encode()


@pytest.mark.parametrize(("name", "oid"), [("md5", "1.2.840.113549.2.5"), ("1.2.3.4.5", "1.2.3.4.5")])
def test_timestamp_imprint_must_be_sha2(
    pki: devpki.DevPki, monkeypatch: pytest.MonkeyPatch, name: str, oid: str
) -> None:
    sealed = _sealer(pki).seal(PAYLOAD)
    signature = json.loads(sealed)["signatures"][0]["signature"]
    data = _with_sig_tst(sealed, _token(pki, name, oid, signature.encode(), monkeypatch))
    result = verify_document(data, VerifyOptions(at=NOW))
    assert result.checks["TIMESTAMP"].status == "ERROR"
    assert result.checks["TIMESTAMP"].reason == (
        f"signature timestamp: timestamp imprint uses {name}; only SHA-2 "
        "(sha224, sha256, sha384, sha512) is accepted"
    )


def test_a_sha1_timestamp_imprint_is_set_aside_as_weak(
    pki: devpki.DevPki, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As a token signed with SHA-1: the seal is checked as at level B-B, not called broken."""
    sealed = _sealer(pki).seal(PAYLOAD)
    signature = json.loads(sealed)["signatures"][0]["signature"]
    data = _with_sig_tst(sealed, _token(pki, "sha1", "1.3.14.3.2.26", signature.encode(), monkeypatch))
    result = verify_document(data, VerifyOptions(at=NOW))
    timestamp = result.checks["TIMESTAMP"]
    assert timestamp.status == "SKIPPED", timestamp
    assert timestamp.reason.startswith("signature timestamp: the token of 'CN=EDCBRIDGE TEST")
    assert "timestamps a SHA-1 imprint of the data" in timestamp.reason
    assert timestamp.reason.endswith(tst.SET_ASIDE) and result.checks["SEAL"].status == "OK"


def test_bad_imprint_does_not_stop_the_batch(
    pki: devpki.DevPki, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    sealed = _sealer(pki).seal(PAYLOAD)
    signature = json.loads(sealed)["signatures"][0]["signature"]
    bad = tmp_path / "a-unknown-imprint.json"
    token = _token(pki, "1.2.3.4.5", "1.2.3.4.5", signature.encode(), monkeypatch)
    bad.write_bytes(_with_sig_tst(sealed, token))
    good = tmp_path / "b-good.json"
    good.write_text(sealed, encoding="utf-8")
    result = CliRunner().invoke(make_verify_command(), ["--json", str(bad), str(good)])
    assert result.exit_code == 1, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    reports = {Path(r["file"]).name: r["checks"] for r in json.loads(result.stdout)}
    assert reports["a-unknown-imprint.json"]["TIMESTAMP"]["status"] == "ERROR"
    assert reports["b-good.json"]["SEAL"]["status"] == "OK"


# --- deeply nested JSON ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [b"[" * 10_000, b'{"payload": "{}", "signatures": ' + b"[" * 10_000],
    ids=["document", "signatures"],
)
def test_deeply_nested_document_is_unreadable_input(data: bytes) -> None:
    with pytest.raises(SealFormatError, match="nested too deeply"):
        jades.parse(data)
    result = verify_document(data)
    assert result.checks["SEAL"].status == "ERROR"
    assert result.checks["SEAL"].reason == "document is nested too deeply to read"


def test_deeply_nested_payload_and_etsiu_do_not_crash(pki: devpki.DevPki) -> None:
    nested = "[" * 10_000 + "]" * 10_000
    sealed = _sealer(pki).seal_serialised(nested.encode()).decode()
    doc = json.loads(sealed)
    doc["signatures"][0]["header"] = {"etsiU": [jades.b64url(nested.encode())]}
    result = verify_document(json.dumps(doc).encode(), VerifyOptions(format_check=lambda c: ("OK", "")))
    assert result.checks["SEAL"].status == "OK", result.checks["SEAL"].reason
    assert result.checks["FORMAT"].reason == "payload is not a JSON object"


# --- a UTF-8 BOM before the file -------------------------------------------------------------


def test_leading_bom_is_skipped_but_the_payload_is_kept(pki: devpki.DevPki, tmp_path: Path) -> None:
    plain = _sealer(pki).seal(PAYLOAD).encode()
    result = verify_document(b"\xef\xbb\xbf" + plain, VerifyOptions(at=NOW))
    assert result.checks["SEAL"].status == "OK", result.checks["SEAL"].reason
    assert result.payload == PAYLOAD
    # npm jose refuses a BOM before JSON; without it, it accepts the same seal and payload.
    path = tmp_path / "plain.json"
    path.write_bytes(plain)
    assert [r["ok"] for r in _run_peer([path])] == [True]


def test_bom_inside_the_payload_stays_signed_content(pki: devpki.DevPki) -> None:
    payload = "\ufeff" + PAYLOAD  # a BOM inside the signed payload is content, not encoding
    sealed = _sealer(pki).seal_serialised(payload.encode())
    result = verify_document(b"\xef\xbb\xbf" + sealed, VerifyOptions(at=NOW))
    assert result.checks["SEAL"].status == "OK", result.checks["SEAL"].reason
    assert result.payload == payload
    doc = json.loads(sealed)
    doc["payload"] = PAYLOAD  # the payload's own BOM dropped: no longer what was signed
    stripped = json.dumps(doc, ensure_ascii=False).encode()
    assert verify_document(b"\xef\xbb\xbf" + stripped).checks["SEAL"].status == "ERROR"


# --- crit and header placement, decided as npm jose decides ----------------------------------


def _hand_sealed(
    pki: devpki.DevPki, change: dict[str, Any], unprotected: dict[str, Any] | None = None
) -> bytes:
    header = jades.protected_header(pki.seal.certificate, (pki.root.certificate,), "RS256", NOW)
    header.update(change)
    protected = jades.b64url(jades.encode_json(header).encode())
    signature = jades.sign(pki.seal.key, "RS256", jades.signing_input(protected, PAYLOAD))
    entry: dict[str, Any] = {"protected": protected, **({"header": unprotected} if unprotected else {})}
    entry["signature"] = jades.b64url(signature)
    return json.dumps({"payload": PAYLOAD, "signatures": [entry]}).encode()


CRIT_CASES = {
    "baseline": ({}, None, None),
    "unknown-critical": ({"zzz": 1, "crit": ["b64", "sigT", "zzz"]}, None,
                         "critical header zzz is not supported "
                         "(supported: b64, sigT, adoTst, x5t#o, sigX5ts)"),
    "critical-absent": ({"crit": ["b64", "sigT", "zzz"]}, None,
                        "crit lists zzz, which the protected header does not contain"),
    "registered-alg": ({"crit": ["b64", "sigT", "alg"]}, None,
                       "crit must not list the registered header alg (RFC 7515 4.1.11)"),
    "sigD": ({"sigD": {"mId": "http://uri.etsi.org/19182/ObjectIdByURI", "pars": ["https://x"]},
              "crit": ["b64", "sigT", "sigD"]}, None,
             "sigD (detached signed data objects) is not supported: the seal may not cover the payload"),
    "in-both-headers": ({}, {"alg": "RS256"},
                        "header alg is in both the protected and the unprotected header (RFC 7515 7.2.1)"),
}


@pytest.mark.parametrize("case", list(CRIT_CASES))
def test_header_rules_match_jose(pki: devpki.DevPki, tmp_path: Path, case: str) -> None:
    change, unprotected, reason = CRIT_CASES[case]
    data = _hand_sealed(pki, change, unprotected)
    seal = verify_document(data, VerifyOptions(at=NOW)).checks["SEAL"]
    path = tmp_path / f"{case}.json"
    path.write_bytes(data)
    (peer,) = _run_peer([path])
    assert (seal.status == "OK") == peer["ok"], (seal, peer)
    assert seal.status == ("OK" if reason is None else "ERROR")
    if reason is not None:
        assert seal.reason == reason


def test_duplicate_crit_names_are_refused(pki: devpki.DevPki) -> None:
    """RFC 7515 4.1.11 forbids producers to repeat a crit name and lets recipients refuse it;
    npm jose is lenient here, edcbridge is not."""
    data = _hand_sealed(pki, {"crit": ["b64", "sigT", "sigT"]})
    seal = verify_document(data, VerifyOptions(at=NOW)).checks["SEAL"]
    assert seal.status == "ERROR"
    assert seal.reason == "crit lists sigT more than once (RFC 7515 4.1.11)"


def _content_token(pki: devpki.DevPki, data: bytes) -> str:
    digest = hashlib.sha256(data).digest()
    # the authority's clock is the test's: a slow run must not put the token after NOW
    response = tsa_server.TimestampAuthority(pki.tsa_signer(), clock=lambda: NOW).respond(
        tst.build_request(digest, 9))
    return base64.b64encode(tst.token_from_response(response, digest, 9, "test TSA")).decode()


def test_critical_content_timestamp_is_checked_without_signature_timestamp(
    pki: devpki.DevPki, tmp_path: Path
) -> None:
    """adoTst is accepted in crit because TIMESTAMP checks it, also at level B-B."""
    crit = ["b64", "sigT", "adoTst"]
    for name, data, status in [("covers", PAYLOAD.encode(), "OK"), ("other", b"other data", "ERROR")]:
        ado_tst = {"tstTokens": [{"val": _content_token(pki, data)}]}
        sealed = _hand_sealed(pki, {"adoTst": ado_tst, "crit": crit})
        result = verify_document(sealed, VerifyOptions(at=NOW + timedelta(minutes=1)))
        assert result.checks["SEAL"].status == "OK", result.checks["SEAL"].reason
        assert result.checks["TIMESTAMP"].status == status, (name, result.checks["TIMESTAMP"].reason)
        path = tmp_path / f"{name}.json"
        path.write_bytes(sealed)
        assert _run_peer([path])[0]["ok"]
    reason = result.checks["TIMESTAMP"].reason
    assert reason == "content timestamp: its imprint does not match the timestamped data"
