"""LOQ export of every fixture catalogue, valid against loq.xsd with two engines."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

from edcbridge import vocab
from edcbridge.load import load_catalogue
from edcbridge.model import Catalogue
from edcbridge.schemas import SchemaStore
from edcbridge.xml import edc12, loq, xsd
from tests.conftest import FIXTURES

NS = {"l": loq.LOQ}


def test_every_fixture_catalogue_exports_to_valid_loq(
        fixture_sets: list[tuple[Path, list[Path]]], store: SchemaStore) -> None:
    for catalogue_path, _ in fixture_sets:
        catalogue = load_catalogue(catalogue_path)
        result = loq.to_loq(catalogue)
        assert result.specifications == [s.code for s in catalogue.specifications]
        engines: tuple[xsd.Engine, ...] = ("lxml", "xmlschema")
        for engine in engines:
            errors = xsd.errors(result.tree, store, engine, xsd.LOQ_XSD)
            assert not errors, (catalogue_path, engine, [e.render() for e in errors[:3]])
        root = result.tree.getroot()
        opportunities = root.findall("l:learningOpportunityReferences/l:learningOpportunity", NS)
        assert len(opportunities) == len(catalogue.specifications)
        assert edc12.serialise(result.tree) == edc12.serialise(loq.to_loq(catalogue).tree)


def test_qualification_needs_eqf_and_nqf(fixture_sets: list[tuple[Path, list[Path]]],
                                         store: SchemaStore) -> None:
    catalogue = load_catalogue(fixture_sets[0][0])
    spec = catalogue.specifications[0]
    plain = spec.model_copy(update={"nqf": None, "quality_assurance": ()})
    result = loq.to_loq(catalogue.model_copy(update={"specifications": (plain,)}))
    root = result.tree.getroot()
    assert root.find("l:learningAchievementSpecificationReferences/l:qualification", NS) is None
    assert root.find("l:learningAchievementSpecificationReferences/l:learningAchievementSpecification",
                     NS) is not None
    assert not xsd.errors(result.tree, store, "lxml", xsd.LOQ_XSD)


def test_a_specification_loq_cannot_describe_is_left_out_with_a_fix(
        fixture_sets: list[tuple[Path, list[Path]]], store: SchemaStore) -> None:
    catalogue = load_catalogue(fixture_sets[0][0])
    spec = catalogue.specifications[0]
    bare = spec.model_copy(update={"isced_f": (), "learning_outcomes": (), "code": "BARE"})
    result = loq.to_loq(catalogue.model_copy(update={"specifications": (*catalogue.specifications, bare)}))
    assert "BARE" not in result.specifications
    skipped = [f for f in result.findings if f.code == "loq-skipped"]
    assert len(skipped) == 1 and "ISCED-F" in skipped[0].message and "learning outcome" in skipped[0].fix
    assert not xsd.errors(result.tree, store, "lxml", xsd.LOQ_XSD)
    assert etree.QName(result.tree.getroot()).localname == "Courses"


def test_an_address_in_several_languages_is_noted_as_left_out() -> None:
    catalogue = load_catalogue(FIXTURES / "wales" / "catalogue.yaml")
    assert any(o.address and len(o.address) > 1 for o in catalogue.organisations)
    notes = [f for f in loq.to_loq(catalogue).findings if f.where.endswith(".address")]
    assert notes and all(f.code == "loq-loss" and "one language" in f.message for f in notes)


def _galway() -> Catalogue:
    return load_catalogue(FIXTURES / "galway" / "catalogue.yaml")


@pytest.mark.parametrize("without_nqf", ["has_part", "part_of"])
def test_parts_of_another_record_kind_keep_the_document_valid(store: SchemaStore, without_nqf: str) -> None:
    """A qualification's hasPart may only name qualifications, a specification's only specifications."""
    catalogue = _galway()
    specs = tuple(s.model_copy(update={"nqf": None}) if getattr(s, without_nqf) else s
                  for s in catalogue.specifications)
    result = loq.to_loq(catalogue.model_copy(update={"specifications": specs}))
    for engine in ("lxml", "xmlschema"):
        assert not xsd.errors(result.tree, store, engine, xsd.LOQ_XSD), engine
    root = result.tree.getroot()
    assert root.find("l:learningAchievementSpecificationReferences/*/l:hasPart", NS) is None
    assert root.find("l:learningOpportunityReferences/*/l:hasPart", NS) is not None  # one kind there
    (left_out,) = [f for f in result.findings if f.where.endswith(".has_part")]
    assert left_out.code == "loq-loss" and "'GAL-MC-PYDA'" in left_out.message
    assert "eqf and an nqf" in left_out.fix


def test_parts_of_the_same_record_kind_are_linked() -> None:
    result = loq.to_loq(_galway())
    root = result.tree.getroot()
    parent = root.find("l:learningAchievementSpecificationReferences/l:qualification[l:hasPart]", NS)
    assert parent is not None
    assert not [f for f in result.findings if f.where.endswith(".has_part")]


def test_a_level_without_the_other_is_reported_as_left_out() -> None:
    catalogue = _galway()
    first = catalogue.specifications[0].model_copy(update={"nqf": None, "has_part": ()})
    result = loq.to_loq(catalogue.model_copy(update={"specifications": (first,)}))
    root = result.tree.getroot()
    assert root.find(".//l:EQFLevel", NS) is None
    (lost,) = [f for f in result.findings if f.where == f"specifications[{first.code}].eqf"]
    assert lost.code == "loq-loss" and lost.severity == "warning"
    assert "add nqf" in lost.fix


def test_a_one_language_note_names_the_language_kept_and_those_left_out() -> None:
    """An address or entry requirement without a text in the primary language keeps another
    one: the note names that language and the ones left out, not 'the primary-language text'."""
    catalogue = _galway()
    assert vocab.concept("language", catalogue.primary_language).code == "en"
    org = catalogue.organisation(catalogue.issuer)
    moved = org.model_copy(update={"address": {"de": "Beispielweg 1, Galway", "fr": "1 rue Exemple, Galway"}})
    spec = catalogue.specifications[0].model_copy(update={
        "prerequisites": {"fr": "Une licence.", "ga": "Céim onóracha."}})
    catalogue = catalogue.model_copy(update={
        "organisations": tuple(moved if o.key == org.key else o for o in catalogue.organisations),
        "specifications": (spec, *catalogue.specifications[1:])})
    result = loq.to_loq(catalogue)
    root = result.tree.getroot()
    said = {f.where: f.message for f in result.findings}
    address = said[f"organisations[{org.key}].address"]
    prerequisites = said[f"specifications[{spec.code}].prerequisites"]
    kept_address = root.xpath("l:locationReferences/l:location[@id = ../../l:agentReferences/l:organisation"
                              "[l:legalName = $n]/l:location/@idref]/l:address/l:fullAddress/l:noteLiteral"
                              "/@language", namespaces=NS, n=org.legal_name["en"])
    kept_requirement = root.xpath("l:learningAchievementSpecificationReferences/*[l:identifier/skos:notation"
                                  " = $c]/l:entryRequirement/l:noteLiteral/@language",
                                  namespaces={**NS, "skos": loq.SKOS}, c=spec.code)
    assert kept_address == ["de"] and kept_requirement == ["fr"]
    assert "the de text is kept" in address and "fr left out" in address
    assert "the fr text is kept" in prerequisites and "ga left out" in prerequisites
    assert "primary" not in address + prerequisites


def _edc_organisations(node: object, found: dict[str, set[tuple[str, str]]]) -> None:
    """Each organisation of an EDC JSON-LD credential, by its legal name: its identifiers."""
    if isinstance(node, list):
        for item in node:
            _edc_organisations(item, found)
    elif isinstance(node, dict):
        if node.get("type") == "Organisation":
            given = node.get("identifier", [])
            found[next(iter(node["legalName"].values()))] = {
                (i["schemeName"], i["notation"]) for i in (given if isinstance(given, list) else [given])}
        for value in node.values():
            _edc_organisations(value, found)


def test_organisation_identifiers_are_named_as_in_the_edc_credentials(store: SchemaStore) -> None:
    """An organisation's ETER, DEQAR and Erasmus codes carry the scheme names the EDC credentials
    give them, so a register and a credential's reader match the two."""
    from edcbridge.mapping.edc import to_edc
    from tests.conftest import fixture_awards

    compared = 0
    for name, award, catalogue in fixture_awards():
        in_edc: dict[str, set[tuple[str, str]]] = {}
        _edc_organisations(to_edc(award, catalogue), in_edc)
        result = loq.to_loq(catalogue)
        assert not xsd.errors(result.tree, store, "lxml", xsd.LOQ_XSD)
        for org in result.tree.getroot().findall("l:agentReferences/l:organisation", NS):
            legal_name = org.findtext("l:legalName", namespaces=NS)
            if legal_name not in in_edc:
                continue
            in_loq = {(i.findtext("l:schemeName", namespaces=NS), i.findtext(f"{{{loq.SKOS}}}notation"))
                      for i in org.findall("l:identifier", NS)}
            assert in_loq == in_edc[legal_name], (name, legal_name)
            compared += len(in_loq)
    assert compared


