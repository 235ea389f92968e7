"""The preview page says first what the seal is worth, before anything the credential claims."""

from __future__ import annotations

import json
import re
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from edcbridge import vocab
from edcbridge.mapping.edc import to_edc
from edcbridge.output import serialise
from edcbridge.preview import PreviewOptions, preview_awards, preview_file
from edcbridge.preview.cli import register
from edcbridge.preview.page import SealStatus
from edcbridge.schemas import SchemaStore
from edcbridge.seal import Sealer, SealKey, devpki
from edcbridge.sealing import format_check
from tests.preview_support import first_award


def _sealed(tmp_path: Path, own_issuer: bool = True) -> tuple[Path, devpki.DevPki]:
    award, catalogue = first_award("imperial")
    org = catalogue.organisation(catalogue.issuer)
    if own_issuer:
        pki = devpki.generate(organisation=org.legal_name["en"],
                              organisation_identifier=org.eidas_identifier or "",
                              country=vocab.concept("country", org.country).code.upper())
    else:
        pki = devpki.generate(organisation="Diploma Mill Ltd", organisation_identifier="NTRGB-99999999")
    sealer = Sealer(SealKey(pki.seal.key, pki.seal.certificate, (pki.root.certificate,)))
    path = tmp_path / "sealed.jsonld"
    path.write_text(sealer.seal(serialise(to_edc(award, catalogue)).decode("utf-8")), encoding="utf-8")
    return path, pki


def _header(html: str) -> str:
    """The page up to its title: what a reader sees before the credential's own claims."""
    return html.split("<h1", 1)[0]


def _page(path: Path, tmp_path: Path, options: PreviewOptions | None = None) -> str:
    return preview_file(path, tmp_path / "pages", options).html.read_text("utf-8")


def test_a_seal_checked_against_its_issuers_ca_is_valid(tmp_path: Path) -> None:
    path, pki = _sealed(tmp_path)
    html = _page(path, tmp_path, PreviewOptions(trust_anchors=(pki.root.certificate,)))
    assert re.search(r"Seal: <span[^>]*status-ok[^>]*>VALID</span>", _header(html))


def test_without_a_trust_anchor_the_sealer_is_unconfirmed(tmp_path: Path) -> None:
    path, _ = _sealed(tmp_path)
    header = _header(_page(path, tmp_path))
    assert ">UNCONFIRMED</span>" in header and "--trust-anchor" in header


def test_an_option_named_in_a_sentence_is_not_broken_at_its_hyphen(tmp_path: Path) -> None:
    """"--trust-anchor" wrapped after its hyphen reads as "--trust" and "anchor"."""
    path, _ = _sealed(tmp_path)
    html = _page(path, tmp_path)
    assert '(<code class="option">--trust-anchor</code>)' in _header(html)
    assert re.search(r"code\.option \{ white-space: nowrap; \}", html)
    row = html.split('<th scope="row">REVOCATION</th>', 1)[1].split("</tr>", 1)[0]
    assert 'add <code class="option">--fetch-revocation</code> to check online' in row


def test_a_seal_by_another_organisation_is_flagged(tmp_path: Path) -> None:
    path, pki = _sealed(tmp_path, own_issuer=False)
    header = _header(_page(path, tmp_path, PreviewOptions(trust_anchors=(pki.root.certificate,))))
    assert ">CHECK</span>" in header
    assert "sealed by another organisation than the credential&#x27;s issuer" in header
    assert "trust it only if that organisation issues on the issuer&#x27;s behalf" in header
    assert "the certificate&#x27;s &#x27;NTRGB-99999999&#x27;" in header


def test_a_broken_seal_is_said_first_and_fails_the_command(tmp_path: Path) -> None:
    path, _ = _sealed(tmp_path)
    path.write_bytes(path.read_bytes().replace(b"Merit", b"Distinction", 1))
    html = _page(path, tmp_path)
    assert ">INVALID</span>" in _header(html) and "do not rely on this credential" in _header(html)
    group = click.Group()
    register(group)
    result = CliRunner().invoke(group, ["preview", str(path), "-o", str(tmp_path / "cli"), "--json"])
    assert result.exit_code == 1, result.output
    assert [r["verdict"] for r in json.loads(result.stdout)] == ["INVALID"]
    assert f"error: {path}: the seal does not verify" in result.stderr


def test_an_unsealed_credential_says_so_first(tmp_path: Path) -> None:
    award, catalogue = first_award("imperial")
    path = tmp_path / "plain.jsonld"
    path.write_bytes(serialise(to_edc(award, catalogue)))
    assert ">NOT SEALED</span>" in _header(_page(path, tmp_path))


