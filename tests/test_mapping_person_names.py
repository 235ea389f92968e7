"""A learner's full name, when the records give only the given and family names, is written in
the order of the language the names are in: '李明' in a Chinese credential, not '明 李'."""

from __future__ import annotations

import pytest

from edcbridge import vocab
from edcbridge.load import iter_awards, load_catalogue
from edcbridge.mapping.edc import to_edc
from edcbridge.xml.importer.records import _own_full_name
from tests.conftest import FIXTURES

NAMES = [("en", "Anna", "Kovács", "Anna Kovács"), ("hu", "Anna", "Kovács", "Kovács Anna"),
         ("zh", "明", "李", "李明"), ("ja", "花子", "山田", "山田花子"), ("ko", "민준", "김", "김민준"),
         ("zh", "Ming", "Li", "Li Ming"), ("vi", "Văn An", "Nguyễn", "Nguyễn Văn An"),
         ("fr", "Chloé", "Lefèvre", "Chloé Lefèvre")]


@pytest.mark.parametrize(("language", "given", "family", "full"), NAMES)
def test_the_full_name_follows_the_order_of_its_language(language: str, given: str, family: str,
                                                         full: str) -> None:
    catalogue = load_catalogue(FIXTURES / "imperial" / "catalogue.yaml")
    award = next(r.award for r in iter_awards(FIXTURES / "imperial" / "awards.csv", catalogue) if r.award)
    learner = award.learner.model_copy(update={"given_name": {language: given},
                                               "family_name": {language: family}, "full_name": None})
    iri = vocab.resolve("language", language).iri
    doc = to_edc(award.model_copy(update={"learner": learner, "language": iri}), catalogue)
    assert doc["credentialSubject"]["fullName"] == {language: full}


@pytest.mark.parametrize(("language", "given", "family", "full"), NAMES)
def test_a_full_name_written_so_reads_as_none_of_the_learners_own(language: str, given: str, family: str,
                                                                  full: str) -> None:
    """Importing a credential: a full name that only joins the names, as edcbridge writes one, is
    not taken for a name the records give (a round trip would add one)."""
    assert _own_full_name({language: full}, {language: given}, {language: family}) is None
    own = {language: f"{full}."}
    assert _own_full_name(own, {language: given}, {language: family}) == own
