import functools
import hashlib
import http.server
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from edcbridge.cli import main
from edcbridge.schemas import SchemaStore, manifest
from edcbridge.schemas.download import http_fetcher


def test_manifest_pins_every_reference_file(reference: Path) -> None:
    for entry in manifest():
        data = (reference / entry.path).read_bytes()
        assert hashlib.sha256(data).hexdigest() == entry.sha256, entry.path
        assert entry.licence and entry.version


def test_install_from_folder_then_nothing_to_do(reference: Path, tmp_path: Path) -> None:
    store = SchemaStore(tmp_path / "store")
    first = store.install_from(reference)
    assert len(first.installed) == len(manifest()) and not first.failed
    second = store.install_from(reference)
    assert not second.installed and len(second.unchanged) == len(manifest())
    assert all(state == "ok" for _, state in store.check())


def test_installed_files_get_the_mode_open_would_give_and_no_temporary_is_left(
        reference: Path, tmp_path: Path) -> None:
    import os

    umask = os.umask(0o022)
    try:
        store = SchemaStore(tmp_path / "store")
        store.install_from(reference)
    finally:
        os.umask(umask)
    files = [p for p in (tmp_path / "store").rglob("*") if p.is_file()]
    assert len(files) >= len(manifest())
    assert {p.stat().st_mode & 0o777 for p in files} == {0o644}  # public schemas, readable by all
    assert not [p for p in files if p.name.startswith(".tmp-")]


def test_a_modified_source_file_is_refused(reference: Path, tmp_path: Path) -> None:
    source = tmp_path / "source"
    entry = manifest()[0]
    (source / entry.path).parent.mkdir(parents=True)
    (source / entry.path).write_bytes((reference / entry.path).read_bytes() + b" ")
    store = SchemaStore(tmp_path / "store")
    result = store.install_from(source)
    failures = dict(result.failed)
    assert "does not match the pinned" in failures[entry.path]
    assert not (store.root / entry.path).exists()


@pytest.fixture
def mirror(reference: Path) -> Iterator[str]:
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(reference))
    handler.log_message = lambda *args: None  # type: ignore[attr-defined]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_download_from_a_mirror_over_http(mirror: str, tmp_path: Path) -> None:
    store = SchemaStore(tmp_path / "store")
    result = store.install(http_fetcher(mirror))
    assert not result.failed and len(result.installed) == len(manifest())


def test_download_failure_names_the_file_and_installs_nothing(tmp_path: Path) -> None:
    store = SchemaStore(tmp_path / "store")
    result = store.install(http_fetcher("http://127.0.0.1:9"), entries=manifest()[:2])
    assert len(result.failed) == 2 and "download failed" in result.failed[0][1]
    assert not any((tmp_path / "store").rglob("*.jsonld"))


