"""What the preview page says about the credential itself: dates, validity, names, languages,
and the EDC XML credentials read through the importer."""

from __future__ import annotations

import json
import re
from html import unescape
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner

from edcbridge.mapping.edc import to_edc
from edcbridge.preview import PreviewOptions, preview_file, render_html
from edcbridge.preview.cli import register
from tests.preview_support import first_award

EC_SAMPLES = "examples/elm-repo-v3-jsonld"
MNI_DEGREE = "mynextid-edc/degree-certificate/v1/edc/examples/edc-dc-signed.jsonld"
ELM32_SAMPLE = "elm3-rdf/3.2/rdf/samples/credential-sample.jsonld"
XML_SEALED = "examples/edci-1.7.3-xml/sealed"


def _load(reference: Path, name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((reference / name).read_text("utf-8"))
    return data


def _section(html: str, section: str) -> str:
    return html.split(f'id="{section}"', 1)[1].split("</section>", 1)[0]


def _row(html: str, label: str) -> str:
    """The text of one row of the summary, tags removed."""
    found = re.search(rf"<dt>{label}</dt><dd>(.*?)</dd>", _section(html, "summary"))
    assert found, label
    return re.sub(r"<[^>]+>", "", found.group(1))


def _header(html: str) -> str:
    return html.split("<header>", 1)[1].split("</header>", 1)[0]


def test_a_time_east_of_utc_keeps_its_day(reference: Path) -> None:
    """The EC's issuer stores midnight in Brussels as 22:00 or 23:00 UTC of the day before."""
    html = render_html(_load(reference, f"{EC_SAMPLES}/Sample-MC-Annex1-unsigned.jsonld"))
    assert _row(html, "Date of birth") == "1999-10-01 22:00 UTC"
    assert _row(html, "Valid from") == "2022-12-31 23:00 UTC"
    assert '<time datetime="1999-10-01T22:00:00Z">' in html


def test_midnight_is_a_date_and_an_offset_is_kept(reference: Path) -> None:
    doc = _load(reference, f"{EC_SAMPLES}/Sample-MC-Annex1-unsigned.jsonld")
    doc["credentialSubject"]["dateOfBirth"] = "1999-10-02T00:00:00.000Z"
    doc["validFrom"] = "2021-02-12T15:14:24+01:00"
    html = render_html(doc)
    assert _row(html, "Date of birth") == "1999-10-02"
    assert _row(html, "Valid from") == "2021-02-12 15:14 UTC+01:00"


def test_an_expired_or_not_yet_valid_credential_says_so(reference: Path) -> None:
    doc = _load(reference, ELM32_SAMPLE)
    assert doc["validUntil"] == "2024-09-25T00:00:00"
    assert _row(render_html(doc), "Valid until") == "2024-09-25 (expired)"
    doc["validUntil"], doc["validFrom"] = "2999-01-01T00:00:00Z", "2998-06-01T00:00:00Z"
    html = render_html(doc)
    assert _row(html, "Valid until") == "2999-01-01"
    assert _row(html, "Valid from") == "2998-06-01 (not valid yet)"


def test_concepts_given_by_their_iri_alone_are_named(reference: Path) -> None:
    """The ELM 3.2 sample names its profile and the issuer's country by IRI only."""
    html = render_html(_load(reference, ELM32_SAMPLE))
    assert _row(html, "Credential type") == "Learning Entitlement"
    annex = _section(html, "annex1")
    assert '<span lang="en">France</span>' in annex
    assert "authority/country/FRA<" not in annex


def test_a_name_the_same_in_every_language_is_shown_once(reference: Path) -> None:
    header = _header(render_html(_signed_payload(reference / MNI_DEGREE)))
    assert header.count(">Velocert OÜ<") == 1
    assert header.count(">Degree Certificate<") == 1


def test_texts_in_several_languages_are_all_shown() -> None:
    award, catalogue = first_award("wales")
    spec = catalogue.specification(award.specification)
    assert spec is not None and len(set(spec.title.values())) == 2
    html = render_html(to_edc(award, catalogue))
    for lang, title in spec.title.items():
        assert f'<span lang="{lang}" dir="auto" class="t">{title}</span>' in _header(html)


def test_a_right_to_left_text_is_laid_out_right_to_left() -> None:
    """An Arabic title that begins with Latin letters: ``dir="auto"`` would take the direction of
    its first letter and lay the whole title out left to right (WCAG 1.3.2)."""
    award, catalogue = first_award("wales")
    doc = to_edc(award, catalogue)
    title = {"ar": "MBA في إدارة الأعمال", "en": "MBA in Business Administration"}
    doc["displayParameter"] = dict(doc["displayParameter"], title=title)
    header = _header(render_html(doc, PreviewOptions(languages=("ar", "en"))))
    assert '<span lang="ar" dir="rtl" class="t">MBA في إدارة الأعمال</span>' in header
    assert '<span lang="en" dir="auto" class="t">MBA in Business Administration</span>' in header
    assert re.search(r'<img [^>]*alt="MBA في إدارة الأعمال" lang="ar" dir="rtl">', header)


@pytest.mark.parametrize(("lang", "expected"), [
    ("ar", "rtl"), ("he", "rtl"), ("fa-IR", "rtl"), ("az-Arab", "rtl"), ("ur", "rtl"),
    ("ku-Latn", "auto"), ("en", "auto"), ("bg", "auto"), ("el", "auto")])
def test_the_direction_of_a_language(lang: str, expected: str) -> None:
    from edcbridge.preview.describe import direction

    assert direction(lang) == expected


def test_line_breaks_in_a_text_are_kept() -> None:
    award, catalogue = first_award("imperial")
    doc = to_edc(award, catalogue)
    text = {"en": "First paragraph.\nSecond paragraph."}
    doc["displayParameter"] = dict(doc["displayParameter"], description=text)
    html = render_html(doc)
    assert '<span lang="en" dir="auto" class="t">First paragraph.\nSecond paragraph.</span>' in html
    assert re.search(r"\.t \{[^}]*white-space: pre-line", html)


def test_the_awarding_body_is_named_as_well_as_the_issuer(reference: Path) -> None:
    """The EC's sealed sample: University of Zed awarded it, ORGANIZACION TEST issued it."""
    sealed = re.sub(r"<[^>]+>", "", _header(render_html(
        _signed_payload(reference / f"{EC_SAMPLES}/Sample-MC-Annex1-signed.jsonld"))))
    assert "Awarded to Ana Andromeda by University of Zed; credential issued by ORGANIZACION TEST" in sealed
    own = re.sub(r"<[^>]+>", "", _header(render_html(
        _load(reference, f"{EC_SAMPLES}/Sample-MC-Annex1-unsigned.jsonld"))))
    assert "Awarded to Ana Andromeda by University of Zed" in own and "issued by" not in own


def _signed_payload(path: Path) -> dict[str, Any]:
    from edcbridge.validation.document import unwrap

    doc, form = unwrap(json.loads(path.read_text("utf-8")))
    assert form == "jades"
    return doc


def test_language_option_takes_codes_and_names(tmp_path: Path) -> None:
    award, catalogue = first_award("wales")
    spec = catalogue.specification(award.specification)
    assert spec is not None
    path = tmp_path / "wales.jsonld"
    path.write_text(json.dumps(to_edc(award, catalogue), ensure_ascii=False), encoding="utf-8")
    group = click.Group()
    register(group)
    for given in ("CYM", "Welsh", "cy"):
        result = CliRunner().invoke(group, ["preview", str(path), "-o", str(tmp_path / given),
                                            "--language", given])
        assert result.exit_code == 0, result.output
        header = _header((tmp_path / given / "wales.html").read_text("utf-8"))
        assert spec.title["cy"] in header and spec.title["en"] not in header, given
    result = CliRunner().invoke(group, ["preview", str(path), "-o", str(tmp_path / "x"), "--language", "xx"])
    assert result.exit_code == 2 and "'xx' is not a language" in result.output and "en, de" in result.output


def test_an_xml_credential_keeps_its_own_id(reference: Path, tmp_path: Path) -> None:
    html = preview_file(reference / XML_SEALED / "sewing_course.xml", tmp_path,
                        PreviewOptions(verify_url="https://verify.example.org/{id}")).html.read_text("utf-8")
    own = "urn:credential:acad20fd-84fe-436a-9ad4-211195cd576c"
    assert f"<dt>Credential id</dt><dd><code>{own}</code>" in html
    assert 'href="https://verify.example.org/urn%3Acredential%3Aacad20fd-84fe-436a-9ad4-211195cd576c"' in html
    assert "<dt>Credential number</dt>" not in html  # the file states none


def test_an_xml_credential_sealed_by_its_own_issuer_is_not_flagged(reference: Path, tmp_path: Path) -> None:
    """The EDCI samples give no eIDAS identifier for the issuer: nothing to compare, as in JSON-LD."""
    for name in ("sewing_course.xml", "sampleQSEAL.xml"):
        result = preview_file(reference / XML_SEALED / name, tmp_path)
        header = result.html.read_text("utf-8").split("<h1", 1)[0]
        assert result.verdict == "UNCONFIRMED", name
        assert "another organisation" not in header and "catalogue" not in header


def test_an_xml_credential_sealed_by_another_says_who_in_the_credentials_words(
    reference: Path, tmp_path: Path
) -> None:
    result = preview_file(reference / "examples/elm-repo-xml-v1.2-signed-vp/EDC_DiplomaSupplement_AA.xml",
                          tmp_path)
    header = result.html.read_text("utf-8").split("<h1", 1)[0]
    assert result.verdict == "CHECK"
    assert "the issuer is JAMK" in header and "catalogue" not in header and "None" not in header


def test_the_title_of_the_micro_credential_is_the_achievements(reference: Path) -> None:
    """The EBSI example claims an achievement and three activities: only the first is the title."""
    doc = _load(reference, "ebsi-edc-schema/vcdm2.0-europass-edc-schema/examples/"
                           "Microcredential - Data and software business.json")
    html = render_html(doc)
    row = _section(html, "annex1").split("Title of the micro-credential", 1)[1].split("</tr>", 1)[0]
    assert "Data and software business" in row and "Zoom lecture" not in row
    doc["credentialSubject"]["hasClaim"] = [c for c in doc["credentialSubject"]["hasClaim"]
                                            if c["type"] != "LearningAchievement"]
    html = render_html(doc)  # activities alone: a certificate of participation, no micro-credential
    assert 'id="annex1"' not in html and "Zoom lecture" in _section(html, "achievements")
    assert ">Learning activities<" in html


def test_property_names_keep_their_acronyms(reference: Path) -> None:
    record = _section(render_html(_load(reference, ELM32_SAMPLE)), "record")
    assert "<dt>eIDAS identifier</dt>" in record and "idasidentifier" not in record.lower()
    from edcbridge.preview.page import human

    assert [human(k) for k in ("contentURL", "relatedESCOSkill", "hasPart", "LearningAchievement")] == [
        "Content URL", "Related ESCO skill", "Has part", "Learning achievement"]


def test_column_headers_are_not_broken_inside_a_word() -> None:
    """"Status" above a column of short badges was cut into "Stat" / "us"."""
    award, catalogue = first_award("imperial")
    html = render_html(to_edc(award, catalogue))
    assert re.search(r"th\[scope=col\] \{ word-break: normal; overflow-wrap: normal; \}", html)


def test_a_claim_typed_with_a_list_reads_as_words(reference: Path) -> None:
    doc = _load(reference, f"{EC_SAMPLES}/Sample-MC-Annex1-unsigned.jsonld")
    doc["credentialSubject"]["hasClaim"]["type"] = ["LearningAchievement"]
    achievements = _section(render_html(doc), "achievements")
    assert "<dt>Type</dt><dd>Learning achievement</dd>" in achievements and "[" not in achievements


def test_an_empty_file_is_called_empty(tmp_path: Path) -> None:
    group = click.Group()
    register(group)
    empty = tmp_path / "empty.jsonld"
    empty.write_bytes(b"\n")
    result = CliRunner().invoke(group, ["preview", str(empty), "-o", str(tmp_path / "out")])
    assert result.exit_code == 1 and f"error: {empty}: the file is empty" in result.stderr


def test_the_verification_link_must_be_a_web_address(tmp_path: Path) -> None:
    """The link goes on pages for learners and employers, and into the QR code."""
    award, catalogue = first_award("imperial")
    path = tmp_path / "c.jsonld"
    path.write_text(json.dumps(to_edc(award, catalogue)), encoding="utf-8")
    group = click.Group()
    register(group)
    result = CliRunner().invoke(group, ["preview", str(path), "-o", str(tmp_path / "out"),
                                        "--verify-url", "javascript:alert('{id}')"])
    assert result.exit_code == 2 and "https://verify.example.org/{id}" in result.output
    assert not (tmp_path / "out").exists()


def test_preview_options_refuse_a_link_that_is_no_web_address() -> None:
    with pytest.raises(ValueError, match=r"https://verify\.example\.org/\{id\}"):
        PreviewOptions(verify_url="javascript:alert('{id}')")
    assert PreviewOptions(verify_url="https://verify.example.org/{id}").verify_url


def test_an_xml_credential_page_says_it_is_a_partial_reading(reference: Path, tmp_path: Path) -> None:
    """The EDC 3.2 model keeps one achievement: the degree sample's five others are not shown,
    so the page must not call its record the credential as issued."""
    result = preview_file(reference / "examples/elm-repo-xml-v1.2-unsigned/EDC_SampleDegree_AA.xml", tmp_path)
    html = result.html.read_text("utf-8")
    assert "<strong>Note: </strong>Issued as EDC XML 1.2 and read into the EDC 3.2 model" in _header(html)
    assert "the XML file is the credential." in _header(html)
    assert "Every statement in the credential, as read (see the notes at the top)." in html
    assert "as issued" not in html
    plain = preview_file(reference / f"{EC_SAMPLES}/Sample-MC-Annex1-unsigned.jsonld", tmp_path)
    page = plain.html.read_text("utf-8")
    assert "Note: " not in page and "Every statement in the credential, as issued." in page


def test_a_grade_comes_with_its_grading_scheme(reference: Path) -> None:
    achievements = _section(render_html(_load(reference, f"{EC_SAMPLES}/Sample-MC-Annex1-unsigned.jsonld")),
                            "achievements")
    row = achievements.split("<dt>Grading scheme</dt><dd>", 1)[1].split("</dd>", 1)[0]
    assert "Standard grading" in row and "upon the successful submission" in row


def test_a_value_is_listed_once(reference: Path) -> None:
    """MyNextID's micro-credential names its assessment type and title alike. Its mode (online)
    is not its type: the check does not count it, so the row does not show it either."""
    html = render_html(_signed_payload(reference / "mynextid-edc/microcredential/v1/edc/examples/"
                                                    "edc-mc-signed.jsonld"))
    row = _section(html, "annex1").split("Type of assessment", 1)[1].split("</tr>", 1)[0]
    assert row.count(">Graded exercises<") == 1 and ">Online<" not in row


def test_the_issuers_region_is_shown_beside_its_country(reference: Path) -> None:
    doc = _load(reference, f"{EC_SAMPLES}/Sample-MC-Annex1-unsigned.jsonld")
    row = _section(render_html(doc), "annex1").split("Country(ies)/Region(s) of the issuer", 1)[1]
    row = row.split("</tr>", 1)[0]
    assert ">Ireland<" in row and ">Dublin city<" in row
    del doc["issuer"]["location"]["address"]["countryCode"]  # a region alone is no country
    region = doc["issuer"]["location"]["spatialCode"]
    body = doc["credentialSubject"]["hasClaim"]["awardedBy"]["awardingBody"]
    body["location"] = {"id": "urn:x", "type": "Location", "spatialCode": region}
    row = _section(render_html(doc), "annex1").split("Country(ies)/Region(s) of the issuer", 1)[1]
    assert 'class="missing"' in row.split("</tr>", 1)[0]


def test_an_xml_credential_shows_no_learner_identifier_it_does_not_state(
    reference: Path, tmp_path: Path
) -> None:
    """The model needs one and takes the credential subject's id; the page must not present it as an
    identifier the learner was given."""
    sewing = preview_file(reference / XML_SEALED / "sewing_course.xml", tmp_path).html.read_text("utf-8")
    assert "<dt>Learner identifier</dt>" not in sewing and "(Student number)" not in sewing
    stated = preview_file(reference / "examples/elm-repo-xml-v1.2-signed-vp/EDC_DiplomaSupplement_AA.xml",
                          tmp_path).html.read_text("utf-8")
    assert _row(stated, "Learner identifier") == "Student ID 97168A (Student number)"


def test_languages_given_by_iri_alone_set_the_page_languages(reference: Path) -> None:
    doc = _load(reference, ELM32_SAMPLE)
    doc["displayParameter"] = dict(doc["displayParameter"], language=[
        "http://publications.europa.eu/resource/authority/language/FRA",
        "http://publications.europa.eu/resource/authority/language/ENG"],
        primaryLanguage="http://publications.europa.eu/resource/authority/language/FRA")
    html = render_html(doc)
    assert _row(html, "Languages") == "French (fr), English (en)"
    assert re.search(r'<span lang="fr"[^>]*>un nom légal</span> · <span lang="en"', _header(html))


def _footer(html: str) -> str:
    return unescape(re.sub(r"<[^>]+>", "", html.split("<footer>", 1)[1].split("</footer>", 1)[0]))


def test_the_footer_names_the_languages_chosen_for_the_page(tmp_path: Path) -> None:
    award, catalogue = first_award("wales")
    path = tmp_path / "wales.jsonld"
    path.write_text(json.dumps(to_edc(award, catalogue), ensure_ascii=False), encoding="utf-8")
    group = click.Group()
    register(group)
    result = CliRunner().invoke(group, ["preview", str(path), "-o", str(tmp_path / "cy"), "--language", "cy"])
    assert result.exit_code == 0, result.output
    footer = _footer((tmp_path / "cy" / "wales.html").read_text("utf-8"))
    assert "each language the credential carries" not in footer
    assert "Texts appear in the languages chosen for this page: Welsh (cy)." in footer
    assert "The credential also carries texts in English (en), shown only where a text is in none" in footer
    assert _footer(render_html(to_edc(award, catalogue))).endswith(
        "Texts appear in each language the credential carries.")


def test_texts_in_a_language_the_credential_does_not_declare_are_said_in_the_footer(reference: Path) -> None:
    """The EC's sample declares English and titles one learning outcome in Spanish only."""
    footer = _footer(render_html(_load(reference, f"{EC_SAMPLES}/Sample-MC-Annex1-unsigned.jsonld")))
    assert "Texts appear in the credential's languages: English (en)." in footer
    assert "also carries texts in Spanish (es)" in footer


def test_the_learning_outcomes_summary_is_shown_with_the_achievement() -> None:
    award, catalogue = first_award("imperial")
    spec = catalogue.specification(award.specification)
    assert spec is not None and spec.learning_outcome_summary and spec.learning_outcomes
    achievements = _section(render_html(to_edc(award, catalogue)), "achievements")
    summary = achievements.split("<dt>Summary of learning outcomes</dt><dd>", 1)[1].split("</dd>", 1)[0]
    assert spec.learning_outcome_summary["en"] in summary
    assert achievements.index("<dt>Summary of learning") < achievements.index("<dt>Learning outcomes")


def test_an_xml_credential_shows_no_card_image_it_does_not_carry(reference: Path, tmp_path: Path) -> None:
    """The model gives every credential edcbridge's card image; EDC XML carries none."""
    html = preview_file(reference / XML_SEALED / "sewing_course.xml", tmp_path).html.read_text("utf-8")
    assert "<img" not in html and "Credential image" not in html
    assert "Individual display" not in _section(html, "record")
    award, catalogue = first_award("imperial")  # a credential of ours carries it
    assert '<img class="card"' in render_html(to_edc(award, catalogue))


def _first_note(html: str) -> str:
    return _header(html).split("<strong>Note: </strong>", 1)[1].split("</p>", 1)[0]


def test_an_xml_credential_note_says_what_stands_in_for_the_achievement(
    reference: Path, tmp_path: Path
) -> None:
    unsigned = reference / "examples/elm-repo-xml-v1.2-unsigned"
    degree = _first_note(preview_file(unsigned / "EDC_SampleDegree_AA.xml", tmp_path).html.read_text("utf-8"))
    assert "(the first achievement with its specification, assessment and awarding body;" in degree
    activity = unsigned / "EDC_SampleACT_AA.xml"
    entitlement = tmp_path / "entitlement.xml"
    entitlement.write_bytes(activity.read_bytes().replace(b"activities>", b"entitlements>").replace(
        b"<activity ", b"<entitlement ").replace(b"</activity>", b"</entitlement>"))
    for path, shown in ((activity, "its first learning activity"), (entitlement, "its first entitlement"),
                        (unsigned / "EDC_WileECoyote_Simple.xml", "its own title")):
        note = _first_note(preview_file(path, tmp_path).html.read_text("utf-8"))
        assert f"({shown}, in the place of the achievement it does not claim" in note, path.name
        assert "the first achievement" not in note and note.endswith("the XML file is the credential.")


def test_many_other_languages_are_counted_and_listed_by_code(reference: Path) -> None:
    doc = _signed_payload(reference / "mynextid-edc/microcredential/v1/edc/examples/edc-mc-signed.jsonld")
    footer = _footer(render_html(doc, PreviewOptions(languages=("en",))))
    assert "Texts appear in the languages chosen for this page: English (en)." in footer
    assert re.search(r"also carries texts in \d+ other languages \(de, es, [a-z, ]+\), shown only", footer)


def test_the_issuers_accreditation_is_shown_only_when_the_issuer_awarded_the_claim(reference: Path) -> None:
    """As the Annex I check counts it: an issuer sealing on another body's behalf does not
    underpin that body's micro-credential with its own accreditation."""
    doc = _load(reference, f"{EC_SAMPLES}/Sample-MC-Annex1-unsigned.jsonld")
    doc["issuer"]["accreditation"] = {"id": "urn:epass:accreditation:99", "type": "Accreditation",
                                      "title": {"en": "Institutional review of the issuer"}}
    quality = "Type of quality assurance used to underpin the micro-credential"

    def row(html: str) -> str:
        return _section(html, "annex1").split(quality, 1)[1].split("</tr>", 1)[0]

    assert "Institutional review of the issuer" in row(render_html(doc))  # the issuer is the body
    doc["credentialSubject"]["hasClaim"]["awardedBy"]["awardingBody"] = {
        "id": "urn:epass:org:2", "type": "Organisation", "legalName": {"en": "Another college"}}
    assert "Institutional review of the issuer" not in row(render_html(doc))
