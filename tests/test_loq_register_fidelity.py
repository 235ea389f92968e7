"""What a register reading our LOQ documents gets: quality assurance, ESCO labels and the
agency behind specification codes, checked against the official loq.xsd and code lists read
straight from the reference folder."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
import yaml
from lxml import etree
from pydantic import HttpUrl

from edcbridge.load import load_catalogue
from edcbridge.mapping.image import card_png
from edcbridge.model import Catalogue, EscoSkill
from edcbridge.xml import edc12, loq
from tests.conftest import FIXTURES, fixture_awards

NS = {"l": loq.LOQ, "skos": loq.SKOS}
XS = "{http://www.w3.org/2001/XMLSchema}"
LOQ_DIR = "elm3-qdr-xsd/3.2/loq"


@pytest.fixture(scope="module")
def official(reference: Path) -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(reference / LOQ_DIR / "loq.xsd")))


def _label(reference: Path, code_list: str, uri: str) -> str:
    """The English label the official code list gives a concept."""
    tree = etree.parse(str(reference / LOQ_DIR / "cv" / code_list))
    for enumeration in tree.iter(f"{XS}enumeration"):
        if enumeration.get("value") == uri:
            return " ".join(d.text.strip() for d in enumeration.iter(f"{XS}documentation") if d.text)
    raise AssertionError(f"{uri} is not in {code_list}")


def _valid(official: etree.XMLSchema, result: loq.LoqResult) -> etree._Element:
    assert official.validate(result.tree), official.error_log
    return result.tree.getroot()


def _catalogue(name: str) -> Catalogue:
    return load_catalogue(FIXTURES / name / "catalogue.yaml")


def _org_id(root: etree._Element, legal_name: str) -> str:
    (org,) = root.xpath("l:agentReferences/l:organisation[l:legalName = $n]", namespaces=NS, n=legal_name)
    return str(org.get("id"))


def _accreditations_of(root: etree._Element, org_id: str) -> list[etree._Element]:
    (org,) = root.xpath("l:agentReferences/l:organisation[@id = $i]", namespaces=NS, i=org_id)
    refs = [ref.get("idref") for ref in org.findall("l:accreditation", NS)]
    return [root.xpath("l:accreditationReferences/l:accreditation[@id = $i]", namespaces=NS, i=ref)[0]
            for ref in refs]


@pytest.mark.parametrize("levels", ["eqf and nqf", "eqf only"])
def test_institutional_qa_is_on_the_awarding_body(official: etree.XMLSchema, reference: Path,
                                                  levels: str) -> None:
    """Annex I's type of quality assurance: an institutional review reaches the register on the
    awarding body, also for a specification LOQ can only publish without levels."""
    catalogue = _catalogue("galway")
    if levels == "eqf only":
        specs = tuple(s.model_copy(update={"nqf": None}) for s in catalogue.specifications)
        catalogue = catalogue.model_copy(update={"specifications": specs})
    result = loq.to_loq(catalogue)
    root = _valid(official, result)
    galway = _org_id(root, "University of Galway")
    (accreditation,) = _accreditations_of(root, galway)
    kind = accreditation.find("l:type", NS).get("uri")
    assert _label(reference, "europass-accreditation-types.xsd", kind) == "Institutional Quality Assurance"
    assert [o.get("idref") for o in accreditation.findall("l:organisation", NS)] == [galway]
    assert not [f for f in result.findings if "quality assurance" in f.message]


def test_programme_qa_without_levels_is_still_reported(official: etree.XMLSchema) -> None:
    catalogue = _catalogue("warsaw")
    specs = tuple(s.model_copy(update={"nqf": None}) for s in catalogue.specifications)
    result = loq.to_loq(catalogue.model_copy(update={"specifications": specs}))
    root = _valid(official, result)
    assert root.find("l:accreditationReferences", NS) is None
    assert root.find("l:agentReferences/l:organisation/l:accreditation", NS) is None
    (lost,) = [f for f in result.findings if f.code == "loq-loss" and "quality assurance" in f.message]
    assert specs[0].quality_assurance[0] in lost.message


def test_an_accreditation_names_every_awarding_body_it_is_given_for(official: etree.XMLSchema) -> None:
    catalogue = _catalogue("galway")
    campus = catalogue.organisation("galway").model_copy(update={
        "key": "campus", "legal_name": {"en": "Galway Campus Two", "ga": "Campas a Dó"},
        "eidas_identifier": None, "vat_identifier": None, "registration": None,
        "deqar_id": None, "eter_id": None, "erasmus_code": None})
    first, second = catalogue.specifications
    catalogue = catalogue.model_copy(update={
        "organisations": (*catalogue.organisations, campus),
        "specifications": (first, second.model_copy(update={"awarding_body": "campus"}))})
    root = _valid(official, loq.to_loq(catalogue))
    (accreditation,) = root.findall("l:accreditationReferences/l:accreditation", NS)
    named = {o.get("idref") for o in accreditation.findall("l:organisation", NS)}
    bodies = {_org_id(root, "University of Galway"), _org_id(root, "Galway Campus Two")}
    assert named == bodies
    for body in bodies:
        assert _accreditations_of(root, body) == [accreditation]


def test_esco_labels_of_the_catalogue_reach_the_register(official: etree.XMLSchema) -> None:
    catalogue = _catalogue("galway")
    spec = catalogue.specifications[0]
    outcome = spec.learning_outcomes[0]
    skill = EscoSkill(iri=outcome.esco_skills[0].iri, label={"en": "statistics", "ga": "staitisticí"})
    outcomes = (outcome.model_copy(update={"esco_skills": (skill,)}), *spec.learning_outcomes[1:])
    spec = spec.model_copy(update={"learning_outcomes": outcomes})
    catalogue = catalogue.model_copy(update={"specifications": (spec, *catalogue.specifications[1:])})
    root = _valid(official, loq.to_loq(catalogue))
    (element,) = root.xpath("l:learningOutcomeReferences/l:learningOutcome/l:relatedESCOSkill[@uri = $u]",
                            namespaces=NS, u=str(skill.iri))
    labels = {p.get("language"): p.text for p in element.findall("skos:prefLabel", NS)}
    assert labels == {"en": "statistics", "ga": "staitisticí"}


@pytest.mark.parametrize(("name", "agency"), [("galway", ("en", "University of Galway")),
                                              ("warsaw", ("pl", "Uniwersytet Warszawski"))])
def test_a_specification_code_names_the_agency_that_gives_it(official: etree.XMLSchema, name: str,
                                                            agency: tuple[str, str]) -> None:
    """"Specification code" alone is every institution's scheme name: the register is told whose."""
    root = _valid(official, loq.to_loq(_catalogue(name)))
    records = root.findall("l:learningAchievementSpecificationReferences/*", NS)
    assert records
    for record in records:
        (identifier,) = record.findall("l:identifier", NS)
        found = identifier.find("l:schemeAgency", NS)
        assert found is not None and (found.get("language"), found.text) == agency


