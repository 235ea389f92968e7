"""`schemas status` and the commands that read the store, as an administrator meets them: a
store not there yet, files missing or edited by hand, files another user installed that this
user may not read. Every message names what is wrong and the command that puts it right."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from edcbridge.cli import main
from edcbridge.schemas import SchemaStore, manifest

CONTEXT = "w3c-vc-contexts/credentials-v1.jsonld"
OB3_PROFILE = "ob3-clr/schemas/ob-v3p0-formal-2024/profile.json"
EDCBRIDGE = Path(sys.executable).with_name("edcbridge")


def run_unprivileged(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run the installed ``edcbridge`` as a user that file permissions apply to: as root,
    without the capabilities that pass over them (``setpriv``); as anyone else, as is."""
    command = [str(EDCBRIDGE), *args]
    if os.geteuid() == 0:
        setpriv = shutil.which("setpriv")
        if setpriv is None:
            pytest.skip("running as root without setpriv: file permissions cannot be tested")
        command = [setpriv, "--bounding-set=-dac_override,-dac_read_search", *command]
    return subprocess.run(command, capture_output=True, text=True, timeout=120,
                          env={**os.environ, **(env or {})}, check=False)


@pytest.fixture
def own_store(reference: Path, tmp_path: Path) -> SchemaStore:
    store = SchemaStore(tmp_path / "store")
    assert not store.install_from(reference).failed
    return store


def test_status_of_a_store_not_there_says_so_and_what_to_run(tmp_path: Path) -> None:
    store = tmp_path / "typo"
    result = CliRunner().invoke(main, ["schemas", "status", "--store", str(store)])
    assert result.exit_code == 1
    assert f"store: {store} (it does not exist)\n" in result.stderr
    assert f"0 of {len(manifest())} files intact; {len(manifest())} missing" in result.stderr
    assert f"'edcbridge schemas install --store {store} --download'" in result.stderr
    assert f"'edcbridge schemas install --store {store} --from DIR'" in result.stderr


def test_status_counts_missing_and_modified_files_and_names_the_fix(own_store: SchemaStore) -> None:
    (own_store.root / CONTEXT).write_text("{}", encoding="utf-8")  # edited by hand
    (own_store.root / OB3_PROFILE).unlink()
    result = CliRunner().invoke(main, ["schemas", "status", "--store", str(own_store.root)])
    assert result.exit_code == 1
    assert f"modified   {CONTEXT}" in result.stdout and f"missing    {OB3_PROFILE}" in result.stdout
    summary = result.stderr.splitlines()[-1]
    assert f"{len(manifest()) - 2} of {len(manifest())} files intact; 1 missing, 1 modified" in summary
    assert "replaces what was modified" in summary
    assert f"'edcbridge schemas install --store {own_store.root} --download'" in summary


def test_status_of_an_intact_store_has_nothing_to_fix(own_store: SchemaStore) -> None:
    result = CliRunner().invoke(main, ["schemas", "status", "--store", str(own_store.root)])
    assert result.exit_code == 0
    assert result.stderr.splitlines()[-1] == f"{len(manifest())} of {len(manifest())} files intact"


def test_status_lists_a_file_this_user_may_not_read_without_a_traceback(own_store: SchemaStore) -> None:
    """Installed by a colleague with umask 077: the file is there, but cannot be hashed."""
    (own_store.root / OB3_PROFILE).chmod(0)
    result = run_unprivileged("schemas", "status", "--store", str(own_store.root))
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert f"unreadable {OB3_PROFILE}" in result.stdout
    assert "1 unreadable" in result.stderr and "chmod" in result.stderr


def test_a_command_meeting_an_unreadable_store_file_names_it_and_the_fix(own_store: SchemaStore,
                                                                         tmp_path: Path) -> None:
    (own_store.root / CONTEXT).chmod(0)
    sample = tmp_path / "credential.jsonld"
    sample.write_text("{}", encoding="utf-8")
    result = run_unprivileged("validate", str(sample), env={"EDCBRIDGE_SCHEMAS": str(own_store.root)})
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    where = f"{CONTEXT} in the schema store {own_store.root}"
    assert f"{where} cannot be read: Permission denied" in result.stderr
    assert f"make {own_store.root / CONTEXT} readable" in result.stderr


def test_status_names_a_mirror_install_beside_the_plain_download(own_store: SchemaStore) -> None:
    """The store does not record where its files came from: a store filled from a mirror (no
    direct access to the official servers) is told the install from a mirror as well."""
    (own_store.root / CONTEXT).unlink()
    result = CliRunner().invoke(main, ["schemas", "status", "--store", str(own_store.root)])
    assert result.exit_code == 1
    summary = result.stderr.splitlines()[-1]
    assert f"'edcbridge schemas install --store {own_store.root} --download'" in summary
    assert f"'edcbridge schemas install --store {own_store.root} --download --mirror URL'" in summary
