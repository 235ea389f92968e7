"""EDC XML 1.2 export: every fixture award valid with two XSD engines, normalised, deterministic."""

from __future__ import annotations

from pathlib import Path

import pytest
import xmlschema
from lxml import etree

from edcbridge import vocab
from edcbridge.model import Award, Catalogue
from edcbridge.schemas import SchemaStore
from edcbridge.xml import edc12, xsd
from tests.xml_support import fixture_awards

SNB = {"e": edc12.SNB, "cred": edc12.CRED}


@pytest.fixture(scope="module")
def awards(fixture_sets: list[tuple[Path, list[Path]]]) -> list[tuple[str, Award, Catalogue]]:
    return fixture_awards(fixture_sets)


def test_every_fixture_award_is_valid_with_lxml_and_xmlschema(
        awards: list[tuple[str, Award, Catalogue]], store: SchemaStore) -> None:
    assert len(awards) >= 40
    assert len({name for name, _, _ in awards}) == 6
    engines: tuple[xsd.Engine, ...] = ("lxml", "xmlschema")
    for name, award, catalogue in awards:
        tree = edc12.to_edc_xml(award, catalogue)
        for engine in engines:
            errors = xsd.errors(tree, store, engine, xsd.GENERIC_12)
            assert not errors, (name, award.award_id, engine, [e.render() for e in errors[:3]])


def test_output_is_byte_identical_and_ids_are_stable(awards: list[tuple[str, Award, Catalogue]]) -> None:
    for _, award, catalogue in awards[:10]:
        first = edc12.serialise(edc12.to_edc_xml(award, catalogue))
        assert first == edc12.serialise(edc12.to_edc_xml(award, catalogue))
    one, two = (edc12.to_edc_xml(a, c).getroot() for _, a, c in awards[:2])
    assert one.get(f"{{{edc12.CRED}}}id") != two.get(f"{{{edc12.CRED}}}id")
    # the issuer (same organisation, same catalogue) keeps its id across credentials
    assert one.find("cred:issuer", SNB) is not None
    assert one.xpath("string(cred:issuer/@idref)", namespaces=SNB) == \
        two.xpath("string(cred:issuer/@idref)", namespaces=SNB)


def test_references_are_normalised_and_resolve(awards: list[tuple[str, Award, Catalogue]]) -> None:
    for _, award, catalogue in awards:
        root = edc12.to_edc_xml(award, catalogue).getroot()
        ids = [e.get("id") for section in root if section.tag.endswith("References") for e in section]
        assert len(ids) == len(set(ids)), "an id is used twice in the reference sections"
        for ref in root.iter():
            idref = ref.get("idref") if isinstance(ref.tag, str) else None
            if idref:
                assert idref in ids, (award.award_id, ref.tag, idref)
        achievement = root.find("e:credentialSubject/e:achievements/e:learningAchievement", SNB)
        assert achievement is not None and achievement.find("e:specifiedBy", SNB) is not None


ANNEX_I = {  # element -> XPath from the credential root (formats.md section 8, 1.2 names)
    "learner": "e:credentialSubject/e:givenNames",
    "title": "e:learningSpecificationReferences/e:qualification/e:title",
    "country of the awarding body": "e:agentReferences/e:organization/e:hasLocation/e:hasAddress/e:country",
    "awarding body": "e:awardingProcessReferences/e:awardingProcess/e:awardingBody",
    "date of issuing": "cred:issued",
    "learning outcomes": "e:learningOutcomeReferences/e:learningOutcome/e:prefLabel",
    "notional workload": "e:learningSpecificationReferences/e:qualification/e:hasECTSCreditPoints",
    "level": "e:learningSpecificationReferences/e:qualification/e:eqfLevel",
    "type of assessment": "e:assessmentSpecificationReferences/e:assessmentSpecification/e:type",
    "form of participation": "e:learningSpecificationReferences/e:qualification/e:mode",
    "quality assurance": "e:accreditationReferences/e:accreditation/e:type",
    "prerequisites": "e:learningSpecificationReferences/e:qualification/e:entryRequirementsNote",
    "supervision and identity verification":
        "e:credentialSubject/e:achievements/e:learningAchievement/e:wasDerivedFrom/e:idVerificationMethod",
    "grade": "e:credentialSubject/e:achievements/e:learningAchievement/e:wasDerivedFrom/e:grade",
    "stackability": "e:learningSpecificationReferences/e:qualification/e:hasPart",
    "further information": "e:learningSpecificationReferences/e:qualification/e:additionalNote",
}