def test_a_link_written_on_either_side_gives_the_same_document() -> None:
    """A whole naming its part in has_part, the part naming its whole in part_of, or both: each
    gives both records hasPart and isPartOf."""
    catalogue = _galway()

    def without(field_name: str) -> Catalogue:
        specs = tuple(s.model_copy(update={field_name: ()}) for s in catalogue.specifications)
        return catalogue.model_copy(update={"specifications": specs})

    both = edc12.serialise(loq.to_loq(catalogue).tree)
    assert b"isPartOf" in both and b"hasPart" in both
    assert edc12.serialise(loq.to_loq(without("has_part")).tree) == both
    assert edc12.serialise(loq.to_loq(without("part_of")).tree) == both


def _skipping(catalogue: Catalogue, code: str) -> Catalogue:
    """The catalogue with one specification LOQ cannot describe (no ISCED-F field)."""
    specs = tuple(s.model_copy(update={"isced_f": ()}) if s.code == code else s
                  for s in catalogue.specifications)
    return catalogue.model_copy(update={"specifications": specs})


@pytest.mark.parametrize(("skipped", "link"), [(0, "part_of"), (1, "has_part")])
@pytest.mark.parametrize("declared", ["has_part", "part_of", "both"])
def test_a_link_to_a_skipped_specification_is_noted_on_the_linking_one(
        store: SchemaStore, skipped: int, link: str, declared: str) -> None:
    """Galway's qualification has its micro-credential as a part: when either is left out, the
    other is told which link it lost and why, however the catalogue writes the link."""
    catalogue = _galway()
    whole, part = catalogue.specifications
    if declared != "both":  # the link written on one side only
        dropped = "part_of" if declared == "has_part" else "has_part"
        specs = tuple(s.model_copy(update={dropped: ()}) for s in catalogue.specifications)
        catalogue = catalogue.model_copy(update={"specifications": specs})
    gone, kept = (whole, part) if skipped == 0 else (part, whole)
    result = loq.to_loq(_skipping(catalogue, gone.code))
    assert result.specifications == [kept.code]
    (note,) = [f for f in result.findings if f.where == f"specifications[{kept.code}].{link}"]
    assert note.code == "loq-loss" and note.severity == "info"
    assert repr(gone.code) in note.message and "loq-skipped" in note.message
    assert ("isPartOf" if link == "part_of" else "hasPart") in note.message
    assert [f.where for f in result.findings if f.code == "loq-skipped"] == [f"specifications[{gone.code}]"]
    for engine in ("lxml", "xmlschema"):
        assert not xsd.errors(result.tree, store, engine, xsd.LOQ_XSD)


