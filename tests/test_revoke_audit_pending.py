"""A revocation the trail could not take is written there by the next `revoke` or `offer` on the
folder, a plain `offer` (no --reissue) included, as `revoke` says."""
from __future__ import annotations

import sqlite3
import subprocess
from pathlib import Path

import pytest

from edcbridge.oid4vci.offers import OfferStore
from edcbridge.pipeline.journal import FORMAT, JOURNAL_NAME
from edcbridge.schemas import SchemaStore
from tests.wallet.issuer_support import Exported, edcbridge_cli, export_awards


@pytest.fixture
def folder(store: SchemaStore, tmp_path: Path) -> Exported:
    return export_awards(tmp_path, 2, store.root)


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(edcbridge_cli(*args), capture_output=True, text=True, timeout=120)


def _set_format(out: Path, version: int) -> None:
    db = sqlite3.connect(out / JOURNAL_NAME, isolation_level=None)
    db.execute(f"PRAGMA user_version = {version}")
    db.close()


def test_a_plain_offer_writes_a_pending_revocation_to_the_trail(folder: Exported) -> None:
    out, key, other = folder.out_dir, folder.keys[0], folder.keys[1]
    offers = OfferStore.for_folder(out)
    offers.create(key, ("elm",), valid_for=600)
    offers.close()
    _set_format(out, FORMAT + 1)
    revoked = _run("revoke", key, "-o", str(out))
    assert revoked.returncode == 1 and "the next 'edcbridge revoke' or 'edcbridge offer'" in revoked.stderr
    _set_format(out, FORMAT)
    offered = _run("offer", other, "-o", str(out), "--no-qr-terminal")  # the "next offer"
    assert offered.returncode == 0, offered.stderr
    offers = OfferStore.for_folder(out)
    try:
        assert offers.unrecorded() == [], "the pending revocation is still only in the offers file"
    finally:
        offers.close()
