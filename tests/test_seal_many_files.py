"""`edcbridge seal` over a folder's worth of files (`in/*.json`): every file that cannot be
sealed is named in one run, whatever is wrong with it, and none is written."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from edcbridge.cli import main
from edcbridge.seal import devpki

SRC = Path(__file__).resolve().parent.parent / "src"


def _credential(folder: Path, number: int) -> Path:
    path = folder / f"award-{number}-unsigned.json"
    path.write_text(json.dumps({"id": f"urn:credential:{number}", "type": ["VerifiableCredential"]}) + "\n",
                    encoding="utf-8")
    return path


def _seal(written: devpki.TestSeal, files: list[Path], out: Path, *extra: str) -> Result:
    return CliRunner().invoke(main, ["seal", *map(str, files), "--out", str(out), "--p12", str(written.p12),
                                     "--password-file", str(written.password_file), "-q", *extra])


def _nothing_written(out: Path) -> bool:
    return not out.exists() or not any(out.iterdir())


def test_a_folder_a_link_to_nothing_and_a_file_too_large_are_named_with_the_others(
        written: devpki.TestSeal, tmp_path: Path) -> None:
    """`seal in/*.json` with a folder or a dangling link among the names stopped at the first
    such name (a usage error, naming it alone); a file of any size was read whole."""
    good = _credential(tmp_path, 1)
    folder = tmp_path / "more.json"
    folder.mkdir()
    dangling = tmp_path / "moved.json"
    dangling.symlink_to(tmp_path / "gone.json")
    huge = tmp_path / "dump.json"
    with huge.open("wb") as handle:
        handle.truncate(21 * 1024 * 1024)  # sparse: above the 20 MiB a credential file may hold
    cut = tmp_path / "cut.json"
    cut.write_text('{"id": ', encoding="utf-8")
    out = tmp_path / "out"
    result = _seal(written, [good, folder, dangling, huge, cut], out)
    assert result.exit_code == 1, result.output
    assert "Usage:" not in result.stderr and "Traceback" not in result.output
    problems = [line.strip() for line in result.stderr.splitlines() if line.startswith(f"  {tmp_path}")]
    assert [line.split(": ")[0] for line in problems] == [str(folder), str(dangling), str(huge), str(cut)]
    assert "a folder, not a file: give the files in it instead" in problems[0]
    assert f"a link to {tmp_path / 'gone.json'}, which does not exist" in problems[1]
    assert "limit for credentials" in problems[2] and "not JSON" in problems[3]
    assert _nothing_written(out)


def test_a_file_this_user_may_not_read_is_named_with_the_others(written: devpki.TestSeal,
                                                               tmp_path: Path) -> None:
    """It was a usage error naming it alone (exit 2)."""
    command = [sys.executable, "-m", "edcbridge"]
    if os.geteuid() == 0:  # as root, without the capabilities that pass over file permissions
        setpriv = shutil.which("setpriv")
        if setpriv is None:
            pytest.skip("running as root without setpriv: file permissions cannot be tested")
        command = [setpriv, "--bounding-set=-dac_override,-dac_read_search", *command]
    locked = _credential(tmp_path, 2)
    locked.chmod(0)
    cut = tmp_path / "cut.json"
    cut.write_text('{"id": ', encoding="utf-8")
    out = tmp_path / "out"
    result = subprocess.run([*command, "seal", str(_credential(tmp_path, 1)), str(locked), str(cut), "-q",
                             "--out", str(out), "--p12", str(written.p12),
                             "--password-file", str(written.password_file)],
                            capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(SRC)},
                            timeout=300, check=False)
    assert result.returncode == 1, result.stderr
    said = f"  {locked}: cannot read the file (Permission denied): check the file's permissions"
    assert said in result.stderr
    assert f"  {cut}: not JSON" in result.stderr and _nothing_written(out)


def test_a_name_that_names_nothing_is_still_a_usage_error(written: devpki.TestSeal, tmp_path: Path) -> None:
    result = _seal(written, [_credential(tmp_path, 1), tmp_path / "typo.json"], tmp_path / "out")
    assert result.exit_code == 2 and "typo.json" in result.stderr and "does not exist" in result.stderr
