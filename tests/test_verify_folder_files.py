"""verify and validate over a whole output folder (``OUT/*`` and ``OUT/*/*``): the files it holds
beside the credentials (preview pages, the run's reports, a did:web issuer's DID document, a LOQ
record) are named as what they are, judged by their content, and fail nothing; the credentials
keep their verdicts."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from edcbridge.cli import main
from edcbridge.load import load_catalogue
from edcbridge.schemas import SchemaStore
from edcbridge.sealing import demo_seal
from tests.fake_http import FakeServer
from tests.fake_wallet import WalletFake
from tests.test_badges_data_integrity import SOFIA, _catalogue_with_did
from tests.test_erase import CATALOGUE, _export, _fixture_rows

NOT_CREDENTIALS = {
    "report.json": "a run's report (report.json",
    "report.csv": "a run's report (report.csv",
    "report.html": "a run's report (report.html",
    "deliveries.csv": "a run's report (deliveries.csv",
    "did.json": "a DID document",
    "loq/imperial.xml": "a LOQ record for a register",
}


@pytest.fixture
def out(tmp_path: Path, store: SchemaStore, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Three imperial awards exported as EDC, EBSI and EDC XML, sealed, with preview pages,
    delivered to a test wallet, with their Open Badges, the catalogue's LOQ record, and the DID
    document a did:web issuer's badges put beside them."""
    monkeypatch.setenv("EDCBRIDGE_SCHEMAS", str(store.root))
    server = FakeServer(WalletFake()).start()
    try:
        out = _export(tmp_path, _fixture_rows()[:3], demo_seal(tmp_path / "seal", load_catalogue(CATALOGUE)),
                      server).out
    finally:
        server.stop()
    assert CliRunner().invoke(main, ["loq", str(CATALOGUE), "-o", str(out), "-q"]).exit_code == 0
    catalogue = _catalogue_with_did(tmp_path / "web", "did:web:registry.uni-sofia.example")
    issuer_seal = demo_seal(tmp_path / "web-seal", load_catalogue(catalogue))
    (tmp_path / "web-password.txt").write_bytes(issuer_seal.password)
    badges = CliRunner().invoke(main, ["badges", str(SOFIA / "awards.jsonl"), "-c", str(catalogue), "-o",
                                       str(tmp_path / "web-out"), "--seal", str(issuer_seal.p12),
                                       "--password-file", str(tmp_path / "web-password.txt"), "-q"])
    assert badges.exit_code == 0, badges.output
    shutil.copy(tmp_path / "web-out" / "did.json", out / "did.json")
    for name in NOT_CREDENTIALS:
        assert (out / name).is_file(), name
    return out


def _json(*args: str) -> tuple[int, list[dict[str, Any]]]:
    result = CliRunner().invoke(main, [*args, "--json"])
    return result.exit_code, json.loads(result.stdout)


def test_verify_names_the_files_beside_the_credentials_and_fails_none_of_them(
        out: Path, tmp_path: Path) -> None:
    pages = sorted((out / "preview").glob("*.html"))
    sealed = sorted((out / "edc-sealed").glob("*.jsonld"))
    others = [out / name for name in NOT_CREDENTIALS]
    code, results = _json("verify", *map(str, [*others, *pages, *sealed]))
    assert code == 0, results
    verdicts = {Path(r["source"]): r for r in results}
    for path, wanted in [*zip(others, NOT_CREDENTIALS.values(), strict=True),
                         *((page, "a preview page") for page in pages)]:
        result = verdicts[path]
        assert (result["verdict"], result["ok"]) == ("NOT A CREDENTIAL", True), result
        assert result["verdict_reason"].startswith(wanted), result
        assert {check["status"] for check in result["checks"].values()} == {"SKIPPED"}
    assert {verdicts[path]["verdict"] for path in sealed} == {"UNCONFIRMED"}

    lines = CliRunner().invoke(main, ["verify", *map(str, [*others, pages[0]])])
    assert lines.exit_code == 0, lines.output
    assert "remove the DOCTYPE" not in lines.stdout and "UNREADABLE" not in lines.stdout
    assert f"{out / 'did.json'}: NOT A CREDENTIAL: a DID document" in lines.stdout
    assert lines.stdout.rstrip().endswith("7 files: 7 NOT A CREDENTIAL")

    plain = sorted((out / "edc").glob("*.jsonld"))[0]  # an unsealed credential stays NOT SEALED
    code, (result,) = _json("verify", str(plain))
    assert (code, result["verdict"]) == (1, "NOT SEALED")


