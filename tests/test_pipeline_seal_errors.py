"""Seal problems: a batch stops before any work when they are certain, and fails one record per
line (no traceback) when they start mid-run; `seal` refuses another issuer's credential."""

from __future__ import annotations

import dataclasses
import json
import socket
import threading
from pathlib import Path

import pytest
from click.testing import CliRunner

from edcbridge.cli import main
from edcbridge.load import load_catalogue
from edcbridge.pipeline import Job, RunOptions, run
from edcbridge.schemas import SchemaStore
from edcbridge.seal import tst
from edcbridge.seal.devpki import TestSeal, load_tsa_signer
from edcbridge.seal.tsa_server import DevServer, TimestampAuthority
from edcbridge.sealing import SealFactory, demo_seal
from tests.conftest import FIXTURES

CATALOGUE = FIXTURES / "imperial" / "catalogue.yaml"
AWARDS = FIXTURES / "imperial" / "awards.csv"


@pytest.fixture(scope="module")
def seal(tmp_path_factory: pytest.TempPathFactory) -> SealFactory:
    return demo_seal(tmp_path_factory.mktemp("seal"), load_catalogue(CATALOGUE))


def test_an_unreachable_timestamp_authority_stops_the_export_before_any_work(
        store: SchemaStore, seal: SealFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EDCBRIDGE_SCHEMAS", str(store.root))
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # nothing listens there once the socket is closed
    password_file = seal.p12.parent / "seal-password.txt"
    result = CliRunner().invoke(main, [
        "export", str(AWARDS), "-c", str(CATALOGUE), "-o", str(tmp_path / "out"), "--seal", str(seal.p12),
        "--password-file", str(password_file), "--tsa", f"http://127.0.0.1:{port}/tsa"])
    assert result.exit_code == 2, result.output
    assert result.stderr.count("cannot reach timestamp authority") == 1
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "out" / "edc-sealed").exists()
    at_b_b = CliRunner().invoke(main, [  # B-B uses no timestamp: the same authority is not asked
        "export", str(AWARDS), "-c", str(CATALOGUE), "-o", str(tmp_path / "bb"), "--seal", str(seal.p12),
        "--password-file", str(password_file), "--tsa", f"http://127.0.0.1:{port}/tsa", "--level", "B-B"])
    assert at_b_b.exit_code == 0, at_b_b.output


class _FailsAfter(TimestampAuthority):
    """Grants the first ``granted`` requests, then refuses every one."""

    def __init__(self, authority: TimestampAuthority, granted: int) -> None:
        super().__init__(authority.signer)
        self.granted = granted
        self.lock = threading.Lock()  # a worker asks for several tokens at once

    def respond(self, body: bytes) -> bytes:
        with self.lock:
            self.granted -= 1
            refused = self.granted < 0
        if refused:
            return tst.build_rejection("out of service", "system_failure")
        return super().respond(body)


@pytest.mark.parametrize("workers", [1, 2])
def test_a_timestamp_authority_failing_mid_run_fails_records_in_one_line_each(
        store: SchemaStore, seal: SealFactory, tmp_path: Path, workers: int) -> None:
    authority = _FailsAfter(TimestampAuthority(load_tsa_signer(TestSeal.at(seal.p12.parent))), 2)
    with DevServer(authority) as server:
        factory = dataclasses.replace(seal, level="B-T", tsa_url=server.tsa_url)
        result = run([Job(CATALOGUE, (AWARDS,))], RunOptions(
            out_dir=tmp_path / "out", store_root=store.root, formats=(), workers=workers, seal=factory))
    assert result.done == 2 and result.failed >= 1 and result.stage_failures == {"seal": result.failed}
    report = json.loads((tmp_path / "out" / "report.json").read_text("utf-8"))
    errors = [r["errors"] for r in report["records"] if r["status"] == "failed"]
    assert errors and all(len(e) == 1 and e[0].startswith("seal: ") and "out of service" in e[0]
                          and "Traceback" not in e[0] for e in errors), errors


