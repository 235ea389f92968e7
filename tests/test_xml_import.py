"""Reading credentials back: records -> EDC (JSON-LD or XML 1.2) -> import -> the same records."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from edcbridge.load import load_catalogue
from edcbridge.mapping.edc import to_edc
from edcbridge.model import Award, Catalogue, parse
from edcbridge.seal import Sealer, generate_test_seal
from edcbridge.validation.document import NotACredential
from edcbridge.xml import edc12
from edcbridge.xml.importer import Imported, import_bytes, import_file
from edcbridge.xml.safe import UnsafeXml, XmlInputError
from tests.conftest import FIXTURES
from tests.xml_support import carried, fixture_awards

XML_SETS = {"cmf", "galway", "imperial", "sofia", "warsaw"}  # wales: Welsh is outside the 1.2 list


def _json(award: Award, catalogue: Catalogue) -> bytes:
    return json.dumps(to_edc(award, catalogue), ensure_ascii=False).encode()


def _xml(award: Award, catalogue: Catalogue) -> bytes:
    return edc12.serialise(edc12.to_edc_xml(award, catalogue))


def _same(award: Award, catalogue: Catalogue, imported: Imported, fmt: str) -> None:
    expected, got = carried(award, catalogue, fmt), carried(imported.award, imported.catalogue, fmt)
    for key in expected:
        assert got[key] == expected[key], (award.award_id, fmt, key)


def test_every_fixture_award_round_trips_through_json_ld(fixture_sets: list[tuple[Path, list[Path]]]) -> None:
    for _, award, catalogue in fixture_awards(fixture_sets):
        imported = import_bytes(_json(award, catalogue))
        assert (imported.format, imported.form, imported.sealed) == ("edc-jsonld", "plain", False)
        _same(award, catalogue, imported, "json")


def test_every_fixture_award_round_trips_through_xml(fixture_sets: list[tuple[Path, list[Path]]]) -> None:
    checked = 0
    for name, award, catalogue in fixture_awards(fixture_sets):
        if name in XML_SETS:
            imported = import_bytes(_xml(award, catalogue))
            assert imported.format == "edc-xml-1.2"
            _same(award, catalogue, imported, "xml")
            assert imported.award.specification == award.specification
            checked += 1
    assert checked >= 35


def test_upload_wrapper_and_jades_forms(fixture_sets: list[tuple[Path, list[Path]]], tmp_path: Path) -> None:
    _, award, catalogue = fixture_awards(fixture_sets)[0]
    credential = to_edc(award, catalogue)
    wrapped = import_bytes(json.dumps({"credential": credential}).encode())
    assert wrapped.form == "upload-wrapper"
    _same(award, catalogue, wrapped, "json")
    pki = generate_test_seal(tmp_path / "pki")
    sealer = Sealer.from_p12(pki.p12, pki.password)
    sealed = import_bytes(sealer.seal(json.dumps(credential, ensure_ascii=False)).encode())
    assert (sealed.form, sealed.sealed) == ("jades", True)
    _same(award, catalogue, sealed, "json")


@pytest.mark.parametrize(("name", "form"), [
    ("elm-repo-v3-jsonld/Sample-MC-Annex1-signed.jsonld", "jades"),
    ("elm-repo-v3-jsonld/Sample-MC-Annex1-unsigned-uploadable.json", "upload-wrapper"),
    ("elm-repo-v3-jsonld/Sample-CertOfPart-unsigned.jsonld", "plain"),
    ("elm-repo-xml-v1.2-signed-vp/EDC_DiplomaSupplement_AA.xml", "vp+xades"),
    ("elm-repo-xml-v1.2-unsigned/EDC_SampleDegree_AA.xml", "plain"),
    ("edci-1.7.3-xml/sealed/sewing_course.xml", "xades"),
])
def test_official_samples_import(name: str, form: str, reference: Path) -> None:
    imported = import_file(reference / "examples" / name)
    assert imported.award.learner.given_name
    assert imported.catalogue.specification(imported.award.specification) is not None
    assert imported.form == form
    assert imported.sealed == (form != "plain" and form != "upload-wrapper")


def test_mc_annex1_sample_reads_its_annex_i_facts(reference: Path) -> None:
    imported = import_file(reference / "examples/elm-repo-v3-jsonld/Sample-MC-Annex1-signed.jsonld")
    spec = imported.catalogue.specification(imported.award.specification)
    assert spec is not None and spec.eqf is not None and spec.credits is not None
    assert imported.award.award_id == "C012"
    assert imported.award.grade


def test_oversized_and_non_utf8_files_are_refused_quickly(tmp_path: Path) -> None:
    big = tmp_path / "huge.jsonld"
    with big.open("wb") as handle:
        handle.write(b"{")
        handle.truncate(200 * 1024 * 1024)
    with pytest.raises(XmlInputError, match="limit"):
        import_file(big)
    latin = tmp_path / "latin1.jsonld"
    latin.write_bytes('{"@context": "x", "name": "café"}'.encode("latin-1"))
    with pytest.raises(NotACredential, match="UTF-8"):
        import_file(latin)


def test_unsafe_xml_is_refused_by_the_importer() -> None:
    with pytest.raises(UnsafeXml):
        import_bytes(b'<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>')


# --- property: generated learners and awards over the fixture catalogues ---

_WORD = st.text(st.characters(categories=("Lu", "Ll")), min_size=1, max_size=12)
_NAME = st.lists(_WORD, min_size=1, max_size=3).map(" ".join)
_CODE = st.text(st.sampled_from("ABCDEFGHJKLMNPQRSTUVWXYZ0123456789-"), min_size=1, max_size=12).filter(
    lambda s: s.strip("-") == s)
_DAY = st.dates(min_value=dt.date(1950, 1, 1), max_value=dt.date(2035, 12, 31))


def _catalogues() -> list[Catalogue]:
    return [load_catalogue(FIXTURES / name / "catalogue.yaml") for name in sorted(XML_SETS)]


CATALOGUES = _catalogues() if (FIXTURES / "imperial").is_dir() else []


@st.composite
def _awards(draw: st.DrawFn) -> tuple[Award, Catalogue]:
    catalogue = draw(st.sampled_from(CATALOGUES))
    spec = draw(st.sampled_from(catalogue.specifications))
    from edcbridge import vocab

    primary = vocab.concept("language", catalogue.primary_language).code
    learner: dict[str, object] = {"id": draw(_CODE), "given_name": {primary: draw(_NAME)},
                                  "family_name": {primary: draw(_NAME)}}
    if draw(st.booleans()):
        learner["full_name"] = {primary: draw(_NAME)}
    if draw(st.booleans()):
        learner["date_of_birth"] = draw(_DAY).isoformat()
    if draw(st.booleans()):
        learner["email"] = f"{draw(_CODE).lower()}@example.org"
    if draw(st.booleans()):
        learner["national_id"] = draw(_CODE)
        learner["national_id_country"] = draw(st.sampled_from(["GR", "BE", "PL", "IE", "BG"]))
    awarded = draw(_DAY)
    data: dict[str, object] = {"award_id": draw(_CODE), "specification": spec.code, "learner": learner,
                               "awarding_date": awarded.isoformat(), "grade": {primary: draw(_NAME)}}
    if draw(st.booleans()):
        data["issued"] = dt.datetime.combine(awarded, dt.time(draw(st.integers(0, 23)), 30),
                                             tzinfo=dt.UTC).isoformat()
    if draw(st.booleans()):
        data["valid_until"] = (awarded + dt.timedelta(days=draw(st.integers(1, 4000)))).isoformat()
    return parse(Award, data), catalogue


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_awards())
def test_generated_awards_round_trip_through_both_formats(item: tuple[Award, Catalogue]) -> None:
    award, catalogue = item
    _same(award, catalogue, import_bytes(_json(award, catalogue)), "json")
    imported = import_bytes(_xml(award, catalogue))
    _same(award, catalogue, imported, "xml")
    learner = award.learner  # names are in the primary language here
    if learner.full_name == {lang: f"{learner.given_name[lang]} {learner.family_name[lang]}"
                             for lang in learner.full_name or {}}:
        # a full name that only joins the names reads as none: the credential cannot tell them apart
        learner = learner.model_copy(update={"full_name": None})
    assert imported.award.learner == learner
