"""The command line in a pipeline and under Ctrl-C: a reader that goes away (``| head``) costs
no work and shows no traceback; Ctrl-C anywhere, a password prompt included, exits 130."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from edcbridge.cli import main
from edcbridge.schemas import SchemaStore
from tests.conftest import FIXTURES

CATALOGUE = FIXTURES / "imperial" / "catalogue.yaml"
AWARDS = FIXTURES / "imperial" / "awards.csv"


class _CtrlCAtTerminal(io.BytesIO):
    """A terminal on stdin where the user presses Ctrl-C instead of typing."""

    def isatty(self) -> bool:
        return True

    def read(self, size: int | None = -1) -> bytes:
        if size == 0:  # a check that the stream is binary, not a read
            return b""
        raise KeyboardInterrupt

    def read1(self, size: int = -1) -> bytes:
        return self.read(size)

    def readinto(self, buffer: object) -> int:
        raise KeyboardInterrupt


class _ClosedTerminal(io.BytesIO):
    """A terminal on stdin whose input ends (Ctrl-D) instead of an answer."""

    def isatty(self) -> bool:
        return True


def _export_sealed_with(p12: Path, out: Path, terminal: io.BytesIO) -> Result:
    """`export --seal P12` with no password given: it is asked at ``terminal``."""
    args = ["export", str(AWARDS), "-c", str(CATALOGUE), "-o", str(out), "--seal", str(p12)]
    return CliRunner().invoke(main, args, input=terminal)


@pytest.fixture
def no_password_in_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("EDCBRIDGE_SEAL_PASSWORD", raising=False)


def test_ctrl_c_at_the_seal_password_prompt_of_export_exits_130(no_password_in_env: None,
                                                                 tmp_path: Path) -> None:
    p12 = tmp_path / "seal.p12"
    p12.write_bytes(b"not read: the password is asked first")
    result = _export_sealed_with(p12, tmp_path / "out", _CtrlCAtTerminal())
    assert result.exit_code == 130, result.output
    assert "interrupted" in result.stderr and "Aborted!" not in result.stderr
    assert not (tmp_path / "out").exists()


def test_ctrl_c_at_the_seal_password_prompt_of_seal_exits_130(no_password_in_env: None,
                                                               tmp_path: Path) -> None:
    credential = tmp_path / "credential.jsonld"
    credential.write_text("{}", "utf-8")
    p12 = tmp_path / "seal.p12"
    p12.write_bytes(b"not read: the password is asked first")
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["seal", str(credential), "--p12", str(p12), "-o", str(out)],
                                input=_CtrlCAtTerminal())
    assert result.exit_code == 130, result.output
    assert "interrupted" in result.stderr and "Aborted!" not in result.stderr


def test_end_of_input_at_the_password_prompt_is_a_setup_problem(no_password_in_env: None,
                                                                  tmp_path: Path) -> None:
    """Ctrl-D is no interruption (130) and no failed record (1): the seal cannot be used, exit 2."""
    p12 = tmp_path / "seal.p12"
    p12.write_bytes(b"not read: the password is asked first")
    result = _export_sealed_with(p12, tmp_path / "out", _ClosedTerminal())
    assert result.exit_code == 2, result.output
    assert "--password-file" in result.stderr and "Aborted!" not in result.stderr


def _run_for_a_reader_gone(*args: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    """Run edcbridge with stdout a pipe whose reader has left before the first line: the exit
    code and what it said on stderr."""
    with subprocess.Popen([sys.executable, "-m", "edcbridge", *args], stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, env=env) as process:
        assert process.stdout is not None and process.stderr is not None
        process.stdout.close()
        stderr = process.stderr.read().decode()
        return process.wait(), stderr


def test_export_into_a_pipe_whose_reader_left_finishes_the_run(store: SchemaStore, tmp_path: Path) -> None:
    """`edcbridge export ... | head -1`: the listing stops, the export does not."""
    out = tmp_path / "out"
    code, stderr = _run_for_a_reader_gone("export", str(AWARDS), "-c", str(CATALOGUE), "-o", str(out), "-q",
                                          env={**os.environ, "EDCBRIDGE_SCHEMAS": str(store.root)})
    assert code == 0, stderr
    assert "Traceback" not in stderr and "Broken pipe" not in stderr and "aborted" not in stderr
    assert len(list((out / "edc").glob("*.jsonld"))) == 9


def test_a_listing_into_a_pipe_whose_reader_left_ends_without_a_traceback() -> None:
    code, stderr = _run_for_a_reader_gone("vocab", "country")
    assert code in (0, 1)
    assert "Traceback" not in stderr and "BrokenPipeError" not in stderr, stderr


def test_importing_the_command_line_loads_no_command_package() -> None:
    """What `import edcbridge.cli` loads runs before any handler of Ctrl-C: it is kept to click."""
    code = ("import sys, edcbridge.cli; "
            "print(sorted(m for m in sys.modules if m.startswith(('edcbridge.', 'pydantic'))))")
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert loaded.strip() == "['edcbridge.cli']"


@pytest.mark.parametrize(("command", "module", "reader"),
                         [("verify", "edcbridge.seal.cli", "read_for_verification"),
                          ("verify-xml", "edcbridge.xml.verify", "verify_read")])
def test_verify_shows_each_verdict_before_the_next_file(command: str, module: str, reader: str,
                                                         tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """Ctrl-C in the second file of a batch: the first file's verdict has been printed."""
    import importlib

    verify_module = importlib.import_module(module)
    real_verify = getattr(verify_module, reader)
    calls: list[Path] = []

    def verify_then_ctrl_c(path: Path, *args: object, **kwargs: object) -> object:
        calls.append(path)
        if len(calls) > 1:
            raise KeyboardInterrupt
        return real_verify(path, *args, **kwargs)

    monkeypatch.setattr(verify_module, reader, verify_then_ctrl_c)
    first, second = tmp_path / "first.json", tmp_path / "second.json"
    for path in (first, second):
        path.write_text("{}", "utf-8")
    result = CliRunner().invoke(main, [command, str(first), str(second)])
    assert result.exit_code == 130, result.output
    assert result.stdout.startswith(f"{first}: "), result.stdout
    assert str(second) not in result.stdout
