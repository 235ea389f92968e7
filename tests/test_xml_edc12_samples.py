"""The EDC XML 1.2 writer against the EC's own XML samples: what the XSD lets pass and the
samples do otherwise."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

from edcbridge.mapping.edc import to_edc
from edcbridge.model import Award, Catalogue
from edcbridge.schemas import SchemaStore
from edcbridge.xml import edc12, xsd
from tests.xml_support import fixture_awards

NS = {"e": edc12.SNB, "cred": edc12.CRED}
SAMPLES = ("examples/elm-repo-xml-v1.2-unsigned/EDC_SampleDegree_AA.xml",
           "examples/elm-repo-xml-v1.2-signed-vp/EDC_DiplomaSupplement_AA.xml")


@pytest.fixture(scope="module")
def awards(fixture_sets: list[tuple[Path, list[Path]]]) -> list[tuple[str, Award, Catalogue]]:
    return fixture_awards(fixture_sets)


def _valid(tree: etree._ElementTree, store: SchemaStore) -> None:
    for engine in ("lxml", "xmlschema"):
        errors = xsd.errors(tree, store, engine, xsd.GENERIC_12)
        assert not errors, [e.render() for e in errors[:3]]


def test_esco_skills_are_coded_as_in_the_ec_samples(
        awards: list[tuple[str, Award, Catalogue]], store: SchemaStore, reference: Path) -> None:
    # every relatedEscoSkill of the EC samples names the ESCO Skill dataset, as EDCI does
    expected: set[tuple[str | None, str | None]] = set()
    for sample in SAMPLES:
        root = etree.parse(str(reference / sample)).getroot()
        expected |= {(s.get("targetFrameworkUrl"), s.get("targetNotation"))
                     for s in root.iter(f"{{{edc12.SNB}}}relatedEscoSkill")}
    assert expected == {("http://data.europa.eu/esco/model#Skill", "Skill")}
    seen = 0
    for _, award, catalogue in awards:
        tree = edc12.to_edc_xml(award, catalogue)
        for skill in tree.getroot().iterfind(".//e:relatedEscoSkill", NS):
            seen += 1
            assert (skill.get("targetFrameworkUrl"), skill.get("targetNotation")) in expected
    assert seen
    _valid(edc12.to_edc_xml(awards[0][1], awards[0][2]), store)


def _with_english_skill_label_only(award: Award, catalogue: Catalogue) -> tuple[Award, Catalogue, str]:
    spec = catalogue.specification(award.specification)
    assert spec is not None and spec.learning_outcomes
    outcome = spec.learning_outcomes[0]
    skill = type(outcome.esco_skills[0]).model_validate(
        {"iri": "http://data.europa.eu/esco/skill/6c6043c7-3829-4acf-82b4-d6339c18aad5",
         "label": {"en": "use a computer"}}) if outcome.esco_skills else None
    assert skill is not None
    outcome = outcome.model_copy(update={"esco_skills": (skill,)})
    spec = spec.model_copy(update={"learning_outcomes": (outcome, *spec.learning_outcomes[1:]),
                                   "title": {"bg": next(iter(spec.title.values()))},
                                   "languages": ()})
    specs = tuple(spec if s.code == spec.code else s for s in catalogue.specifications)
    return award, catalogue.model_copy(update={"specifications": specs}), str(skill.iri)


def test_an_esco_label_outside_the_credential_languages_still_names_the_skill(
        awards: list[tuple[str, Award, Catalogue]], store: SchemaStore) -> None:
    # a Bulgarian-only credential: the English ESCO label is kept as the English labels of our
    # own vocabularies are (the EC samples always name the skill), never an empty targetName
    _, award, catalogue = next(a for a in awards if a[0] == "sofia")
    award, catalogue, iri = _with_english_skill_label_only(award, catalogue)
    tree = edc12.to_edc_xml(award, catalogue)
    assert tree.getroot().findtext("e:primaryLanguage", namespaces=NS) == "bg"
    assert [lang.text for lang in tree.getroot().iterfind("e:availableLanguages/e:language", NS)] == ["bg"]
    skill = tree.getroot().find(f".//e:relatedEscoSkill[@uri='{iri}']", NS)
    assert skill is not None
    texts = [(t.get("lang"), t.text) for t in skill.iterfind("e:targetName/e:text", NS)]
    assert texts == [("en", "use a computer")]
    _valid(tree, store)


def test_accreditation_names_the_organisation_that_awards_the_qualification(
        awards: list[tuple[str, Award, Catalogue]], store: SchemaStore) -> None:
    # an award issued by another organisation of the catalogue than its default issuer: the
    # qualification's accreditation must name that awarding body, not the catalogue's issuer
    _, award, catalogue = next(a for a in awards if a[0] == "sofia")
    spec = catalogue.specification(award.specification)
    assert spec is not None and spec.quality_assurance and not spec.awarding_body
    other = next(o.key for o in catalogue.organisations if o.key != catalogue.issuer)
    award = award.model_copy(update={"issuer": other})
    root = edc12.to_edc_xml(award, catalogue).getroot()
    body = root.xpath("string(e:awardingProcessReferences/e:awardingProcess/e:awardingBody/@idref)",
                      namespaces=NS)
    qualification = root.find("e:learningSpecificationReferences/e:qualification", NS)
    assert qualification is not None
    assert qualification.xpath("string(e:awardingOpportunities/e:awardingOpportunity/e:organization/@idref)",
                               namespaces=NS) == body
    accreditation_id = qualification.xpath("string(e:hasAccreditation/@idref)", namespaces=NS)
    accredited = root.xpath("e:accreditationReferences/e:accreditation[@id=$a]/e:organization/@id",
                            a=accreditation_id, namespaces=NS)
    assert accredited == [body]
    _valid(root.getroottree(), store)


def test_an_organisation_with_only_a_vat_number_is_reported_without_registration(
        awards: list[tuple[str, Award, Catalogue]], store: SchemaStore) -> None:
    # 1.2 writes the VAT number as vatIdentifier, so the registration is the local key: say so
    _, award, catalogue = next(a for a in awards if a[0] == "sofia")
    issuer = catalogue.organisation(catalogue.issuer)
    assert issuer.vat_identifier
    vat_only = issuer.model_copy(update={"registration": None, "eidas_identifier": None, "deqar_id": None,
                                         "eter_id": None, "erasmus_code": None})
    orgs = tuple(vat_only if o.key == issuer.key else o for o in catalogue.organisations)
    catalogue = catalogue.model_copy(update={"organisations": orgs})
    tree = edc12.to_edc_xml(award, catalogue)
    registration = tree.getroot().find(f"e:agentReferences/e:organization/e:registration"
                                       f"[@schemeName='{edc12.LOCAL_KEY_SCHEME}']", NS)
    assert registration is not None and registration.text == issuer.key
    where = [f.where for f in edc12.not_carried(award, catalogue)]
    assert f"organization[{issuer.key}]/registration" in where
    _valid(tree, store)


def test_the_learner_has_a_full_name_as_in_the_ec_samples_and_the_json_ld(
        awards: list[tuple[str, Award, Catalogue]], store: SchemaStore, reference: Path) -> None:
    """Every EC sample names its learner with fullName beside givenNames and familyName; viewers
    show it. Records without a full name get the given and family names joined, as in JSON-LD."""
    for sample in SAMPLES:
        subject = etree.parse(str(reference / sample)).getroot().find(".//e:credentialSubject", NS)
        assert subject is not None and subject.find("e:fullName/e:text", NS) is not None, sample
    checked = 0
    for _, award, catalogue in awards:
        if award.learner.full_name or set(award.learner.given_name) != set(award.learner.family_name):
            continue
        tree = edc12.to_edc_xml(award, catalogue)
        subject = tree.getroot().find(".//e:credentialSubject", NS)
        assert subject is not None
        texts = [t.text for t in subject.iterfind("e:fullName/e:text", NS)]
        person = to_edc(award, catalogue)["credentialSubject"]
        assert texts == list(person["fullName"].values()), award.award_id
        checked += 1
    assert checked
    _valid(edc12.to_edc_xml(awards[0][1], awards[0][2]), store)


def test_only_organisations_the_credential_holds_are_reported_as_losing_something(
        awards: list[tuple[str, Award, Catalogue]]) -> None:
    """An organisation of the catalogue that this credential does not name (another faculty,
    another award's agency) loses nothing in it: a report line for it would be noise on every row."""
    _, award, catalogue = next(a for a in awards if a[0] == "sofia")
    stranger = catalogue.organisations[0].model_copy(update={
        "key": "other-faculty", "legal_name": {"fr": "Autre faculté"}, "registration": None,
        "eidas_identifier": None, "deqar_id": None, "eter_id": None, "erasmus_code": None})
    catalogue = catalogue.model_copy(update={"organisations": (*catalogue.organisations, stranger)})
    xml = edc12.serialise(edc12.to_edc_xml(award, catalogue))
    assert b"Autre facult" not in xml
    for given in (xml, None):  # the bytes written, or built for the check
        wheres = [f.where for f in edc12.not_carried(award, catalogue, given)]
        assert not [w for w in wheres if "other-faculty" in w], wheres
        assert "displayParameters" in wheres
