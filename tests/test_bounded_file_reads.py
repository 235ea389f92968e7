"""verify, verify-xml, validate, validate-xml, inspect and preview read each file once and at most the
credential size limit: a named pipe or a device (/dev/zero) costs no more than a large file,
and a named pipe holding a broken credential gets its verdict instead of waiting for ever for a
second writer."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from edcbridge.bounded_file import MAX_BYTES
from edcbridge.schemas import SchemaStore

CHUNK = 1024 * 1024


class _Writer(threading.Thread):
    """Writes *total* bytes into the named pipe *path*, stopping when the reader closes it."""

    def __init__(self, path: Path, first: bytes, total: int) -> None:
        super().__init__(daemon=True)
        self.path, self.first, self.total, self.written = path, first, total, 0

    def run(self) -> None:
        fd = os.open(self.path, os.O_WRONLY)
        try:
            self.written += os.write(fd, self.first)
            while self.written < self.total:
                self.written += os.write(fd, b" " * CHUNK)
        except BrokenPipeError:
            pass
        finally:
            os.close(fd)


def _run(command: str, path: Path, store: SchemaStore) -> subprocess.CompletedProcess[str]:
    """The command in a process of its own: one that waits for ever fails the test at the timeout;
    its address space is capped, so one that reads the whole file fails it too."""
    env = {**os.environ, "EDCBRIDGE_SCHEMAS": str(store.root)}
    options = ["--out", str(path.parent / "pages")] if command == "preview" else []
    return subprocess.run([sys.executable, "-m", "edcbridge", command, *options, str(path)],
                          capture_output=True, text=True, timeout=120, env=env,
                          preexec_fn=_limit_memory)


MEMORY_LIMIT = 2 * 1024 * 1024 * 1024
"""Address space of a command run: far above what one reads within the limit, far below /dev/zero."""


def _limit_memory() -> None:
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


@pytest.fixture
def fifo(tmp_path: Path) -> Path:
    path = tmp_path / "credential"
    os.mkfifo(path)
    return path


@pytest.mark.parametrize(("command", "first"), [("verify", b"{"), ("validate", b"{"), ("inspect", b"{"),
                                                ("verify-xml", b"<a>"), ("validate-xml", b"<a>"),
                                                ("preview", b"{"), ("preview", b"<a>")])
def test_a_pipe_is_read_no_further_than_the_limit(command: str, first: bytes, fifo: Path,
                                                  store: SchemaStore) -> None:
    writer = _Writer(fifo, first, 3 * MAX_BYTES)
    writer.start()
    run = _run(command, fifo, store)
    writer.join(timeout=30)
    assert run.returncode == 1, run.stderr
    assert f"more than the {MAX_BYTES:,}-byte limit for credentials" in run.stdout + run.stderr
    assert "Traceback" not in run.stderr
    assert writer.written <= MAX_BYTES + 2 * CHUNK  # what the pipe's buffer holds besides


@pytest.mark.parametrize(("command", "content", "said"), [
    ("verify", b"{", "not a JSON document"),
    ("verify-xml", b"<a", "not well-formed XML"),
])
def test_a_pipe_holding_a_broken_credential_gets_its_verdict(command: str, content: bytes, said: str,
                                                             fifo: Path, store: SchemaStore) -> None:
    """The verdict is judged on the bytes read: opening the pipe again would wait for ever."""
    writer = _Writer(fifo, content, len(content))
    writer.start()
    run = _run(command, fifo, store)
    assert run.returncode == 1, run.stderr
    assert said in run.stdout
    assert "an empty file" not in run.stdout


@pytest.mark.parametrize("command", ["verify", "validate", "preview"])
def test_a_large_json_file_is_refused_unread(command: str, tmp_path: Path, store: SchemaStore) -> None:
    path = tmp_path / "large.jsonld"
    with path.open("wb") as handle:
        handle.write(b'{"payload": "')
        handle.truncate(MAX_BYTES + 1)  # sparse: no disk spent on it
    run = _run(command, path, store)
    assert run.returncode == 1, run.stderr
    assert f"{MAX_BYTES + 1:,} bytes is above the {MAX_BYTES:,}-byte limit for credentials" in run.stdout \
        + run.stderr


@pytest.mark.parametrize("command", ["verify", "verify-xml"])
def test_a_large_xml_file_is_unreadable_for_its_size_not_a_broken_seal(command: str, tmp_path: Path,
                                                                       store: SchemaStore) -> None:
    path = tmp_path / "large.xml"
    with path.open("wb") as handle:
        handle.write(b'<?xml version="1.0" encoding="UTF-8"?>\n<europassCredential>')
        handle.truncate(MAX_BYTES + 1)  # sparse: no disk spent on it
    run = _run(command, path, store)
    assert run.returncode == 1, run.stderr
    verdict = run.stdout.splitlines()[0]
    assert verdict.startswith(f"{path}: UNREADABLE: {MAX_BYTES + 1:,} bytes is above the "
                              f"{MAX_BYTES:,}-byte limit for credentials"), verdict


@pytest.mark.parametrize("command", ["verify", "verify-xml"])
def test_a_trust_anchor_is_read_no_further_than_the_limit(command: str, fifo: Path, tmp_path: Path,
                                                          store: SchemaStore) -> None:
    credential = tmp_path / "credential.xml"
    credential.write_bytes(b"<a/>")
    writer = _Writer(fifo, b"-----BEGIN CERTIFICATE-----\n", 3 * MAX_BYTES)
    writer.start()
    env = {**os.environ, "EDCBRIDGE_SCHEMAS": str(store.root)}
    run = subprocess.run([sys.executable, "-m", "edcbridge", command, "--trust-anchor", str(fifo),
                          str(credential)], capture_output=True, text=True, timeout=120, env=env)
    writer.join(timeout=30)
    assert run.returncode == 2, run.stderr
    assert f"holds more than {MAX_BYTES:,} bytes" in run.stderr
    assert writer.written <= MAX_BYTES + 2 * CHUNK


def test_preview_gives_a_device_its_unreadable_result_naming_the_limit(tmp_path: Path,
                                                                        store: SchemaStore) -> None:
    """/dev/zero never ends: the page is not made, the --json entry says why, the rest go on."""
    good = tmp_path / "empty.jsonld"
    good.write_bytes(b"")
    env = {**os.environ, "EDCBRIDGE_SCHEMAS": str(store.root)}
    run = subprocess.run([sys.executable, "-m", "edcbridge", "preview", "--json", "--out",
                          str(tmp_path / "pages"), "/dev/zero", str(good)], capture_output=True,
                         text=True, timeout=120, env=env, preexec_fn=_limit_memory)
    assert run.returncode == 1, run.stderr
    entries = json.loads(run.stdout)
    assert [e["source"] for e in entries] == ["/dev/zero", str(good)]
    assert entries[0]["verdict"] == "UNREADABLE"
    assert f"more than the {MAX_BYTES:,}-byte limit for credentials" in entries[0]["error"]
    assert "the file is empty" in entries[1]["error"]