def test_annex_i_elements_are_carried(awards: list[tuple[str, Award, Catalogue]]) -> None:
    award, catalogue = next((a, c) for name, a, c in awards if name == "imperial")
    root = edc12.to_edc_xml(award, catalogue).getroot()
    missing = [name for name, path in ANNEX_I.items() if root.find(path, SNB) is None]
    assert not missing


def test_what_cannot_be_carried_is_listed(awards: list[tuple[str, Award, Catalogue]]) -> None:
    award, catalogue = next((a, c) for name, a, c in awards if name == "wales")
    losses = edc12.not_carried(award, catalogue)
    assert any("cy" in f.message and f.where == "text/@lang" for f in losses)
    assert any(f.where == "primaryLanguage" for f in losses)
    root = edc12.to_edc_xml(award, catalogue).getroot()
    assert root.findtext("e:primaryLanguage", namespaces=SNB) == "en"
    assert not [t for t in root.iter(f"{{{edc12.SNB}}}text") if t.get("lang") == "cy"]
    imperial, cat = next((a, c) for name, a, c in awards if name == "imperial")
    wheres = {f.where for f in edc12.not_carried(imperial, cat)}
    assert {"learningOutcomeSummary", "creditCurrency", "isPartOf"} <= wheres


def test_a_grade_without_an_assessment_to_hold_it_is_listed_as_left_out(
        awards: list[tuple[str, Award, Catalogue]], reference: Path, tmp_path: Path) -> None:
    award, catalogue = next((a, c) for name, a, c in awards if name == "imperial")
    assert award.grade
    unassessed = tuple(s.model_copy(update={"assessment": None}) if s.code == award.specification else s
                       for s in catalogue.specifications)
    cat = catalogue.model_copy(update={"specifications": unassessed})
    written = edc12.serialise(edc12.to_edc_xml(award, cat))
    official = xmlschema.XMLSchema(str(reference / "elm-xsd-v1" / "genericschema_1.2.xsd"), allow="sandbox")
    (tmp_path / "credential.xml").write_bytes(written)
    assert official.is_valid(str(tmp_path / "credential.xml"))
    assert etree.fromstring(written).find(".//e:grade", SNB) is None
    [lost] = [f for f in edc12.not_carried(award, cat, written) if f.where == "wasDerivedFrom/grade"]
    assert award.specification in lost.message and "assessment" in lost.fix


def test_a_primary_language_xml_cannot_label_gives_way_to_the_catalogues(
        awards: list[tuple[str, Award, Catalogue]], reference: Path, tmp_path: Path) -> None:
    """A Ukrainian-language award of a Polish catalogue whose title is also in English is written
    in Polish, the catalogue's language, not in English for coming first in the alphabet."""
    award, catalogue = next((a, c) for name, a, c in awards
                            if name == "warsaw" and "uk" in a.learner.given_name)
    assert vocab.concept("language", catalogue.primary_language).code == "pl"
    spec = catalogue.specification(award.specification)
    assert spec is not None and {"pl", "en"} <= set(spec.title)
    with_uk = spec.model_copy(update={"title": {**spec.title, "uk": "Захист персональних даних"}})
    cat = catalogue.model_copy(update={"specifications": tuple(
        with_uk if s.code == spec.code else s for s in catalogue.specifications)})
    ukrainian = award.model_copy(update={"language": "http://publications.europa.eu/resource/authority/language/UKR"})
    written = edc12.serialise(edc12.to_edc_xml(ukrainian, cat))
    (tmp_path / "credential.xml").write_bytes(written)
    official = xmlschema.XMLSchema(str(reference / "elm-xsd-v1" / "genericschema_1.2.xsd"), allow="sandbox")
    assert official.is_valid(str(tmp_path / "credential.xml"))
    root = etree.fromstring(written)
    assert root.findtext("e:primaryLanguage", namespaces=SNB) == "pl"
    name = root.find("e:credentialSubject/e:givenNames/e:text", SNB)
    assert name is not None and (name.get("lang"), name.text) == ("pl", award.learner.given_name["pl"])


def test_a_specification_without_an_allowed_language_is_refused(
        awards: list[tuple[str, Award, Catalogue]]) -> None:
    award, catalogue = next((a, c) for name, a, c in awards if name == "wales")
    spec = catalogue.specification(award.specification)
    assert spec is not None
    welsh_only = spec.model_copy(update={"title": {"cy": spec.title["cy"]}})
    cat = catalogue.model_copy(update={"specifications": (welsh_only,)})
    with pytest.raises(ValueError, match=r"EDC XML 1\.2 schema allows"):
        edc12.to_edc_xml(award, cat)


