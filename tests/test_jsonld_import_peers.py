"""Reading EDC 3.x JSON-LD made by other issuers: the ELM samples, the EBSI examples and
MyNextID's credentials; nodes referenced by id; texts in several languages; what the model cannot
hold named in a note; malformed or hostile documents refused in one message; and a round trip
to EDC 3.2 checked against the official shapes with pyshacl."""

from __future__ import annotations

import copy
import json
import time
from pathlib import Path
from typing import Any

import pytest
import rdflib
from click.testing import CliRunner
from pyld import jsonld
from pyshacl import validate

from edcbridge.cli import main
from edcbridge.mapping.edc import to_edc
from edcbridge.validation.document import NotACredential
from edcbridge.xml.importer import Imported, NotImportable, import_all, import_bytes, import_file
from tests.conftest import reference_context_loader

MC = "examples/elm-repo-v3-jsonld/Sample-MC-Annex1-unsigned.jsonld"
EBSI = "ebsi-edc-schema/vcdm2.0-europass-edc-schema/examples"
MYNEXTID = "mynextid-edc/{}/v1/edc/examples/{}"


def _load(reference: Path, name: str) -> dict[str, Any]:
    return json.loads((reference / name).read_text("utf-8"))  # type: ignore[no-any-return]


def _read(document: dict[str, Any]) -> Imported:
    return import_bytes(json.dumps(document).encode(), "test.jsonld")


def _notes(imported: Imported) -> str:
    return "\n".join(imported.notes)


@pytest.mark.parametrize("version", ["3.1", "3.2"])
def test_the_elm_credential_sample_is_read_with_its_titles_in_all_languages(reference: Path,
                                                                            version: str) -> None:
    """The ELM sample's achievement has a title but no specification, as EDC 3 allows."""
    imported = import_file(reference / f"elm3-rdf/{version}/rdf/samples/credential-sample.jsonld")
    spec = imported.catalogue.specification(imported.award.specification)
    assert spec is not None
    assert spec.title == {"en": "some kind of learning achievement", "fr": "une sorte de réussite scolaire"}
    assert imported.award.learner.given_name == {"en": "Max"}
    assert "gives no specification (specifiedBy)" in _notes(imported)
    assert "birthName" in _notes(imported)  # a detail the model has no field for, named


@pytest.mark.parametrize(("kind", "file"), [
    ("certificate-of-advanced-study", "edc-cas-signed.jsonld"),
    ("certificate-of-attendance", "edc-coa-example.json"),
    ("certificate-of-participation-in-summer-school", "edc-cps-signed.jsonld"),
    ("confirmation-of-enrolment", "edc-coe-example.json"),
    ("degree-certificate", "edc-dc-signed.jsonld"),
    ("microcredential", "edc-mc-signed.jsonld"),
])
def test_mynextid_credentials_are_read(reference: Path, kind: str, file: str) -> None:
    """MyNextID names the learner by fullName only and often claims an activity."""
    imported = import_file(reference / MYNEXTID.format(kind, file))
    learner = imported.award.learner
    assert learner.full_name is not None
    full = next(iter(learner.full_name.values()))
    assert f"{next(iter(learner.given_name.values()))} {next(iter(learner.family_name.values()))}" == full
    assert "named only by a full name" in _notes(imported)
    issuer = next(o for o in imported.catalogue.organisations if o.key == imported.catalogue.issuer)
    assert "Velocert" in next(iter(issuer.legal_name.values()))


def test_mynextid_micro_credential_keeps_its_facts_and_names_its_unlinked_skills(reference: Path) -> None:
    imported = import_file(reference / MYNEXTID.format("microcredential", "edc-mc-example.json"))
    spec = imported.catalogue.specification(imported.award.specification)
    assert spec is not None and spec.credits is not None and float(spec.credits) == 5
    assert spec.eqf is not None and spec.eqf.endswith("/6")
    assert imported.award.grade == {"de": "19", "en": "19"}
    assert len(spec.learning_outcomes) == 2
    assert "'Game theory', 'Rear game'" in _notes(imported)  # skills with an issuer's urn:, no ESCO IRI


def test_a_credential_without_any_name_is_refused_in_one_message(reference: Path) -> None:
    with pytest.raises(NotImportable, match="no givenName and familyName, nor a fullName"):
        import_file(reference / MYNEXTID.format("matriculation", "edc-matriculation-example.json"))


def test_a_transcript_names_its_parts_and_activities(reference: Path) -> None:
    imported = import_file(reference / EBSI / "Transcript of records - generic.json")
    notes = _notes(imported)
    assert "its parts (hasPart) 'Topic #2', 'Topic #1'" in notes
    assert "'Coursework'" in notes


def test_further_claims_and_learner_details_are_named(reference: Path) -> None:
    document = _load(reference, MC)
    subject = document["credentialSubject"]
    second = copy.deepcopy(subject["hasClaim"])
    second["id"] = "urn:epass:learningAchievement:other"
    second["title"] = {"en": "Second achievement"}
    subject["hasClaim"] = [subject["hasClaim"], second]
    subject["gender"] = {"id": "http://publications.europa.eu/resource/authority/human-sex/FEMALE"}
    notes = _notes(_read(document))
    assert "further achievement claims (hasClaim) 'Second achievement'" in notes
    assert "the learner's gender" in notes


