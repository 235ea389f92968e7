"""The preview page as HTML: every Annex I element, languages, seal status, QR code, safety."""

from __future__ import annotations

import json
import re
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from edcbridge.mapping.edc import to_edc
from edcbridge.output import serialise
from edcbridge.preview import PreviewOptions, preview_awards, preview_file, preview_files, render_html
from edcbridge.preview.annex import annex1_elements, claims, missing_getters
from edcbridge.preview.cli import register
from edcbridge.seal import Sealer
from edcbridge.validation.annex1 import ELEMENTS
from edcbridge.xml.importer import NotImportable
from tests.preview_support import first_award, fixture_pairs, make_key

SAMPLES = "examples/elm-repo-v3-jsonld"


def _texts(html: str, lang: str) -> list[str]:
    return re.findall(rf'<span lang="{lang}"[^>]*>([^<]*)</span>', html)


def test_every_annex1_element_has_a_place_on_the_page() -> None:
    assert missing_getters() == []
    award, catalogue = first_award("imperial")
    html = render_html(to_edc(award, catalogue))
    for name, *_ in ELEMENTS:
        assert f">{name.replace('(', '(')}<" in html.replace("&#x27;", "'"), name


@pytest.mark.parametrize("name", ["Sample-MC-Annex1-unsigned.jsonld", "Sample-CertOfPart-unsigned.jsonld"])
def test_page_shows_a_value_exactly_where_the_annex1_check_finds_one(reference: Path, name: str) -> None:
    doc = json.loads((reference / SAMPLES / name).read_text("utf-8"))
    elements = annex1_elements(doc)
    assert [e.name for e in elements] == [name for name, *_ in ELEMENTS]
    for element, (_, present, _, _) in zip(elements, ELEMENTS, strict=True):
        shown = bool(element.values) or element.partial_flag is not None
        assert shown == present(doc), element.name
    html = render_html(doc)
    if "CertOfPart" in name:  # a certificate of participation: no micro-credential, no table
        assert 'id="annex1"' not in html
        return
    shown_count = sum(1 for e in elements if e.values or e.partial_flag is not None)
    table = html.split('id="annex1"')[1].split("</table>")[0]
    assert table.count('class="missing"') == len(elements) - shown_count


def test_a_qualifications_framework_is_not_shown_as_the_level(reference: Path) -> None:
    """The check finds no Level element in an nqfLevel that is a framework, not a level of it:
    the page shows none either."""
    doc = json.loads((reference / SAMPLES / "Sample-MC-Annex1-unsigned.jsonld").read_text("utf-8"))
    spec = claims(doc)[0]["specifiedBy"]
    del spec["eqfLevel"]
    spec["nqfLevel"] = {"id": "http://data.europa.eu/snb/qdr/c_36ff4631", "type": "Concept",
                        "prefLabel": {"en": "Credit and Qualifications Framework for Wales"}}
    level = next(e for e in annex1_elements(doc) if e.name.startswith("Level "))
    assert level.values == []
    row = render_html(doc).split(f">{level.name}<")[1].split("</tr>")[0]
    assert 'class="missing"' in row and "Credit and Qualifications Framework" not in row


@pytest.mark.parametrize(("fixture_set", "languages"), [
    ("wales", ["cy", "en"]), ("cmf", ["el", "en"]), ("sofia", ["bg", "en"]),
    ("warsaw", ["pl", "en"]), ("galway", ["en", "ga"]), ("imperial", ["en"]),
])
def test_texts_appear_in_each_language_with_lang(fixture_set: str, languages: list[str]) -> None:
    award, catalogue = first_award(fixture_set)
    spec = catalogue.specification(award.specification)
    assert spec is not None
    html = render_html(to_edc(award, catalogue))
    assert html.startswith("<!DOCTYPE html>\n<html lang=\"en\">")
    for lang in languages:
        if lang in spec.title:
            assert spec.title[lang] in _texts(html, lang), (lang, spec.title[lang])


def test_unsealed_credential_says_so_and_has_no_script(tmp_path: Path) -> None:
    award, catalogue = first_award("wales")
    html = render_html(to_edc(award, catalogue), PreviewOptions(verify_url="https://verify.example.ac.uk/{id}"))
    assert "NOT SEALED" in html
    assert "<script" not in html.lower()
    assert "default-src 'none'" in html
    assert '<svg role="img"' in html and "<title>QR code of the verification link</title>" in html
    assert 'href="https://verify.example.ac.uk/urn%3Acredential%3A' in html


