"""Load, loopback only and bounded: 200 wallets at once, each fetching its own credential from
`edcbridge serve` (uvicorn subprocess on 127.0.0.1). Every wallet must get exactly its own
credential, bound to its own key. The latencies of the whole flow (token, nonce, credential)
are written to test-artifacts/oid4vci-load.json and as junit suite properties; the p95 must stay
under a generous bound."""

from __future__ import annotations

import json
import statistics
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from edcbridge.oid4vci.offers import OfferStore
from edcbridge.oid4vci.sdjwt import decode_part
from edcbridge.schemas import SchemaStore
from tests.wallet.issuer_support import Exported, Holder, export_awards, serve_process

ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"
WALLETS = 200
P95_BOUND_SECONDS = 30.0  # 2 cores shared by server and wallets; typical is well under this


@pytest.fixture(scope="module")
def exported(store: SchemaStore, tmp_path_factory: pytest.TempPathFactory) -> Exported:
    return export_awards(tmp_path_factory.mktemp("oid4vci-load"), WALLETS, store.root)


def _claims(credential: str) -> tuple[dict[str, Any], list[str]]:
    """The signed payload and the learner names among the disclosures."""
    jwt, *disclosures, _ = credential.split("~")
    payload = decode_part(jwt.split(".")[1])
    values = [decode_part(disclosure)[2] for disclosure in disclosures]
    return payload, [v for v in values if isinstance(v, str) and v.startswith("Learner")]


def test_200_concurrent_wallets_each_get_their_own_credential(
    exported: Exported, tmp_path_factory: pytest.TempPathFactory, record_testsuite_property: Any
) -> None:
    store = OfferStore.for_folder(exported.out_dir)
    with serve_process(
        exported, tmp_path_factory.mktemp("load") / "serve.log", "--log-level", "warning"
    ) as url:
        offers = [store.create(key, ("elm",), valid_for=600, tx_code_length=6) for key in exported.keys]
        store.close()
        start = threading.Barrier(WALLETS, timeout=60)

        def wallet(index: int) -> tuple[int, float, str, dict[str, Any]]:
            holder = Holder(url)
            start.wait()
            began = time.monotonic()
            _, answer = holder.fetch(offers[index].pre_authorized_code, offers[index].tx_code)
            elapsed = time.monotonic() - began
            return (
                index,
                elapsed,
                answer["credentials"][0]["credential"],
                json.loads(holder.key.export_public()),
            )

        deadline = time.monotonic() + 300
        with ThreadPoolExecutor(max_workers=WALLETS) as pool:
            results = list(pool.map(wallet, range(WALLETS), timeout=300))
        assert time.monotonic() < deadline

    assert len(results) == WALLETS
    seen = set()
    for index, _, credential, holder_jwk in results:
        payload, names = _claims(credential)
        key = exported.keys[index]
        assert payload["elm"]["id"] == exported.edc(key)["id"], key
        assert payload["cnf"]["jwk"] == holder_jwk, key
        assert {name.split()[0] for name in names} == {f"Learner{index:04d}"}, key  # given and full name
        seen.add(payload["elm"]["id"])
    assert len(seen) == WALLETS

    latencies = sorted(elapsed for _, elapsed, _, _ in results)
    p95 = statistics.quantiles(latencies, n=20)[-1]
    summary = {
        "wallets": WALLETS,
        "p95_seconds": round(p95, 3),
        "median_seconds": round(statistics.median(latencies), 3),
        "max_seconds": round(latencies[-1], 3),
    }
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "oid4vci-load.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    for name, value in summary.items():
        record_testsuite_property(f"oid4vci_load_{name}", value)
    assert p95 < P95_BOUND_SECONDS
