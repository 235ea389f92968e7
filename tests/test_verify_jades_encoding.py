"""`verify` on a sealed JSON credential that reached the verifier in another encoding than UTF-8
(a Windows editor or a PowerShell redirect writes UTF-16, an old tool Latin-1): the file is
unreadable as it stands, and the verdict says so and how to mend it, never that the seal is
broken. The input is an official sealed sample, re-encoded."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from edcbridge.seal.cli import make_verify_command
from edcbridge.seal.verify import verify_document

SAMPLE = Path("examples") / "elm-repo-v3-jsonld" / "Sample-CertOfPart-signed.jsonld"


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-32"])
def test_a_seal_in_utf16_or_utf32_is_unreadable_not_invalid(encoding: str, reference: Path,
                                                            tmp_path: Path) -> None:
    path = tmp_path / "received.jsonld"
    path.write_bytes((reference / SAMPLE).read_text("utf-8").encode(encoding))
    seal = verify_document(path.read_bytes()).checks["SEAL"]
    assert seal.status == "ERROR"
    assert "not UTF-8 text" in seal.reason and "UTF-16 or UTF-32" in seal.reason, seal.reason
    result = CliRunner().invoke(make_verify_command(), [str(path)])
    assert result.exit_code == 1, result.output
    assert result.output.startswith(f"{path}: UNREADABLE"), result.output
    assert "changed after sealing" not in result.output


def test_a_seal_in_latin1_names_the_byte_and_its_line(reference: Path, tmp_path: Path) -> None:
    text = (reference / SAMPLE).read_text("utf-8")
    assert not text.isascii()
    path = tmp_path / "received.jsonld"
    path.write_bytes(text.encode("latin-1", errors="replace"))
    seal = verify_document(path.read_bytes()).checks["SEAL"]
    assert seal.status == "ERROR"
    assert seal.reason.startswith("not UTF-8 text (byte 0x"), seal.reason
    assert "on line 1" in seal.reason and "iconv" in seal.reason, seal.reason