def test_supervision_loq_cannot_carry_is_reported() -> None:
    """Annex I's supervision and identity verification: LOQ's assessment has no element for it."""
    catalogue = _catalogue("sofia")
    supervised = [s.code for s in catalogue.specifications if s.assessment and s.assessment.supervision]
    assert supervised
    notes = [f for f in loq.to_loq(catalogue).findings if f.where.endswith(".assessment.supervision")]
    assert [f.where for f in notes] == [f"specifications[{c}].assessment.supervision" for c in supervised]
    assert all(f.code == "loq-loss" and f.severity == "info" for f in notes)


def _record_ids(root: etree._Element) -> dict[str, str]:
    """The id of every record a register keeps, by what it is: the specification and
    opportunity by code, the organisations by legal name, the accreditations by title."""
    ids: dict[str, str] = {}
    for record in root.findall("l:learningAchievementSpecificationReferences/*", NS):
        ids[f"spec {record.findtext('l:identifier/skos:notation', namespaces=NS)}"] = record.get("id", "")
        for ref in record.findall("l:provenBy", NS):
            ids[f"assessment {record.findtext('l:identifier/skos:notation', namespaces=NS)}"] = \
                ref.get("idref", "")
    for record in root.findall("l:learningOpportunityReferences/l:learningOpportunity", NS):
        spec = root.xpath("l:learningAchievementSpecificationReferences/*[@id = $i]", namespaces=NS,
                          i=record.find("l:learningAchievementSpecification", NS).get("idref"))[0]
        code = spec.findtext("l:identifier/skos:notation", namespaces=NS)
        ids[f"opportunity {code}"] = record.get("id", "")
    for record in root.findall("l:agentReferences/l:organisation", NS):
        ids[f"organisation {record.findtext('l:legalName', namespaces=NS)}"] = record.get("id", "")
        ids[f"location of {record.findtext('l:legalName', namespaces=NS)}"] = \
            record.find("l:location", NS).get("idref", "")
    for record in root.findall("l:accreditationReferences/l:accreditation", NS):
        ids[f"accreditation {record.findtext('l:title', namespaces=NS)}"] = record.get("id", "")
    return ids