def test_verify_judges_by_content_not_by_name(out: Path, tmp_path: Path) -> None:
    renamed = tmp_path / "credential.jsonld"
    shutil.copy(out / "did.json", renamed)
    sealed = sorted((out / "edc-sealed").glob("*.jsonld"))[0]
    posing = tmp_path / "report.json"
    shutil.copy(sealed, posing)
    code, (did, credential) = _json("verify", str(renamed), str(posing))
    assert code == 0
    assert (did["verdict"], credential["verdict"]) == ("NOT A CREDENTIAL", "UNCONFIRMED")


def test_validate_skips_the_files_beside_the_credentials_and_still_checks_the_loq_record(
        out: Path, tmp_path: Path) -> None:
    pages = sorted((out / "preview").glob("*.html"))
    others = [out / name for name in NOT_CREDENTIALS if name != "loq/imperial.xml"]
    sealed = sorted((out / "edc-sealed").glob("*.jsonld"))[0]
    loq = out / "loq" / "imperial.xml"
    code, results = _json("validate", *map(str, [*others, pages[0], loq, sealed]))
    assert code == 0, results
    by_source = {Path(r["source"]): r for r in results}
    for path in [*others, pages[0]]:
        result = by_source[path]
        assert (result["ok"], result["findings"], result["checks"]) == (True, [], []), result
        assert result["not_a_credential"], result
    assert by_source[out / "did.json"]["not_a_credential"].startswith("a DID document")
    assert by_source[pages[0]]["not_a_credential"].startswith("a preview page")
    assert (by_source[loq]["checks"], by_source[loq]["ok"]) == (["xsd"], True)
    assert "not_a_credential" not in by_source[sealed] and by_source[sealed]["ok"] is True
    assert "shacl" in by_source[sealed]["checks"]

    lines = CliRunner().invoke(main, ["validate", str(out / "did.json"), str(pages[0])])
    assert lines.exit_code == 0, lines.output
    assert f"SKIPPED {out / 'did.json'}: not a credential: a DID document" in lines.stdout
    assert "annex1" not in lines.stdout and "DOCTYPE" not in lines.stdout


def test_verify_xml_names_the_files_beside_the_credentials_as_verify_does(out: Path) -> None:
    pages = sorted((out / "preview").glob("*.html"))
    others = [out / name for name in NOT_CREDENTIALS]
    sealed = sorted((out / "edc-xml").glob("*.xml"))[0]
    code, results = _json("verify-xml", *map(str, [*others, pages[0], sealed]))
    assert code == 0, results
    verdicts = {Path(r["file"]): r for r in results}
    for path, wanted in [*zip(others, NOT_CREDENTIALS.values(), strict=True), (pages[0], "a preview page")]:
        result = verdicts[path]
        assert (result["verdict"], result["ok"]) == ("NOT A CREDENTIAL", True), result
        assert result["verdict_reason"].startswith(wanted), result
        assert {check["status"] for check in result["checks"].values()} == {"SKIPPED"}, result
    assert verdicts[sealed]["verdict"] == "UNCONFIRMED", verdicts[sealed]

    lines = CliRunner().invoke(main, ["verify-xml", *map(str, [*others, pages[0]])])
    assert lines.exit_code == 0, lines.output
    assert "remove the DOCTYPE" not in lines.stdout and "ask the issuer" not in lines.stdout.lower()
    assert f"{out / 'loq' / 'imperial.xml'}: NOT A CREDENTIAL: a LOQ record" in lines.stdout
    assert lines.stdout.rstrip().endswith("7 files: 7 NOT A CREDENTIAL")