def test_a_direction_override_in_a_name_stays_inside_it(tmp_path: Path) -> None:
    award, catalogue = first_award("imperial")
    doc = to_edc(award, catalogue)
    subject = doc["credentialSubject"]
    subject["fullName"] = {"en": "Alice \u202e5202"}  # right-to-left override, never closed
    path = tmp_path / "rtl.jsonld"
    path.write_bytes(serialise(doc))
    html = _page(path, tmp_path).split("</header>", 1)[0]
    assert '<span lang="en" dir="auto" class="t">Alice \u202e5202</span>' in html


@pytest.mark.parametrize(("checks", "word"), [
    ({"SEAL": ("ERROR", "signature does not match")}, "INVALID"),
    ({"SEAL": ("OK", ""), "TIMESTAMP": ("ERROR", "imprint does not match")}, "INVALID"),
    ({"SEAL": ("OK", ""), "REVOCATION": ("ERROR", "certificate revoked on 2026-01-01 (CRL)")}, "INVALID"),
    ({"SEAL": ("OK", ""), "REVOCATION": ("ERROR", "credential suspended per status list x (index 3)")},
     "INVALID"),
    ({"SEAL": ("OK", ""), "REVOCATION": ("ERROR", "no embedded revocation data is current")}, "CHECK"),
    ({"SEAL": ("OK", ""), "FORMAT": ("ERROR", "3 violation(s)")}, "CHECK"),
    ({"SEAL": ("OK", ""), "EXPIRY": ("ERROR", "credential expired on 2025-01-01")}, "CHECK"),
])
def test_invalid_is_kept_for_a_broken_or_revoked_seal(checks: dict[str, tuple[str, str]], word: str) -> None:
    assert SealStatus("JAdES", checks, anchored=True).verdict[0] == word


@pytest.mark.parametrize("checks", [
    {"SEAL": ("ERROR", "signature does not match")},
    {"SEAL": ("OK", ""), "CERTIFICATE": ("ERROR", "SigningCertificateV2 names another certificate")},
    {"SEAL": ("OK", ""), "TIMESTAMP": ("ERROR", "imprint does not match")},
    {"SEAL": ("OK", ""), "REVOCATION": ("ERROR", "certificate revoked on 2026-01-01 (CRL)")},
    {"SEAL": ("OK", ""), "REVOCATION": ("ERROR", "no embedded revocation data is current")},
    {"SEAL": ("OK", ""), "FORMAT": ("ERROR", "3 violation(s)")},
    {"SEAL": ("OK", ""), "EXPIRY": ("ERROR", "credential expired on 2025-01-01")},
    {"SEAL": ("OK", "")},
])
@pytest.mark.parametrize("anchored", [True, False])
def test_the_page_says_the_word_the_verify_command_says(checks: dict[str, tuple[str, str]],
                                                         anchored: bool) -> None:
    """A learner's page and a verifier's terminal must not disagree on one seal."""
    from edcbridge.seal.verify import Check, seal_outcome

    said = seal_outcome({name: Check(state, reason) for name, (state, reason) in checks.items()},
                        anchored=anchored, sealer=None)
    assert SealStatus("JAdES", checks, anchored=anchored).verdict[0] == said.verdict


def test_a_sealed_credential_the_shapes_refuse_asks_for_a_check_and_passes_the_command(
    store: SchemaStore, tmp_path: Path
) -> None:
    award, catalogue = first_award("imperial")
    doc = to_edc(award, catalogue)
    del doc["credentialSchema"]  # mandatory in the official shapes
    pki = devpki.generate()
    path = tmp_path / "unshaped.jsonld"
    sealer = Sealer(SealKey(pki.seal.key, pki.seal.certificate, (pki.root.certificate,)))
    path.write_text(sealer.seal(serialise(doc).decode("utf-8")), encoding="utf-8")
    html = _page(path, tmp_path, PreviewOptions(format_check=format_check(store)))
    assert ">CHECK</span>" in _header(html)
    assert ("The seal is intact, but the credential does not follow the official EDC format in 1 place, "
            "in its reference to the official format. EDC wallets and viewers may refuse it") in _header(html)
    assert "violation" not in _header(html)
    row = html.split('<th scope="row">FORMAT</th>', 1)[1].split("</tr>", 1)[0]
    assert "1 violation(s); first: $.credentialSchema: Less than 1 values" in row  # the detail, kept


