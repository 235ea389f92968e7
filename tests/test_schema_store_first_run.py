"""A new office's first runs against a store installed only in part: an install interrupted,
or made from a copy that lacks some files."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from edcbridge.cli import main
from edcbridge.schemas import SchemaStore, SchemaStoreError, manifest

OB3_PROFILE = "ob3-clr/schemas/ob-v3p0-formal-2024/profile.json"


def _store_without(reference: Path, root: Path, group: str) -> SchemaStore:
    """A store holding every pinned file but those of ``group``."""
    store = SchemaStore(root)
    result = store.install(lambda entry: (reference / entry.path).read_bytes(),
                           [entry for entry in manifest() if entry.group != group])
    assert not result.failed
    return store


@pytest.fixture
def no_reference_beside(monkeypatch: pytest.MonkeyPatch) -> None:
    """As on an installed package: no ../shared/reference fills the store by itself."""
    monkeypatch.setattr("edcbridge.schemas.store.find_reference_dir", lambda: None)


def test_the_demo_stops_before_writing_when_the_store_lacks_the_open_badges_schemas(
        reference: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, no_reference_beside: None) -> None:
    store = _store_without(reference, tmp_path / "store", "ob3")
    monkeypatch.setenv("EDCBRIDGE_SCHEMAS", str(store.root))
    out = tmp_path / "démo out"
    result = CliRunner().invoke(main, ["demo", "-o", str(out)])
    assert result.exit_code == 2, result.stderr
    assert result.exception is None or isinstance(result.exception, SystemExit)
    badges = [entry.path for entry in manifest() if entry.group == "ob3"]
    assert f"pinned files: {len(badges)} missing (such as {badges[0]};" in result.stderr
    assert f"in the schema store {store.root} (set by EDCBRIDGE_SCHEMAS); installing" in result.stderr
    assert "'edcbridge schemas install --download'" in result.stderr
    assert not out.exists()


def test_require_names_a_modified_file_and_the_install_that_replaces_it(
        reference: Path, tmp_path: Path) -> None:
    store = _store_without(reference, tmp_path / "store", "none")
    store.require("the demo")  # every file intact: nothing to say
    with (store.root / OB3_PROFILE).open("ab") as changed:
        changed.write(b" ")
    with pytest.raises(SchemaStoreError) as raised:
        store.require("the demo")
    message = str(raised.value)
    assert f"1 modified (such as {OB3_PROFILE};" in message
    assert "replaces what was modified: run 'edcbridge schemas install --download'" in message
    store.require("the EDC shapes", "jsonld")  # only the groups asked for are checked


def test_a_folder_where_a_pinned_file_belongs_fails_that_file_alone_saying_to_move_it(
        reference: Path, tmp_path: Path) -> None:
    """The store can be written: blaming its permissions and stopping every other file would
    send the administrator the wrong way."""
    store = SchemaStore(tmp_path / "store")
    (store.root / OB3_PROFILE).mkdir(parents=True)
    result = store.install_from(reference)
    assert [path for path, _ in result.failed] == [OB3_PROFILE]
    assert f"{store.root / OB3_PROFILE} is a folder" in result.failed[0][1]
    assert "move the folder away and run the same command again" in result.failed[0][1]
    assert len(result.installed) == len(manifest()) - 1


@pytest.mark.parametrize("missing", [OB3_PROFILE, "ebsi-edc-schema/vcdm2.0-europass-edc-schema/schema.json"])
def test_a_file_the_copy_lacks_is_named_with_where_it_was_looked_for_and_the_fix(
        reference: Path, tmp_path: Path, missing: str) -> None:
    """A copy of the official files with one left out: that file's line says where it was
    looked for and how to get it (from its URL; with no public download, from a complete copy
    or a mirror)."""
    copy = tmp_path / "copy"
    for entry in manifest():
        if entry.path != missing:
            (copy / entry.path).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(reference / entry.path, copy / entry.path)
    result = SchemaStore(tmp_path / "store").install_from(copy)
    assert [path for path, _ in result.failed] == [missing]
    message = result.failed[0][1]
    assert f"not found in {copy} (no file {copy / missing}): " in message
    url = next(entry.url for entry in manifest() if entry.path == missing)
    if url:
        assert f"copy the official file ({url}) there and run the same command again" in message
        assert message.endswith("or install the missing files with --download")
    else:
        assert "it has no public download: copy it there from a complete copy" in message
        assert message.endswith("--download --mirror URL from a mirror that holds it")


def test_an_empty_store_set_by_a_relative_variable_is_named_as_set_by_it_in_a_sentence(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, no_reference_beside: None) -> None:
    """``EDCBRIDGE_SCHEMAS=schemas`` (relative) names the store it sets as an absolute path,
    and the message reads on after saying that the folder does not exist."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("EDCBRIDGE_SCHEMAS", "schemas")
    sample = tmp_path / "credential.jsonld"
    sample.write_text("{}", "utf-8")
    result = CliRunner().invoke(main, ["validate", str(sample)])
    assert result.exit_code == 2
    assert (f"the schema store {tmp_path / 'schemas'} (set by EDCBRIDGE_SCHEMAS; it does not exist) "
            "lacks ") in result.stderr


def test_the_demo_says_which_open_badges_file_is_missing_and_the_fix_without_a_traceback(
        store: SchemaStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A copy of the 1EdTech files (EDCBRIDGE_OB3_SCHEMAS) lacking one is met at the badge step,
    after the credentials: a message naming the file and the install, exit 2, as for the store."""
    from tests.conftest import FIXTURES

    copy = tmp_path / "ob3-clr"
    shutil.copytree(store.root / "ob3-clr", copy)
    schema = "schemas/ob-v3p0/ob_v3p0_achievementcredential_schema.json"
    (copy / schema).unlink()
    monkeypatch.setenv("EDCBRIDGE_SCHEMAS", str(store.root))
    monkeypatch.setenv("EDCBRIDGE_OB3_SCHEMAS", str(copy))
    fixtures = tmp_path / "fixtures"
    shutil.copytree(FIXTURES / "galway", fixtures / "galway")
    result = CliRunner().invoke(main, ["demo", "-o", str(tmp_path / "out"), "--fixtures", str(fixtures)])
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert f"{copy / schema} is missing" in result.stderr
    assert "EDCBRIDGE_OB3_SCHEMAS" in result.stderr
    assert "'edcbridge schemas install --download'" in result.stderr
