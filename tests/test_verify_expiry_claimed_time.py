"""A B-B seal (no timestamp) proves no signing time: sigT is the sealer's own claim. EXPIRY and
the verdict say the certificate was checked at the time the seal claims, not "when it was
sealed", in verify's text and --json and in the preview."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from edcbridge.preview.page import SealStatus
from edcbridge.seal import Sealer, SealKey, devpki
from edcbridge.seal.verify import VerifyOptions, verify_document
from tests.conftest import seal_commands

CREDENTIAL = json.dumps({"@context": ["https://www.w3.org/ns/credentials/v2"], "id": "urn:x:expiry",
                         "type": ["VerifiableCredential"]})
NOW = datetime.now(UTC)


main = seal_commands()  # verify without a format check


def _sealed(made: datetime) -> bytes:
    """A B-B seal made at *made* with a certificate valid two years from a day before."""
    pki = devpki.generate(now=made)
    sealer = Sealer(SealKey(pki.seal.key, pki.seal.certificate, (pki.root.certificate,)), clock=lambda: made)
    return sealer.seal(CREDENTIAL).encode()


@pytest.fixture(scope="module")
def expired() -> bytes:
    return _sealed(NOW - timedelta(days=800))


def test_verify_does_not_say_an_expired_b_b_seal_was_valid_when_sealed(expired: bytes,
                                                                      tmp_path: Path) -> None:
    path = tmp_path / "expired.jsonld"
    path.write_bytes(expired)
    result = CliRunner().invoke(main, ["verify", str(path)])
    first = result.stdout.splitlines()[0]
    assert ": CHECK: " in first, result.stdout
    assert "when it was sealed" not in first
    assert "claims" in first and "no timestamp" in first, first
    [as_json] = json.loads(CliRunner().invoke(main, ["verify", "--json", str(path)]).stdout)
    assert "when it was sealed" not in as_json["verdict_reason"] and "claims" in as_json["verdict_reason"]


def test_expiry_of_a_b_b_seal_names_the_time_as_claimed() -> None:
    result = verify_document(_sealed(NOW - timedelta(days=30)), VerifyOptions(at=NOW))
    expiry = result.checks["EXPIRY"]
    assert expiry.status == "OK"
    assert "the signing time the seal claims" in expiry.reason, expiry.reason


def test_the_preview_says_what_expiry_found_in_the_same_words(expired: bytes) -> None:
    result = verify_document(expired)
    status = SealStatus("JAdES", {name: (c.status, c.reason) for name, c in result.checks.items()})
    word, sentence = status.verdict
    assert word == "CHECK" and "claims" in sentence and "when it was sealed" not in sentence, sentence
