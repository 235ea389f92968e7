"""An issuer's did:ebsi in the catalogue: EBSI's resolvers take only a legal entity's identifier,
"z" and the base58btc of a version byte 1 and 16 bytes, so any other is refused at its line
rather than written as the issuer of credentials that no EBSI verifier can resolve."""

from __future__ import annotations

from pathlib import Path

import pytest

from edcbridge.load import load_catalogue
from tests.test_ebsi_profile import _catalogue_with_did


@pytest.mark.parametrize("did", [
    "did:ebsi:vHWX359A3CvfJnCYaAiAde",    # the multibase prefix z left out
    "did:ebsi:zvHWX359A3CvfJnCYaAiAd",    # a character short: 16 bytes
    "did:ebsi:z8C37hSMq2at1jX8CoKR2e",    # version 1 and 15 bytes
    "did:ebsi:z26MD1XELX5HyA5R3YKUARaX",  # version 2: the withdrawn natural-person method
    "did:ebsi:zvHWX359A3CvfJnCYaAiA0e",   # 0 is no base58 digit
    "did:ebsi:0x2cbd9f2c6b3a4e1e6bd1e02ff4c1a4ee0bba3dc9",
], ids=["no-z", "short", "15-bytes", "version-2", "not-base58", "hex-address"])
def test_a_did_ebsi_no_ebsi_resolver_takes_is_refused(tmp_path: Path, did: str) -> None:
    with pytest.raises(Exception, match="not a did:ebsi of a legal entity") as raised:
        load_catalogue(_catalogue_with_did(tmp_path, did))
    assert did in str(raised.value)


@pytest.mark.parametrize("did", ["did:ebsi:zvHWX359A3CvfJnCYaAiAde", "did:ebsi:ziDnioxYYLW1a3qUbqTFz4W",
                                 "did:ebsi:zYjiLZUvvyzYAEfxo5SH4Eb", "did:web:registry.example.ac.uk"])
def test_a_legal_entitys_did_ebsi_or_another_did_is_taken(tmp_path: Path, did: str) -> None:
    load_catalogue(_catalogue_with_did(tmp_path, did))
