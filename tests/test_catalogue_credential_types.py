"""A Diploma Supplement is refused in a catalogue, with its line and the fix: the official
Diploma Supplement shapes require what a catalogue entry does not give, so its credentials
would claim a profile they fail (checked here with pyshacl on the official shapes)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import rdflib
from pyld import jsonld
from pyshacl import validate

from edcbridge.demo import bundled_fixtures
from edcbridge.load import CatalogueError, iter_awards, load_catalogue
from edcbridge.mapping.edc import to_edc
from edcbridge.vocab import CredentialType
from tests.conftest import REFERENCE, reference_context_loader

SHAPES = REFERENCE / "elm3-rdf/3.2/rdf/ap/edc"
DS_SHAPES = ("EDC-generic-no-cv.ttl", "EDC-generic-full.ttl", "EDC-accredited.ttl",
             "EDC-diplomaSupplement.ttl")


def _galway(tmp_path: Path, credential_type: str) -> Path:
    folder = tmp_path / "galway"
    shutil.copytree(bundled_fixtures() / "galway", folder)
    catalogue = folder / "catalogue.yaml"
    text = catalogue.read_text("utf-8")
    assert "credential_type: qualification-award" in text
    catalogue.write_text(text.replace("credential_type: qualification-award",
                                      f"credential_type: {credential_type}"), "utf-8")
    return catalogue


@pytest.mark.parametrize("written", ["diploma-supplement", "Diploma Supplement",
                                     CredentialType.DIPLOMA_SUPPLEMENT.value])
def test_a_diploma_supplement_is_refused_at_its_line_with_the_fix(tmp_path: Path, written: str) -> None:
    catalogue = _galway(tmp_path, f'"{written}"')
    line = next(number for number, text in enumerate(catalogue.read_text("utf-8").splitlines(), 1)
                if "credential_type:" in text)
    with pytest.raises(CatalogueError) as caught:
        load_catalogue(catalogue)
    [error] = caught.value.errors
    assert error.row == line
    assert "Diploma Supplement" in error.message and "EDC-diplomaSupplement" in error.message
    assert "qualification-award" in error.fix


@pytest.mark.parametrize("written", ["learning-entitlement", CredentialType.LEARNING_ENTITLEMENT.value])
def test_a_learning_entitlement_is_refused_at_its_line_with_the_fix(tmp_path: Path, written: str) -> None:
    """Its awards would claim an achievement under a type that says an entitlement."""
    catalogue = _galway(tmp_path, f'"{written}"')
    line = next(number for number, text in enumerate(catalogue.read_text("utf-8").splitlines(), 1)
                if "credential_type:" in text)
    with pytest.raises(CatalogueError) as caught:
        load_catalogue(catalogue)
    [error] = caught.value.errors
    assert error.row == line and "credential_type" in error.render()
    assert "learning entitlement" in error.message and "credential_type: generic" in error.fix


def test_a_qualification_award_still_loads(tmp_path: Path) -> None:
    load_catalogue(_galway(tmp_path, "qualification-award"))


def test_what_a_catalogue_gives_fails_the_official_diploma_supplement_shapes(reference: Path) -> None:
    catalogue = load_catalogue(bundled_fixtures() / "galway" / "catalogue.yaml")
    award = next(r.award for path in sorted((bundled_fixtures() / "galway").glob("awards*"))
                 for r in iter_awards(path, catalogue) if r.award
                 and catalogue.specification(r.award.specification).credential_type  # type: ignore[union-attr]
                 is CredentialType.QUALIFICATION_AWARD)
    specifications = tuple(
        spec.model_copy(update={"credential_type": CredentialType.DIPLOMA_SUPPLEMENT})
        if spec.code == award.specification else spec for spec in catalogue.specifications)
    doc = to_edc(award, catalogue.model_copy(update={"specifications": specifications}))
    nquads = jsonld.to_rdf(doc, {"format": "application/n-quads", "documentLoader": reference_context_loader})
    data = rdflib.Graph().parse(data=nquads, format="nquads")
    shapes = rdflib.Graph()
    for name in DS_SHAPES:
        shapes.parse(SHAPES / name, format="turtle")
    conforms, _, text = validate(data, shacl_graph=shapes, inference="none", advanced=True)
    assert not conforms
    for missing in ("evidence", "creditReceived", "awardingOpportunity"):
        assert missing in str(text), missing