def test_seal_refuses_a_credential_of_another_issuer(seal: SealFactory, tmp_path: Path) -> None:
    from edcbridge.load import iter_awards
    from edcbridge.mapping.edc import to_edc
    from edcbridge.output import serialise

    catalogue = load_catalogue(CATALOGUE)
    award = next(row.award for row in iter_awards(AWARDS, catalogue) if row.award is not None)
    credential = tmp_path / "imperial.jsonld"
    credential.write_bytes(serialise(to_edc(award, catalogue)))
    wales = demo_seal(tmp_path / "wales-seal", load_catalogue(FIXTURES / "wales" / "catalogue.yaml"))

    def seal_with(factory: SealFactory, out: str, *extra: str) -> tuple[int, str]:
        result = CliRunner().invoke(main, [
            "seal", str(credential), "--p12", str(factory.p12), "--out", str(tmp_path / out),
            "--password-file", str(factory.p12.parent / "seal-password.txt"), *extra])
        return result.exit_code, result.stderr

    code, stderr = seal_with(wales, "refused")
    assert code == 1
    assert "the issuer's eIDAS identifier is 'NTRGB-RC000631', the certificate's 'NTRGB-RC000648'" in stderr
    assert not (tmp_path / "refused").exists()
    assert seal_with(wales, "on-behalf", "--any-issuer")[0] == 0
    assert seal_with(seal, "own")[0] == 0
    (on_behalf,), (own,) = (tmp_path / "on-behalf").iterdir(), (tmp_path / "own").iterdir()
    said = CliRunner().invoke(main, ["verify", str(on_behalf), str(own)]).stdout
    assert said.count("note: sealed by another organisation than the credential's issuer: the issuer's "
                      "eIDAS identifier is 'NTRGB-RC000631', the certificate's 'NTRGB-RC000648'") == 1
    assert said.index("note:") < said.index(str(own))  # said of the file sealed on behalf only


def test_the_same_organisation_spelt_otherwise_is_the_issuer(reference: Path) -> None:
    """Production credentials name "Velocert OÜ" with eIDAS id 17207834; their certificate says
    O=VELOCERT OU, organizationIdentifier NTREE-17207834."""
    from edcbridge.seal import IssuerIdentity
    from edcbridge.sealing import credential_issuer_mismatch

    velocert = IssuerIdentity("VELOCERT OU", "NTREE-17207834", "EE")
    issuer = {"legalName": {"en": "Velocert OÜ"}, "eIDASIdentifier": {"notation": "17207834"}}
    assert credential_issuer_mismatch(lambda: velocert, json.dumps({"issuer": issuer})) is None
    by_name = {"legalName": {"en": "Velocert OÜ"}}
    assert credential_issuer_mismatch(lambda: velocert, json.dumps({"issuer": by_name})) is None
    samples = sorted(reference.glob("mynextid-edc/*/v1/edc/examples/*-signed.jsonld"))
    assert samples
    said = CliRunner().invoke(main, ["verify", *map(str, samples)]).stdout
    verdicts = [line for line in said.splitlines() if not line.startswith(" ")][:-1]  # then the summary
    assert len(verdicts) == len(samples) and "note:" not in said
    assert not [line for line in verdicts if "another organisation" in line], verdicts