def test_validate_xml_skips_the_files_beside_the_credentials_and_checks_the_loq_record(out: Path) -> None:
    page = sorted((out / "preview").glob("*.html"))[0]
    others = [out / name for name in NOT_CREDENTIALS if name != "loq/imperial.xml"]
    loq = out / "loq" / "imperial.xml"
    code, results = _json("validate-xml", *map(str, [*others, page, loq]))
    assert code == 0, results
    by_source = {Path(r["source"]): r for r in results}
    for path in [*others, page]:
        result = by_source[path]
        assert (result["ok"], result["findings"], result["checks"]) == (True, [], []), result
        assert result["not_a_credential"], result
    assert by_source[page]["not_a_credential"].startswith("a preview page")
    assert by_source[out / "report.json"]["not_a_credential"].startswith("a run's report (report.json")
    assert (by_source[loq]["checks"], by_source[loq]["ok"]) == (["xsd"], True)
    assert "not_a_credential" not in by_source[loq]

    lines = CliRunner().invoke(main, ["validate-xml", str(out / "report.html"), str(out / "did.json")])
    assert lines.exit_code == 0, lines.output
    assert f"SKIPPED {out / 'report.html'}: not a credential: a run's report (report.html" in lines.stdout
    assert f"SKIPPED {out / 'did.json'}: not a credential: a DID document" in lines.stdout
    assert "DOCTYPE" not in lines.stdout and "not XML" not in lines.stdout


def test_preview_makes_no_page_of_the_files_beside_the_credentials(out: Path, tmp_path: Path) -> None:
    page = sorted((out / "preview").glob("*.html"))[0]
    others = [out / name for name in NOT_CREDENTIALS]
    sealed = sorted((out / "edc-sealed").glob("*.jsonld"))[0]
    pages = tmp_path / "pages"
    code, results = _json("preview", "-o", str(pages), *map(str, [*others, page, sealed]))
    assert code == 0, results
    by_source = {Path(r["source"]): r for r in results}
    for path, wanted in [*zip(others, NOT_CREDENTIALS.values(), strict=True), (page, "a preview page")]:
        result = by_source[path]
        assert (result["verdict"], result["html"]) == ("NOT A CREDENTIAL", None), result
        assert result["not_a_credential"].startswith(wanted), result
    assert by_source[sealed]["verdict"] == "UNCONFIRMED" and by_source[sealed]["html"]
    assert [p.name for p in pages.iterdir()] == [Path(by_source[sealed]["html"]).name]  # no did.html

    lines = CliRunner().invoke(main, ["preview", "-o", str(tmp_path / "more"), str(out / "report.html"),
                                      str(page)])
    assert lines.exit_code == 0, lines.output
    assert f"{out / 'report.html'}: NOT A CREDENTIAL: a run's report (report.html" in lines.stderr
    assert "DOCTYPE" not in lines.stderr and "error:" not in lines.stderr
    assert "0 previewed (0 with a seal that does not verify, 0 with another seal check failed), " \
           "2 not a credential, 0 failed" in lines.stderr


@pytest.mark.parametrize("name", [*NOT_CREDENTIALS, "preview"])
def test_inspect_names_a_file_beside_the_credentials(out: Path, name: str) -> None:
    path = sorted((out / "preview").glob("*.html"))[0] if name == "preview" else out / name
    wanted = NOT_CREDENTIALS.get(name, "a preview page")
    lines = CliRunner().invoke(main, ["inspect", str(path)])
    assert lines.exit_code == 0, lines.output
    assert lines.stdout.startswith(f"{path}: NOT A CREDENTIAL: {wanted}"), lines.stdout
    assert lines.stderr == ""
    result = CliRunner().invoke(main, ["inspect", str(path), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["not_a_credential"].startswith(wanted)
