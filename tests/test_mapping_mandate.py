"""What the EC's issuer adds to a credential, edcbridge adds too: the Mandate evidence when the
issuer seals for another awarding body, and expirationDate beside validUntil (as issuanceDate is
beside issued). Checked with pyshacl and the official shapes, not only our checker."""

from __future__ import annotations

import json
from pathlib import Path

from edcbridge.load import iter_awards, load_catalogue
from edcbridge.mapping.edc import MANDATE, to_edc
from edcbridge.schemas import SchemaStore
from edcbridge.validation.shacl import validate_shacl
from tests.conftest import FIXTURES

GALWAY = FIXTURES / "galway"


def _awards(catalogue_path: Path) -> list[dict[str, object]]:
    catalogue = load_catalogue(catalogue_path)
    return [to_edc(r.award, catalogue) for r in iter_awards(GALWAY / "awards.jsonl", catalogue)
            if r.award is not None]


def test_a_credential_sealed_for_another_awarding_body_carries_the_mandate(store: SchemaStore,
                                                                            tmp_path: Path) -> None:
    text = (GALWAY / "catalogue.yaml").read_text("utf-8")
    text = text.replace("  qqi:\n", "  atu:\n    legal_name:\n      en: Atlantic Technological University\n"
                        "    eidas_identifier: VATIE-0000001A\n    country: IE\n  qqi:\n", 1)
    text = text.replace("  - code: GAL-MC-PYDA\n", "  - code: GAL-MC-PYDA\n    awarding_body: atu\n", 1)
    catalogue = tmp_path / "catalogue.yaml"
    catalogue.write_text(text, "utf-8")
    docs = _awards(catalogue)
    mandated = [d for d in docs if "evidence" in d]
    assert mandated and len(mandated) < len(docs)  # the other specification's awarding body issues it
    for doc in mandated:
        claim = doc["credentialSubject"]["hasClaim"]  # type: ignore[index]
        assert claim["awardedBy"]["awardingBody"]["legalName"] == {"en": "Atlantic Technological University"}
        assert doc["evidence"]["dcType"]["id"] == MANDATE  # type: ignore[index]
        assert validate_shacl(doc, store) == [], json.dumps(doc)[:500]


def test_expiration_date_goes_with_valid_until(store: SchemaStore) -> None:
    docs = _awards(GALWAY / "catalogue.yaml")
    expiring = [d for d in docs if "validUntil" in d]
    assert all(d.get("expirationDate") == d.get("validUntil") for d in docs)
    assert expiring and validate_shacl(expiring[0], store) == []


def test_texts_in_a_language_the_title_lacks_are_noted_as_left_out(tmp_path: Path) -> None:
    from edcbridge.mapping.edc import catalogue_notes

    text = (GALWAY / "catalogue.yaml").read_text("utf-8")
    assert not [n for n in catalogue_notes(load_catalogue(GALWAY / "catalogue.yaml")) if "left out" in n]
    start = text.index("  - code: GAL-MC-PYDA\n")
    title = text.index("      ga: ", text.index("    title:", start))
    catalogue = tmp_path / "catalogue.yaml"
    catalogue.write_text(text[:title] + text[text.index("\n", title) + 1:], "utf-8")  # no Irish title
    notes = catalogue_notes(load_catalogue(catalogue))
    assert any(n.startswith("specification GAL-MC-PYDA: texts in ga are left out of its credentials, "
                            "unless an award is made in that language")
               for n in notes), notes
    assert any("credit_currency_years of GAL-MC-PYDA" in n for n in notes)


def test_texts_in_the_primary_language_are_noted_as_left_out_only_of_awards_in_another_language(
        tmp_path: Path) -> None:
    from edcbridge.mapping.edc import catalogue_notes

    text = (GALWAY / "catalogue.yaml").read_text("utf-8")  # primary language: en
    old = "    title:\n      en: Python Programming for Data Analytics\n"
    assert old in text
    catalogue = tmp_path / "catalogue.yaml"
    catalogue.write_text(text.replace(old, "    title:\n"), "utf-8")  # an Irish title only
    loaded = load_catalogue(catalogue)
    notes = [n for n in catalogue_notes(loaded) if "GAL-MC-PYDA: texts in" in n]
    assert notes == ["specification GAL-MC-PYDA: texts in en, the primary language, are left out of its "
                     "credentials for awards made in another language: its title has no en text (a "
                     "credential's languages are its award's language, else the primary language, and "
                     "its title's); add a title in en to carry them"]
    awards = [r.award for r in iter_awards(GALWAY / "awards.jsonl", loaded)
              if r.award and r.award.specification == "GAL-MC-PYDA"]
    in_irish = next(a for a in awards if a.language is not None and a.language.endswith("/GLE"))
    in_english = in_irish.model_copy(update={"language": None})  # the primary language
    described = to_edc(in_english, loaded)["credentialSubject"]["hasClaim"]["specifiedBy"]["description"]
    assert described["en"].startswith("A 5 ECTS online")
    described = to_edc(in_irish, loaded)["credentialSubject"]["hasClaim"]["specifiedBy"]["description"]
    assert "en" not in described


def test_a_text_in_none_of_the_titles_languages_is_carried_whole_and_not_noted(tmp_path: Path) -> None:
    from edcbridge.mapping.edc import catalogue_notes

    text = (FIXTURES / "imperial" / "catalogue.yaml").read_text("utf-8")
    old = "alt_label: {en: Imperial College London}"
    assert old in text
    catalogue = tmp_path / "catalogue.yaml"
    catalogue.write_text(text.replace(old, "alt_label: {fr: Collège impérial de Londres}"), "utf-8")
    loaded = load_catalogue(catalogue)
    assert not [n for n in catalogue_notes(loaded) if "left out" in n]
    award = next(r.award for r in iter_awards(FIXTURES / "imperial" / "awards.csv", loaded) if r.award)
    assert to_edc(award, loaded)["issuer"]["altLabel"] == {"fr": "Collège impérial de Londres"}  # type: ignore[index]


def test_a_text_beside_the_primary_language_is_noted_when_the_title_is_in_neither(tmp_path: Path) -> None:
    """Title in Irish only, primary language English, a description in English and French: an
    award made in English carries the English description and leaves the French one out."""
    from edcbridge.mapping.edc import catalogue_notes

    text = (GALWAY / "catalogue.yaml").read_text("utf-8")
    old_title = "    title:\n      en: Python Programming for Data Analytics\n"
    start = text.index("    description:\n      en: A 5 ECTS online")
    irish = text.index("      ga: ", start)
    assert old_title in text
    text = text[:irish] + "      fr: Un module en ligne.\n" + text[text.index("\n", irish) + 1:]
    text = text.replace(old_title, "    title:\n", 1)
    catalogue = tmp_path / "catalogue.yaml"
    catalogue.write_text(text, "utf-8")
    loaded = load_catalogue(catalogue)
    notes = [n for n in catalogue_notes(loaded) if "GAL-MC-PYDA: texts in fr" in n]
    assert len(notes) == 1 and "unless an award is made in that language" in notes[0]
    award = next(r.award for r in iter_awards(GALWAY / "awards.jsonl", loaded)
                 if r.award and r.award.specification == "GAL-MC-PYDA")
    in_english = award.model_copy(update={"language": None})
    described = to_edc(in_english, loaded)["credentialSubject"]["hasClaim"]["specifiedBy"]["description"]
    assert "fr" not in described and "en" in described