def test_a_format_verdict_says_what_it_means_for_the_reader() -> None:
    """MyNextID's micro-credential: the validator's words are for the table of checks."""
    reason = ("13 violation(s); first: credentialSubject.hasClaim.provenBy.specifiedBy: Value does not have "
              "class elm:LearningAssessmentSpecification (value: urn:epass:specifiedBy:ytB4HxD3)")
    word, sentence = SealStatus("JAdES", {"SEAL": ("OK", ""), "FORMAT": ("ERROR", reason)}).verdict
    assert word == "CHECK"
    assert sentence.startswith("The seal is intact, but the credential does not follow the official EDC "
                               "format in 13 places, the first in what it says was achieved.")
    assert "violation" not in sentence and "elm:" not in sentence and "FORMAT row" in sentence


def test_a_batch_preview_before_sealing_is_marked_as_a_draft(tmp_path: Path) -> None:
    award, catalogue = first_award("imperial")
    (result,) = preview_awards([award], catalogue, tmp_path)
    assert result.verdict == "DRAFT"
    assert ">DRAFT</span>" in _header(result.html.read_text("utf-8"))


def test_the_verdict_names_who_sealed_not_who_the_credential_says(tmp_path: Path) -> None:
    """A mill's seal over a credential naming a university, with the mill's name hidden in a
    language the page does not show: the names still agree, so the verdict says who sealed."""
    award, catalogue = first_award("imperial")
    doc = to_edc(award, catalogue)
    issuer = dict(doc["issuer"])
    issuer["legalName"] = {**issuer["legalName"], "de": "Diploma Mill Ltd"}
    issuer["eIDASIdentifier"] = {**issuer["eIDASIdentifier"], "notation": "NTRGB-99999999"}
    doc["issuer"] = issuer
    pki = devpki.generate(organisation="Diploma Mill Ltd", organisation_identifier="NTRGB-99999999",
                          country="GB")
    path = tmp_path / "mill.jsonld"
    sealer = Sealer(SealKey(pki.seal.key, pki.seal.certificate, (pki.root.certificate,)))
    path.write_text(sealer.seal(serialise(doc).decode("utf-8")), encoding="utf-8")
    header = _header(_page(path, tmp_path, PreviewOptions(trust_anchors=(pki.root.certificate,))))
    assert "Sealed by Diploma Mill Ltd (NTRGB-99999999)." in re.sub(r"<[^>]+>", "", header)
    assert "<bdi>Diploma Mill Ltd (NTRGB-99999999)</bdi>" in header  # isolated: a name may run right to left


def test_a_direction_override_in_a_quoted_name_cannot_reverse_the_verdict(tmp_path: Path) -> None:
    """The verdict quotes the issuer's name: an override there would turn "Sealed by Diploma
    Mill Ltd" around, so it is written out instead."""
    award, catalogue = first_award("imperial")
    doc = to_edc(award, catalogue)
    doc["issuer"] = dict(doc["issuer"], legalName={"en": "Imperial \u202eCollege"})
    pki = devpki.generate(organisation="Diploma Mill Ltd", organisation_identifier="NTRGB-99999999",
                          country="GB")
    path = tmp_path / "override.jsonld"
    sealer = Sealer(SealKey(pki.seal.key, pki.seal.certificate, (pki.root.certificate,)))
    path.write_text(sealer.seal(serialise(doc).decode("utf-8")), encoding="utf-8")
    html = _page(path, tmp_path, PreviewOptions(trust_anchors=(pki.root.certificate,)))
    verdicts = [_header(html), html.split('id="seal"', 1)[1].split("</section>", 1)[0]]
    for text in verdicts:
        assert "\u202e" not in text and "the issuer is Imperial [U+202E]College" in text


def test_a_trust_anchor_given_as_der_or_a_folder_confirms_the_sealer(tmp_path: Path) -> None:
    """A CA publishes its certificate as DER (.cer, .crt) as often as PEM; preview takes both,
    and a folder of them, as verify does."""
    from cryptography.hazmat.primitives.serialization import Encoding

    path, pki = _sealed(tmp_path)
    anchors = tmp_path / "anchors"
    anchors.mkdir()
    (anchors / "root.cer").write_bytes(pki.root.certificate.public_bytes(Encoding.DER))
    group = click.Group()
    register(group)
    for given in (anchors / "root.cer", anchors):
        result = CliRunner().invoke(group, ["preview", str(path), "-o", str(tmp_path / "cli"), "--json",
                                            "--trust-anchor", str(given)])
        assert result.exit_code == 0, result.output
        assert [r["verdict"] for r in json.loads(result.stdout)] == ["VALID"], given