def test_sealed_credential_shows_each_check_and_a_tampered_one_fails(tmp_path: Path) -> None:
    award, catalogue = first_award("imperial")
    text = serialise(to_edc(award, catalogue)).decode("utf-8")
    sealed = tmp_path / "sealed.jsonld"
    sealed.write_text(Sealer(make_key()).seal(text), encoding="utf-8")
    good = preview_file(sealed, tmp_path / "out")
    assert good.form == "jades" and good.seal is not None
    assert good.seal["SEAL"]["status"] == "OK"
    page = good.html.read_text("utf-8")
    for check in ("SEAL", "TIMESTAMP", "FORMAT", "EXPIRY", "REVOCATION"):
        assert f'<th scope="row">{check}</th>' in page
    tampered = tmp_path / "tampered.jsonld"
    tampered.write_text(sealed.read_text("utf-8").replace("Machine Learning", "Machine Iearning", 1), "utf-8")
    bad = preview_file(tampered, tmp_path / "out")
    assert bad.seal is not None and bad.seal["SEAL"]["status"] == "ERROR"
    assert 'status-error">ERROR<' in bad.html.read_text("utf-8")


def test_text_is_escaped() -> None:
    award, catalogue = first_award("imperial")
    doc = to_edc(award, catalogue)
    doc["displayParameter"] = dict(doc["displayParameter"], title={"en": "<script>alert(1)</script>"})
    html = render_html(doc)
    assert "<script>alert" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html


@pytest.mark.parametrize("name", ["Sample-CertOfPart-unsigned-uploadable.json",
                                  "Sample-MC-Annex1-signed.jsonld"])
def test_ec_samples_in_every_form(reference: Path, tmp_path: Path, name: str) -> None:
    result = preview_file(reference / SAMPLES / name, tmp_path)
    assert result.form in ("upload-wrapper", "jades")
    html = result.html.read_text("utf-8")
    assert "<h1>" in html
    activity = "CertOfPart" in name  # claims a learning activity only: no micro-credential
    assert ("Micro-credential elements (Annex I)" in html) is not activity
    assert (">Learning activities<" in html) is activity
    if result.form == "jades":
        assert result.seal is not None and result.seal["SEAL"]["status"] == "OK"


def test_edc_xml_is_previewed_through_the_importer(reference: Path, tmp_path: Path) -> None:
    source = reference / "examples/edci-1.7.3-xml/sealed/sewing_course.xml"
    result = preview_file(source, tmp_path)
    assert result.notes and "EDC XML" in result.notes[0]
    assert result.seal is not None and result.seal["SEAL"]["status"] == "OK"
    page = result.html.read_text("utf-8")
    assert "Seal form: <strong>XAdES</strong>" in page and "Achievements" in page
    claimless = reference / "examples/elm-repo-xml-v1.2-unsigned/EDC_WileECoyote_Simple.xml"
    assert any("claims no achievement" in note for note in preview_file(claimless, tmp_path).notes)
    untitled = tmp_path / "untitled.xml"
    untitled.write_bytes(re.sub(rb"<title>.*?</title>", b"", claimless.read_bytes(), count=1, flags=re.S))
    with pytest.raises(NotImportable, match="has no title"):
        preview_file(untitled, tmp_path)


def test_preview_awards_writes_one_page_per_award(tmp_path: Path) -> None:
    results = [result for _, award, catalogue in fixture_pairs()[:5]
               for result in preview_awards([award], catalogue, tmp_path)]
    assert len({r.html for r in results}) == 5 and all(r.html.is_file() for r in results)


def test_same_file_names_from_two_folders_do_not_overwrite(tmp_path: Path) -> None:
    award, catalogue = first_award("sofia")
    for folder in ("a", "b"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "credential.jsonld").write_bytes(serialise(to_edc(award, catalogue)))
    results = preview_files([tmp_path / "a" / "credential.jsonld", tmp_path / "b" / "credential.jsonld"],
                            tmp_path / "out")
    assert [r.html.name for r in results] == ["credential.html", "credential-2.html"]


def test_cli_preview(reference: Path, tmp_path: Path) -> None:
    group = click.Group()
    register(group)
    runner = CliRunner()
    sample = reference / SAMPLES / "Sample-MC-Annex1-signed.jsonld"
    result = runner.invoke(group, ["preview", str(sample), str(tmp_path / "missing.jsonld"), "--out",
                                   str(tmp_path / "p"), "--json", "--no-format-check"])
    assert result.exit_code == 2  # a missing file is a usage error (click)
    result = runner.invoke(group, ["preview", str(sample), "--out", str(tmp_path / "p"), "--json",
                                   "--no-format-check"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data[0]["seal"]["SEAL"]["status"] == "OK"
    not_json = tmp_path / "notes.txt"
    not_json.write_text("hello", encoding="utf-8")
    result = runner.invoke(group, ["preview", str(not_json), "--out", str(tmp_path / "p")])
    assert result.exit_code == 1 and "not JSON" in result.stderr
    result = runner.invoke(group, ["preview", str(sample), "--out", str(tmp_path / "p"), "--verify-url", "x"])
    assert result.exit_code == 2 and "{id}" in result.output
