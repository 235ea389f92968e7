"""Every official EDC XML 1.x credential sample is read by inspect and preview: what the model
cannot hold is left out with a note, and a credential that cannot be read says what it lacks."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from lxml import etree

from edcbridge.preview import PreviewOptions, render_html
from edcbridge.preview.render import read_any
from edcbridge.xml.importer import NotImportable, import_bytes, import_file
from edcbridge.xml.importer.edc_xml import SNB
from tests.conftest import REFERENCE

EXAMPLES = REFERENCE / "examples"
UNSIGNED = "elm-repo-xml-v1.2-unsigned"
SAMPLES = sorted(str(p.relative_to(EXAMPLES)) for p in EXAMPLES.rglob("*.xml")) if EXAMPLES.is_dir() else []
COUNTRY = "http://publications.europa.eu/resource/authority/country/"


def _sample(reference: Path, name: str) -> Path:
    return reference / "examples" / name


def test_the_reference_folder_holds_the_xml_credential_samples(reference: Path) -> None:
    assert len(SAMPLES) == 21
    for name in SAMPLES:
        root = etree.parse(str(EXAMPLES / name)).getroot()
        assert etree.QName(root).localname in ("europassCredential", "verifiablePresentation"), name


@pytest.mark.parametrize("name", SAMPLES)
def test_every_official_xml_sample_is_read_and_previewed(name: str, reference: Path) -> None:
    path = _sample(reference, name)
    imported = import_file(path)
    assert imported.award.learner.given_name and imported.award.learner.id != "unknown"
    spec = imported.catalogue.specification(imported.award.specification)
    assert spec is not None and spec.title
    doc, _, status, notes = read_any(path.read_bytes(), str(path), PreviewOptions())
    assert next(iter(spec.title.values())) in render_html(doc, status=status, notes=notes)


@pytest.mark.parametrize(("name", "title"), [
    (f"{UNSIGNED}/EDC_WileECoyote_Simple.xml", "Sample credential"),
    ("elm-repo-xml-v1.0-signed/edci_credential_basic.xml", "Certificate of Completion"),
    ("edci-1.7.3-xml/xsdValidation/credential-generic-contactPoint-choice-OK.xml", "Simle Accredited Cred"),
])
def test_a_credential_claiming_nothing_is_read_under_its_own_title(name: str, title: str,
                                                                   reference: Path) -> None:
    imported = import_file(_sample(reference, name))
    spec = imported.catalogue.specification(imported.award.specification)
    assert spec is not None and spec.title == {"en": title}
    assert f"claims no achievement, activity or entitlement: its own title {title!r}" in \
        " ".join(imported.notes)


def test_a_learning_activity_is_read_in_the_place_of_an_achievement(reference: Path) -> None:
    imported = import_file(_sample(reference, f"{UNSIGNED}/EDC_SampleACT_AA.xml"))
    spec = imported.catalogue.specification(imported.award.specification)
    assert spec is not None and spec.title == {"en": "InfoDay 2021"}
    assert [lang.rsplit("/", 1)[1] for lang in spec.languages] == ["ENG", "SPA"]
    assert any("its learning activity 'InfoDay 2021' is read in the place of one" in note
               for note in imported.notes), imported.notes


def test_a_credential_with_no_claim_and_no_title_says_what_it_lacks(reference: Path) -> None:
    data = _sample(reference, f"{UNSIGNED}/EDC_WileECoyote_Simple.xml").read_bytes()
    untitled, count = re.subn(rb"<title>.*?</title>", b"", data, count=1, flags=re.S)
    assert count == 1
    with pytest.raises(NotImportable, match=r"claims nothing.*no title.*learningAchievement with a spec"):
        import_bytes(untitled)


def test_an_organisation_without_an_address_country_is_placed_where_it_is_registered(
    reference: Path,
) -> None:
    imported = import_file(_sample(reference, "elm-repo-xml-v1.0-signed/edci_credential_complex.xml"))
    issuer = imported.catalogue.organisation(imported.catalogue.issuer)
    assert issuer.country == f"{COUNTRY}SVN"  # <registration spatialID="SI">
    assert imported.notes.count("organisation 'ANTHONY FISHER CAMILLERI S.P.' gives no address country: "
                                "the country of its registration (Slovenia) is read instead") == 1


def test_an_organisation_with_no_country_at_all_says_where_one_is_needed(reference: Path) -> None:
    data = _sample(reference, "elm-repo-xml-v1.0-signed/edci_credential_complex.xml").read_bytes()
    nowhere = data.replace(b'<registration spatialID="SI">', b"<registration>")
    assert nowhere != data
    with pytest.raises(NotImportable, match=r"gives no country.*hasLocation/hasAddress/country.*spatialID"):
        import_bytes(nowhere)


@pytest.mark.parametrize("name", [
    "edci-1.7.3-xml/sealed/sewing_course.xml",
    f"{UNSIGNED}/EDC_WileECoyote_Simple.xml",
])
def test_a_learner_without_an_identifier_keeps_the_credential_subjects_id(name: str,
                                                                           reference: Path) -> None:
    path = _sample(reference, name)
    subject = etree.parse(str(path)).getroot().find(f".//{{{SNB}}}credentialSubject")
    assert subject is not None and subject.find(f"{{{SNB}}}identifier") is None
    imported = import_file(path)
    assert imported.award.learner.id == subject.get("id") == "urn:epass:person:1"
    assert f"the credential subject's id ({subject.get('id')}) is used" in " ".join(imported.notes)


@pytest.mark.parametrize(("name", "valid_from", "awarded"), [
    ("edci-1.7.3-xml/sealed/sewing_course.xml", "2021-02-12T15:14:24+01:00", None),
    ("edci-1.7.3-xml/xsdValidation/credential-generic-profile-xsd_v1.0.xml", "2021-01-18T18:00:00+01:00",
     "2020-10-20T17:00:00+02:00"),
])
def test_xml_valid_from_and_awarding_date_keep_their_time(name: str, valid_from: str, awarded: str | None,
                                                          reference: Path) -> None:
    path = _sample(reference, name)
    assert f"<cred:validFrom>{valid_from}</cred:validFrom>".encode() in path.read_bytes()
    imported = import_file(path)
    assert imported.date_times.get("validFrom") == valid_from
    assert imported.date_times.get("awardingDate") == awarded
    doc, _, _, _ = read_any(path.read_bytes(), str(path), PreviewOptions())
    assert doc["validFrom"] == valid_from
    if awarded is not None:
        assert doc["credentialSubject"]["hasClaim"]["awardedBy"]["awardingDate"] == awarded


def test_xml_valid_until_keeps_its_time(reference: Path) -> None:
    path = _sample(reference, "elm-repo-xml-v1.0-signed/edci_credential_complex.xml")
    assert b"<cred:validUntil>2025-03-31T00:00:00+02:00</cred:validUntil>" in path.read_bytes()
    doc, _, _, _ = read_any(path.read_bytes(), str(path), PreviewOptions())
    assert doc["validUntil"] == doc["expirationDate"] == "2025-03-31T00:00:00+02:00"


def test_an_issued_time_without_a_zone_is_read_as_utc_with_a_note(reference: Path) -> None:
    data = _sample(reference, f"{UNSIGNED}/EDC_SampleDegree_AA.xml").read_bytes()
    naive, count = re.subn(rb"(<cred:issued>[^<+Z]*)(?:Z|[+-]\d\d:\d\d)</", rb"\1</", data, count=1)
    assert count == 1
    imported = import_bytes(naive)
    assert imported.award.issued is not None and imported.award.issued.utcoffset() is not None
    assert any("names no time zone: it is read as UTC" in note for note in imported.notes), imported.notes


def test_a_claim_without_an_awarding_date_says_which_date_stands_in(reference: Path) -> None:
    path = _sample(reference, "edci-1.7.3-xml/sealed/sewing_course.xml")
    assert b"awardingProcess" not in path.read_bytes()
    imported = import_file(path)
    assert imported.award.awarding_date.isoformat() == "2021-02-12"
    assert "the credential gives no awarding date: the date of its validFrom (2021-02-12) is used" in \
        imported.notes