def test_a_corrected_record_keeps_its_id_in_the_register(official: etree.XMLSchema) -> None:
    """A register takes a record with a known id for an update of that record, and one with a
    new id for another record: a typo fixed in a title, a description, an address or a QA
    decision must update the qualification, organisation or accreditation already published,
    not publish a second one beside it."""
    catalogue = _catalogue("galway")
    before = _record_ids(_valid(official, loq.to_loq(catalogue)))
    spec = catalogue.specifications[0]
    fixed_spec = spec.model_copy(update={
        "title": {k: f"{v} (corrected)" for k, v in spec.title.items()},
        "description": {"en": "Corrected description."},
        "assessment": spec.assessment.model_copy(update={"title": {"en": "Corrected exam"}})
        if spec.assessment else None})
    orgs = tuple(o.model_copy(update={"address": {"en": "1 Corrected Road, Galway"},
                                      "homepage": HttpUrl("https://corrected.example.org/")})
                 for o in catalogue.organisations)
    qas = tuple(q.model_copy(update={"decision": {"en": "Corrected decision."}})
                for q in catalogue.quality_assurance)
    fixed = catalogue.model_copy(update={"specifications": (fixed_spec, *catalogue.specifications[1:]),
                                         "organisations": orgs, "quality_assurance": qas})
    after = _record_ids(_valid(official, loq.to_loq(fixed)))
    assert after == before
    assert len(set(before.values())) == len(before)  # still one id per record


def test_a_credential_names_the_qualification_the_register_holds(official: etree.XMLSchema) -> None:
    """An EDC XML credential issued after a correction names its specification, awarding body and
    accreditation by the ids the register got in the LOQ document published before it."""
    name, award, catalogue = next(c for c in fixture_awards() if c[0].startswith("galway:"))
    published = _record_ids(_valid(official, loq.to_loq(catalogue)))
    spec = catalogue.specification(award.specification)
    assert spec is not None
    fixed_spec = spec.model_copy(update={"title": {k: f"{v} (corrected)" for k, v in spec.title.items()}})
    fixed = catalogue.model_copy(update={"specifications": tuple(
        fixed_spec if s.code == spec.code else s for s in catalogue.specifications)})
    root = edc12.to_edc_xml(award, fixed).getroot()
    achievement = root.find(f"{{{edc12.SNB}}}credentialSubject/{{{edc12.SNB}}}achievements/"
                            f"{{{edc12.SNB}}}learningAchievement")
    assert achievement is not None
    specified = achievement.find(f"{{{edc12.SNB}}}specifiedBy")
    assert specified is not None and specified.get("idref") == published[f"spec {spec.code}"], name
    written = {e.get("id") for e in root.iter() if isinstance(e.tag, str) and e.get("id")}
    assert {v for k, v in published.items() if k.startswith(("organisation University", "accreditation"))} \
        <= written


