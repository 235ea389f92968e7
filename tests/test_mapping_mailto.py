"""E-mail addresses become mailto IRIs that name the same mailbox (RFC 6068 2): an address may
hold "#", "?", "%" or "/", which in a mailto URI start a fragment or header fields, or a
percent-encoding; the official shapes do not look inside the IRI."""

from __future__ import annotations

import pytest

from edcbridge.load import iter_awards, load_catalogue
from edcbridge.mapping.ebsi import to_ebsi
from edcbridge.mapping.edc import to_edc
from edcbridge.model import Award, Catalogue
from edcbridge.schemas import SchemaStore
from edcbridge.validation.shacl import validate_shacl
from tests.conftest import FIXTURES


def _imperial() -> tuple[Award, Catalogue]:
    catalogue = load_catalogue(FIXTURES / "imperial" / "catalogue.yaml")
    award = next(r.award for r in iter_awards(FIXTURES / "imperial" / "awards.csv", catalogue) if r.award)
    return award, catalogue


def _with_email(email: str) -> dict[str, object]:
    award, catalogue = _imperial()
    learner = award.learner.model_copy(update={"email": email})
    return to_edc(award.model_copy(update={"learner": learner}), catalogue)


def _mailbox(doc: dict[str, object]) -> str:
    return doc["credentialSubject"]["contactPoint"]["emailAddress"]["id"]  # type: ignore[index,no-any-return]


@pytest.mark.parametrize(("email", "iri"), [
    ("a#b@example.org", "mailto:a%23b@example.org"),  # not the mailbox "a" with a fragment
    ("a?b@example.org", "mailto:a%3Fb@example.org"),  # not "a" with header fields
    ("50%off@example.org", "mailto:50%25off@example.org"),  # "%of" is no percent-encoding
    ("dept/x@example.org", "mailto:dept%2Fx@example.org"),
    ("a&b=c@example.org", "mailto:a%26b%3Dc@example.org"),
])
def test_a_reserved_character_in_an_address_is_percent_encoded(email: str, iri: str,
                                                               store: SchemaStore) -> None:
    doc = _with_email(email)
    assert _mailbox(doc) == iri
    assert validate_shacl(doc, store) == []
    ebsi = to_ebsi(doc)  # the EBSI profile encodes non-ASCII and keeps an existing %XX
    assert ebsi["credentialSubject"]["contactPoint"]["emailAddress"]["id"] == iri  # type: ignore[index]


@pytest.mark.parametrize("email", ["name.surname+tag@example.org", "o'connor@example.ie",
                                   "jörg.müller@example.de"])
def test_an_ordinary_address_is_written_as_it_is(email: str) -> None:
    """Unreserved characters, RFC 6068's some-delims and (in JSON-LD, an IRI) non-ASCII
    letters stay as written: credentials of ordinary addresses are byte-identical to before."""
    assert _mailbox(_with_email(email)) == f"mailto:{email}"


def test_an_organisations_address_is_encoded_too(tmp_path: object) -> None:
    from pathlib import Path

    assert isinstance(tmp_path, Path)
    text = (FIXTURES / "imperial" / "catalogue.yaml").read_text("utf-8")
    old = "email: lifelong-learning@imperial.example.ac.uk"
    assert old in text
    path = tmp_path / "catalogue.yaml"
    path.write_text(text.replace(old, "email: 'learning#office@imperial.example.ac.uk'", 1), "utf-8")
    catalogue = load_catalogue(path)
    award = next(r.award for r in iter_awards(FIXTURES / "imperial" / "awards.csv", catalogue) if r.award)
    doc = to_edc(award, catalogue)
    issuer = doc["issuer"]
    assert issuer["contactPoint"]["emailAddress"]["id"] == (  # type: ignore[index]
        "mailto:learning%23office@imperial.example.ac.uk")


@pytest.mark.parametrize("email", ["a#b@example.org", "50%off@example.org", "Zoë@example.org"])
def test_the_address_comes_back_as_written_from_json_ld_and_xml(tmp_path: object, email: str) -> None:
    """Percent-encoded in the IRI, read back as the address itself by the importer, in both
    formats (EDC XML 1.2 writes the same mailto IRI)."""
    import json

    from edcbridge.xml import edc12
    from edcbridge.xml.importer import import_bytes

    award, catalogue = _imperial()
    learner = award.learner.model_copy(update={"email": email})
    changed = award.model_copy(update={"learner": learner})
    as_json = json.dumps(to_edc(changed, catalogue)).encode("utf-8")
    as_xml = edc12.serialise(edc12.to_edc_xml(changed, catalogue))
    for data in (as_json, as_xml):
        assert import_bytes(data).award.learner.email == email
