"""How a command names an event of the offers file it writes into the audit trail: an
offers-closed event by the command that closed the offers (serve, or withdraw or erase run
again), whichever command records it later."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from edcbridge.oid4vci.cli import _TrailNotes
from edcbridge.oid4vci.offers import OfferStore, TrailEvent


@pytest.mark.parametrize(("by", "named"), [
    ("registrar@host (edcbridge serve)", "closing of its offers by serve"),
    ("registrar@host (edcbridge withdraw)", "closing of its offers by withdraw"),
    ("registrar@host (edcbridge erase)", "closing of its offers by erase"),
    ("registrar@host", "closing of its offers"),
])
def test_an_offers_closed_event_is_named_by_the_command_that_closed_them(
        tmp_path: Path, by: str, named: str) -> None:
    store = OfferStore.for_folder(tmp_path)
    try:
        notes = _TrailNotes(tmp_path, store, tmp_path / "journal", (), "error", False)
        event = TrailEvent(7, "offers-closed", "imperial/W-1", json.dumps(
            {"by": by, "at": "2026-12-07T01:00:00Z", "award": "withdrawn", "offers_closed": []}))
        assert notes.named(event) == f"imperial/W-1: the earlier {named} (of 2026-12-07T01:00:00Z)"
    finally:
        store.close()