def test_an_identifier_another_record_already_carries_is_reported(official: etree.XMLSchema) -> None:
    """LOQ wants each identifier notation once per document: a campus that shares its university's
    ETER, DEQAR and Erasmus ids is published without them, and the register is told so."""
    catalogue = _catalogue("galway")
    campus = catalogue.organisation("galway").model_copy(update={
        "key": "campus", "legal_name": {"en": "Galway Campus Two"},
        "eidas_identifier": None, "vat_identifier": None, "registration": None})
    first, second = catalogue.specifications
    catalogue = catalogue.model_copy(update={
        "organisations": (*catalogue.organisations, campus),
        "specifications": (first, second.model_copy(update={"awarding_body": "campus"}))})
    result = loq.to_loq(catalogue)
    root = _valid(official, result)
    (element,) = root.xpath("l:agentReferences/l:organisation[l:legalName = 'Galway Campus Two']",
                            namespaces=NS)
    assert element.find("l:identifier", NS) is None
    lost = [f for f in result.findings if f.where == "organisations[campus].identifier"]
    assert lost and all(f.code == "loq-loss" for f in lost), result.findings
    said = " ".join(f.message for f in lost)
    assert all(value in said for value in ("IE0006", "DEQARINST0398", "IRLGALWAY01")), said


def _links(root: etree._Element, record: etree._Element) -> dict[str, list[str]]:
    """The codes a record's hasPart and isPartOf name, by the code of the record they point to."""
    codes = {r.get("id"): r.findtext("l:identifier/skos:notation", namespaces=NS)
             for r in root.findall("l:learningAchievementSpecificationReferences/*", NS)}
    return {name: [codes[ref.get("idref")] for ref in record.findall(f"l:{name}", NS)]
            for name in ("hasPart", "isPartOf")}


@pytest.mark.parametrize("declared", ["has_part", "part_of"])
def test_a_stack_declared_on_one_side_is_published_on_both(official: etree.XMLSchema,
                                                           declared: str) -> None:
    """A micro-credential the catalogue lists in a qualification's has_part (and not in its own
    part_of, or the other way round) is still published as a part: the register sees the link from
    both records, and the part is not a whole qualification (isPartialQualification true)."""
    catalogue = _catalogue("galway")
    whole, part = catalogue.specifications
    assert part.code in whole.has_part and whole.code in part.part_of
    dropped = "part_of" if declared == "has_part" else "has_part"
    specs = tuple(s.model_copy(update={dropped: ()}) for s in catalogue.specifications)
    result = loq.to_loq(catalogue.model_copy(update={"specifications": specs}))
    root = _valid(official, result)
    records = {r.findtext("l:identifier/skos:notation", namespaces=NS): r
               for r in root.findall("l:learningAchievementSpecificationReferences/*", NS)}
    assert _links(root, records[whole.code]) == {"hasPart": [part.code], "isPartOf": []}
    assert _links(root, records[part.code]) == {"hasPart": [], "isPartOf": [whole.code]}
    assert records[part.code].findtext("l:isPartialQualification", namespaces=NS) == "true"
    opportunities = {o.find("l:learningAchievementSpecification", NS).get("idref"): o
                     for o in root.findall("l:learningOpportunityReferences/l:learningOpportunity", NS)}
    part_lo = opportunities[records[part.code].get("id")]
    whole_lo = opportunities[records[whole.code].get("id")]
    assert [r.get("idref") for r in part_lo.findall("l:isPartOf", NS)] == [whole_lo.get("id")]
    assert [r.get("idref") for r in whole_lo.findall("l:hasPart", NS)] == [part_lo.get("id")]


