"""A folder among the files given (``received/*`` where received/ holds a subfolder) is that
name's own result, saying to give the files in it: the commands that check received credentials
go on with the others and exit 1; only a name that names nothing stops them (exit 2)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from edcbridge.cli import main
from edcbridge.schemas import SchemaStore

SEALED_JSON = Path("examples", "elm-repo-v3-jsonld", "Sample-MC-Annex1-signed.jsonld")
SEALED_XML = Path("examples", "edci-1.7.3-xml", "sealed", "sewing_course.xml")
FOLDER_ADVICE = "a folder, not a file: give the files in it instead"


@pytest.fixture
def received(reference: Path, tmp_path: Path) -> Path:
    """A folder as received: a subfolder first (in name order), then a sealed JSON-LD and a
    sealed EDC XML credential."""
    folder = tmp_path / "received"
    (folder / "a-earlier").mkdir(parents=True)
    shutil.copy(reference / SEALED_JSON, folder / "b-credential.jsonld")
    shutil.copy(reference / SEALED_XML, folder / "c-credential.xml")
    return folder


def run(store: SchemaStore, *args: str) -> Result:
    result = CliRunner().invoke(main, [*args], env={"EDCBRIDGE_SCHEMAS": str(store.root)})
    assert "Traceback" not in result.output and not isinstance(result.exception, OSError), result.output
    return result


def given(folder: Path) -> list[str]:
    return sorted(str(path) for path in folder.iterdir())


@pytest.mark.parametrize("command", ["verify", "verify-xml"])
def test_verify_gives_a_folder_its_verdict_and_checks_the_files(command: str, received: Path,
                                                                store: SchemaStore) -> None:
    result = run(store, command, "--json", *given(received))
    assert result.exit_code == 1, result.output
    folder, *files = json.loads(result.stdout)
    assert folder["file"] == str(received / "a-earlier") and folder["verdict"] == "UNREADABLE"
    assert folder["verdict_reason"].startswith(FOLDER_ADVICE), folder["verdict_reason"]
    assert "permissions" not in folder["verdict_reason"]
    checked = [report["file"] for report in files if report["certificate"] is not None]
    assert checked == [str(received / "c-credential.xml")] if command == "verify-xml" else \
        [str(received / "b-credential.jsonld"), str(received / "c-credential.xml")]


@pytest.mark.parametrize("command", ["validate", "validate-xml"])
def test_validate_gives_a_folder_its_finding_and_checks_the_files(command: str, received: Path,
                                                                  store: SchemaStore) -> None:
    result = run(store, command, "--json", *given(received))
    assert result.exit_code == 1, result.output
    folder, *files = json.loads(result.stdout)
    assert folder["source"] == str(received / "a-earlier") and not folder["ok"]
    (finding,) = folder["findings"]
    assert finding["message"] == f"{received / 'a-earlier'}: a folder, not a file", finding
    assert finding["fix"].startswith("give the files in it"), finding
    assert [report["source"] for report in files] == given(received)[1:]
    xml_report = files[-1]
    assert "xsd" in xml_report["checks"] and xml_report["ok"], xml_report


def test_preview_lists_a_folder_as_unreadable_and_renders_the_files(received: Path, store: SchemaStore,
                                                                     tmp_path: Path) -> None:
    result = run(store, "preview", "--json", "-o", str(tmp_path / "pages"), *given(received))
    assert result.exit_code == 1, result.output
    folder, *pages = json.loads(result.stdout)
    assert folder["verdict"] == "UNREADABLE" and FOLDER_ADVICE in folder["error"], folder
    assert all(Path(page["html"]).is_file() for page in pages) and len(pages) == 2


def test_inspect_names_a_folder_as_one(received: Path, store: SchemaStore) -> None:
    result = run(store, "inspect", str(received / "a-earlier"))
    assert result.exit_code == 1, result.output
    assert f"{received / 'a-earlier'}: {FOLDER_ADVICE}" in result.stderr


@pytest.mark.parametrize("command", ["verify", "verify-xml", "validate", "validate-xml", "inspect"])
def test_a_name_that_names_nothing_still_stops_before_any_work(command: str, received: Path,
                                                               store: SchemaStore) -> None:
    result = run(store, command, str(received / "nope.xml"))
    assert result.exit_code == 2 and "does not exist" in result.stderr, result.output
    assert result.stdout == ""


LINK_ADVICE = "which does not exist: give the file itself, or mend the link"


@pytest.fixture
def with_a_dangling_link(received: Path, tmp_path: Path) -> Path:
    """The received folder with a link, first in name order, to a file moved away."""
    (received / "a-earlier").rmdir()
    (received / "a-moved.jsonld").symlink_to(tmp_path / "gone.jsonld")
    return received


@pytest.mark.parametrize("command", ["validate", "validate-xml"])
def test_validate_names_a_link_to_nothing_and_checks_the_files(command: str, with_a_dangling_link: Path,
                                                               store: SchemaStore, tmp_path: Path) -> None:
    """A link to nothing was a usage error (exit 2) that stopped every file from being checked."""
    result = run(store, command, "--json", *given(with_a_dangling_link))
    assert result.exit_code == 1, result.output
    link, *files = json.loads(result.stdout)
    assert link["source"] == str(with_a_dangling_link / "a-moved.jsonld") and not link["ok"]
    (finding,) = link["findings"]
    assert finding["message"] == f"{link['source']}: a link to {tmp_path / 'gone.jsonld'}, " \
        "which does not exist"
    assert finding["fix"] == "give the file itself, or mend the link", finding
    assert [report["source"] for report in files] == given(with_a_dangling_link)[1:]
    assert files[-1]["ok"], files[-1]


def test_verify_xml_names_a_link_to_nothing_and_checks_the_files(with_a_dangling_link: Path,
                                                                   store: SchemaStore) -> None:
    result = run(store, "verify-xml", "--json", *given(with_a_dangling_link))
    assert result.exit_code == 1, result.output
    link, *files = json.loads(result.stdout)
    assert link["verdict"] == "UNREADABLE" and LINK_ADVICE in link["verdict_reason"], link
    assert [report["certificate"] is not None for report in files] == [False, True]


def test_preview_names_a_link_to_nothing_and_renders_the_files(with_a_dangling_link: Path,
                                                                store: SchemaStore, tmp_path: Path) -> None:
    result = run(store, "preview", "--json", "-o", str(tmp_path / "pages"), *given(with_a_dangling_link))
    assert result.exit_code == 1, result.output
    link, *pages = json.loads(result.stdout)
    assert link["verdict"] == "UNREADABLE" and f"a link to {tmp_path / 'gone.jsonld'}, {LINK_ADVICE}" \
        in link["error"], link
    assert all(Path(page["html"]).is_file() for page in pages) and len(pages) == 2


def test_inspect_names_a_link_to_nothing(with_a_dangling_link: Path, store: SchemaStore,
                                         tmp_path: Path) -> None:
    link = with_a_dangling_link / "a-moved.jsonld"
    result = run(store, "inspect", str(link))
    assert result.exit_code == 1, result.output
    assert f"{link}: a link to {tmp_path / 'gone.jsonld'}, {LINK_ADVICE}" in result.stderr
    assert "Usage:" not in result.stderr
