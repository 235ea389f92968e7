"""verify: FORMAT is the official shapes (our lints are noted), odd input never stops a batch,
and a seal has one spelling."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from edcbridge.cli import main
from edcbridge.schemas import SchemaStore
from edcbridge.seal import Sealer, SealKey, VerifyOptions, devpki, verify_file
from edcbridge.seal.sealer import Level
from edcbridge.seal.tsa import TsaClient
from edcbridge.seal.tsa_server import DevServer, TimestampAuthority
from edcbridge.sealing import format_check
from edcbridge.validation import validate_credential
from edcbridge.validation.document import read_credential
from tests.conftest import REFERENCE
from tests.test_cli_bad_input import nested_text

LINTED = sorted(REFERENCE.glob("mynextid-edc/*/v1/edc/examples/edc-*-signed.jsonld"))


@pytest.mark.parametrize("path", LINTED, ids=lambda p: p.name)
def test_a_credential_the_shapes_accept_passes_format_with_its_lints_noted(store: SchemaStore,
                                                                           path: Path) -> None:
    doc, form = read_credential(path)
    assert form == "jades"
    findings = validate_credential(doc, store, annex1=None).findings
    errors = {f.code.split(".")[0] for f in findings if f.severity == "error"}
    status, reason = format_check(store)(doc)
    if errors == {"lint"}:  # only our lints object: the official shapes accept it
        assert status == "OK" and "lint note(s)" in reason, reason
    else:
        assert status == ("ERROR" if errors else "OK"), reason


def test_the_production_samples_include_lint_only_findings(store: SchemaStore) -> None:
    only_lints = []
    for path in LINTED:
        doc, _ = read_credential(path)
        errors = {f.code.split(".")[0] for f in validate_credential(doc, store, annex1=None).findings
                  if f.severity == "error"}
        only_lints += [path.name] if errors == {"lint"} else []
    assert only_lints  # the case above is exercised, not only the clean one


def _sealer() -> Sealer:
    pki = devpki.generate()
    return Sealer(SealKey(pki.seal.key, pki.seal.certificate, (pki.root.certificate,)))


def test_verify_reports_every_file_though_one_is_nested_500_deep(store: SchemaStore, tmp_path: Path) -> None:
    sealer = _sealer()
    nested = tmp_path / "nested.json"
    nested.write_text(sealer.seal(nested_text(500)), encoding="utf-8")
    good = tmp_path / "good.json"
    good.write_text(sealer.seal(json.dumps({"@context": [], "id": "urn:x:1"})), encoding="utf-8")
    surrogate = tmp_path / "surrogate.json"
    sealed = json.loads(good.read_text("utf-8"))
    sealed["payload"] = sealed["payload"].replace("urn:x:1", "urn:x:\ud800")
    surrogate.write_text(json.dumps(sealed), encoding="utf-8")  # written escaped, as JSON allows
    result = CliRunner().invoke(main, ["verify", "--json", str(nested), str(surrogate), str(good)])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    reports = json.loads(result.stdout)
    assert len(reports) == 3  # none stops the others
    assert "lone surrogate" in json.dumps(reports[1])


def test_a_signature_in_the_standard_base64_alphabet_is_refused_as_jose_refuses_it(tmp_path: Path) -> None:
    from tests.test_seal_peers import _run_peer

    sealed = json.loads(_sealer().seal(json.dumps({"@context": [], "id": "urn:x:2"})))
    signature = sealed["signatures"][0]["signature"]
    assert "-" in signature or "_" in signature  # there is something to respell (RSA-2048: nearly always)
    sealed["signatures"][0]["signature"] = signature.replace("-", "+").replace("_", "/")
    respelt = tmp_path / "respelt.json"
    respelt.write_text(json.dumps(sealed), encoding="utf-8")
    assert verify_file(respelt).checks["SEAL"].status == "ERROR"
    assert _run_peer([respelt])[0]["ok"] is False


def test_a_timestamp_from_an_authority_no_anchor_leads_to_proves_no_time(tmp_path: Path) -> None:
    """A commercial TSA outside the verifier's anchors: as if there were no timestamp (anyone
    can strip it), not a broken seal; with its CA added, the time is proven."""
    issuer, other = devpki.generate(), devpki.generate()
    with DevServer(TimestampAuthority(other.tsa_signer())) as server:
        client = TsaClient(server.tsa_url)
        key = SealKey(issuer.seal.key, issuer.seal.certificate, (issuer.root.certificate,))
        sealed = Sealer(key, tsa=client, level=Level.B_T).seal(json.dumps({"@context": [], "id": "urn:x:3"}))
        client.close()
    path = tmp_path / "bt.json"
    path.write_text(sealed, encoding="utf-8")
    alone = verify_file(path, VerifyOptions(trust_anchors=(issuer.root.certificate,)))
    assert alone.checks["TIMESTAMP"].status == "SKIPPED", alone.checks["TIMESTAMP"]
    assert "not proven" in alone.checks["TIMESTAMP"].reason and alone.ok
    both = verify_file(path, VerifyOptions(trust_anchors=(issuer.root.certificate, other.root.certificate)))
    assert both.checks["TIMESTAMP"].status == "OK" and both.ok
