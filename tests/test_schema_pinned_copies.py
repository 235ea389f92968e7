"""Files whose official URL names no fixed version (purl.imsglobal.org) are fetched from their
pinned copy at a fixed commit when the official URL serves another version or does not
answer. The servers are on 127.0.0.1, over real HTTP."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from edcbridge.schemas import SchemaStore, manifest
from edcbridge.schemas.download import HttpFetcher
from edcbridge.schemas.store import ManifestEntry
from tests.test_schema_install_cases import _closed_port, serve_folder

UNVERSIONED = re.compile(r"^https://purl\.imsglobal\.org/")
AT_A_COMMIT = re.compile(r"^https://raw\.githubusercontent\.com/[\w.-]+/[\w.-]+/[0-9a-f]{40}/[\w./-]+$")


def test_every_file_without_a_fixed_official_url_has_a_copy_at_a_commit_of_the_same_name() -> None:
    unversioned = [e for e in manifest() if e.url and UNVERSIONED.match(e.url)]
    assert len(unversioned) == 18
    for entry in unversioned:
        assert entry.copy and AT_A_COMMIT.match(entry.copy), entry.path
    assert all(e.copy is None for e in manifest() if e not in unversioned)


@pytest.fixture
def served(reference: Path, tmp_path: Path) -> Iterator[tuple[str, str, list[ManifestEntry]]]:
    """An "official" server that now serves other versions of the OB 3.0 schemas, and a
    server of the pinned copies; the manifest's entries pointed at them."""
    newer, copies = tmp_path / "newer", tmp_path / "copies"
    entries = [e for e in manifest() if e.copy and "/schemas/ob-v3p0/" in e.path]
    for entry in entries:
        for folder in (newer, copies):
            (folder / entry.path).parent.mkdir(parents=True, exist_ok=True)
        data = (reference / entry.path).read_bytes()
        (copies / entry.path).write_bytes(data)
        (newer / entry.path).write_bytes(data.replace(b'"description"', b'"description" ', 1))
    with serve_folder(newer) as official, serve_folder(copies) as copy:
        yield official, copy, [dataclasses.replace(e, url=f"{official}/{e.path}", copy=f"{copy}/{e.path}")
                               for e in entries]


def test_another_version_at_the_official_url_is_replaced_by_the_pinned_copy(
        served: tuple[str, str, list[ManifestEntry]], tmp_path: Path) -> None:
    _, copy, entries = served
    fetcher = HttpFetcher()
    store = SchemaStore(tmp_path / "store")
    result = store.install(fetcher, entries=entries)
    assert not result.failed and len(result.installed) == len(entries) == 5
    assert fetcher.copies == {e.path: f"{copy}/{e.path}" for e in entries}
    assert all(state == "ok" for _, state in store.check("ob3") if _ in fetcher.copies)


def test_an_official_url_that_does_not_answer_is_replaced_by_the_pinned_copy(
        served: tuple[str, str, list[ManifestEntry]], tmp_path: Path) -> None:
    _, _, entries = served
    dead = [dataclasses.replace(e, url=f"http://127.0.0.1:{_closed_port()}/{e.path}") for e in entries[:2]]
    fetcher = HttpFetcher()
    result = SchemaStore(tmp_path / "store").install(fetcher, entries=dead)
    assert not result.failed and len(fetcher.copies) == 2


def test_a_copy_that_is_not_the_pinned_file_either_leaves_the_official_urls_refusal(
        served: tuple[str, str, list[ManifestEntry]], tmp_path: Path) -> None:
    official, _, entries = served
    both_newer = [dataclasses.replace(e, copy=e.url) for e in entries[:1]]
    fetcher = HttpFetcher()
    result = SchemaStore(tmp_path / "store").install(fetcher, entries=both_newer, origin=fetcher.origin)
    (path, message), = result.failed
    assert message.startswith(f"{official}/{path} is not the official file") and not fetcher.copies


def test_a_copies_server_that_stops_answering_is_asked_no_more_and_stops_nothing(
        served: tuple[str, str, list[ManifestEntry]], tmp_path: Path) -> None:
    _, _, entries = served
    port = _closed_port()
    no_copy = [dataclasses.replace(e, copy=f"http://127.0.0.1:{port}/{e.path}") for e in entries]
    fetcher = HttpFetcher(give_up_after=2)
    result = SchemaStore(tmp_path / "store").install(fetcher, entries=no_copy, origin=fetcher.origin)
    assert len(result.failed) == 5 and not result.not_tried  # each: the official URL's other version
    assert all("is not the official file" in message for _, message in result.failed)
    assert fetcher._failures[f"127.0.0.1:{port}"] == 2  # tried twice, then no more


def test_install_says_which_files_came_from_their_pinned_copies(
        served: tuple[str, str, list[ManifestEntry]], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    from click.testing import CliRunner

    from edcbridge.cli import main
    from edcbridge.schemas import store as store_module

    _, copy, entries = served
    monkeypatch.setattr(store_module, "manifest", lambda: tuple(entries))
    result = CliRunner().invoke(main, ["schemas", "install", "--download", "--store", str(tmp_path / "s")])
    assert result.exit_code == 0, result.stderr
    line = next(line for line in result.stderr.splitlines() if line.strip().startswith(entries[0].path))
    assert line.strip() == (f"{entries[0].path}: installed from its pinned copy {copy}/{entries[0].path} "
                            "(the official URL serves another version, or did not answer)")
    assert "5 installed, 0 already present, 0 failed" in result.stderr


def test_an_official_server_that_stops_answering_leaves_every_file_to_its_pinned_copy(
        served: tuple[str, str, list[ManifestEntry]], tmp_path: Path) -> None:
    _, _, entries = served
    port = _closed_port()
    dead = [dataclasses.replace(e, url=f"http://127.0.0.1:{port}/{e.path}") for e in entries]
    fetcher = HttpFetcher(give_up_after=2)
    result = SchemaStore(tmp_path / "store").install(fetcher, entries=dead)
    assert not result.failed and not result.not_tried and len(fetcher.copies) == 5
    assert fetcher._failures[f"127.0.0.1:{port}"] == 2  # then asked no more: a deadline per file saved


def test_an_official_server_and_copies_that_do_not_answer_still_stop_the_install(
        served: tuple[str, str, list[ManifestEntry]], tmp_path: Path) -> None:
    _, _, entries = served
    port, other = _closed_port(), _closed_port()
    dead = [dataclasses.replace(e, url=f"http://127.0.0.1:{port}/{e.path}",
                                copy=f"http://127.0.0.1:{other}/{e.path}") for e in entries]
    fetcher = HttpFetcher(give_up_after=2)
    result = SchemaStore(tmp_path / "store").install(fetcher, entries=dead)
    assert len(result.failed) == 2 and len(result.not_tried) == 3
    assert "the remaining files were not tried" in result.failed[-1][1]
