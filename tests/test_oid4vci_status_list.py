"""Revoking SD-JWT VCs by IETF Token Status List, over real HTTP: the credential names its entry,
the issuer serves the list as a JWT that npm jose verifies with the seal's certificate, the bits
are read as the draft lays them out (decoded here, not by our code), and `edcbridge revoke`
turns the learner's bit on without touching another's."""

from __future__ import annotations

import base64
import json
import subprocess
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from edcbridge.oid4vci import status_list
from edcbridge.oid4vci.offers import OfferStore
from edcbridge.oid4vci.service import IssuerService
from edcbridge.schemas import SchemaStore
from tests.conftest import need_tool
from tests.wallet.issuer_support import (
    Exported,
    edcbridge_cli,
    export_awards,
    issued_payload,
    running_issuer,
)

PEERS = Path(__file__).resolve().parent / "peers"

# The draft's own example (draft-ietf-oauth-status-list, "Status List" with bits 1): sixteen
# statuses, and the ``lst`` it gives for them.
DRAFT_STATUSES = [1, 0, 0, 1, 1, 1, 0, 1, 1, 1, 0, 0, 0, 1, 0, 1]
DRAFT_LST = "eNrbuRgAAhcBXQ"

# Verifies a compact JWT with the certificate in its x5c (npm jose); prints header and claims.
VERIFY = r"""
import { decodeProtectedHeader, importX509, jwtVerify } from 'jose'
const chunks = []
for await (const chunk of process.stdin) chunks.push(chunk)
const token = Buffer.concat(chunks).toString('utf8').trim()
const header = decodeProtectedHeader(token)
const pem = `-----BEGIN CERTIFICATE-----\n${header.x5c[0]}\n-----END CERTIFICATE-----`
const { payload, protectedHeader } = await jwtVerify(token, await importX509(pem, header.alg),
                                                     { typ: 'statuslist+jwt' })
console.log(JSON.stringify({ header: protectedHeader, payload }))
"""


def _b64decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _status_of(lst: str, index: int) -> int:
    """The bit of ``index`` as the draft lays it out: byte index // 8, least significant bit first."""
    data = zlib.decompress(_b64decode(lst))
    return data[index // 8] >> (index % 8) & 1


def _verified_by_jose(token: str) -> dict[str, Any]:
    node = need_tool("node")
    if not (PEERS / "node_modules" / "jose").is_dir():
        pytest.fail(f"npm jose is missing: run `make peers` (npm ci in {PEERS})")
    result = subprocess.run([node, "--input-type=module", "-e", VERIFY], input=token, cwd=PEERS,
                            capture_output=True, text=True, check=False, timeout=60)
    assert result.returncode == 0, result.stderr
    answer: dict[str, Any] = json.loads(result.stdout)
    return answer


@pytest.fixture(scope="module")
def exported(store: SchemaStore, tmp_path_factory: pytest.TempPathFactory) -> Exported:
    return export_awards(tmp_path_factory.mktemp("oid4vci-status"), 2, store.root)


@pytest.fixture(scope="module")
def issuer(exported: Exported) -> Iterator[IssuerService]:
    with running_issuer(exported) as service:
        yield service


def _list(uri: str) -> dict[str, Any]:
    response = requests.get(uri, timeout=10)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/statuslist+jwt")
    return _verified_by_jose(response.text)


def test_packing_gives_the_drafts_example() -> None:
    invalid = [index for index, status in enumerate(DRAFT_STATUSES) if status]
    packed = status_list.pack(invalid, size=len(DRAFT_STATUSES))
    assert packed == zlib.decompress(_b64decode(DRAFT_LST)) == bytes([0xB9, 0xA3])
    assert zlib.decompress(_b64decode(status_list.encode(packed))) == packed


def test_a_credential_names_its_entry_and_revoking_it_turns_only_its_bit(
    issuer: IssuerService, exported: Exported
) -> None:
    mine, other = issued_payload(issuer, exported.keys[0]), issued_payload(issuer, exported.keys[1])
    entry, others = mine["status"]["status_list"], other["status"]["status_list"]
    assert entry["uri"] == others["uri"] == f"{issuer.issuer}/status/1"
    assert entry["idx"] != others["idx"]
    listed = _list(entry["uri"])
    assert listed["header"]["typ"] == "statuslist+jwt" and listed["header"]["alg"] == issuer.signer.algorithm
    assert listed["payload"]["sub"] == entry["uri"]
    assert listed["payload"]["iss"] == mine["iss"]  # required by earlier drafts, which verifiers still follow
    assert listed["payload"]["status_list"]["bits"] == 1 and listed["payload"]["ttl"] > 0
    lst = listed["payload"]["status_list"]["lst"]
    assert len(zlib.decompress(_b64decode(lst))) * 8 == status_list.LIST_SIZE
    assert _status_of(lst, entry["idx"]) == 0 and _status_of(lst, others["idx"]) == 0

    revoked = subprocess.run(edcbridge_cli("revoke", exported.keys[0], "-o", str(exported.out_dir)),
                             capture_output=True, text=True, timeout=60)
    assert revoked.returncode == 0, revoked.stderr
    assert exported.keys[0] in revoked.stdout and "revoked" in revoked.stdout

    lst = _list(entry["uri"])["payload"]["status_list"]["lst"]
    assert _status_of(lst, entry["idx"]) == 1
    assert _status_of(lst, others["idx"]) == 0
    assert sum(bin(byte).count("1") for byte in zlib.decompress(_b64decode(lst))) == 1


def test_revoking_what_was_never_issued_says_so(store: SchemaStore, tmp_path: Path) -> None:
    fresh = export_awards(tmp_path, 1, store.root)
    OfferStore.for_folder(fresh.out_dir).close()  # the issuer has run, but issued nothing
    unknown = subprocess.run(edcbridge_cli("revoke", "NO-SUCH-AWARD", "-o", str(fresh.out_dir)),
                             capture_output=True, text=True, timeout=60)
    assert unknown.returncode == 1 and "error:" in unknown.stderr, unknown.stderr
    never = subprocess.run(edcbridge_cli("revoke", fresh.keys[0], "-o", str(fresh.out_dir)),
                           capture_output=True, text=True, timeout=60)
    assert never.returncode == 1 and "no SD-JWT VC was issued" in never.stderr, never.stderr
    empty = subprocess.run(edcbridge_cli("revoke", "X", "-o", str(tmp_path)),
                           capture_output=True, text=True, timeout=60)
    assert empty.returncode == 2 and "offers file" in empty.stderr, empty.stderr


def test_an_unknown_list_is_not_found(issuer: IssuerService) -> None:
    for number in ("999", "0", "x", "1" * 40):
        response = requests.get(f"{issuer.issuer}/status/{number}", timeout=10)
        assert response.status_code == 404, (number, response.text)


def test_entries_are_drawn_at_random_and_a_list_half_used_makes_way(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    offers = OfferStore(tmp_path / "offers.sqlite")
    try:
        drawn = [offers.reserve_status("a/1", "offer") for _ in range(300)]
        assert len(set(drawn)) == 300 and {number for number, _ in drawn} == {1}
        indices = sorted(index for _, index in drawn)
        assert indices != list(range(indices[0], indices[0] + 300))  # not in issuing order
        assert indices[-1] - indices[0] > status_list.LIST_SIZE // 2  # spread over the list
        monkeypatch.setattr(status_list, "OPEN_UNTIL", 310)
        later = [offers.reserve_status("a/2", "offer") for _ in range(20)]
        assert [number for number, _ in later] == [1] * 10 + [2] * 10
    finally:
        offers.close()