def test_element_order_follows_the_schema(awards: list[tuple[str, Award, Catalogue]]) -> None:
    _, award, catalogue = awards[0]
    root = edc12.to_edc_xml(award, catalogue).getroot()
    names = [etree.QName(child).localname for child in root]
    assert names[:4] == ["identifier", "type", "primaryLanguage", "availableLanguages"]
    assert names[-1] == "proof"


def test_a_mandate_to_seal_for_another_awarding_body_is_listed_as_left_out(
        awards: list[tuple[str, Award, Catalogue]], reference: Path, tmp_path: Path) -> None:
    """1.2 names the awarding body beside the issuer, but has no evidence to say the issuer seals
    by the awarding body's mandate, as the JSON-LD credential's Mandate evidence says."""
    award, catalogue = next((a, c) for name, a, c in awards if name == "sofia")
    issuer = award.issuer or catalogue.issuer
    assert not [f for f in edc12.not_carried(award, catalogue) if f.where == "evidence"]
    body = next(o.key for o in catalogue.organisations if o.key != issuer)
    mandated = tuple(s.model_copy(update={"awarding_body": body}) if s.code == award.specification else s
                     for s in catalogue.specifications)
    cat = catalogue.model_copy(update={"specifications": mandated})
    written = edc12.serialise(edc12.to_edc_xml(award, cat))
    (tmp_path / "credential.xml").write_bytes(written)
    official = xmlschema.XMLSchema(str(reference / "elm-xsd-v1" / "genericschema_1.2.xsd"), allow="sandbox")
    assert official.is_valid(str(tmp_path / "credential.xml"))
    root = etree.fromstring(written)
    awarding = root.xpath("string(e:awardingProcessReferences/e:awardingProcess/e:awardingBody/@idref)",
                          namespaces=SNB)
    assert awarding == edc12.record_id("org", catalogue.issuer, body)
    assert awarding != root.xpath("string(cred:issuer/@idref)", namespaces=SNB)
    assert b"Mandate" not in written and b"evidence" not in written.lower()
    [lost] = [f for f in edc12.not_carried(award, cat, written) if f.where == "evidence"]
    assert f"{body!r}" in lost.message and f"{issuer!r}" in lost.message and "mandate" in lost.message
    assert lost.code == "xml-loss"


@pytest.mark.parametrize("awarded", ["GAL-MC-PYDA", "GAL-PGCERT-DA"])
def test_a_related_specification_awarded_by_another_body_is_listed_as_left_out(
        awards: list[tuple[str, Award, Catalogue]], reference: Path, tmp_path: Path, awarded: str) -> None:
    """The whole (or part) a credential carries beside its own specification names its own
    awarding body: when that is not the issuer, 1.2 has no evidence for that mandate either."""
    award, catalogue = next((a, c) for name, a, c in awards
                            if name == "galway" and a.specification == awarded)
    issuer = award.issuer or catalogue.issuer
    (other,) = (s for s in catalogue.specifications if s.code != awarded)
    assert not [f for f in edc12.not_carried(award, catalogue) if f.where.startswith("evidence")]
    body = next(o.key for o in catalogue.organisations if o.key != issuer)
    specs = tuple(s.model_copy(update={"awarding_body": body}) if s is other else s
                  for s in catalogue.specifications)
    cat = catalogue.model_copy(update={"specifications": specs})
    written = edc12.serialise(edc12.to_edc_xml(award, cat))
    (tmp_path / "credential.xml").write_bytes(written)
    official = xmlschema.XMLSchema(str(reference / "elm-xsd-v1" / "genericschema_1.2.xsd"), allow="sandbox")
    assert official.is_valid(str(tmp_path / "credential.xml"))
    root = etree.fromstring(written)
    (related,) = root.xpath("e:learningSpecificationReferences/e:qualification[e:identifier = $c]",
                            namespaces=SNB, c=other.code)
    named = related.xpath("string(e:awardingOpportunities/e:awardingOpportunity/e:organization/@idref)",
                          namespaces=SNB)
    assert named == edc12.record_id("org", catalogue.issuer, body)
    lost = [f for f in edc12.not_carried(award, cat, written) if f.where.startswith("evidence")]
    assert [f.where for f in lost] == [f"evidence[{other.code}]"]
    assert all(repr(x) in lost[0].message for x in (body, issuer, other.code))
    assert "mandate" in lost[0].message
    assert lost[0].code == "xml-loss"
