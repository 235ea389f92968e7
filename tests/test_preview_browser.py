"""Preview pages as a browser shows them: headless Chromium, axe-core (WCAG 2.1 AA), PDF.

Renders the EC's samples (plain, upload wrapper, JAdES-sealed), the production samples and a
sealed credential of every bundled fixture set, then checks the rendered page: the texts in
each language with their ``lang``, no console errors, no axe violations. A screenshot of the
Welsh page is kept in test-artifacts/.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest

from edcbridge import vocab
from edcbridge.mapping.edc import to_edc
from edcbridge.model import Catalogue
from edcbridge.output import serialise
from edcbridge.preview import PreviewOptions, preview_file, preview_files
from edcbridge.preview.pdf import PdfPrinter
from edcbridge.schemas import SchemaStore
from edcbridge.seal import Sealer, SealKey, devpki
from edcbridge.sealing import format_check
from tests.conftest import REFERENCE, need_tool
from tests.preview_support import ARTIFACTS, browser_check, first_award, widths_splitting

FIXTURE_SETS = ("wales", "cmf", "sofia", "warsaw", "galway", "imperial")
XML_SAMPLES = ("examples/edci-1.7.3-xml/sealed/sewing_course.xml",
               "examples/elm-repo-xml-v1.2-unsigned/EDC_SampleACT_AA.xml")
MNI_MC = "mynextid-edc/microcredential/v1/edc/examples/edc-mc-signed.jsonld"
SCREENSHOT = ARTIFACTS / "preview-wales.png"


def _samples() -> list[Path]:
    return sorted([*REFERENCE.glob("examples/elm-repo-v3-jsonld/*.json*"),
                   *REFERENCE.glob("mynextid-edc/*/v1/edc/examples/*.jsonld")])


@pytest.fixture(scope="module")
def rendered(reference: Path, store: SchemaStore,
             tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    work = tmp_path_factory.mktemp("browser")
    pages: dict[str, Path] = {}
    used: set[str] = set()
    options = PreviewOptions(verify_url="https://verify.example.ac.uk/{id}")
    for sample in _samples():
        pages[f"sample:{sample.name}"] = preview_file(sample, work / "pages", options, used).html
    for xml in XML_SAMPLES:  # read through the importer, with its notes
        pages[f"xml:{Path(xml).name}"] = preview_file(reference / xml, work / "pages", options, used).html
    checked = dataclasses.replace(options, format_check=format_check(store), languages=("en",))
    pages["format:mc"] = preview_file(reference / MNI_MC, work / "pages", checked, used).html
    for name in FIXTURE_SETS:  # each sealed by its own issuer, whose CA the verifier trusts
        award, catalogue = first_award(name)
        pki = _issuers_pki(catalogue)
        sealed = work / f"{name}.jsonld"
        sealer = Sealer(SealKey(pki.seal.key, pki.seal.certificate, (pki.root.certificate,)))
        sealed.write_text(sealer.seal(serialise(to_edc(award, catalogue)).decode("utf-8")), encoding="utf-8")
        trusted = dataclasses.replace(options, trust_anchors=(pki.root.certificate,))
        pages[f"fixture:{name}"] = preview_file(sealed, work / "pages", trusted, used).html
    ARTIFACTS.mkdir(exist_ok=True)
    SCREENSHOT.unlink(missing_ok=True)
    items = [{"file": str(path), **({"screenshot": str(SCREENSHOT)} if key == "fixture:wales" else {})}
             for key, path in pages.items()]
    results = browser_check(items, work)
    return {key: result for key, result in zip(pages, results, strict=True)}


def _issuers_pki(catalogue: Catalogue) -> devpki.DevPki:
    org = catalogue.organisation(catalogue.issuer)
    return devpki.generate(organisation=org.legal_name.get("en") or next(iter(org.legal_name.values())),
                           organisation_identifier=org.eidas_identifier or "",
                           country=vocab.concept("country", org.country).code.upper())


def test_every_sample_and_fixture_was_rendered(rendered: dict[str, dict[str, Any]]) -> None:
    assert len([k for k in rendered if k.startswith("sample:")]) == 13
    assert len([k for k in rendered if k.startswith("fixture:")]) == len(FIXTURE_SETS)
    assert len([k for k in rendered if k.startswith("xml:")]) == len(XML_SAMPLES)


def test_a_format_verdict_reads_as_words(rendered: dict[str, dict[str, Any]]) -> None:
    text = rendered["format:mc"]["text"]
    assert "Seal: CHECK The seal is intact, but the credential does not follow the official EDC" in text
    assert "Texts appear in the languages chosen for this page: English (en)." in text


def test_no_console_errors(rendered: dict[str, dict[str, Any]]) -> None:
    assert {k: r["console"] for k, r in rendered.items() if r["console"]} == {}


def test_axe_finds_no_wcag21_aa_violation(rendered: dict[str, dict[str, Any]]) -> None:
    violations = {k: r["axe"]["violations"] for k, r in rendered.items() if r["axe"]["violations"]}
    assert violations == {}
    assert all(r["axe"]["passes"] >= 15 for r in rendered.values())


# samples whose claims are all learning activities (no micro-credential, so no Annex I table):
# the EC's certificate of participation and MyNextID's credentials but its micro-credential
ACTIVITIES_ONLY = tuple(f"sample:{name}" for name in (
    "Sample-CertOfPart", "edc-cas", "edc-coa", "edc-cps", "edc-coe", "edc-dc", "edc-matriculation"))


def test_page_structure_without_javascript(rendered: dict[str, dict[str, Any]]) -> None:
    for key, page in rendered.items():
        assert page["lang"] == "en" and page["scripts"] == 0, key
        assert page["headings"][0].startswith("H1:") and page["h1"].strip(), key
        sections = [h for h in page["headings"] if h.startswith("H2:")]
        claims = ["H2:Learning activities"] if key.startswith(ACTIVITIES_ONLY) \
            else ["H2:Micro-credential elements (Annex I)", "H2:Achievements"]
        assert sections == ["H2:Summary", "H2:Seal and verification", *claims, "H2:Full record"], key


@pytest.mark.parametrize("name", FIXTURE_SETS)
def test_fixture_texts_visible_in_each_language(rendered: dict[str, dict[str, Any]], name: str) -> None:
    award, catalogue = first_award(name)
    spec = catalogue.specification(award.specification)
    assert spec is not None
    page = rendered[f"fixture:{name}"]
    marked = {(lang, text) for lang, text in page["langs"]}
    for lang, title in spec.title.items():
        assert (lang, title) in marked, (lang, title)
        assert title in page["text"]
    assert "Seal: VALID" in page["text"] and "Overall: VALID" in page["text"]
    assert f"{award.learner.given_name.get(next(iter(award.learner.given_name)))}" in page["text"]


def test_sealed_ec_sample_shows_its_checks(rendered: dict[str, dict[str, Any]]) -> None:
    page = rendered["sample:Sample-MC-Annex1-signed.jsonld"]
    assert "Seal form: JAdES" in page["text"] and "REVOCATION" in page["text"]
    assert "Ana Andromeda" in page["text"]


def test_screenshot_is_kept(rendered: dict[str, dict[str, Any]]) -> None:
    data = SCREENSHOT.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 20_000


def test_pdf_batch_with_one_chromium(tmp_path: Path) -> None:
    need_tool("chromium")
    sources = []
    for name in ("cmf", "sofia", "galway"):
        award, catalogue = first_award(name)
        sources.append(tmp_path / f"{name}.jsonld")
        sources[-1].write_bytes(serialise(to_edc(award, catalogue)))
    results = preview_files(sources, tmp_path / "out", PreviewOptions(pdf=True))
    for result in results:
        assert result.pdf is not None
        data = result.pdf.read_bytes()
        assert data.startswith(b"%PDF-") and len(data) > 10_000
        assert b"/Type /Page" in data or b"/Type/Page" in data
    assert not list((tmp_path / "out").glob(".*")), "temporary files left behind"
    single = preview_file(sources[0], tmp_path / "one", PreviewOptions(pdf=True))
    assert single.pdf is not None and single.pdf.read_bytes().startswith(b"%PDF-")


def test_pdf_error_names_the_fix(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from edcbridge.preview import PdfError

    monkeypatch.setenv("EDCBRIDGE_CHROMIUM", str(tmp_path / "no-such-chromium"))
    page = tmp_path / "p.html"
    page.write_text("<!DOCTYPE html><title>x</title>", encoding="utf-8")
    with pytest.raises(PdfError, match="EDCBRIDGE_CHROMIUM"), PdfPrinter() as printer:
        printer.print(page, tmp_path / "p.pdf")


def test_an_option_named_on_the_page_stays_on_one_line(tmp_path: Path) -> None:
    """The verdict asks for ``--trust-anchor``: at no window width may it wrap after its hyphen."""
    award, catalogue = first_award("imperial")
    pki = _issuers_pki(catalogue)
    sealer = Sealer(SealKey(pki.seal.key, pki.seal.certificate, (pki.root.certificate,)))
    sealed = tmp_path / "sealed.jsonld"
    sealed.write_text(sealer.seal(serialise(to_edc(award, catalogue)).decode("utf-8")), encoding="utf-8")
    page = preview_file(sealed, tmp_path / "pages").html  # no trust anchor: the verdict asks for one
    assert "--trust-anchor" in page.read_text("utf-8")
    assert widths_splitting(page, "--trust-anchor", list(range(260, 900, 4)), tmp_path) == []
