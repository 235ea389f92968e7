"""A catalogue's look-ups by key: what a scan of its lists finds, in any copy of it."""

from __future__ import annotations

import copy
import pickle

import pytest

from edcbridge.load import load_catalogue
from edcbridge.model import Catalogue
from tests.conftest import FIXTURES

IMPERIAL = FIXTURES / "imperial" / "catalogue.yaml"


def _scanned(catalogue: Catalogue) -> None:
    for spec in catalogue.specifications:
        assert catalogue.specification(spec.code) is next(
            s for s in catalogue.specifications if s.code == spec.code)
    for org in catalogue.organisations:
        assert catalogue.organisation(org.key) is next(
            o for o in catalogue.organisations if o.key == org.key)
    assert catalogue.specification("no-such-code") is None
    with pytest.raises(StopIteration):
        catalogue.organisation("no-such-key")


def test_look_ups_find_what_the_lists_hold() -> None:
    catalogue = load_catalogue(IMPERIAL)
    _scanned(catalogue)
    assert catalogue == load_catalogue(IMPERIAL)  # looked up or not, the same catalogue
    assert catalogue.model_dump_json() == load_catalogue(IMPERIAL).model_dump_json()


def test_a_copy_with_other_lists_finds_its_own() -> None:
    catalogue = load_catalogue(IMPERIAL)
    first, *rest = catalogue.specifications
    catalogue.specification(first.code)  # looked up before the copy is made
    fewer = catalogue.model_copy(update={"specifications": tuple(rest)})
    assert fewer.specification(first.code) is None
    renamed = catalogue.organisations[0].model_copy(update={"key": "renamed"})
    other = catalogue.model_copy(update={"organisations": (renamed, *catalogue.organisations[1:])})
    assert other.organisation("renamed") is renamed
    with pytest.raises(StopIteration):
        other.organisation(catalogue.organisations[0].key)
    for made in (fewer, other, pickle.loads(pickle.dumps(catalogue)), copy.deepcopy(catalogue)):
        _scanned(made)


def test_first_of_a_repeated_code_is_found() -> None:
    catalogue = load_catalogue(IMPERIAL)
    spec = catalogue.specifications[0]
    again = spec.model_copy(update={"ects": 99})
    twice = Catalogue.model_construct(**{**dict(catalogue), "specifications": (spec, again)})
    assert twice.specification(spec.code) is spec