def test_links_between_published_specifications_are_not_noted() -> None:
    result = loq.to_loq(_galway())
    assert not [f for f in result.findings if f.where.endswith((".part_of", ".has_part"))]


@pytest.mark.parametrize("declared", ["has_part", "part_of", "both"])
def test_a_part_whose_whole_is_skipped_stays_partial_and_the_note_says_so(
        store: SchemaStore, declared: str) -> None:
    """isPartialQualification tells whether a qualification is whole or part of another: the
    part is partial by the catalogue whether or not its whole is published, so the flag stays,
    and the note on the lost isPartOf tells the register the whole is not published."""
    catalogue = _galway()
    whole, part = catalogue.specifications
    if declared != "both":
        dropped = "part_of" if declared == "has_part" else "has_part"
        specs = tuple(s.model_copy(update={dropped: ()}) for s in catalogue.specifications)
        catalogue = catalogue.model_copy(update={"specifications": specs})
    result = loq.to_loq(_skipping(catalogue, whole.code))
    (record,) = result.tree.getroot().findall("l:learningAchievementSpecificationReferences/*", NS)
    assert etree.QName(record).localname == "qualification"
    assert record.find("l:isPartOf", NS) is None
    assert record.findtext("l:isPartialQualification", namespaces=NS) == "true"
    (note,) = [f for f in result.findings if f.where == f"specifications[{part.code}].part_of"]
    assert f"whole {whole.code!r} is not published" in note.message
    assert "isPartialQualification true" in note.message
    for engine in ("lxml", "xmlschema"):
        assert not xsd.errors(result.tree, store, engine, xsd.LOQ_XSD)


def test_a_specification_without_levels_is_not_told_of_a_flag_it_does_not_carry() -> None:
    """A part published as a learningAchievementSpecification has no isPartialQualification:
    the note on its lost isPartOf does not name one."""
    catalogue = _galway()
    whole, part = catalogue.specifications
    specs = (whole, part.model_copy(update={"nqf": None, "quality_assurance": ()}))
    result = loq.to_loq(_skipping(catalogue.model_copy(update={"specifications": specs}), whole.code))
    (note,) = [f for f in result.findings if f.where == f"specifications[{part.code}].part_of"]
    assert f"whole {whole.code!r} is not published" in note.message
    assert "isPartialQualification" not in note.message