@pytest.mark.parametrize("dropped", ["nqf", "eqf"])
def test_a_specification_with_one_level_keeps_it_as_its_education_level(official: etree.XMLSchema,
                                                                       dropped: str) -> None:
    """A specification with an EQF level and no NQF level (or the other way round) cannot be a
    LOQ qualification, but its learningAchievementSpecification still gives the register its
    level, as an educationLevel concept of the EQF (or the NQF), and the warning says so."""
    catalogue = _catalogue("galway")
    spec = catalogue.specifications[0]
    kept = spec.nqf if dropped == "eqf" else spec.eqf.value if spec.eqf else None
    assert kept
    one_level = spec.model_copy(update={dropped: None, "quality_assurance": (), "has_part": ()})
    result = loq.to_loq(catalogue.model_copy(update={"specifications": (one_level,)}))
    root = _valid(official, result)
    (record,) = root.findall("l:learningAchievementSpecificationReferences/"
                             "l:learningAchievementSpecification", NS)
    assert [e.get("uri") for e in record.findall("l:educationLevel", NS)] == [kept]
    (warning,) = [f for f in result.findings if f.where == f"specifications[{spec.code}]."
                  f"{'eqf' if dropped == 'nqf' else 'nqf'}"]
    assert warning.severity == "warning" and "educationLevel" in warning.message


def test_the_maximum_duration_is_not_published_as_how_long_the_opportunity_runs(
        official: etree.XMLSchema) -> None:
    """``max_duration_months`` is the longest a learner may take: the specification's
    maximumDuration. A learning opportunity's duration is how long the offer itself keeps
    running, which a catalogue does not say, so the register is not given one."""
    catalogue = _catalogue("warsaw")
    (spec,) = catalogue.specifications
    assert spec.max_duration_months
    root = _valid(official, loq.to_loq(catalogue))
    (record,) = root.findall("l:learningAchievementSpecificationReferences/*", NS)
    assert record.findtext("l:maximumDuration", namespaces=NS) == f"P{spec.max_duration_months}M"
    (opportunity,) = root.findall("l:learningOpportunityReferences/l:learningOpportunity", NS)
    assert opportunity.find("l:duration", NS) is None


def test_a_part_of_another_record_kind_is_reported_as_the_register_gets_it(
        official: etree.XMLSchema) -> None:
    """A micro-credential with an EQF level only, in a qualification's has_part: LOQ's keyrefs
    refuse the qualification's hasPart, but the part's isPartOf is published. The warning says
    which half the register gets, rather than that the whole link is gone."""
    catalogue = _catalogue("galway")
    whole, part = catalogue.specifications
    specs = (whole, part.model_copy(update={"nqf": None}))
    result = loq.to_loq(catalogue.model_copy(update={"specifications": specs}))
    root = _valid(official, result)
    records = {r.findtext("l:identifier/skos:notation", namespaces=NS): r
               for r in root.findall("l:learningAchievementSpecificationReferences/*", NS)}
    assert _links(root, records[whole.code])["hasPart"] == []
    assert _links(root, records[part.code])["isPartOf"] == [whole.code]
    (warning,) = [f for f in result.findings if f.where == f"specifications[{whole.code}].has_part"]
    assert "left out" in warning.message and f"isPartOf {whole.code!r}" in warning.message


def test_a_learning_opportunity_defaults_to_a_language_its_title_is_in(official: etree.XMLSchema) -> None:
    """defaultLanguage is the language of an opportunity's authoritative texts: the catalogue's
    primary language when its title has one in it, else the language the title is written in."""
    catalogue = _catalogue("galway")
    whole, part = catalogue.specifications
    irish = part.model_copy(update={"title": {"ga": "Anailís sonraí i Python"}})
    root = _valid(official, loq.to_loq(catalogue.model_copy(update={"specifications": (whole, irish)})))
    languages = {o.findtext("l:title", namespaces=NS): o.find("l:defaultLanguage", NS).get("uri")
                 for o in root.findall("l:learningOpportunityReferences/l:learningOpportunity", NS)}
    language = "http://publications.europa.eu/resource/authority/language/"
    assert languages == {whole.title["en"]: f"{language}ENG", irish.title["ga"]: f"{language}GLE"}


