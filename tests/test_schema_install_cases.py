"""`schemas install` as an administrator meets it: a copy with a file that is not the official
one, the wrong folder given to --from, a mirror serving another file, a proxy, a store a
colleague installed. Downloads go to servers on 127.0.0.1 over real HTTP."""

from __future__ import annotations

import contextlib
import functools
import hashlib
import http.server
import shutil
import socket
import threading
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from edcbridge.cli import main
from edcbridge.schemas import SchemaStore, manifest
from tests.test_schema_status_cases import run_unprivileged

CONTEXT = "w3c-vc-contexts/credentials-v1.jsonld"
OB3_PROFILE = "ob3-clr/schemas/ob-v3p0-formal-2024/profile.json"
PROXY_VARIABLES = ("HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "ALL_PROXY",
                   "all_proxy", "NO_PROXY", "no_proxy")


@pytest.fixture
def copy_of_reference(reference: Path, tmp_path: Path) -> Path:
    """The pinned files alone, as an administrator would carry them to an offline server."""
    copy = tmp_path / "media" / "reference"
    for entry in manifest():
        source = reference / entry.path
        if source.is_file():
            (copy / entry.path).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, copy / entry.path)
    return copy


@pytest.fixture
def no_proxy_settings(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for variable in PROXY_VARIABLES:
        monkeypatch.delenv(variable, raising=False)
    return monkeypatch


@contextlib.contextmanager
def serve_folder(folder: Path) -> Iterator[str]:
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(folder))
    handler.log_message = lambda *args: None  # type: ignore[attr-defined]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


class _ForwardingProxy(http.server.BaseHTTPRequestHandler):
    """An HTTP proxy that reaches every host name on 127.0.0.1 and logs what it forwarded."""

    forwarded: list[str]

    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        self.forwarded.append(self.path)
        host = self.path.split("/")[2].split(":")[0]
        direct = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        with direct.open(self.path.replace(host, "127.0.0.1", 1)) as answer:
            body = answer.read()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@contextlib.contextmanager
def forwarding_proxy() -> Iterator[tuple[str, list[str]]]:
    forwarded: list[str] = []
    handler = type("Proxy", (_ForwardingProxy,), {"forwarded": forwarded})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", forwarded
    finally:
        server.shutdown()
        server.server_close()


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _install(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["schemas", "install", *args])
    return result.exit_code, result.stderr


def test_a_copied_file_that_is_not_the_official_one_is_refused_with_digests_and_fix(
        copy_of_reference: Path, tmp_path: Path) -> None:
    changed = copy_of_reference / CONTEXT
    changed.write_bytes(changed.read_bytes() + b"\n")
    exit_code, stderr = _install("--from", str(copy_of_reference), "--store", str(tmp_path / "store"))
    assert exit_code == 1
    entry = next(e for e in manifest() if e.path == CONTEXT)
    found = hashlib.sha256(changed.read_bytes()).hexdigest()
    line = next(line for line in stderr.splitlines() if line.strip().startswith(CONTEXT))
    assert f"{changed} is not the official file" in line
    assert f"its sha256 {found} does not match the pinned {entry.sha256}" in line
    assert f"replace it with the official file ({entry.url})" in line
    assert not (tmp_path / "store" / CONTEXT).exists()


def test_the_folder_above_the_copy_is_refused_once_pointing_at_the_copy(
        copy_of_reference: Path, tmp_path: Path) -> None:
    exit_code, stderr = _install("--from", str(copy_of_reference.parent), "--store", str(tmp_path / "store"))
    assert exit_code == 2
    assert stderr.count("\n") == 1  # one line, not one per pinned file
    assert f"{copy_of_reference.parent} holds none of the pinned files" in stderr
    assert f"perhaps --from {copy_of_reference}" in stderr
    assert not (tmp_path / "store").exists()


def test_a_mirror_serving_another_file_is_named_by_url_and_nothing_is_written(
        copy_of_reference: Path, tmp_path: Path, no_proxy_settings: pytest.MonkeyPatch) -> None:
    (copy_of_reference / CONTEXT).write_text("{}", encoding="utf-8")
    with serve_folder(copy_of_reference) as mirror:
        exit_code, stderr = _install("--download", "--mirror", mirror, "--store", str(tmp_path / "store"))
    assert exit_code == 1
    line = next(line for line in stderr.splitlines() if line.strip().startswith(CONTEXT))
    assert f"{mirror}/{CONTEXT} is not the official file" in line
    assert "put the official file" in line and "--from DIR" in line
    assert not (tmp_path / "store" / CONTEXT).exists()
    assert (tmp_path / "store" / OB3_PROFILE).is_file()  # the others are installed


class _TokenMirror(http.server.SimpleHTTPRequestHandler):
    """An artifact repository that serves a file only with its access token in the query."""

    asked: list[str]

    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        self.asked.append(self.path)
        path, _, query = self.path.partition("?")
        if query != "token=s3cret":
            self.send_error(403)
            return
        self.path = path
        super().do_GET()


