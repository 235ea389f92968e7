"""verify --trusted-list reads lists the size of the largest national ones (thousands of
services, each with its status history), while a hostile list is still refused: a DTD, a file
above the size limit, more tags than a list holds, or namespaces heaped on the elements."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from edcbridge.seal import devpki
from edcbridge.seal.keys import SealKey
from edcbridge.seal.sealer import Sealer
from edcbridge.trust.trusted_list import MAX_TL_BYTES, TL_LIMITS, TrustedListError, read_trusted_list
from tests.conftest import need_tool, seal_commands
from tests.trusted_list_files import large_trusted_list, new_signer, sign

NOW = datetime.now(UTC).replace(microsecond=0)
PROVIDERS, SERVICES, HISTORY = 300, 10, 4


@pytest.fixture(scope="module")
def pki() -> devpki.DevPki:
    return devpki.generate(now=NOW - timedelta(days=30))


@pytest.fixture(scope="module")
def large(pki: devpki.DevPki) -> bytes:
    return large_trusted_list(pki.root.certificate, PROVIDERS, SERVICES, HISTORY)


def test_a_list_the_size_of_a_large_national_one_is_read(large: bytes) -> None:
    tl = read_trusted_list(large, "large.xml")
    assert len(tl.services) == PROVIDERS * SERVICES
    assert {len(service.history) for service in tl.services} == {HISTORY + 1}
    assert tl.services[-1].name == f"EDCBRIDGE TEST CA {PROVIDERS * SERVICES - 1}"


def test_a_seal_is_confirmed_through_a_large_signed_list(pki: devpki.DevPki, large: bytes,
                                                         tmp_path: Path) -> None:
    need_tool("xmlsec1")
    signer = new_signer("EDCBRIDGE TEST large TL signer")
    listed = tmp_path / "large.xml"
    listed.write_bytes(sign(large, signer, tmp_path))
    _, pinned = signer.write(tmp_path, "pinned")
    sealed = tmp_path / "sealed.jsonld"
    key = SealKey(pki.seal.key, pki.seal.certificate, (pki.root.certificate,))
    sealed.write_text(Sealer(key, fetch_revocation=False, clock=lambda: NOW).seal('{"id": "urn:x:large"}'),
                      encoding="utf-8")
    result = CliRunner().invoke(seal_commands(), ["verify", "--json", str(sealed), "--trusted-list",
                                                  str(listed), "--tl-signer", str(pinned)])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)[0]
    assert report["verdict"] == "VALID" and report["checks"]["TRUSTLIST"]["status"] == "OK"


def test_a_large_list_with_a_doctype_is_refused(large: bytes) -> None:
    head, body = large.split(b"?>", 1)
    hostile = head + b'?><!DOCTYPE tsl [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]>' + body
    with pytest.raises(TrustedListError, match="DOCTYPE"):
        read_trusted_list(hostile, "hostile.xml")


def test_a_list_above_the_size_limit_is_refused(large: bytes) -> None:
    padded = large + b"<!--" + b" " * (MAX_TL_BYTES - len(large)) + b"-->"
    with pytest.raises(TrustedListError, match="byte limit"):
        read_trusted_list(padded, "padded.xml")


def test_a_list_with_more_tags_than_any_list_is_refused(large: bytes) -> None:
    close = b"</tsl:TrustServiceStatusList>"
    heaped = large.replace(close, b"<x/>" * TL_LIMITS.markup + close)
    with pytest.raises(TrustedListError, match="tags are above the limit"):
        read_trusted_list(heaped, "heaped.xml")


def test_namespaces_heaped_on_the_root_are_refused(large: bytes) -> None:
    declarations = " ".join(f'xmlns:n{i}="urn:n{i}"' for i in range(TL_LIMITS.namespaces_in_scope or 0))
    heaped = large.replace(b"<tsl:TrustServiceStatusList ", f"<tsl:TrustServiceStatusList {declarations} "
                           .encode(), 1)
    with pytest.raises(TrustedListError, match="namespace declarations"):
        read_trusted_list(heaped, "namespaces.xml")