def test_the_issuer_check_compares_the_eidas_identifier() -> None:
    from edcbridge.seal import IssuerIdentity
    from edcbridge.sealing import credential_issuer_mismatch

    identity = IssuerIdentity("Université Test", "NTRFR-123", "FR")
    issuer = {"legalName": {"fr": "Université Test"}, "eIDASIdentifier": {"notation": "NTRFR-123"}}
    other_name = {"legalName": {"fr": "Autre École"}}
    assert credential_issuer_mismatch(lambda: identity, json.dumps({"issuer": other_name})) == (
        "the issuer is Autre École, the certificate's organisation 'Université Test'")
    assert credential_issuer_mismatch(lambda: identity, json.dumps({"issuer": issuer})) is None
    other = {**issuer, "eIDASIdentifier": {"notation": "NTRFR-999"}}
    assert credential_issuer_mismatch(lambda: identity, json.dumps({"issuer": other})) == (
        "the issuer's eIDAS identifier is 'NTRFR-999', the certificate's 'NTRFR-123'")
    assert credential_issuer_mismatch(lambda: identity, json.dumps({"issuer": "did:example:1"})) is None


def test_an_issuer_borrowing_the_sealers_identifier_or_hidden_in_a_list_is_told_apart() -> None:
    """A seal of "Diploma Mill Ltd" on a credential naming another university, with the mill's
    own identifier, or with the issuer in a one-element array (the same RDF graph)."""
    from edcbridge.seal import IssuerIdentity
    from edcbridge.sealing import credential_issuer_mismatch

    mill = IssuerIdentity("Diploma Mill Ltd", "NTRGB-99999999", "GB")
    galway = {"en": "University of Galway"}
    borrowed = {"legalName": galway, "eIDASIdentifier": {"notation": "NTRGB-99999999"}}
    assert credential_issuer_mismatch(lambda: mill, json.dumps({"issuer": borrowed})) == (
        "the issuer is University of Galway, the certificate's organisation 'Diploma Mill Ltd'")
    listed = {"legalName": galway, "eIDASIdentifier": {"notation": "VATIE-0000000G"}}
    found = credential_issuer_mismatch(lambda: mill, json.dumps({"issuer": [listed]}))
    assert found is not None and "University of Galway" in found and "VATIE-0000000G" in found
    two = credential_issuer_mismatch(lambda: mill, json.dumps({"issuer": [listed, listed]}))
    assert two == "the credential's issuer cannot be read, so it cannot be compared with the certificate"


def test_seal_without_a_readable_issuer_needs_no_comparison(seal: SealFactory, tmp_path: Path) -> None:
    plain = tmp_path / "plain.json"
    plain.write_text('{"id": "urn:x:1"}', "utf-8")
    result = CliRunner().invoke(main, [
        "seal", str(plain), "--p12", str(seal.p12), "--out", str(tmp_path / "out"),
        "--password-file", str(seal.p12.parent / "seal-password.txt")])
    assert result.exit_code == 0, result.output


def test_an_award_of_another_issuer_is_not_sealed_with_the_runs_seal(
    seal: SealFactory, store: SchemaStore, tmp_path: Path
) -> None:
    lines = AWARDS.read_text("utf-8-sig").splitlines()
    header, rows = lines[0], lines[1:4]
    awards = tmp_path / "awards.csv"
    awards.write_text("\n".join([f"{header},issuer", f"{rows[0]},qaa", f"{rows[1]},imperial", f"{rows[2]},"])
                      + "\n", encoding="utf-8")
    result = run([Job(CATALOGUE, (awards,))],
                 RunOptions(out_dir=tmp_path / "sealed", store_root=store.root, formats=("edc",), seal=seal))
    assert (result.done, result.failed, result.stage_failures) == (2, 1, {"seal": 1})
    report = json.loads((tmp_path / "sealed" / "report.json").read_text("utf-8"))
    failed = [r for r in report["records"] if r["status"] == "failed"]
    assert failed[0]["row"] == 2 and "column 'issuer' = 'qaa'" in failed[0]["errors"][0]
    said = failed[0]["errors"][0]
    assert "the award's issuer 'qaa' is not the organisation in the seal certificate" in said
    unsealed = run([Job(CATALOGUE, (awards,))],
                   RunOptions(out_dir=tmp_path / "plain", store_root=store.root, formats=("edc",)))
    assert (unsealed.done, unsealed.failed) == (3, 0)  # nothing is vouched for without a seal