def test_cli_install_and_status(reference: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EDCBRIDGE_SCHEMAS", str(tmp_path / "store"))
    runner = CliRunner()
    status = runner.invoke(main, ["schemas", "status"])
    assert status.exit_code == 1 and "missing" in status.stdout
    installed = runner.invoke(main, ["schemas", "install", "--from", str(reference)])
    assert installed.exit_code == 0, installed.stderr
    status = runner.invoke(main, ["schemas", "status", "--json"])
    assert status.exit_code == 0
    usage = runner.invoke(main, ["schemas", "install", "--from", str(reference), "--download"])
    assert usage.exit_code == 2
    elsewhere = runner.invoke(main, ["schemas", "status", "--store", str(tmp_path / "elsewhere")])
    assert elsewhere.exit_code == 1 and f"store: {tmp_path / 'elsewhere'}" in elsewhere.stderr


def _damaged_store(reference: Path, tmp_path: Path, relative: str) -> SchemaStore:
    store = SchemaStore(tmp_path / "store")
    assert not store.install_from(reference).failed
    (store.root / relative).write_bytes(b"")  # an emptied shapes file would pass everything
    return store


SHAPES = "elm3-rdf/3.2/rdf/ap/edc/EDC-generic-full.ttl"


def test_a_damaged_file_in_the_store_is_refused_when_used(reference: Path, tmp_path: Path) -> None:
    from edcbridge.schemas import SchemaStoreError

    store = _damaged_store(reference, tmp_path, SHAPES)
    with pytest.raises(SchemaStoreError, match=r"does not match its pinned sha256.*schemas install"):
        store.path(SHAPES)
    assert store.install_from(reference).installed == [SHAPES]  # install mends it
    assert store.path(SHAPES).stat().st_size > 0


def test_commands_refuse_a_damaged_store(reference: Path, tmp_path: Path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.conftest import FIXTURES

    store = _damaged_store(reference, tmp_path, SHAPES)
    monkeypatch.setenv("EDCBRIDGE_SCHEMAS", str(store.root))
    sample = tmp_path / "credential.jsonld"  # never read: the store is checked first
    sample.write_text("{}", encoding="utf-8")
    runner = CliRunner()
    for args in (["validate", str(sample)],
                 ["export", str(FIXTURES / "imperial" / "awards.csv"), "-c",
                  str(FIXTURES / "imperial" / "catalogue.yaml"), "-o", str(tmp_path / "out")]):
        result = runner.invoke(main, args)
        assert result.exit_code == 2, (args, result.output)
        assert f"do not match their pinned sha256 (e.g. {SHAPES})" in result.stderr
    assert not (tmp_path / "out" / "edc").exists()


def test_install_reports_each_file_as_it_is_done(reference: Path, tmp_path: Path) -> None:
    store = SchemaStore(tmp_path / "store")
    store.install_from(reference)
    (store.root / SHAPES).write_bytes(b"")
    seen: list[tuple[str, str]] = []
    store.install(lambda entry: (reference / entry.path).read_bytes(),
                  progress=lambda path, state: seen.append((path, state)))
    assert [path for path, _ in seen] == [e.path for e in manifest()]
    assert dict(seen)[SHAPES] == "installed"
    assert {state for path, state in seen if path != SHAPES} == {"already present"}


def _a_regular_file(tmp_path: Path) -> Path:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the store's folder should be", encoding="utf-8")
    return blocker


def test_a_store_inside_a_regular_file_fails_once_with_the_reason(reference: Path, tmp_path: Path) -> None:
    from edcbridge.schemas import SchemaStoreError

    store = SchemaStore(_a_regular_file(tmp_path) / "store")
    with pytest.raises(SchemaStoreError, match=r"^cannot write the schema store .*/not-a-folder/store: "
                                               r"Not a directory; .*--store DIR or EDCBRIDGE_SCHEMAS"):
        store.install_from(reference)


def _read_only(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """Every write to the store fails as on a read-only file system; the attempts are listed."""
    import errno

    from edcbridge.schemas import store as store_module

    attempts: list[Path] = []

    def refuse(target: Path, data: bytes) -> None:
        attempts.append(target)
        raise OSError(errno.EROFS, "Read-only file system", str(target))

    monkeypatch.setattr(store_module, "write_atomic", refuse)
    return attempts


def test_cli_install_into_a_read_only_store_says_so_once(reference: Path, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    attempts = _read_only(monkeypatch)
    monkeypatch.setenv("EDCBRIDGE_SCHEMAS", str(tmp_path / "store"))
    result = CliRunner().invoke(main, ["schemas", "install", "--from", str(reference)])
    assert result.exit_code == 2, result.output
    assert isinstance(result.exception, SystemExit)  # no traceback
    assert result.stderr.count("cannot write the schema store") == 1
    assert f"cannot write the schema store {tmp_path / 'store'}: Read-only file system" in result.stderr
    assert len(attempts) == 1  # the first write tells: the rest are not attempted


@pytest.mark.parametrize("unwritable", ["read-only", "a regular file"])
def test_commands_report_missing_files_when_the_store_cannot_be_filled(
        unwritable: str, reference: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A checkout fills its store from ../shared/reference on every command; when that fails
    the files are still missing, which the command says with the remedy."""
    from edcbridge.schemas import store as store_module

    monkeypatch.setattr(store_module, "find_reference_dir", lambda: reference)
    if unwritable == "read-only":
        _read_only(monkeypatch)
        root = tmp_path / "store"
    else:
        root = _a_regular_file(tmp_path)
    monkeypatch.setenv("EDCBRIDGE_SCHEMAS", str(root))
    sample = tmp_path / "credential.jsonld"
    sample.write_text("{}", encoding="utf-8")
    result = CliRunner().invoke(main, ["validate", str(sample)])
    assert result.exit_code == 2, result.output
    assert isinstance(result.exception, SystemExit)
    assert f"the schema store {root} (set by EDCBRIDGE_SCHEMAS" in result.stderr
    assert " lacks " in result.stderr and "of the files this command needs" in result.stderr
    assert "schemas status' lists every file" in result.stderr
    assert "run 'edcbridge schemas install" in result.stderr


def test_an_installed_copy_keeps_its_store_in_the_users_cache_folder_a_relative_one_ignored(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from edcbridge.schemas import store as store_module

    monkeypatch.setattr(store_module, "_checkout_root", lambda: None)  # as installed from a wheel
    monkeypatch.delenv("EDCBRIDGE_SCHEMAS", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("XDG_CACHE_HOME", "cache")  # relative: invalid, as the XDG specification says
    assert store_module.default_store_dir() == tmp_path / "home" / ".cache" / "edcbridge" / "schemas"
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert store_module.default_store_dir() == tmp_path / "xdg" / "edcbridge" / "schemas"
    monkeypatch.setenv("EDCBRIDGE_SCHEMAS", "store")
    assert store_module.default_store_dir() == tmp_path / "store"


def test_the_install_remedy_names_the_reference_folder_only_where_there_is_one(
        monkeypatch: pytest.MonkeyPatch, reference: Path) -> None:
    from edcbridge.schemas import store as store_module

    unpublished = next(e for e in manifest() if e.url is None)
    assert f"(as {store_module.find_reference_dir()} does)" in store_module.install_remedy(unpublished)
    assert f"({store_module.find_reference_dir()}, or a store" in store_module.install_remedy()
    monkeypatch.setattr(store_module, "_checkout_root", lambda: None)  # as installed from a wheel
    for remedy in (store_module.install_remedy(), store_module.install_remedy(unpublished)):
        assert "reference" not in remedy and "--from DIR" in remedy