def test_a_mirror_with_an_access_token_in_its_query_gets_it_on_every_file_and_never_shows_it(
        copy_of_reference: Path, tmp_path: Path, no_proxy_settings: pytest.MonkeyPatch) -> None:
    (copy_of_reference / CONTEXT).write_text("{}", encoding="utf-8")  # one file is not the official one
    asked: list[str] = []
    handler = type("Handler", (_TokenMirror,), {"asked": asked})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(
        handler, directory=str(copy_of_reference)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    mirror = f"http://127.0.0.1:{server.server_address[1]}/repo/"
    (copy_of_reference / "repo").mkdir()
    for entry in manifest():
        if (copy_of_reference / entry.path).is_file():
            (copy_of_reference / "repo" / entry.path).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(copy_of_reference / entry.path, copy_of_reference / "repo" / entry.path)
    try:
        exit_code, stderr = _install("--download", "--mirror", mirror + "?token=s3cret#top",
                                     "--store", str(tmp_path / "store"))
    finally:
        server.shutdown()
        server.server_close()
    assert exit_code == 1  # the one file that is not the official one
    assert asked[0] == f"/repo/{manifest()[0].path}?token=s3cret"
    assert (tmp_path / "store" / OB3_PROFILE).is_file()
    line = next(line for line in stderr.splitlines() if line.strip().startswith(CONTEXT))
    assert f"{mirror}{CONTEXT}?*** is not the official file" in line
    assert "s3cret" not in stderr


def test_downloads_go_through_the_proxy_named_by_http_proxy(
        copy_of_reference: Path, tmp_path: Path, no_proxy_settings: pytest.MonkeyPatch) -> None:
    with serve_folder(copy_of_reference) as mirror, forwarding_proxy() as (proxy, forwarded):
        no_proxy_settings.setenv("HTTP_PROXY", proxy)
        port = mirror.rsplit(":", 1)[1]
        exit_code, stderr = _install("--download", "--mirror", f"http://schemas-mirror.invalid:{port}",
                                     "--store", str(tmp_path / "store"))
    assert exit_code == 0, stderr
    assert len(forwarded) == len(manifest())
    assert forwarded[0] == f"http://schemas-mirror.invalid:{port}/{manifest()[0].path}"


def test_a_proxy_that_does_not_answer_is_named_with_its_variable(
        tmp_path: Path, no_proxy_settings: pytest.MonkeyPatch) -> None:
    port = _closed_port()
    no_proxy_settings.setenv("HTTP_PROXY", f"http://clerk:s3cret@127.0.0.1:{port}")
    exit_code, stderr = _install("--download", "--mirror", "http://schemas-mirror.invalid",
                                 "--store", str(tmp_path / "store"))
    assert exit_code == 1
    assert f"the proxy http://***@127.0.0.1:{port} (set by HTTP_PROXY) did not answer" in stderr
    assert "check HTTP_PROXY" in stderr and "s3cret" not in stderr
    assert "if it is to be reached directly, or install with --from DIR" in stderr


def test_install_replaces_a_store_file_this_user_may_not_read(
        copy_of_reference: Path, tmp_path: Path) -> None:
    store = SchemaStore(tmp_path / "store")
    assert not store.install_from(copy_of_reference).failed
    (store.root / CONTEXT).chmod(0)
    result = run_unprivileged("schemas", "install", "--from", str(copy_of_reference),
                              "--store", str(store.root))
    assert result.returncode == 0, result.stderr
    assert f"{CONTEXT}: installed" in result.stderr
    assert (store.root / CONTEXT).read_bytes() == (copy_of_reference / CONTEXT).read_bytes()
    assert (store.root / CONTEXT).stat().st_mode & 0o444


def test_a_store_folder_this_user_may_not_write_is_named(copy_of_reference: Path, tmp_path: Path) -> None:
    store = SchemaStore(tmp_path / "store")
    assert not store.install_from(copy_of_reference).failed
    (store.root / OB3_PROFILE).unlink()
    locked = (store.root / OB3_PROFILE).parent
    locked.chmod(0o555)
    try:
        result = run_unprivileged("schemas", "install", "--from", str(copy_of_reference),
                                  "--store", str(store.root))
    finally:
        locked.chmod(0o755)
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert f"this user may not write in {locked}: ask its owner" in result.stderr
    assert "--store DIR or EDCBRIDGE_SCHEMAS" in result.stderr


def test_an_install_into_another_store_says_how_commands_use_it(
        copy_of_reference: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A store given with --store is read by other commands only through EDCBRIDGE_SCHEMAS."""
    store = tmp_path / "other store"
    monkeypatch.setenv("EDCBRIDGE_SCHEMAS", str(tmp_path / "usual"))
    exit_code, stderr = _install("--from", str(copy_of_reference), "--store", str(store))
    assert exit_code == 0, stderr
    assert f"other commands read {tmp_path / 'usual'}, not {store}" in stderr
    assert f"export EDCBRIDGE_SCHEMAS='{store}'" in stderr
    monkeypatch.setenv("EDCBRIDGE_SCHEMAS", str(store))  # the store commands read: nothing to add
    exit_code, stderr = _install("--from", str(copy_of_reference), "--store", str(store))
    assert exit_code == 0, stderr
    assert "EDCBRIDGE_SCHEMAS" not in stderr


def test_a_folder_in_the_from_copy_where_a_file_belongs_is_named_as_a_folder(tmp_path: Path) -> None:
    """'not found' would send the user to copy the file there, which the folder prevents."""
    first, second = manifest()[0], manifest()[1]
    (tmp_path / "copy" / first.path).mkdir(parents=True)
    (tmp_path / "copy" / second.path).write_bytes(b"{}")
    result = SchemaStore(tmp_path / "store").install_from(tmp_path / "copy")
    reason = dict(result.failed)[first.path]
    assert reason.startswith(f"{tmp_path / 'copy' / first.path} is a folder, not the pinned file: move it "
                             "away and put the official file")
