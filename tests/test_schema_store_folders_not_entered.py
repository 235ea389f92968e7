"""A store (or a --from copy) installed by another user with umask 077: its folders are 0700
too, so this user cannot even tell whether the files are there. Each command says so with
the fix, never a traceback, never 'not installed'."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from edcbridge.schemas import SchemaStore
from tests.test_schema_status_cases import run_unprivileged

FOLDER = "w3c-vc-contexts"
CONTEXT = f"{FOLDER}/credentials-v1.jsonld"


@pytest.fixture
def locked_store(reference: Path, tmp_path: Path) -> Iterator[SchemaStore]:
    store = SchemaStore(tmp_path / "store")
    assert not store.install_from(reference).failed
    (store.root / FOLDER).chmod(0)
    yield store
    (store.root / FOLDER).chmod(0o755)  # for the removal of tmp_path


def test_status_lists_the_files_of_a_folder_not_entered_as_unreadable(locked_store: SchemaStore) -> None:
    result = run_unprivileged("schemas", "status", "--store", str(locked_store.root))
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert f"unreadable {CONTEXT}" in result.stdout
    assert "2 unreadable" in result.stderr and "chmod -R a+rX" in result.stderr
    assert "missing" not in result.stderr


def test_a_command_meeting_a_store_folder_not_entered_names_the_fix(locked_store: SchemaStore,
                                                                    tmp_path: Path) -> None:
    sample = tmp_path / "credential.jsonld"
    sample.write_text("{}", encoding="utf-8")
    result = run_unprivileged("validate", str(sample), env={"EDCBRIDGE_SCHEMAS": str(locked_store.root)})
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    where = f"{CONTEXT} in the schema store {locked_store.root}"
    assert f"{where} cannot be read: Permission denied" in result.stderr
    assert f"make {locked_store.root / CONTEXT} readable" in result.stderr


@pytest.mark.parametrize("locked", [FOLDER, CONTEXT])
def test_a_from_copy_this_user_may_not_read_names_the_file_and_the_fix(
        reference: Path, tmp_path: Path, locked: str) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(reference, copy)
    (copy / locked).chmod(0)
    try:
        result = run_unprivileged("schemas", "install", "--from", str(copy),
                                  "--store", str(tmp_path / "store"))
    finally:
        (copy / locked).chmod(0o755)
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    line = next(line for line in result.stderr.splitlines() if line.strip().startswith(CONTEXT))
    assert f"{copy / CONTEXT} cannot be read: Permission denied; make it readable for this user" in line


OB3_SCHEMA = "ob3-clr/schemas/ob-v3p0/ob_v3p0_achievementcredential_schema.json"
BADGE = {"@context": ["https://www.w3.org/ns/credentials/v2",
                      "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"],
         "type": ["VerifiableCredential", "OpenBadgeCredential"],
         "credentialSchema": [{"id": "https://purl.imsglobal.org/spec/ob/v3p0/schema/json/"
                                     "ob_v3p0_achievementcredential_schema.json",
                               "type": "1EdTechJsonSchemaValidator2019"}]}


@pytest.mark.parametrize("locked", ["ob3-clr/schemas", OB3_SCHEMA])
def test_a_badge_checked_against_a_1edtech_schema_this_user_may_not_read_names_the_fix(
        reference: Path, tmp_path: Path, locked: str) -> None:
    store = SchemaStore(tmp_path / "store")
    assert not store.install_from(reference).failed
    badge = tmp_path / "badge.json"
    badge.write_text(json.dumps(BADGE), encoding="utf-8")
    (store.root / locked).chmod(0)
    try:
        result = run_unprivileged("validate", str(badge), env={"EDCBRIDGE_SCHEMAS": str(store.root)})
    finally:
        (store.root / locked).chmod(0o755)
    assert "Traceback" not in result.stderr
    output = result.stdout + result.stderr
    assert f" in the schema store {store.root} cannot be read: Permission denied" in output
    assert "readable for this user" in output and "make them readable" in output


@pytest.fixture
def store_behind_a_closed_folder(tmp_path: Path) -> Iterator[Path]:
    """``EDCBRIDGE_SCHEMAS=/root/schemas`` for a user other than root, say."""
    closed = tmp_path / "closed"
    (closed / "store").mkdir(parents=True)
    closed.chmod(0)
    yield closed / "store"
    closed.chmod(0o755)


def test_status_of_a_store_behind_a_folder_not_entered_says_so(store_behind_a_closed_folder: Path) -> None:
    result = run_unprivileged("schemas", "status", "--store", str(store_behind_a_closed_folder))
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert f"store: {store_behind_a_closed_folder} (this user may not reach it" in result.stderr


def test_an_install_into_a_store_behind_a_folder_not_entered_fails_once_with_the_fix(
        reference: Path, store_behind_a_closed_folder: Path) -> None:
    result = run_unprivileged("schemas", "install", "--from", str(reference),
                              "--store", str(store_behind_a_closed_folder))
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr and ": failed:" not in result.stderr
    assert result.stderr.startswith(f"error: cannot write the schema store {store_behind_a_closed_folder}: "
                                     "Permission denied; this user may not write in")
