"""A received file this user may not read (saved by another account with umask 077, say) is
that file's result: the commands that check a folder of credentials go on with the others and
exit 1, not 2 before any work."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from edcbridge.schemas import SchemaStore
from tests.conftest import ROOT

SEALED_JSON = Path("examples", "elm-repo-v3-jsonld", "Sample-MC-Annex1-signed.jsonld")
SEALED_XML = Path("examples", "edci-1.7.3-xml", "sealed", "sewing_course.xml")


def run_unprivileged(store: SchemaStore, *args: str) -> subprocess.CompletedProcess[str]:
    """``edcbridge ARGS`` as a user that file permissions apply to: as root, without the
    capabilities that pass over them (``setpriv``); as anyone else, as is."""
    command = [sys.executable, "-m", "edcbridge", *args]
    if os.geteuid() == 0:
        setpriv = shutil.which("setpriv")
        if setpriv is None:
            pytest.skip("running as root without setpriv: file permissions cannot be tested")
        command = [setpriv, "--bounding-set=-dac_override,-dac_read_search", *command]
    env = {**os.environ, "EDCBRIDGE_SCHEMAS": str(store.root), "PYTHONPATH": str(ROOT / "src")}
    return subprocess.run(command, capture_output=True, text=True, timeout=300, env=env, check=False)


def received(reference: Path, folder: Path, sample: Path) -> tuple[Path, Path]:
    """A locked copy of *sample* and a readable one, in *folder*."""
    locked, readable = folder / f"locked{sample.suffix}", folder / f"readable{sample.suffix}"
    shutil.copy(reference / sample, locked)
    shutil.copy(reference / sample, readable)
    locked.chmod(0)
    return locked, readable


@pytest.mark.parametrize(("command", "sample"), [("verify", SEALED_JSON), ("verify-xml", SEALED_XML)])
def test_verify_gives_a_locked_file_its_verdict_and_checks_the_rest(command: str, sample: Path,
                                                                    reference: Path, store: SchemaStore,
                                                                    tmp_path: Path) -> None:
    locked, readable = received(reference, tmp_path, sample)
    result = run_unprivileged(store, command, "--json", str(locked), str(readable))
    assert result.returncode == 1, result.stderr
    first, second = json.loads(result.stdout)
    assert first["file"] == str(locked) and first["verdict"] == "UNREADABLE"
    assert "Permission denied" in first["checks"]["SEAL"]["reason"]
    assert "check the file's permissions" in first["verdict_reason"], first["verdict_reason"]
    assert "empty" not in first["verdict_reason"]
    assert second["file"] == str(readable) and second["certificate"] is not None


def test_verify_says_a_locked_file_was_not_read_rather_than_empty(reference: Path, store: SchemaStore,
                                                                  tmp_path: Path) -> None:
    locked, _ = received(reference, tmp_path, SEALED_JSON)
    result = run_unprivileged(store, "verify", str(locked))
    assert result.returncode == 1, result.stderr
    verdict = result.stdout.splitlines()[0]
    assert verdict.startswith(f"{locked}: UNREADABLE: the file could not be read here (Permission denied)")


@pytest.mark.parametrize(("command", "sample"), [("validate", SEALED_JSON), ("validate", SEALED_XML),
                                                  ("validate-xml", SEALED_XML)])
def test_validate_gives_a_locked_file_its_finding_and_checks_the_rest(command: str, sample: Path,
                                                                      reference: Path, store: SchemaStore,
                                                                      tmp_path: Path) -> None:
    locked, readable = received(reference, tmp_path, sample)
    result = run_unprivileged(store, command, "--json", str(locked), str(readable))
    assert result.returncode in (0, 1) and "Traceback" not in result.stderr, result.stderr
    first, second = json.loads(result.stdout)
    assert first["source"] == str(locked) and not first["ok"]
    (finding,) = first["findings"]
    assert "cannot read the file (Permission denied)" in finding["message"], finding
    assert "permissions" in finding["fix"], finding
    assert second["source"] == str(readable) and second["checks"] != first["checks"]


def test_preview_lists_a_locked_file_as_unreadable_and_renders_the_rest(reference: Path, store: SchemaStore,
                                                                        tmp_path: Path) -> None:
    locked, readable = received(reference, tmp_path, SEALED_JSON)
    result = run_unprivileged(store, "preview", "--json", "-o", str(tmp_path / "pages"),
                              str(locked), str(readable))
    assert result.returncode == 1, result.stderr
    first, second = json.loads(result.stdout)
    assert first["verdict"] == "UNREADABLE" and "Permission denied" in first["error"]
    assert Path(second["html"]).is_file()


def test_inspect_names_a_locked_file_and_why(reference: Path, store: SchemaStore, tmp_path: Path) -> None:
    locked, _ = received(reference, tmp_path, SEALED_JSON)
    result = run_unprivileged(store, "inspect", str(locked))
    assert result.returncode == 1, result.stderr
    assert f"{locked}: cannot read the file (Permission denied)" in result.stderr


def test_a_missing_file_is_still_a_usage_error(store: SchemaStore, tmp_path: Path) -> None:
    for command in ("verify", "verify-xml", "validate", "validate-xml", "inspect"):
        result = run_unprivileged(store, command, str(tmp_path / "nope.jsonld"))
        assert result.returncode == 2 and "does not exist" in result.stderr, (command, result.stderr)
