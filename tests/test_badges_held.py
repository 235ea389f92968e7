"""Which badges a learner's CLR holds, read once while the file stays the same: withdraw and
erase ask it of every CLR for each award, and must see a CLR made again as it now is."""

from __future__ import annotations

import json
from pathlib import Path

from edcbridge.badges.export import held_badges
from edcbridge.output import write_atomic


def _clr(*badges: str) -> bytes:
    return json.dumps({"credentialSubject": {"verifiableCredential": [{"id": b} for b in badges]}}).encode()


def test_a_clr_made_again_is_read_as_it_now_is(tmp_path: Path) -> None:
    path = tmp_path / "clr" / "learner.json"
    write_atomic(path, _clr("urn:uuid:a", "urn:uuid:b"))
    assert held_badges(path) == {"urn:uuid:a", "urn:uuid:b"}
    write_atomic(path, _clr("urn:uuid:c", "urn:uuid:d"))  # the same size, another file
    assert held_badges(path) == {"urn:uuid:c", "urn:uuid:d"}


def test_a_clr_rewritten_in_place_is_read_again(tmp_path: Path) -> None:
    path = tmp_path / "learner.json"
    path.write_bytes(_clr("urn:uuid:a"))
    assert held_badges(path) == {"urn:uuid:a"}
    inode = path.stat().st_ino
    with path.open("r+b") as handle:  # the same inode: its size and modification time tell
        handle.write(_clr("urn:uuid:a", "urn:uuid:e"))
    assert path.stat().st_ino == inode
    assert held_badges(path) == {"urn:uuid:a", "urn:uuid:e"}


def test_a_clr_moved_elsewhere_or_gone_is_looked_at_where_it_is(tmp_path: Path) -> None:
    path = tmp_path / "learner.json"
    path.write_bytes(_clr("urn:uuid:a"))
    assert held_badges(path) == {"urn:uuid:a"}
    moved = tmp_path / "withdrawn.json"
    path.replace(moved)
    assert held_badges(path) == set() and held_badges(moved) == {"urn:uuid:a"}
    held = held_badges(moved)
    held.add("urn:uuid:z")  # the caller's own set: what is remembered stays as read
    assert held_badges(moved) == {"urn:uuid:a"}
