"""Our credentials checked by the official artefacts directly, not through our validator.

EDC: pyshacl with the EDC 3.2 shapes from ../shared/reference and an offline pyld loader
written here. EBSI: jsonschema with the EBSI 2.1.0 schema files.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import rdflib
from pyld import jsonld
from pyshacl import validate

from edcbridge.mapping.ebsi import to_ebsi
from edcbridge.mapping.edc import to_edc
from tests.conftest import REFERENCE, fixture_awards, reference_context_loader

CASES = list(fixture_awards())


@cache
def _shapes() -> rdflib.Graph:
    graph = rdflib.Graph()
    for name in ("EDC-generic-no-cv.ttl", "EDC-generic-full.ttl"):
        graph.parse(REFERENCE / "elm3-rdf/3.2/rdf/ap/edc" / name, format="turtle")
    return graph


def _conforms(doc: dict[str, Any]) -> tuple[bool, str]:
    nquads = jsonld.to_rdf(doc, {"format": "application/n-quads", "documentLoader": reference_context_loader})
    data = rdflib.Graph()
    data.parse(data=nquads, format="nquads")
    conforms, _graph, text = validate(data, shacl_graph=_shapes(), inference="none", advanced=True)
    return bool(conforms), str(text)


def test_there_are_fixtures_in_five_scripts_and_languages() -> None:
    languages = {lang for _, award, _ in CASES for lang in award.learner.given_name}
    assert len(CASES) >= 30
    assert {"cy", "el", "bg", "pl", "ga"} <= languages | {
        lang for _, _, catalogue in CASES for spec in catalogue.specifications for lang in spec.title}


@pytest.mark.parametrize(("name", "award", "catalogue"), CASES, ids=[c[0] for c in CASES])
def test_fixture_credential_conforms_to_official_shapes(reference: Path, name: str, award: Any,
                                                        catalogue: Any) -> None:
    conforms, text = _conforms(to_edc(award, catalogue))
    assert conforms, text


@pytest.fixture(scope="module")
def ebsi_validator(reference: Path) -> Any:
    from jsonschema import Draft202012Validator, FormatChecker
    from referencing import Registry, Resource

    folder = reference / "ebsi-edc-schema"
    edc = json.loads((folder / "vcdm2.0-europass-edc-schema/schema.json").read_text())
    attestation = json.loads((folder / "vcdm2.0-attestation-schema/schema.json").read_text())
    base = "file:///x/schema.json"
    registry = Registry().with_resources([
        (base, Resource.from_contents(edc)),
        ("file:///x/node_modules/@cef-ebsi/vcdm2.0-attestation-schema/schema.json",
         Resource.from_contents(attestation)),
    ])
    return Draft202012Validator({"$id": base, **edc}, registry=registry, format_checker=FormatChecker())


@pytest.mark.parametrize(("name", "award", "catalogue"), CASES, ids=[c[0] for c in CASES])
def test_fixture_ebsi_profile_passes_ebsi_json_schema(ebsi_validator: Any, name: str, award: Any,
                                                      catalogue: Any) -> None:
    errors = [e.message for e in ebsi_validator.iter_errors(to_ebsi(to_edc(award, catalogue)))]
    assert not errors
