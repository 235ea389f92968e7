"""An export folder is found by its name whatever characters it holds: a journal path is not a
URI, and "#", "?" or "%" in it must not cut or change it."""

from __future__ import annotations

from pathlib import Path

import pytest

from edcbridge.oid4vci.source import AwardSource
from edcbridge.schemas import SchemaStore
from tests.wallet.issuer_support import export_awards


def test_awards_are_read_from_a_folder_named_with_uri_characters(
    store: SchemaStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    work = tmp_path / "round #2 ?100%41"
    work.mkdir()
    exported = export_awards(work, 1, store.root)
    monkeypatch.chdir(tmp_path)  # a cut path would land here, relative to the working folder
    before = set(tmp_path.iterdir())
    source = AwardSource(exported.out_dir)
    key = source.resolve(exported.keys[0].split("/", 1)[1])
    assert key == exported.keys[0]
    assert source.get(key).document("edc")["type"]
    assert set(tmp_path.iterdir()) == before  # no stray database file made from a cut name
