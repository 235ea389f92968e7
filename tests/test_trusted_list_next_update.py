"""A trusted list whose NextUpdate has passed is used, as its signature holds, with a note that
its statuses may be out of date: a list kept or replayed from before a CA's withdrawal still
names it granted."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from edcbridge.seal import devpki
from edcbridge.trust.lotl import Signers, load
from tests.conftest import need_tool
from tests.trusted_list_files import GRANTED, Service, new_signer, sign, trusted_list

NOW = datetime.now(UTC).replace(microsecond=0)


@pytest.mark.parametrize("days", [-3, 30])
def test_a_list_past_its_next_update_is_noted(tmp_path: Path, days: int) -> None:
    need_tool("xmlsec1")
    signer = new_signer("EDCBRIDGE TEST TL signer")
    service = Service("EDCBRIDGE TEST CA", devpki.generate().root.certificate,
                      [(GRANTED, NOW - timedelta(days=400))])
    due = NOW + timedelta(days=days)
    listed = tmp_path / "tl.xml"
    listed.write_bytes(sign(trusted_list("BE", [service], next_update=due), signer, tmp_path))
    loaded = load([str(listed)], Signers(tl=(signer.certificate,)))
    assert [s.name for s in loaded.services] == ["EDCBRIDGE TEST CA"]
    stale = [note for note in loaded.notes if "next update" in note]
    if days < 0:
        assert len(stale) == 1 and due.strftime("%Y-%m-%dT%H:%M:%SZ") in stale[0], loaded.notes
    else:
        assert not stale, loaded.notes
