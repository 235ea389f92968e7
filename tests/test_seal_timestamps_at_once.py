"""`edcbridge seal` at B-T and above asks the timestamp authority for several files' tokens at
once, as a worker of `export` does; the sealed files wait on disk, not in memory, and appear
whole, together, or not at all."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import resource
import stat
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from cryptography.hazmat.primitives import serialization

from edcbridge.cli import main
from edcbridge.seal import devpki, tst
from edcbridge.seal.jades import b64url_decode
from edcbridge.seal.tsa_server import DevServer, TimestampAuthority
from tests.conftest import need_tool, seal_commands
from tests.tsa_support import Holding, press_ctrl_c

SRC = Path(__file__).resolve().parent.parent / "src"
AT_ONCE = 4  # requests the authority waits to hold together before it answers any


def _credential(folder: Path, number: int) -> Path:
    path = folder / f"award-{number}-unsigned.json"
    path.write_text(json.dumps({"id": f"urn:credential:{number}", "type": ["VerifiableCredential"]}) + "\n",
                    encoding="utf-8")
    return path


def _nothing_written(out: Path) -> bool:
    return not out.exists() or not any(out.iterdir())


def _seal(written: devpki.TestSeal, files: list[Path], out: Path, *extra: str) -> Result:
    return CliRunner().invoke(main, ["seal", *map(str, files), "--out", str(out), "--p12", str(written.p12),
                                     "--password-file", str(written.password_file), "-q", *extra])


def test_sealed_files_get_the_mode_other_outputs_get(written: devpki.TestSeal, tmp_path: Path) -> None:
    """They were written 0600 (a temporary file's mode), unlike the sealed files of export."""
    umask = os.umask(0o022)
    try:
        result = _seal(written, [_credential(tmp_path, 1)], tmp_path / "out")
    finally:
        os.umask(umask)
    assert result.exit_code == 0, result.output
    assert stat.S_IMODE((tmp_path / "out" / "award-1-signed.jsonld").stat().st_mode) == 0o644


class _Gathering(TimestampAuthority):
    """Answers once ``wanted`` requests wait together (or a request has waited ``patience``
    seconds: one after another they never do), noting the most that ever waited together."""

    def __init__(self, authority: TimestampAuthority, wanted: int, patience: float = 10.0) -> None:
        super().__init__(authority.signer)
        self.wanted, self.patience = wanted, patience
        self.lock = threading.Lock()
        self.waiting = self.most = self.asked = 0
        self.gathered = threading.Event()

    def respond(self, body: bytes) -> bytes:
        with self.lock:
            self.waiting += 1
            self.asked += 1
            self.most = max(self.most, self.waiting)
            if self.waiting >= self.wanted:
                self.gathered.set()
        self.gathered.wait(self.patience)
        try:
            return super().respond(body)
        finally:
            with self.lock:
                self.waiting -= 1


def _signature_timestamp(path: Path) -> tuple[str, bytes]:
    """The seal's signature value and its signature timestamp token."""
    signature = json.loads(path.read_text("utf-8"))["signatures"][0]
    for entry in signature["header"]["etsiU"]:
        member = json.loads(b64url_decode(entry))
        if "sigTst" in member:
            return signature["signature"], base64.b64decode(member["sigTst"]["tstTokens"][0]["val"])
    raise AssertionError(f"{path} has no signature timestamp")


def test_seal_asks_for_the_timestamps_of_its_files_at_once(written: devpki.TestSeal, tmp_path: Path) -> None:
    openssl = need_tool("openssl")
    files = [_credential(tmp_path, number) for number in range(6)]
    authority = _Gathering(TimestampAuthority(devpki.load_tsa_signer(written)), AT_ONCE)
    out = tmp_path / "out"
    with DevServer(authority) as server:
        result = _seal(written, files, out, "--tsa", server.tsa_url, "--level", "B-T")
    assert result.exit_code == 0, result.output
    assert authority.most >= AT_ONCE and authority.asked == len(files)  # one token a file
    targets = [out / f"award-{number}-signed.jsonld" for number in range(6)]
    assert result.stdout.splitlines() == list(map(str, targets))  # in the order given
    assert sorted(out.iterdir()) == sorted(targets)
    (tmp_path / "tsa.pem").write_bytes(devpki.load_tsa_signer(written).certificate.public_bytes(
        serialization.Encoding.PEM))
    for target, source in zip(targets, files, strict=True):
        assert json.loads(target.read_text("utf-8"))["payload"] == source.read_text("utf-8")
        signature, token = _signature_timestamp(target)
        (tmp_path / "token.der").write_bytes(token)
        digest = hashlib.sha256(signature.encode("ascii")).hexdigest()
        checked = subprocess.run([openssl, "ts", "-verify", "-token_in", "-in", str(tmp_path / "token.der"),
                                  "-digest", digest, "-CAfile", str(written.root_ca),
                                  "-untrusted", str(tmp_path / "tsa.pem")],
                                 capture_output=True, text=True, check=False)
        assert checked.returncode == 0 and "Verification: OK" in checked.stdout, checked.stderr
    verified = CliRunner().invoke(seal_commands(), ["verify", "--json", *map(str, targets),
                                         "--trust-anchor", str(written.root_ca)])
    assert verified.exit_code == 0, verified.output
    assert {entry["checks"]["TIMESTAMP"]["status"] for entry in json.loads(verified.stdout)} == {"OK"}


class _Refusing(TimestampAuthority):
    """Answers ``answered`` requests, then rejects every other."""

    def __init__(self, authority: TimestampAuthority, answered: int) -> None:
        super().__init__(authority.signer)
        self.left = answered
        self.lock = threading.Lock()

    def respond(self, body: bytes) -> bytes:
        with self.lock:
            self.left -= 1
            answer = self.left >= 0
        return super().respond(body) if answer else tst.build_rejection("out of service", "system_failure")


@pytest.mark.parametrize("earlier", [False, True])
def test_an_authority_failing_midway_leaves_the_folder_as_it_was(
        written: devpki.TestSeal, tmp_path: Path, earlier: bool) -> None:
    """The files sealed before the failure wait on disk, not in memory: none of them, and none
    of their hidden names, is left; a seal of an earlier run stays whole."""
    files = [_credential(tmp_path, number) for number in range(12)]
    out = tmp_path / "out"
    if earlier:
        assert _seal(written, files[:1], out).exit_code == 0
    before = {path.name: path.read_bytes() for path in out.iterdir()} if earlier else {}
    with DevServer(_Refusing(TimestampAuthority(devpki.load_tsa_signer(written)), 5)) as server:
        result = _seal(written, files, out, "--tsa", server.tsa_url, "--level", "B-T")
    assert result.exit_code == 2, result.output
    assert "out of service" in result.stderr and result.stderr.count("Error:") == 1
    after = {path.name: path.read_bytes() for path in out.iterdir()} if out.exists() else {}
    assert after == before


def test_ctrl_c_while_timestamps_are_awaited_exits_leaving_nothing(written: devpki.TestSeal,
                                                                   tmp_path: Path) -> None:
    """The requests in flight are left to their daemon threads (Python's exit does not wait for
    them, up to the timeout), and the seals already made are removed from the folder."""
    files = [_credential(tmp_path, number) for number in range(20)]
    authority = Holding(TimestampAuthority(devpki.load_tsa_signer(written)), on_first=press_ctrl_c)
    out = tmp_path / "out"
    with DevServer(authority) as server:
        try:
            result = _seal(written, files, out, "--tsa", server.tsa_url, "--level", "B-T")
            waited_for = [thread.name for thread in threading.enumerate()
                          if not thread.daemon and thread is not threading.main_thread()]
            assert result.exit_code == 130, result.output
            assert authority.held >= 1 and waited_for == []
            assert _nothing_written(out)
        finally:
            authority.released.set()


def _small_files_only() -> None:
    resource.setrlimit(resource.RLIMIT_FSIZE, (1000, 1000))  # a sealed file is larger: a full disk


def test_a_folder_that_cannot_take_the_sealed_files_is_one_line_and_leaves_nothing(
        written: devpki.TestSeal, tmp_path: Path) -> None:
    """A disk that fills during the run gave a traceback, and a half-written temporary file."""
    files = [_credential(tmp_path, number) for number in range(3)]
    out = tmp_path / "out"
    out.mkdir()
    command = [sys.executable, "-m", "edcbridge", "seal", *map(str, files), "--out", str(out), "-q",
               "--p12", str(written.p12), "--password-file", str(written.password_file)]
    result = subprocess.run(command, capture_output=True, text=True, preexec_fn=_small_files_only,
                            env={**os.environ, "PYTHONPATH": str(SRC), "PYTHONDONTWRITEBYTECODE": "1"},
                            timeout=300, check=False)
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr and result.stderr.count("Error:") == 1
    assert f"--out {out}: the sealed files cannot be written (File too large)" in result.stderr
    assert _nothing_written(out)


def test_seals_a_killed_run_left_under_hidden_names_go_with_the_next_run(written: devpki.TestSeal,
                                                                         tmp_path: Path) -> None:
    """A run killed outright (kill -9, a power cut) cannot remove its hidden seals: the next run
    into the folder does, leaving those of a run still going."""
    out = tmp_path / "out"
    out.mkdir()
    ended = subprocess.Popen([sys.executable, "-c", "pass"])
    ended.wait()
    going = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        left = out / f".sealing-{ended.pid}-award-0-signed.jsonld"
        left.write_text("half a seal", encoding="utf-8")
        other = out / f".sealing-{going.pid}-award-9-signed.jsonld"
        other.write_text("a seal of a run still going", encoding="utf-8")
        result = _seal(written, [_credential(tmp_path, 0)], out)
        assert result.exit_code == 0, result.output
        assert sorted(path.name for path in out.iterdir()) == [other.name, "award-0-signed.jsonld"]
    finally:
        going.kill()
        going.wait()


@pytest.mark.parametrize("change", ["rewritten", "removed"])
def test_a_file_changed_after_the_check_is_not_sealed_and_nothing_is_written(
        written: devpki.TestSeal, tmp_path: Path, change: str) -> None:
    """The files are checked first and each read again as it is sealed (the texts are not held
    for the whole run): the last one, changed while the first were sealed, would have been
    sealed as checked, no longer what the file held."""
    files = [_credential(tmp_path, number) for number in range(10)]

    def change_the_last() -> None:
        if change == "removed":
            files[-1].unlink()
        else:
            files[-1].write_text(json.dumps({"id": "urn:credential:other"}), encoding="utf-8")
        authority.released.set()

    authority = Holding(TimestampAuthority(devpki.load_tsa_signer(written)), on_first=change_the_last)
    out = tmp_path / "out"
    with DevServer(authority) as server:
        try:
            result = _seal(written, files, out, "--tsa", server.tsa_url, "--level", "B-T")
        finally:
            authority.released.set()
    assert result.exit_code == 1, result.output
    said = "no longer readable since the run checked it" if change == "removed" \
        else "changed since the run checked it"
    assert f"1 file(s) not sealed, so none written:\n  {files[-1]}: {said}" in result.stderr
    assert _nothing_written(out)


@pytest.mark.skipif(not Path("/dev/fd").is_dir(), reason="names a pipe as /dev/fd/N")
def test_a_credential_piped_in_is_sealed(written: devpki.TestSeal, tmp_path: Path) -> None:
    """A pipe (``seal <(gunzip -c award.json.gz)``, ``/dev/stdin``) is read once: it has no
    second reading to compare with what was checked, so its text is kept and sealed."""
    text = _credential(tmp_path, 0).read_text("utf-8")
    reading, writing = os.pipe()
    try:
        os.write(writing, text.encode("utf-8"))
        os.close(writing)
        result = _seal(written, [Path(f"/dev/fd/{reading}")], tmp_path / "out")
    finally:
        os.close(reading)
    assert result.exit_code == 0, result.stderr
    sealed = (tmp_path / "out" / f"{reading}-signed.jsonld").read_text("utf-8")
    assert json.loads(sealed)["payload"] == text
