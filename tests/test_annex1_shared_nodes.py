"""Annex I on credentials built from a catalogue: a node shared by many credentials (frozen)
is judged once, and that never changes a verdict. Every verdict is compared with the one on
a plain copy of the same credential, where nothing is shared."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from edcbridge.demo import bundled_fixtures, fixture_sets
from edcbridge.load import iter_awards, load_catalogue
from edcbridge.mapping.edc import to_edc
from edcbridge.mapping.nodes import Frozen, freeze
from edcbridge.validation.annex1 import check_annex1
from edcbridge.validation.document import read_credential

Doc = dict[str, Any]
SAMPLE = "examples/elm-repo-v3-jsonld/Sample-MC-Annex1-signed.jsonld"

# Keys of the qualification (hasClaim.specifiedBy) that Annex I elements are read from.
SPEC_KEYS = ["title", "learningOutcome", "learningOutcomeSummary", "creditPoint", "volumeOfLearning",
             "eqfLevel", "nqfLevel", "mode", "accreditation", "entryRequirement", "isPartOf", "hasPart",
             "isPartialQualification", "additionalNote", "homepage", "provenBy", "influencedBy"]


def _verdicts(doc: Doc) -> list[tuple[str, str, str]]:
    return [(f.code, f.severity, f.message) for f in check_annex1(doc)]


def _plain(doc: Doc) -> Doc:
    copied: Doc = copy.deepcopy(doc)  # a Frozen node deep-copies to a plain dict
    return copied


def _shared_nodes(doc: Any) -> int:
    if isinstance(doc, dict):
        return isinstance(doc, Frozen) + sum(_shared_nodes(v) for v in doc.values())
    if isinstance(doc, list):
        return sum(_shared_nodes(v) for v in doc)
    return 0


def _claim(doc: Doc) -> Doc:
    claims = doc["credentialSubject"]["hasClaim"]
    claim: Doc = claims[0] if isinstance(claims, list) else claims
    return claim


def _fixture_credentials() -> list[Doc]:
    docs = []
    for catalogue_path, awards in fixture_sets(bundled_fixtures()):
        catalogue = load_catalogue(catalogue_path)
        docs += [to_edc(r.award, catalogue) for path in awards for r in iter_awards(path, catalogue)
                 if r.award]
    return docs


def test_every_fixture_credential_gets_the_verdicts_of_its_plain_copy() -> None:
    docs = _fixture_credentials()
    assert len(docs) > 40 and all(_shared_nodes(doc) for doc in docs)
    for _ in range(2):  # the second pass answers from what the first one remembered
        for doc in docs:
            assert _verdicts(doc) == _verdicts(_plain(doc))


@pytest.fixture
def sample(reference: Path) -> Doc:
    doc, _ = read_credential(reference / SAMPLE)
    claim = _claim(doc)
    claim["specifiedBy"] = freeze(claim["specifiedBy"])
    doc["issuer"] = freeze(doc["issuer"])
    return doc


@pytest.mark.parametrize("key", SPEC_KEYS)
def test_a_shared_qualification_lacking_an_element_is_judged_as_its_own(sample: Doc, key: str) -> None:
    before = _verdicts(sample)
    spec = _plain(_claim(sample)["specifiedBy"])
    spec.pop(key, None)
    mutant = _plain(sample)
    _claim(mutant)["specifiedBy"] = freeze(spec)
    assert _verdicts(mutant) == _verdicts(_plain(mutant))
    assert _verdicts(sample) == before  # and the original still gets its own


def test_two_credentials_sharing_nodes_that_differ_get_different_verdicts(sample: Doc) -> None:
    lacking = _plain(sample)
    spec = _plain(_claim(sample)["specifiedBy"])
    del spec["learningOutcome"]
    spec.pop("learningOutcomeSummary", None)
    _claim(lacking)["specifiedBy"] = freeze(spec)
    for _ in range(3):
        assert not any("Learning outcomes" in message for *_, message in _verdicts(sample))
        assert any("Learning outcomes" in message for *_, message in _verdicts(lacking))


def test_a_shared_issuer_without_country_is_judged_as_its_own(sample: Doc) -> None:
    issuer = _plain(sample["issuer"])
    issuer.pop("location", None)
    mutant = _plain(sample)
    mutant["issuer"] = freeze(issuer)
    assert _verdicts(mutant) == _verdicts(_plain(mutant))
    assert _verdicts(sample) == _verdicts(_plain(sample))
