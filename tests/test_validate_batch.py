"""Validating a batch check by check (every document's lints, then every document's shapes,
...) gives each document the report it gets alone; a document whose check raises gets its
exception, the others their reports."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

import edcbridge.validation as validation
from edcbridge.load import iter_awards, load_catalogue
from edcbridge.mapping.ebsi import to_ebsi
from edcbridge.mapping.edc import to_edc
from edcbridge.validation import Report, Request, validate_credential, validate_credentials
from edcbridge.validation.document import read_credential
from tests.conftest import FIXTURES
from tests.test_mutations import MANDATORY, _node

SAMPLES = ["elm3-rdf/3.2/rdf/samples/credential-sample.jsonld",
           "elm3-rdf/3.2/rdf/samples/v3.1/credential-sample.jsonld",  # ELM 3.1: the older-ELM note
           "examples/elm-repo-v3-jsonld/Sample-MC-Annex1-signed.jsonld",
           "examples/elm-repo-v3-jsonld/Sample-MC-Annex1-unsigned.jsonld",
           "examples/elm-repo-v3-jsonld/Sample-CertOfPart-unsigned.jsonld",
           "mynextid-edc/microcredential/v1/edc/examples/edc-mc-signed.jsonld"]
OPTIONS: list[tuple[tuple[str, ...], Any]] = [((), "warning"), (("eu-council",), "warning"),
                                              (("imperial", "cmf"), None), ((), "error")]


def _documents(reference: Path) -> list[tuple[str, dict[str, Any]]]:
    """Official samples, a credential of every fixture award (and its EBSI profile), and the
    first fixture credential with each mandatory element removed."""
    found = [(name, read_credential(reference / name)[0]) for name in SAMPLES]
    for catalogue_path in sorted(FIXTURES.glob("*/catalogue.yaml")):
        catalogue = load_catalogue(catalogue_path)
        for awards in sorted(catalogue_path.parent.glob("awards.*")):
            for record in iter_awards(awards, catalogue):
                if record.award is not None:
                    edc = to_edc(record.award, catalogue)
                    found += [(f"{awards}:{record.row}", edc), (f"{awards}:{record.row} ebsi", to_ebsi(edc))]
    first = next(doc for name, doc in found if name.startswith(str(FIXTURES)))
    for path, key in MANDATORY:
        mutant = copy.deepcopy(first)
        _node(mutant, path).pop(key, None)
        found.append((f"without {'.'.join((*path, key))}", mutant))
    return found


def test_each_document_gets_the_report_it_gets_alone(reference: Path, store) -> None:
    documents = _documents(reference)
    requests = [Request(doc, name, *OPTIONS[n % len(OPTIONS)]) for n, (name, doc) in enumerate(documents)]
    batched = validate_credentials(requests, store)
    alone = [validate_credential(r.doc, store, source=r.source, policies=r.policies, annex1=r.annex1)
             for r in requests]
    assert len(documents) > 100
    assert {r.ok for r in alone} == {True, False}  # valid and invalid documents, mixed
    assert any(f.code == "version.older-elm" for r in alone for f in r.findings)
    for request, one, other in zip(requests, alone, batched, strict=True):
        assert isinstance(other, Report), request.source
        assert other.as_dict() == one.as_dict(), request.source


def test_a_document_whose_check_raises_gets_its_exception_and_the_others_their_reports(
        reference: Path, store, monkeypatch: pytest.MonkeyPatch) -> None:
    documents = _documents(reference)[:8]
    doomed = documents[3][1]
    real_lint = validation.lint

    def lint(doc: dict[str, Any], store: Any) -> Any:
        if doc is doomed:
            raise RuntimeError("a bug met by this document only")
        return real_lint(doc, store)

    monkeypatch.setattr(validation, "lint", lint)
    requests = [Request(doc, name) for name, doc in documents]
    results = validate_credentials(requests, store)
    assert isinstance(results[3], RuntimeError)
    for n, (request, result) in enumerate(zip(requests, results, strict=True)):
        if n != 3:
            assert isinstance(result, Report)
            alone = validate_credential(request.doc, store, source=request.source)
            assert result.as_dict() == alone.as_dict()


def test_a_request_that_holds_no_document_gets_its_exception_and_the_others_their_reports(
        reference: Path, store) -> None:
    documents = _documents(reference)[:3]
    requests = [Request(doc, name) for name, doc in documents]
    requests.insert(1, Request([], "a list"))  # type: ignore[arg-type]
    results = validate_credentials(requests, store)
    assert isinstance(results[1], AttributeError)
    for n in (0, 2, 3):
        request, result = requests[n], results[n]
        assert isinstance(result, Report)
        assert result.as_dict() == validate_credential(request.doc, store, source=request.source).as_dict()
