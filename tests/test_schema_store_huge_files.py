"""A file far larger than any pinned one, in a ``--from`` folder or in the store, is judged
without being read whole: it could be larger than the machine's memory."""

from __future__ import annotations

from pathlib import Path

from edcbridge.schemas import manifest
from tests.memory_limited import printed_within

HUGE = 2 * 1024 * 1024 * 1024  # sparse: no disk space taken


def _huge(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as handle:
        handle.truncate(HUGE)


def test_a_huge_file_in_the_from_folder_is_refused_unread(tmp_path: Path) -> None:
    entry = manifest()[0]
    _huge(tmp_path / "copy" / entry.path)
    printed = printed_within(512, f"""
        from pathlib import Path
        from edcbridge.schemas import SchemaStore, manifest
        store = SchemaStore(Path({str(tmp_path / "store")!r}))
        result = store.install_from(Path({str(tmp_path / "copy")!r}))
        print(dict(result.failed)[{entry.path!r}])
    """)
    assert "is larger than any pinned file" in printed
    assert "so it was not installed; replace it with the official file" in printed
    assert not (tmp_path / "store" / entry.path).exists()


def test_a_huge_file_in_the_store_is_modified_unread(tmp_path: Path) -> None:
    entry = manifest()[0]
    _huge(tmp_path / "store" / entry.path)
    printed = printed_within(512, f"""
        from pathlib import Path
        from edcbridge.schemas import SchemaStore, SchemaStoreError
        store = SchemaStore(Path({str(tmp_path / "store")!r}))
        print(dict(store.check())[{entry.path!r}])
        try:
            store.path({entry.path!r})
        except SchemaStoreError as exc:
            print(exc)
    """)
    assert printed.startswith("modified\n")
    assert "does not match its pinned sha256 (modified or damaged)" in printed