def _two_claims(reference: Path) -> dict[str, Any]:
    document = _load(reference, MC)
    subject = document["credentialSubject"]
    second = copy.deepcopy(subject["hasClaim"])
    second["id"] = "urn:epass:learningAchievement:other"
    second["title"] = {"en": "Second achievement"}
    second["specifiedBy"] = {**second["specifiedBy"], "id": "urn:epass:qualification:other",
                             "title": {"en": "Second achievement"}}
    subject["hasClaim"] = [subject["hasClaim"], second]
    return document


def test_each_achievement_claim_is_read_as_an_award(reference: Path) -> None:
    """hasClaim as a list: one award per achievement, in order (what ``stack`` counts)."""
    document = _two_claims(reference)
    awards = import_all(json.dumps(document).encode(), "test.jsonld")
    specs = [a.catalogue.specification(a.award.specification) for a in awards]
    titles = [s.title.get("en") if s else None for s in specs]
    assert len(titles) == 2 and titles[1] == "Second achievement" and titles[0] != titles[1], titles


def test_an_achievement_claim_that_cannot_be_read_is_named_by_its_place(reference: Path) -> None:
    document = _two_claims(reference)
    second = document["credentialSubject"]["hasClaim"][1]
    del second["specifiedBy"], second["title"]
    data = json.dumps(document).encode()
    assert import_bytes(data).award is not None  # the first alone still reads
    place = r"^claim 2 of 2 \(urn:epass:learningAchievement:other\): "
    with pytest.raises(NotImportable, match=place + ".*title"):
        import_all(data)


@pytest.mark.parametrize("reference_form", ["string", "object"])
def test_an_awarding_body_referenced_by_id_is_the_one_described_elsewhere(reference: Path,
                                                                          reference_form: str) -> None:
    """JSON-LD may describe a node once and reference it by id: the awarding body is not the issuer."""
    document = _load(reference, MC)
    claim = document["credentialSubject"]["hasClaim"]
    body = copy.deepcopy(document["issuer"])
    body["id"] = "urn:epass:org:faculty"
    body["legalName"] = {"en": "Faculty of Zed", "fr": "Faculté de Zed"}
    activity = claim["influencedBy"][0] if isinstance(claim["influencedBy"], list) else claim["influencedBy"]
    activity["directedBy"] = body
    claim["awardedBy"]["awardingBody"] = body["id"] if reference_form == "string" else {"id": body["id"]}
    imported = _read(document)
    spec = imported.catalogue.specification(imported.award.specification)
    assert spec is not None and spec.awarding_body is not None
    awarding = next(o for o in imported.catalogue.organisations if o.key == spec.awarding_body)
    assert awarding.legal_name == {"en": "Faculty of Zed", "fr": "Faculté de Zed"}


@pytest.mark.parametrize("name", [MC, "examples/elm-repo-v3-jsonld/Sample-CertOfPart-unsigned.jsonld"])
def test_a_flattened_graph_reads_as_the_embedded_credential(reference: Path, name: str) -> None:
    """Flattened by pyld with the official context: every node at the top of ``@graph``, each
    referenced by its id (as a JSON-LD tool or an RDF store writes a credential)."""
    document = _load(reference, name)
    flat = jsonld.flatten(document, {"@context": document["@context"]},
                          {"documentLoader": reference_context_loader})
    [credential] = [n for n in flat["@graph"] if "VerifiableCredential" in n.get("type", [])]
    assert isinstance(credential["credentialSubject"], str)  # a reference by id
    embedded, flattened = _read(document), _read(flat)
    assert (flattened.award, flattened.catalogue) == (embedded.award, embedded.catalogue)
    assert flattened.notes == embedded.notes


def test_a_graph_of_two_credentials_is_refused(reference: Path) -> None:
    document = _load(reference, MC)
    context = document.pop("@context")
    with pytest.raises(NotACredential, match="2 VerifiableCredential nodes"):
        _read({"@context": context, "@graph": [document, document]})


def test_texts_tagged_with_a_region_are_kept_under_their_language(reference: Path) -> None:
    document = _load(reference, MC)
    claim = document["credentialSubject"]["hasClaim"]
    claim["specifiedBy"]["title"] = {"en-GB": "Micro-credential design", "de": "Gestaltung",
                                     "PT-br": "Desenho"}
    imported = _read(document)
    spec = imported.catalogue.specification(imported.award.specification)
    assert spec is not None
    assert spec.title == {"de": "Gestaltung", "en": "Micro-credential design", "pt": "Desenho"}


