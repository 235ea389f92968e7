"""What a script over many received credentials relies on: validate and validate-xml give each
file's result on stdout in the same form, one bad file fails alone while the rest are checked,
and preview exits as verify-xml does on the same seal."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from edcbridge.cli import main
from edcbridge.schemas import SchemaStore

XSD_KO = Path("examples", "edci-1.7.3-xml", "xsdValidation", "credential-generic-profile-xsd-ko.xml")
SEALED_JSON = Path("examples", "elm-repo-v3-jsonld", "Sample-MC-Annex1-signed.jsonld")


def test_validate_xml_gives_its_findings_on_stdout_as_validate_does(reference: Path,
                                                                    store: SchemaStore) -> None:
    invalid = str(reference / XSD_KO)
    env = {"EDCBRIDGE_SCHEMAS": str(store.root)}
    by_validate = CliRunner().invoke(main, ["validate", invalid], env=env)
    by_validate_xml = CliRunner().invoke(main, ["validate-xml", invalid], env=env)
    assert by_validate_xml.exit_code == by_validate.exit_code == 1
    assert "ERROR" in by_validate_xml.stdout, by_validate_xml.output
    assert by_validate_xml.stdout == by_validate.stdout
    assert by_validate_xml.stderr == "", by_validate_xml.stderr


def test_a_file_that_fails_to_read_fails_alone_in_a_validate_batch(reference: Path,
                                                                   store: SchemaStore) -> None:
    """A read that ends in an I/O error (a failing disk or network share; here /proc/self/mem,
    whose first page the kernel refuses with EIO) is that file's finding, as in validate-xml
    and verify: the other files are still checked and the JSON list still written."""
    failing = Path("/proc/self/mem")
    if not failing.exists():
        pytest.skip("no /proc/self/mem to fail a read with")
    readable = str(reference / SEALED_JSON)
    result = CliRunner().invoke(main, ["validate", "--json", str(failing), readable],
                                env={"EDCBRIDGE_SCHEMAS": str(store.root)})
    assert result.exit_code == 1, result.output
    reports = {report["source"]: report for report in json.loads(result.stdout)}
    assert list(reports) == [str(failing), readable]
    assert not reports[str(failing)]["ok"] and reports[readable]["ok"]
    finding = reports[str(failing)]["findings"][0]
    assert "cannot read the file (Input/output error)" in finding["message"], finding
    assert "copy it again" in finding["fix"], finding


SEALED_XML = Path("examples", "edci-1.7.3-xml", "sealed")


@pytest.mark.parametrize(("sample", "code"), [("signedSampleXML-B.badSign.xml", 1), ("sewing_course.xml", 0)])
def test_preview_exits_as_verify_xml_does_on_a_seal_check_that_failed(reference: Path, tmp_path: Path,
                                                                      sample: str, code: int) -> None:
    """The EDCI sample sealed with a certificate that has expired, with no timestamp to prove an
    earlier seal, is a CHECK with an EXPIRY error: verify-xml exits 1 on it, and so does preview,
    naming the check; an intact seal passes both."""
    path = str(reference / SEALED_XML / sample)
    verified = CliRunner().invoke(main, ["verify-xml", path])
    previewed = CliRunner().invoke(main, ["preview", path, "-o", str(tmp_path / "pages"), "--json"])
    assert verified.exit_code == previewed.exit_code == code, (verified.output, previewed.stderr)
    if code:
        [page] = json.loads(previewed.stdout)
        assert page["verdict"] == "CHECK" and page["seal"]["EXPIRY"]["status"] == "ERROR", page
        assert f"error: {path}: CHECK: the seal's EXPIRY check failed" in previewed.stderr


def test_verify_xml_lists_the_same_checks_for_every_file(reference: Path, tmp_path: Path) -> None:
    """A script reads checks["REVOCATION"] of each file: an empty or unsealed document lists every
    check, those not run SKIPPED, as a sealed one does (and as verify does for JSON)."""
    empty = tmp_path / "empty.xml"
    empty.write_bytes(b"")
    unsealed = reference / "examples" / "elm-repo-xml-v1.2-unsigned" / "EDC_WileECoyote_Simple.xml"
    sealed = reference / SEALED_XML / "sewing_course.xml"
    result = CliRunner().invoke(main, ["verify-xml", "--json", str(sealed), str(unsealed), str(empty)])
    reports = json.loads(result.stdout)
    assert [r["verdict"] for r in reports] == ["UNCONFIRMED", "NOT SEALED", "UNREADABLE"]
    assert [list(r["checks"]) for r in reports] == [list(reports[0]["checks"])] * 3
    for report in reports[1:]:
        assert {check["status"] for name, check in report["checks"].items() if name != "SEAL"} == {"SKIPPED"}


def test_preview_json_lists_a_file_it_could_not_render_in_its_place(reference: Path, tmp_path: Path) -> None:
    """One object per file given, in their order, as verify lists an UNREADABLE file: a script
    pairing files with results finds the one no page was made of."""
    empty = tmp_path / "empty.jsonld"
    empty.write_bytes(b"")
    sealed = str(reference / SEALED_XML / "sewing_course.xml")
    pages = str(tmp_path / "pages")
    result = CliRunner().invoke(main, ["preview", "--json", "-o", pages, str(empty), sealed])
    assert result.exit_code == 1, result.output
    first, second = json.loads(result.stdout)
    assert (first["source"], first["verdict"], first["html"]) == (str(empty), "UNREADABLE", None)
    assert "the file is empty" in first["error"], first
    assert set(first) - {"error"} == set(second)
    assert second["source"] == sealed and Path(second["html"]).is_file()
