"""verify compares every legal name the credential gives its issuer with the seal certificate:
one name of the sealer beside a famous one does not pass the famous one off as the sealer's,
unless the eIDAS identifier ties the issuer to the certificate; and the verdict always shows
who sealed (organisation and identifier) beside the issuer the credential names."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner, Result

from edcbridge.seal import Sealer, SealKey, devpki
from edcbridge.seal.cli import register as register_seal
from edcbridge.seal.sealer import plain_name
from edcbridge.sealing import credential_issuer_mismatch


@click.group()
def main() -> None:
    """verify comparing the issuer with the seal certificate, as the edcbridge command does."""


register_seal(main, issuer_check=credential_issuer_mismatch)


@pytest.fixture(scope="module")
def mill() -> devpki.DevPki:
    return devpki.generate(organisation="Diploma Mill OÜ", organisation_identifier="NTREE-12345678",
                           country="EE")


@pytest.fixture(scope="module")
def vienna() -> devpki.DevPki:
    return devpki.generate(organisation="Universität Wien", organisation_identifier="NTRAT-U0001",
                           country="AT")


def _sealed(pki: devpki.DevPki, path: Path, legal_name: dict[str, Any], eidas: str | None = None) -> Path:
    issuer: dict[str, Any] = {"id": "urn:x:org", "type": "Organisation", "legalName": legal_name}
    if eidas is not None:
        issuer["eIDASIdentifier"] = {"type": "LegalIdentifier", "notation": eidas}
    doc = {"@context": ["https://www.w3.org/ns/credentials/v2"], "id": "urn:x:credential",
           "type": ["VerifiableCredential"], "issuer": issuer}
    sealer = Sealer(SealKey(pki.seal.key, pki.seal.certificate, (pki.root.certificate,)))
    path.write_text(sealer.seal(json.dumps(doc, ensure_ascii=False)), encoding="utf-8")
    return path


def _verify(*args: str) -> Result:
    return CliRunner().invoke(main, ["verify", *args])


def test_a_famous_name_beside_the_sealers_own_is_named_as_not_the_certificates(
        mill: devpki.DevPki, tmp_path: Path) -> None:
    sealed = _sealed(mill, tmp_path / "a.jsonld", {"en": "University of Tartu", "et": "Diploma Mill OÜ"})
    result = _verify(str(sealed))
    assert result.exit_code == 0, result.output
    first = result.stdout.splitlines()[0]
    assert first.startswith(f"{sealed}: CHECK: the seal is intact, but sealed by another organisation than "
                            "the credential's issuer"), first
    assert "'University of Tartu' (en)" in first and "'Diploma Mill OÜ'" in first
    as_json = json.loads(_verify("--json", str(sealed)).stdout)[0]
    assert as_json["verdict"] == "CHECK" and as_json["ok"] is True
    assert "'University of Tartu' (en)" in as_json["note"] and "(et)" not in as_json["note"]


def test_a_second_value_in_one_language_is_compared_too(mill: devpki.DevPki, tmp_path: Path) -> None:
    sealed = _sealed(mill, tmp_path / "a.jsonld", {"en": ["Diploma Mill OU", "University of Tartu"]})
    note = json.loads(_verify("--json", str(sealed)).stdout)[0]["note"]
    assert "'University of Tartu' (en)" in note and "Diploma Mill OU'" not in note


def test_names_the_sealer_gives_alike_apart_from_case_and_accents_need_no_note(
        mill: devpki.DevPki, tmp_path: Path) -> None:
    sealed = _sealed(mill, tmp_path / "a.jsonld", {"en": "DIPLOMA MILL OU", "et": "Diploma Mill OÜ"})
    result = json.loads(_verify("--json", str(sealed)).stdout)[0]
    assert result["verdict"] == "UNCONFIRMED" and "note" not in result


def test_another_eidas_identifier_is_noted_whatever_the_names(mill: devpki.DevPki, tmp_path: Path) -> None:
    sealed = _sealed(mill, tmp_path / "a.jsonld", {"et": "Diploma Mill OÜ"}, eidas="NTREE-74000323")
    note = json.loads(_verify("--json", str(sealed)).stdout)[0]["note"]
    assert "the issuer's eIDAS identifier is 'NTREE-74000323', the certificate's 'NTREE-12345678'" in note


def test_translations_of_the_name_need_no_note_when_the_eidas_identifier_ties_them(
        vienna: devpki.DevPki, tmp_path: Path) -> None:
    sealed = _sealed(vienna, tmp_path / "a.jsonld", {"de": "Universität Wien", "en": "University of Vienna"},
                     eidas="NTRAT-U0001")
    result = _verify("--json", str(sealed))
    assert result.exit_code == 0, result.output
    as_json = json.loads(result.stdout)[0]
    assert as_json["verdict"] == "UNCONFIRMED" and "note" not in as_json


def test_without_an_eidas_identifier_a_translation_cannot_be_told_from_another_name(
        vienna: devpki.DevPki, tmp_path: Path) -> None:
    sealed = _sealed(vienna, tmp_path / "a.jsonld", {"de": "Universität Wien", "en": "University of Vienna"})
    note = json.loads(_verify("--json", str(sealed)).stdout)[0]["note"]
    assert "the issuer is also named 'University of Vienna' (en): not the certificate's organisation " \
           "'Universität Wien', and no eIDAS identifier ties the issuer to it" in note


def test_the_verdict_shows_the_sealer_beside_the_issuers_names(vienna: devpki.DevPki, tmp_path: Path) -> None:
    sealed = _sealed(vienna, tmp_path / "a.jsonld", {"de": "Universität Wien", "en": "University of Vienna"},
                     eidas="NTRAT-U0001")
    first = _verify(str(sealed)).stdout.splitlines()[0]
    assert first.startswith(f"{sealed}: UNCONFIRMED: "), first
    # the names that are not the certificate's come first: those are the ones to weigh
    assert "Sealed by 'Universität Wien' (NTRAT-U0001) for the issuer the credential names: " \
           "'University of Vienna' (en), 'Universität Wien' (de)." in first


def test_the_verdict_shows_the_sealer_beside_a_famous_name_the_identifier_ties_to_it(
        mill: devpki.DevPki, tmp_path: Path) -> None:
    """The sealer's own eIDAS identifier makes the credential its own, whatever it calls itself
    in another language: the reader sees who sealed it beside that name."""
    sealed = _sealed(mill, tmp_path / "a.jsonld", {"et": "Diploma Mill OÜ", "en": "University of Tartu"},
                     eidas="12345678")
    first = _verify(str(sealed)).stdout.splitlines()[0]
    assert "Sealed by 'Diploma Mill OÜ' (NTREE-12345678) for the issuer the credential names: " \
           "'University of Tartu' (en), 'Diploma Mill OÜ' (et)." in first, first


def test_a_long_list_of_names_ends_saying_how_many_more(mill: devpki.DevPki, tmp_path: Path) -> None:
    names = {f"l{number}": "Diploma Mill OÜ" for number in range(8)}
    sealed = _sealed(mill, tmp_path / "a.jsonld", {**names, "en": "University of Tartu"}, eidas="12345678")
    first = _verify(str(sealed)).stdout.splitlines()[0]
    assert "names: 'University of Tartu' (en), 'Diploma Mill OÜ' (l0)," in first
    assert "'Diploma Mill OÜ' (l4) and 3 other name(s)." in first


def test_a_name_written_to_fool_a_terminal_is_written_out(mill: devpki.DevPki, tmp_path: Path) -> None:
    sealed = _sealed(mill, tmp_path / "a.jsonld", {"et": "Diploma Mill OÜ", "en": "Univ \u202eutraT"})
    first = _verify(str(sealed)).stdout.splitlines()[0]
    assert "\u202e" not in first and "'Univ [U+202E]utraT' (en)" in first


@pytest.mark.parametrize(("written", "certificate"), [
    ("Politechnika Łódzka", "POLITECHNIKA LODZKA"),
    ("Københavns Universitet", "KOBENHAVNS UNIVERSITET"),
    ("Kırıkkale Üniversitesi", "KIRIKKALE UNIVERSITESI"),
    ("Sveučilište u Đakovu", "SVEUCILISTE U DAKOVU"),
    ("Høgskolen i Østfold", "HOGSKOLEN I OSTFOLD"),
    ("Háskóli Íslands Þróun", "HASKOLI ISLANDS THROUN"),
    ("Ærø Skole", "AERO SKOLE"),
])
def test_a_letter_written_plain_in_the_certificate_is_the_same_letter(written: str, certificate: str) -> None:
    """Certificates are often in plain ASCII capitals: letters that are not a base letter and an
    accent (ł, ø, ı, đ, þ, æ) are written as the letters they are transliterated to."""
    assert plain_name(written) == plain_name(certificate)


def test_a_polish_issuer_sealed_with_its_ascii_certificate_needs_no_note(tmp_path: Path) -> None:
    lodz = devpki.generate(organisation="POLITECHNIKA LODZKA", organisation_identifier="VATPL-7270021688",
                           country="PL")
    sealed = _sealed(lodz, tmp_path / "a.jsonld", {"pl": "Politechnika Łódzka"})
    result = json.loads(_verify("--json", str(sealed)).stdout)[0]
    assert result["verdict"] == "UNCONFIRMED" and "note" not in result, result