def test_credit_points_beside_the_ones_read_are_named(reference: Path) -> None:
    """The model holds one amount: ECTS points are read, ECVET and national points beside them noted."""
    document = _load(reference, MC)
    spec = document["credentialSubject"]["hasClaim"]["specifiedBy"]
    spec["creditPoint"] = [spec["creditPoint"],
                           {"type": "CreditPoint", "point": "3",
                            "framework": {"id": "http://data.europa.eu/snb/education-credit/60b314e826"}},
                           {"type": "CreditPoint", "point": "4", "framework": {"id": "urn:national:credits"}}]
    imported = _read(document)
    read = imported.catalogue.specification(imported.award.specification)
    assert read is not None and read.credits is not None and float(read.credits) == 2
    notes = _notes(imported)
    assert "3 further credit points (http://data.europa.eu/snb/education-credit/60b314e826)" in notes
    assert "4 credit points in an unknown credit system (urn:national:credits)" in notes


def test_a_reference_bomb_is_refused_quickly(reference: Path) -> None:
    document = _load(reference, MC)
    chain = [{"id": f"urn:x:{i}", "type": "Note", "a": f"urn:x:{i + 1}", "b": {"id": f"urn:x:{i + 1}"}}
             for i in range(40)] + [{"id": "urn:x:40", "type": "Note", "noteLiteral": {"en": "x"}}]
    document["credentialSubject"]["hasClaim"]["additionalNote"] = chain
    started = time.monotonic()
    with pytest.raises(NotImportable, match="references by id"):
        _read(document)
    assert time.monotonic() - started < 5


def test_a_node_referencing_itself_is_read(reference: Path) -> None:
    document = _load(reference, MC)
    spec = document["credentialSubject"]["hasClaim"]["specifiedBy"]
    spec["hasPart"] = {"id": spec["id"]}
    imported = _read(document)
    assert "given by an id alone" in _notes(imported)


@pytest.mark.parametrize(("path", "value"), [
    (("displayParameter",), "x"),
    (("credentialSubject", "hasClaim", "awardedBy", "awardingBody", "location"), "x"),
    (("credentialSubject", "hasClaim", "specifiedBy"), "x"),
    (("credentialSubject", "hasClaim", "type"), {}),
    (("issuer", "eIDASIdentifier"), {"notation": 5}),
    (("credentialSubject", "hasClaim"), "urn:nowhere"),
])
def test_malformed_values_give_one_message_naming_the_file(reference: Path, tmp_path: Path,
                                                           path: tuple[str, ...], value: Any) -> None:
    document = _load(reference, MC)
    node = document
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    file = tmp_path / "odd.jsonld"
    file.write_text(json.dumps(document), "utf-8")
    result = CliRunner().invoke(main, ["inspect", str(file)])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    if result.exit_code:
        assert result.output.count("\n") == 1 and f"error: {file}:" in result.output


SHAPES = ("EDC-generic-no-cv.ttl", "EDC-generic-full.ttl")


@pytest.mark.parametrize("name", [
    MC,
    "elm3-rdf/3.2/rdf/samples/credential-sample.jsonld",
    MYNEXTID.format("microcredential", "edc-mc-example.json"),
    MYNEXTID.format("degree-certificate", "edc-dc-signed.jsonld"),
    f"{EBSI}/Transcript of records - generic.json",
])
def test_read_credentials_export_to_edc_the_official_shapes_accept(reference: Path, name: str) -> None:
    """inspect -> export, checked by pyshacl on the official EDC 3.2 shapes; an issuer without an
    eIDAS identifier is given one first, as the importer's note asks."""
    imported = import_file(reference / name)
    catalogue = imported.catalogue
    organisations = tuple(o.model_copy(update={"eidas_identifier": o.eidas_identifier or "ZZ-TEST-1"})
                          if o.key == catalogue.issuer else o for o in catalogue.organisations)
    document = to_edc(imported.award, catalogue.model_copy(update={"organisations": organisations}))
    nquads = jsonld.to_rdf(document, {"format": "application/n-quads",
                                      "documentLoader": reference_context_loader})
    shapes = rdflib.Graph()
    for shape in SHAPES:
        shapes.parse(reference / "elm3-rdf/3.2/rdf/ap/edc" / shape, format="turtle")
    conforms, _, text = validate(rdflib.Graph().parse(data=nquads, format="nquads"), shacl_graph=shapes,
                                 inference="none", advanced=True)
    assert conforms, text


def test_an_awarding_time_not_at_midnight_is_read_as_its_date_with_a_note(reference: Path) -> None:
    """The EC's sample is valid from 2022-12-31T23:00:00Z: midnight in Brussels on 1 January."""
    document = _load(reference, MC)
    claim = document["credentialSubject"]["hasClaim"]
    claim = claim[0] if isinstance(claim, list) else claim
    claim["awardedBy"]["awardingDate"] = "2022-12-31T23:00:00Z"
    imported = _read(document)
    assert imported.award.awarding_date.isoformat() == "2022-12-31"
    assert "awardingDate 2022-12-31T23:00:00Z is not at midnight" in _notes(imported)
    claim["awardedBy"]["awardingDate"] = "2023-01-01T00:00:00Z"
    assert "not at midnight" not in _notes(_read(document))
