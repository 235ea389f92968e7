"""The official and production sealed EDCs in ../shared/reference verify, and tampering is caught."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography import x509

from edcbridge.seal.verify import verify_document

REFERENCE = Path(__file__).resolve().parents[1].parent / "shared" / "reference"
SAMPLES = sorted(
    [
        *REFERENCE.glob("examples/elm-repo-v3-jsonld/*-signed.jsonld"),
        *REFERENCE.glob("mynextid-edc/*/v1/edc/examples/*-signed.jsonld"),
    ]
)

pytestmark = pytest.mark.skipif(not REFERENCE.is_dir(), reason=f"reference samples not found at {REFERENCE}")


def _ids(paths: list[Path]) -> list[str]:
    return [p.name for p in paths]


def _seal_certificate(data: bytes) -> x509.Certificate:
    signature = json.loads(data)["signatures"][0]
    protected = signature["protected"]
    header = json.loads(base64.urlsafe_b64decode(protected + "=" * (-len(protected) % 4)))
    return x509.load_der_x509_certificate(base64.b64decode(header["x5c"][0]))


def test_all_nine_samples_are_present(reference: Path) -> None:
    """Skips (or fails in CI) through the shared `reference` fixture when the folder is absent."""
    assert reference == REFERENCE
    assert len(SAMPLES) == 9, [p.name for p in SAMPLES]


@pytest.mark.parametrize("path", SAMPLES, ids=_ids(SAMPLES))
def test_sample_seal_verifies(path: Path) -> None:
    result = verify_document(path.read_bytes())
    assert result.checks["SEAL"].status == "OK", result.checks["SEAL"].reason
    timestamp = result.checks["TIMESTAMP"]
    assert timestamp.status == "OK", timestamp.reason
    # Every sample is B-LTA: its archive timestamp is recomputed and checked too.
    assert "archive timestamp" in timestamp.reason
    assert result.payload == json.loads(path.read_bytes())["payload"]


@pytest.mark.parametrize("path", SAMPLES, ids=_ids(SAMPLES))
def test_sample_expiry_reports_certificate_state(path: Path) -> None:
    data = path.read_bytes()
    not_after = _seal_certificate(data).not_valid_after_utc
    result = verify_document(data)
    expiry = result.checks["EXPIRY"]
    assert result.checks["SEAL"].status == "OK"
    if not_after < datetime.now(UTC):
        # Expired after a timestamp-proven signing time: EXPIRY says so, the seal stays valid.
        assert f"expired on {not_after:%Y-%m-%d}" in expiry.reason
    else:
        assert "valid at signing time" in expiry.reason
    assert expiry.status == "OK", expiry.reason


def test_expired_edci_sample_fails_expiry_without_timestamp() -> None:
    """The same EC sample with its timestamps removed: expiry is no longer proven."""
    path = REFERENCE / "examples/elm-repo-v3-jsonld/Sample-MC-Annex1-signed.jsonld"
    doc = json.loads(path.read_bytes())
    del doc["signatures"][0]["header"]
    result = verify_document(json.dumps(doc).encode())
    assert result.checks["SEAL"].status == "OK"
    assert result.checks["EXPIRY"].status == "ERROR"
    assert "expired on 2025-05-10" in result.checks["EXPIRY"].reason


@pytest.mark.parametrize("path", SAMPLES, ids=_ids(SAMPLES))
def test_sample_revocation_data_checked(path: Path) -> None:
    result = verify_document(path.read_bytes())
    assert result.checks["REVOCATION"].status == "OK", result.checks["REVOCATION"].reason


def _flip(data: bytes, start: int) -> bytes:
    """Change the first ASCII letter at or after *start* to another letter."""
    for i in range(start, len(data)):
        if chr(data[i]).isalpha() and data[i] < 0x80:
            replacement = b"x" if data[i] != ord("x") else b"y"
            return data[:i] + replacement + data[i + 1 :]
    raise AssertionError("no letter to flip")


def _region(data: bytes, member: str) -> int:
    """Offset of the middle of the JSON string value of *member* (first occurrence)."""
    key = f'"{member}":"'.encode()
    start = data.index(key) + len(key)
    end = start
    while data[end : end + 1] != b'"' or data[end - 1 : end] == b"\\":
        end += 1
    return (start + end) // 2


@pytest.mark.parametrize("member", ["payload", "protected", "signature"])
@pytest.mark.parametrize("path", SAMPLES, ids=_ids(SAMPLES))
def test_one_byte_tamper_fails_seal(path: Path, member: str) -> None:
    data = path.read_bytes()
    tampered = _flip(data, _region(data, member))
    assert tampered != data and len(tampered) == len(data)
    result = verify_document(tampered)
    assert result.checks["SEAL"].status == "ERROR", result.checks["SEAL"].reason
    assert result.payload is None
    assert not result.ok
