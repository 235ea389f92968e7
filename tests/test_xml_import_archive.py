"""An archive of EDC XML 1.x credentials read back: what the official samples hold beyond the one
achievement an award keeps is named in a note, never dropped unsaid, and what is read makes an
EDC 3.2 credential that the official SHACL shapes accept (checked with pyshacl directly)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pyshacl
import pytest
import rdflib
from lxml import etree

from edcbridge.mapping.edc import CONTEXT, to_edc
from edcbridge.xml.importer import Imported, NotImportable, import_all, import_bytes, import_file
from edcbridge.xml.importer.edc_xml import SNB

EXAMPLES = Path("examples")
DEGREE = EXAMPLES / "elm-repo-xml-v1.2-unsigned" / "EDC_SampleDegree_AA.xml"
DIPLOMA_SUPPLEMENT = EXAMPLES / "elm-repo-xml-v1.2-signed-vp" / "EDC_DiplomaSupplement_AA.xml"
GUITAR = EXAMPLES / "edci-1.7.3-xml" / "xsdValidation" / "verificable_presentation_mandated-xsd_v1.2.xml"
SHAPES = Path("elm3-rdf/3.2/rdf/ap/edc")
LOCAL_CONTEXTS = {CONTEXT[0]: Path("w3c-vc-contexts/credentials-v1.jsonld"),
                  CONTEXT[1]: SHAPES / "edc-ap-context.jsonld"}


def _titles(path: Path, xpath: str) -> list[str]:
    """The English titles of the elements ``xpath`` finds in the official sample (its own reading)."""
    root = etree.parse(str(path)).getroot()
    found = root.xpath(xpath, namespaces={"e": SNB})
    return [" ".join(str(t).split()) for t in found]


def _note_naming(imported: Imported, start: str) -> str:
    notes = [note for note in imported.notes if start in note]
    assert len(notes) == 1, imported.notes
    return notes[0]


def _shacl_violations(credential: dict[str, Any], reference: Path) -> list[str]:
    """The official EDC 3.2 shapes (structure and controlled vocabularies) over the credential,
    its contexts read from the reference copies; the messages of the violations found."""
    contexts = [json.loads((reference / LOCAL_CONTEXTS[iri]).read_text())["@context"]
                for iri in credential["@context"]]
    document = {**credential, "@context": contexts}
    data = rdflib.Graph().parse(data=json.dumps(document), format="json-ld")
    shapes = rdflib.Graph()
    for name in ("EDC-generic-no-cv.ttl", "EDC-generic-full.ttl"):
        shapes.parse(reference / SHAPES / name)
    conforms, report, _ = pyshacl.validate(data, shacl_graph=shapes, inference="none")
    results = report.objects(None, rdflib.URIRef("http://www.w3.org/ns/shacl#resultMessage"))
    return [] if conforms else sorted({str(m) for m in results})


def test_the_courses_of_a_degree_are_named_with_their_grades_left_out(reference: Path) -> None:
    path = reference / DEGREE
    courses = _titles(path, "//e:credentialSubject/e:achievements/e:learningAchievement/e:hasPart/"
                            "e:learningAchievement/e:title/e:text[@lang='en']/text()")
    assert len(courses) == 5
    note = _note_naming(import_file(path), "its parts (hasPart/learningAchievement)")
    assert all(repr(course) in note for course in courses), note
    assert "'Master of Science in Civil Engineering' is read" in note and "grades, credits" in note


def test_the_parts_of_the_assessment_read_are_named(reference: Path) -> None:
    path = reference / DEGREE
    parts = _titles(path, "//e:credentialSubject/e:achievements/e:learningAchievement/e:wasDerivedFrom/"
                          "e:hasPart/e:title/e:text[@lang='en']/text()")
    assert len(parts) == 5
    note = _note_naming(import_file(path), "the parts of its assessment (wasDerivedFrom/hasPart)")
    assert all(repr(part) in note for part in parts), note


@pytest.mark.parametrize(("box", "tag", "start"), [
    ("activities", "activity", "the learning activities (activities/activity"),
    ("entitlements", "entitlement", "the entitlements (entitlements/entitlement"),
])
def test_activities_and_entitlements_beside_the_achievement_are_named(box: str, tag: str, start: str,
                                                                      reference: Path) -> None:
    path = reference / DEGREE
    titles = _titles(path, f"//e:credentialSubject/e:{box}/e:{tag}/e:title/e:text[@lang='en']/text()")
    assert titles
    note = _note_naming(import_file(path), start)
    assert all(repr(title) in note for title in titles), note


def test_further_achievements_are_named(reference: Path) -> None:
    path = reference / GUITAR
    further = _titles(path, "//e:credentialSubject/e:achievements/e:learningAchievement[position() > 1]/"
                            "e:title/e:text[@lang='en']/text()")
    assert further
    note = _note_naming(import_file(path), "the further achievements (achievements/learningAchievement")
    assert all(repr(title) in note for title in further), note


def test_each_achievement_of_a_credential_is_read_as_an_award(reference: Path) -> None:
    """The model holds one achievement per award: a credential claiming several gives one award
    each (what ``stack`` counts), every one of them naming the others as left out of it."""
    path = reference / GUITAR
    titles = _titles(path, "//e:credentialSubject/e:achievements/e:learningAchievement/"
                           "e:title/e:text[@lang='en']/text()")
    assert len(titles) > 1
    awards = import_all(path.read_bytes(), str(path))
    assert len(awards) == len(titles)
    for title, imported in zip(titles, awards, strict=True):
        spec = imported.catalogue.specification(imported.award.specification)
        assert spec is not None
        others = [t for t in titles if t != title]
        note = _note_naming(imported, "the further achievements (achievements/learningAchievement")
        assert f"{title!r} is read" in note and all(repr(t) in note for t in others), note
    assert awards[0].as_dict() == import_file(path).as_dict()


def test_an_achievement_that_cannot_be_read_is_named_by_its_place(reference: Path) -> None:
    """A further achievement that cannot be read refuses the whole credential in ``stack``, saying
    which one and why, rather than the file failing with the reason alone."""
    root = etree.parse(str(reference / GUITAR)).getroot()
    achievements = root.xpath("//e:credentialSubject/e:achievements/e:learningAchievement",
                              namespaces={"e": SNB})
    second = achievements[1]
    for specified in second.findall(f"{{{SNB}}}specifiedBy"):
        second.remove(specified)
    data = etree.tostring(root)
    assert import_bytes(data).award is not None  # the first alone still reads
    with pytest.raises(NotImportable, match=r"^achievement 2 of 2 \('.+'\): .*specification"):
        import_all(data)


def test_the_learners_details_the_model_lacks_are_named(reference: Path) -> None:
    path = reference / DEGREE
    subject = etree.parse(str(path)).getroot().find(f"{{{SNB}}}credentialSubject")
    assert subject is not None
    present = [tag for tag in ("gender", "citizenshipCountry", "placeOfBirth")
               if subject.find(f"{{{SNB}}}{tag}") is not None]
    assert present == ["gender", "citizenshipCountry", "placeOfBirth"]
    note = _note_naming(import_file(path), "the learner's")
    assert "gender, citizenshipCountry, placeOfBirth (credentialSubject)" in note


def test_a_credential_with_one_achievement_and_nothing_more_has_no_left_out_note(reference: Path) -> None:
    data = (reference / DEGREE).read_bytes().decode()
    root = etree.fromstring(data.encode())
    subject = root.find(f"{{{SNB}}}credentialSubject")
    assert subject is not None
    for tag in ("activities", "entitlements", "gender", "citizenshipCountry", "placeOfBirth"):
        for element in subject.findall(f"{{{SNB}}}{tag}"):
            subject.remove(element)
    achievement = subject.find(f"{{{SNB}}}achievements/{{{SNB}}}learningAchievement")
    assert achievement is not None
    beside = "e:hasPart | e:wasInfluencedBy | e:entitlesTo | e:wasDerivedFrom/e:hasPart"
    for element in achievement.xpath(beside, namespaces={"e": SNB}):
        element.getparent().remove(element)
    imported = import_bytes(etree.tostring(root))
    assert not [note for note in imported.notes if note.startswith("left out")], imported.notes


def test_the_issuers_eidas_identifier_written_as_scheme_agency_is_read(reference: Path) -> None:
    path = reference / DIPLOMA_SUPPLEMENT
    root = etree.parse(str(path)).getroot()
    issuer_id = root.xpath("//e:europassCredential/*[local-name()='issuer']/@idref", namespaces={"e": SNB})[0]
    issuer = root.xpath(f"//e:organization[@id='{issuer_id}']", namespaces={"e": SNB})[0]
    eidas = issuer.xpath("e:identifier[@schemeAgencyName='eIDAS']/text()", namespaces={"e": SNB})
    deqar = issuer.xpath("e:identifier[@schemeAgencyName='DEQAR']/text()", namespaces={"e": SNB})
    imported = import_file(path)
    read = imported.catalogue.organisation(imported.catalogue.issuer)
    assert (read.eidas_identifier, read.deqar_id) == (eidas[0], deqar[0])


def test_the_diploma_supplement_read_makes_an_edc_the_official_shapes_accept(reference: Path) -> None:
    imported = import_file(reference / DIPLOMA_SUPPLEMENT)
    assert _shacl_violations(to_edc(imported.award, imported.catalogue), reference) == []


def test_an_issuer_without_an_eidas_identifier_is_named_with_the_fix(reference: Path) -> None:
    imported = import_file(reference / DEGREE)
    credential = to_edc(imported.award, imported.catalogue)
    violations = _shacl_violations(credential, reference)
    assert violations and all("eidasLegalIdentifier" in v or "IssuerNodeShape" in v for v in violations), \
        violations
    note = _note_naming(imported, "gives no eIDAS legal identifier")
    assert f"eidas_identifier of organisation {imported.catalogue.issuer!r}" in note
