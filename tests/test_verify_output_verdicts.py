"""verify and verify-xml: one verdict per file in plain words, what to do next, a summary for
many files, the same verdict in --json, and names printed so that they cannot fool a terminal."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import click
import pytest
from click.testing import CliRunner, Result
from cryptography.hazmat.primitives import serialization

from edcbridge.seal import Sealer, SealKey, devpki
from edcbridge.seal.cli import register as register_seal
from edcbridge.xml.cli import register as register_xml

CREDENTIAL = json.dumps({"@context": ["https://www.w3.org/ns/credentials/v2"], "id": "urn:x:verdict",
                         "type": ["VerifiableCredential"]})


@click.group()
def main() -> None:
    """The verify commands without a format check: FORMAT is SKIPPED, the seal decides."""


register_seal(main)
register_xml(main)


@pytest.fixture(scope="module")
def pki() -> devpki.DevPki:
    return devpki.generate()


def _pem(cert: object, path: Path) -> Path:
    path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))  # type: ignore[attr-defined]
    return path


def _sealed(pki: devpki.DevPki, path: Path, text: str = CREDENTIAL) -> Path:
    sealer = Sealer(SealKey(pki.seal.key, pki.seal.certificate, (pki.root.certificate,)))
    path.write_text(sealer.seal(text), encoding="utf-8")
    return path


def _verify(*args: str) -> Result:
    return CliRunner().invoke(main, ["verify", *args])


def _first_line(result: Result) -> str:
    return result.stdout.splitlines()[0]


def test_an_intact_seal_without_trust_anchor_is_unconfirmed_and_says_what_to_do(
        pki: devpki.DevPki, tmp_path: Path) -> None:
    sealed = _sealed(pki, tmp_path / "a.jsonld")
    result = _verify(str(sealed))
    assert result.exit_code == 0, result.output
    line = _first_line(result)
    assert line.startswith(f"{sealed}: UNCONFIRMED: the seal is intact, but who made it was not checked")
    assert "--trust-anchor" in line and "Sealed by 'EDCBRIDGE TEST University'" in line


def test_a_seal_chaining_to_the_anchor_given_is_valid(pki: devpki.DevPki, tmp_path: Path) -> None:
    sealed = _sealed(pki, tmp_path / "a.jsonld")
    result = _verify(str(sealed), "--trust-anchor", str(_pem(pki.root.certificate, tmp_path / "root.pem")))
    assert result.exit_code == 0, result.output
    assert _first_line(result).startswith(f"{sealed}: VALID: the seal is intact and made with a certificate")


def test_a_seal_of_another_ca_says_to_check_the_anchor(pki: devpki.DevPki, tmp_path: Path) -> None:
    sealed = _sealed(pki, tmp_path / "a.jsonld")
    other = _pem(devpki.generate().root.certificate, tmp_path / "other.pem")
    result = _verify(str(sealed), "--trust-anchor", str(other))
    assert result.exit_code == 1
    assert _first_line(result).startswith(
        f"{sealed}: INVALID: the seal is intact, but its certificate does not chain to any --trust-anchor")


def test_a_changed_file_is_invalid_in_plain_words(pki: devpki.DevPki, tmp_path: Path) -> None:
    sealed = _sealed(pki, tmp_path / "a.jsonld")
    sealed.write_text(sealed.read_text("utf-8").replace("verdict", "verdicT"), "utf-8")
    result = _verify(str(sealed))
    assert result.exit_code == 1
    assert "INVALID: the seal does not verify: the file was changed after sealing" in _first_line(result)


def test_files_that_hold_no_seal_say_what_they_are(tmp_path: Path) -> None:
    files = {"scan.pdf": b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n", "photo.png": b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR",
             "empty.json": b"", "unsealed.json": CREDENTIAL.encode(),
             "legacy.xml": b'<?xml version="1.0"?><europassCredential/>'}
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    result = _verify(*(str(tmp_path / name) for name in files))
    assert result.exit_code == 1
    verdicts = [line for line in result.stdout.splitlines() if not line.startswith(" ")]
    assert verdicts[0].endswith("scan.pdf: UNREADABLE: a PDF document, not a sealed credential (JAdES JSON). "
                                "Ask the issuer for the credential file itself (a printout or PDF copy "
                                "carries no seal that can be checked).")
    assert "photo.png: UNREADABLE: a PNG image," in verdicts[1]
    assert "empty.json: UNREADABLE: an empty file," in verdicts[2]
    assert "unsealed.json: NOT SEALED: a credential without a seal" in verdicts[3]
    assert "legacy.xml: NOT SEALED: a credential without a seal" in verdicts[4]


def test_many_files_end_with_a_summary_line(pki: devpki.DevPki, tmp_path: Path) -> None:
    good = [_sealed(pki, tmp_path / f"{n}.jsonld") for n in range(3)]
    (tmp_path / "empty.json").write_bytes(b"")
    result = _verify(*map(str, good), str(tmp_path / "empty.json"))
    assert result.stdout.splitlines()[-1] == "4 files: 3 UNCONFIRMED, 1 UNREADABLE"
    assert sum(": UNCONFIRMED: " in line for line in result.stdout.splitlines()) == 3


def test_json_gives_each_file_its_verdict_and_keeps_its_keys(pki: devpki.DevPki, tmp_path: Path) -> None:
    sealed = _sealed(pki, tmp_path / "a.jsonld")
    (tmp_path / "scan.pdf").write_bytes(b"%PDF-1.7\n")
    result = _verify("--json", str(sealed), str(tmp_path / "scan.pdf"))
    assert result.exit_code == 1
    first, second = json.loads(result.stdout)
    assert {"file", "checks", "verdict", "ok", "verdict_reason", "sealed_by"} <= set(first)
    assert (first["verdict"], first["ok"]) == ("UNCONFIRMED", True)
    assert first["sealed_by"] == "EDCBRIDGE TEST University"
    assert (second["verdict"], second["ok"], second["sealed_by"]) == ("UNREADABLE", False, None)


def test_names_with_control_and_direction_characters_are_written_out(tmp_path: Path) -> None:
    tricky = devpki.generate(organisation="Univ \u202eTSET\u202c \x1b[31mX")
    sealed = _sealed(tricky, tmp_path / "clear\x1b[2J\u2066name.jsonld")
    result = _verify(str(sealed))
    assert "\u202e" not in result.stdout and "\x1b" not in result.stdout and "\u2066" not in result.stdout
    assert _first_line(result).startswith(f"{tmp_path}/clear\\x1b[2J\\u2066name.jsonld: UNCONFIRMED")
    assert "Sealed by 'Univ [U+202E]TSET[U+202C] [U+001B][31mX'" in _first_line(result)


def test_trust_anchors_may_be_der_a_bundle_or_a_folder(pki: devpki.DevPki, tmp_path: Path) -> None:
    sealed = _sealed(pki, tmp_path / "a.jsonld")
    der = tmp_path / "root.cer"
    der.write_bytes(pki.root.certificate.public_bytes(serialization.Encoding.DER))
    bundle = tmp_path / "bundle.pem"
    bundle.write_bytes(devpki.generate().root.certificate.public_bytes(serialization.Encoding.PEM)
                       + pki.root.certificate.public_bytes(serialization.Encoding.PEM))
    folder = tmp_path / "anchors"
    folder.mkdir()
    _pem(pki.root.certificate, folder / "issuer-ca.crt")
    for anchor in (der, bundle, folder):
        result = _verify(str(sealed), "--trust-anchor", str(anchor))
        assert result.exit_code == 0 and ": VALID: " in _first_line(result), (anchor, result.output)
    empty = tmp_path / "none"
    empty.mkdir()
    refused = _verify(str(sealed), "--trust-anchor", str(empty))
    assert refused.exit_code == 2 and "holds no .pem, .crt, .cer or .der certificate" in refused.stderr
    junk = tmp_path / "junk.pem"
    junk.write_text("not a certificate", "utf-8")
    refused = _verify(str(sealed), "--trust-anchor", str(junk))
    assert refused.exit_code == 2 and "is not a certificate (PEM or DER)" in refused.stderr


def test_an_anchor_that_is_no_ca_or_has_expired_is_pointed_out(pki: devpki.DevPki, tmp_path: Path) -> None:
    sealed = _sealed(pki, tmp_path / "a.jsonld")
    leaf = _pem(pki.seal.certificate, tmp_path / "seal.pem")
    old = _pem(devpki.generate(now=datetime.now(UTC) - timedelta(days=4000)).root.certificate,
               tmp_path / "old.pem")
    result = _verify(str(sealed), "--trust-anchor", str(leaf), "--trust-anchor", str(old))
    assert "is not a CA certificate: it confirms only seals made with that very certificate" in result.stderr
    assert "expired on" in result.stderr and "get its successor" in result.stderr


def test_options_that_cannot_act_say_so(pki: devpki.DevPki, tmp_path: Path) -> None:
    sealed = _sealed(pki, tmp_path / "a.jsonld")
    fetch = _verify(str(sealed), "--fetch-revocation")
    assert "--fetch-revocation checks online only seals that chain to a --trust-anchor" in fetch.stderr
    required = _verify(str(sealed), "--require-revocation")
    assert "--require-revocation without --fetch-revocation" in required.stderr
    assert required.exit_code == 1
    assert ": CHECK: the seal is intact, but whether the seal certificate or the credential has been " \
           "revoked could not be established" in _first_line(required)


def test_verify_xml_gives_the_same_verdicts(reference: Path, tmp_path: Path) -> None:
    sealed = reference / "examples" / "edci-1.7.3-xml" / "sealed" / "sampleQSEAL.xml"
    unsealed = reference / "examples" / "elm-repo-xml-v1.2-unsigned" / "EDC_SampleACT_AA.xml"
    (tmp_path / "scan.pdf").write_bytes(b"%PDF-1.7\n")
    runner = CliRunner()
    result = runner.invoke(main, ["verify-xml", str(sealed), str(unsealed), str(tmp_path / "scan.pdf")])
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert lines[0].startswith(f"{sealed}: UNCONFIRMED (XAdES B-T): the seal is intact, but who made it")
    assert "  REVOCATION  SKIPPED not checked: verify-xml does not ask whether" in result.stdout
    assert f"{unsealed}: NOT SEALED: a credential without a seal" in result.stdout
    assert "scan.pdf: UNREADABLE: a PDF document, not a sealed EDC XML credential" in result.stdout
    assert lines[-1] == "3 files: 1 UNCONFIRMED, 1 NOT SEALED, 1 UNREADABLE"
    as_json = json.loads(runner.invoke(main, ["verify-xml", "--json", str(sealed)]).stdout)[0]
    assert {"source", "ok", "level", "signing_time", "certificate", "checks"} <= set(as_json)
    assert (as_json["file"], as_json["verdict"], as_json["ok"]) == (str(sealed), "UNCONFIRMED", True)


def test_verify_xml_with_an_anchor_of_another_ca_says_to_check_the_anchor(reference: Path,
                                                                          pki: devpki.DevPki,
                                                                          tmp_path: Path) -> None:
    sealed = reference / "examples" / "edci-1.7.3-xml" / "sealed" / "sampleQSEAL.xml"
    der = tmp_path / "root.der"
    der.write_bytes(pki.root.certificate.public_bytes(serialization.Encoding.DER))
    result = CliRunner().invoke(main, ["verify-xml", str(sealed), "--trust-anchor", str(der)])
    assert result.exit_code == 1
    assert "INVALID (XAdES B-T): the seal is intact, but its certificate does not chain to any " \
           "--trust-anchor given" in _first_line(result)