def test_a_specification_without_languages_says_which_language_it_is_published_in(
        official: etree.XMLSchema) -> None:
    """LOQ needs the language of instruction. A specification without ``languages`` is published
    in the language of its title (the primary one when the title has it), and a note says so."""
    catalogue = _catalogue("galway")
    whole, part = catalogue.specifications
    assert whole.languages
    silent = part.model_copy(update={"languages": (), "title": {"ga": "Anailís sonraí i Python"}})
    result = loq.to_loq(catalogue.model_copy(update={"specifications": (whole, silent)}))
    root = _valid(official, result)
    records = {r.findtext("l:identifier/skos:notation", namespaces=NS): r
               for r in root.findall("l:learningAchievementSpecificationReferences/*", NS)}
    assert [e.get("uri") for e in records[part.code].findall("l:language", NS)] == \
        ["http://publications.europa.eu/resource/authority/language/GLE"]
    (note,) = [f for f in result.findings if f.where == f"specifications[{part.code}].languages"]
    assert note.severity == "info" and "ga" in note.message and "languages" in note.fix
    assert not [f for f in result.findings if f.where == f"specifications[{whole.code}].languages"]


def _with_logo(tmp_path: Path, logo: str) -> Catalogue:
    data = yaml.safe_load((FIXTURES / "galway" / "catalogue.yaml").read_text("utf-8"))
    data["organisations"]["galway"]["logo"] = logo
    path = tmp_path / "catalogue.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), "utf-8")
    return load_catalogue(path)


def test_a_logo_file_is_the_organisations_logo_in_the_register(official: etree.XMLSchema,
                                                               tmp_path: Path) -> None:
    """A logo file beside the catalogue is embedded in LOQ's organisation/logo, base64-encoded
    with its file type, as the register shows it."""
    png = card_png()
    (tmp_path / "logo.png").write_bytes(png)
    catalogue = _with_logo(tmp_path, "logo.png")
    result = loq.to_loq(catalogue)
    root = _valid(official, result)
    (logo,) = root.xpath("l:agentReferences/l:organisation[l:legalName = $n]/l:logo", namespaces=NS,
                         n=catalogue.organisation("galway").legal_name["en"])
    assert logo.find("l:contentType", NS).get("uri") == \
        "http://publications.europa.eu/resource/authority/file-type/PNG"
    assert logo.find("l:contentEncoding", NS).get("uri") == "http://data.europa.eu/snb/encoding/6146cde7dd"
    assert base64.b64decode(logo.findtext("l:content", namespaces=NS)) == png
    assert not [f for f in result.findings if f.where.endswith(".logo")]


@pytest.mark.parametrize(("logo", "said"), [
    ("https://www.universityofgalway.ie/logo.png", "https"),
    ("data:image/webp;base64,UklGRg==", "image/webp")])
def test_a_logo_loq_cannot_embed_is_reported(official: etree.XMLSchema, tmp_path: Path,
                                             logo: str, said: str) -> None:
    """LOQ embeds a logo, from a list of file types: one given by its https address (which the
    export does not fetch), or a WebP file, is left out with a note saying what to write instead."""
    catalogue = _with_logo(tmp_path, "https://www.universityofgalway.ie/logo.png")
    catalogue = catalogue.model_copy(update={"organisations": tuple(
        o.model_copy(update={"logo": logo}) if o.key == "galway" else o for o in catalogue.organisations)})
    result = loq.to_loq(catalogue)
    root = _valid(official, result)
    assert not root.findall("l:agentReferences/l:organisation/l:logo", NS)
    (note,) = [f for f in result.findings if f.where == "organisations[galway].logo"]
    assert note.code == "loq-loss" and said in note.message and "PNG" in note.fix
