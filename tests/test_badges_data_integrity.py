"""Open Badges and CLRs signed with an Ed25519 seal carry Data Integrity ``eddsa-rdfc-2022``
proofs, on the credential and on every Open Badge a CLR embeds, checked with Digital Bazaar's
implementation (npm jsonld-signatures, @digitalbazaar/data-integrity,
@digitalbazaar/eddsa-rdfc-2022-cryptosuite and @digitalbazaar/vc's CredentialIssuancePurpose in
tests/peers) and the official 1EdTech schemas. An issuer with a did:web in the catalogue is the
controller of the proofs' key, through the DID document written beside them."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import click
import pytest
import rfc3986_validator
from click.testing import CliRunner
from cryptography.hazmat.primitives.serialization import Encoding

from edcbridge.badges import validate_badge
from edcbridge.badges.schemas import CONTEXTS, context_files
from edcbridge.load import iter_awards, load_catalogue
from edcbridge.preview.cli import register
from edcbridge.seal.keys import Ed25519SealKey, SealKey
from edcbridge.sealing import demo_seal
from tests.conftest import FIXTURES, need_tool
from tests.preview_support import PEERS
from tests.test_badges_signing import ed25519_seal, seal_options

SOFIA = FIXTURES / "sofia"  # a learner there holds two awards: a CLR embedding two Open Badges
_PACKAGES = ("jsonld-signatures", "@digitalbazaar/data-integrity",
             "@digitalbazaar/eddsa-rdfc-2022-cryptosuite", "@digitalbazaar/vc")
DID = "did:web:registry.uni-sofia.example"


def _badges(out: Path, *seal: str, catalogue: Path = SOFIA / "catalogue.yaml") -> Any:
    group = click.Group()
    register(group)
    result = CliRunner().invoke(group, ["badges", str(SOFIA / "awards.jsonl"), "-c", str(catalogue),
                                        "-o", str(out), *seal])
    assert result.exit_code == 0, result.output
    return result


def _catalogue_with_did(folder: Path, did: str) -> Path:
    """The Sofia catalogue, its issuer given ``did``."""
    folder.mkdir(parents=True, exist_ok=True)
    text = (SOFIA / "catalogue.yaml").read_text("utf-8")
    marker = "    eidas_identifier: NTRBG-000670680\n"
    assert text.count(marker) == 1
    (folder / "catalogue.yaml").write_text(text.replace(marker, f"{marker}    did: {did}\n"), "utf-8")
    return folder / "catalogue.yaml"


def _digital_bazaar(files: list[Path], certificate: Any, reference: Path, work: Path) -> list[dict[str, Any]]:
    """Each file's result from the npm verifier, which serves only ``certificate``'s key (or the
    DID document at that path) and the official contexts from the reference folder."""
    result = _run_digital_bazaar(files, certificate, reference, work)
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(lines) == len(files), result.stderr
    return lines


def _run_digital_bazaar(files: list[Path], certificate: Any, reference: Path,
                        work: Path) -> subprocess.CompletedProcess[str]:
    node = need_tool("node")
    for package in _PACKAGES:
        if not (PEERS / "node_modules" / package).is_dir():
            pytest.fail(f"npm {package} is missing: run `make peers` (npm ci in {PEERS})")
    contexts = work / "contexts.json"
    local = {url: reference / "ob3-clr" / relative for url, relative in CONTEXTS.items()}
    contexts.write_text(json.dumps({url: str(path.resolve()) for url, path in local.items()}), "utf-8")
    if isinstance(certificate, Path):
        cert = certificate
    else:
        cert = work / "seal.pem"
        cert.write_bytes(certificate.public_bytes(Encoding.PEM))
    return subprocess.run([node, "verify-data-integrity.mjs", str(contexts), str(cert), *map(str, files)],
                          cwd=PEERS, capture_output=True, text=True, check=False, timeout=300)


@pytest.fixture(scope="module")
def ed25519_out(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Ed25519SealKey]:
    work = tmp_path_factory.mktemp("ed25519")
    key = ed25519_seal(load_catalogue(SOFIA / "catalogue.yaml"))
    _badges(work / "out", *seal_options(work, key))
    return work / "out", key


def test_every_badge_and_clr_carries_a_proof_digital_bazaar_verifies(
        ed25519_out: tuple[Path, Ed25519SealKey], reference: Path, tmp_path: Path) -> None:
    out, key = ed25519_out
    files = sorted(out.glob("*/*.json"))
    assert {path.parent.name for path in files} == {"ob3", "clr"}
    results = _digital_bazaar(files, key.certificate, reference, tmp_path)
    assert all(r["ok"] and all(r["embedded"]) for r in results), results
    clrs = [r for path, r in zip(files, results, strict=True) if path.parent.name == "clr"]
    assert max(len(r["embedded"]) for r in clrs) == 2
    for path in files:
        doc = json.loads(path.read_bytes())
        assert [p["cryptosuite"] for p in doc["proof"]] == ["eddsa-rdfc-2022"]
        assert validate_badge(doc, reference / "ob3-clr") == [], path


def test_a_changed_credential_or_another_key_fails_digital_bazaars_check(
        ed25519_out: tuple[Path, Ed25519SealKey], reference: Path, tmp_path: Path) -> None:
    out, key = ed25519_out
    clr = max(out.glob("clr/*.json"), key=lambda p: len(json.loads(p.read_bytes())["credentialSubject"]
                                                          ["verifiableCredential"]))
    doc = json.loads(clr.read_bytes())
    doc["credentialSubject"]["verifiableCredential"][1]["name"] = "Another achievement"
    changed = tmp_path / "changed.json"
    changed.write_text(json.dumps(doc), "utf-8")
    [result] = _digital_bazaar([changed], key.certificate, reference, tmp_path)
    assert result["ok"] is False and result["embedded"] == [True, False]
    [result] = _digital_bazaar([clr], ed25519_seal().certificate, reference, tmp_path)
    assert result["ok"] is False and result["embedded"] == [False, False]


def test_the_proofs_are_the_same_bytes_on_every_run(ed25519_out: tuple[Path, Ed25519SealKey],
                                                    tmp_path: Path) -> None:
    out, key = ed25519_out
    _badges(tmp_path / "again", *seal_options(tmp_path, key))
    for path in sorted(out.glob("*/*.json")):
        assert (tmp_path / "again" / path.parent.name / path.name).read_bytes() == path.read_bytes()


def test_an_rsa_seal_adds_no_embedded_proof(tmp_path: Path) -> None:
    catalogue = load_catalogue(SOFIA / "catalogue.yaml")
    key: SealKey = demo_seal(tmp_path / "seal", catalogue).load().key
    _badges(tmp_path / "out", *seal_options(tmp_path, key))
    for path in sorted((tmp_path / "out").glob("*/*.json")):
        doc = json.loads(path.read_bytes())
        held = doc["credentialSubject"].get("verifiableCredential", [])
        assert "proof" not in doc and all("proof" not in badge for badge in held)


def test_a_logo_address_with_a_space_is_written_as_a_uri_digital_bazaar_verifies(
        tmp_path: Path, reference: Path) -> None:
    """A logo's https address as people write it (a space, a Cyrillic file name) is the issuer's
    image as a URI: JSON-LD in safe mode, as Digital Bazaar verifies, refuses an id with a space."""
    logo = "https://www.uni-sofia.bg/logo files/лого.png"
    text = (SOFIA / "catalogue.yaml").read_text("utf-8")
    marker = "    eidas_identifier: NTRBG-000670680\n"
    folder = tmp_path / "catalogue"
    folder.mkdir()
    catalogue = folder / "catalogue.yaml"
    catalogue.write_text(text.replace(marker, f"{marker}    logo: {logo}\n"), "utf-8")
    key = ed25519_seal(load_catalogue(catalogue))
    _badges(tmp_path / "out", *seal_options(tmp_path, key), catalogue=catalogue)
    files = sorted((tmp_path / "out").glob("*/*.json"))
    results = _digital_bazaar(files, key.certificate, reference, tmp_path)
    assert all(r["ok"] and all(r["embedded"]) for r in results), results
    image = json.loads(files[0].read_bytes())["issuer"]["image"]["id"]
    assert rfc3986_validator.validate_rfc3986(image, rule="URI") and unquote(image) == logo


def test_without_an_issuer_did_strict_verifiers_refuse_and_the_command_says_so(
        ed25519_out: tuple[Path, Ed25519SealKey], reference: Path, tmp_path: Path, capsys: Any) -> None:
    out, key = ed25519_out
    results = _digital_bazaar(sorted(out.glob("*/*.json")), key.certificate, reference, tmp_path)
    assert all(r["ok"] and r["issuer"] is False for r in results), results
    assert not (out / "did.json").exists()
    result = _badges(tmp_path / "again", *seal_options(tmp_path, key))
    assert "give organisation 'su' a did:web in the catalogue" in result.stderr


@pytest.fixture(scope="module")
def did_web_out(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Any]:
    work = tmp_path_factory.mktemp("did-web")
    catalogue = _catalogue_with_did(work / "catalogue", DID)
    key = ed25519_seal(load_catalogue(catalogue))
    result = _badges(work / "out", *seal_options(work, key), catalogue=catalogue)
    return work / "out", result


def test_an_issuer_did_web_controls_the_key_digital_bazaar_checks_it_through_the_did_json(
        did_web_out: tuple[Path, Any], reference: Path, tmp_path: Path) -> None:
    out, result = did_web_out
    did_json = out / "did.json"
    assert str(did_json) in result.stdout.splitlines()
    assert f"publish {did_json} at https://registry.uni-sofia.example/.well-known/did.json" in result.stderr
    files = sorted(out.glob("*/*.json"))
    results = _digital_bazaar(files, did_json, reference, tmp_path)
    assert all(r["ok"] and r["issuer"] and all(r["embedded"]) for r in results), results
    for path in files:
        doc = json.loads(path.read_bytes())
        assert doc["issuer"]["id"] == DID
        assert all(p["verificationMethod"].startswith(DID + "#z6Mk") for p in doc["proof"])
        assert validate_badge(doc, reference / "ob3-clr") == [], path



def _creators(doc: dict[str, Any]) -> list[str]:
    """The ``creator`` ids of the achievements a badge or CLR states, and of those it embeds."""
    subject = doc["credentialSubject"]
    held = subject["achievement"]
    found = [a["creator"]["id"] for a in (held if isinstance(held, list) else [held])]
    for inner in subject.get("verifiableCredential", []):
        found += _creators(inner)
    return found


def test_the_issuer_as_awarding_body_is_the_achievements_creator_under_its_did(
        did_web_out: tuple[Path, Any]) -> None:
    out, _ = did_web_out
    for path in sorted(out.glob("*/*.json")):
        creators = _creators(json.loads(path.read_bytes()))
        assert creators and set(creators) == {DID}, path


def test_another_awarding_body_keeps_its_own_id_beside_the_issuers_did() -> None:
    from edcbridge.badges import open_badge
    from edcbridge.load import iter_awards

    catalogue = load_catalogue(SOFIA / "catalogue.yaml")
    award = next(row.award for row in iter_awards(SOFIA / "awards.jsonl", catalogue) if row.award)
    issuer = catalogue.organisation(catalogue.issuer)
    partner = issuer.model_copy(update={"key": "partner", "eidas_identifier": "NTRBG-000000001"})
    specs = tuple(spec.model_copy(update={"awarding_body": "partner"}) for spec in catalogue.specifications)
    shared = catalogue.model_copy(update={"organisations": (*catalogue.organisations, partner),
                                          "specifications": specs})
    badge = open_badge(award, shared, DID)
    assert badge["issuer"]["id"] == DID
    partners = open_badge(award, shared)["credentialSubject"]["achievement"]["creator"]["id"]
    assert _creators(badge) == [partners]
    assert _creators(badge) != [DID]

def test_a_did_json_of_another_key_fails_digital_bazaars_check(did_web_out: tuple[Path, Any], reference: Path,
                                                                tmp_path: Path) -> None:
    from edcbridge.badges.proof import did_document

    out, _ = did_web_out
    other = tmp_path / "did.json"
    other.write_text(json.dumps(did_document(DID, ed25519_seal().private_key.public_key())), "utf-8")
    results = _digital_bazaar(sorted(out.glob("ob3/*.json")), other, reference, tmp_path)
    assert all(r["ok"] is False for r in results), results


def test_a_term_the_contexts_do_not_define_is_never_signed_even_with_schema_checks_off(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, reference: Path) -> None:
    from edcbridge.badges import export, open_badge, write_ob3
    from edcbridge.badges.proof import UnsignedTerms, add_proof
    from edcbridge.load import iter_awards

    catalogue = load_catalogue(SOFIA / "catalogue.yaml")
    key = ed25519_seal(catalogue)
    award = next(row.award for row in iter_awards(SOFIA / "awards.jsonl", catalogue) if row.award)
    badge = {**open_badge(award, catalogue), "gradeNote": "with distinction"}
    with pytest.raises(UnsignedTerms) as refused:
        add_proof(badge, key, context_files(reference / "ob3-clr"))
    assert [f.where for f in refused.value.findings] == ["$.gradeNote"]

    monkeypatch.setattr(export, "open_badge", lambda *args: {**open_badge(*args), "gradeNote": "distinction"})
    outputs = write_ob3([(award, catalogue)], tmp_path / "ob3", lambda _c: key, reference / "ob3-clr",
                        validate=False)
    assert outputs.written == []
    assert [f.code for fs in outputs.failed.values() for f in fs] == ["ob3.dropped-term"]


def _changed(doc: dict[str, Any], *path: Any) -> dict[str, Any]:
    """A copy of ``doc`` whose text at ``path`` is changed."""
    changed = json.loads(json.dumps(doc))
    node = changed
    for step in path[:-1]:
        node = node[step]
    node[path[-1]] = node[path[-1]] + " (changed)"
    return changed


def test_edcbridges_reader_accepts_what_digital_bazaar_accepts_and_refuses_a_changed_badge(
        ed25519_out: tuple[Path, Ed25519SealKey], did_web_out: tuple[Path, Any], reference: Path,
        tmp_path: Path) -> None:
    from edcbridge.badges.proof import ProofError, verify_proof

    contexts = context_files(reference / "ob3-clr")
    plain, _ = ed25519_out
    for path in sorted(plain.glob("*/*.json")):
        assert verify_proof(json.loads(path.read_bytes()), contexts).issuer_controls is False
    out, _ = did_web_out
    did_json = json.loads((out / "did.json").read_bytes())
    clr = max(out.glob("clr/*.json"), key=lambda p: len(json.loads(p.read_bytes())["credentialSubject"]
                                                         ["verifiableCredential"]))
    doc = json.loads(clr.read_bytes())
    verdict = verify_proof(doc, contexts, {DID: did_json})
    assert verdict.issuer_controls and verdict.verification_method.startswith(DID + "#z6Mk")

    changed = [_changed(doc, "name"),
               _changed(doc, "credentialSubject", "verifiableCredential", 1, "name"),
               _changed(doc, "credentialSubject", "verifiableCredential", 0, "credentialSubject",
                        "achievement", "description")]
    files = []
    for number, credential in enumerate(changed):
        with pytest.raises(ProofError, match="does not verify"):
            verify_proof(credential, contexts, {DID: did_json})
        files.append(tmp_path / f"changed-{number}.json")
        files[-1].write_text(json.dumps(credential), "utf-8")
    peer = _digital_bazaar(files, out / "did.json", reference, tmp_path)
    assert [r["ok"] and all(r["embedded"]) for r in peer] == [False, False, False]


def test_edcbridges_reader_refuses_another_key_a_key_not_asserting_and_a_did_document_not_given(
        did_web_out: tuple[Path, Any], reference: Path) -> None:
    from edcbridge.badges.proof import ProofError, did_document, verify_proof

    contexts = context_files(reference / "ob3-clr")
    out, _ = did_web_out
    badge = json.loads(next(out.glob("ob3/*.json")).read_bytes())
    other = did_document(DID, ed25519_seal().private_key.public_key())
    other["verificationMethod"][0]["id"] = badge["proof"][0]["verificationMethod"]
    other["assertionMethod"] = [badge["proof"][0]["verificationMethod"]]
    with pytest.raises(ProofError, match="does not verify"):
        verify_proof(badge, contexts, {DID: other})
    own = json.loads((out / "did.json").read_bytes())
    with pytest.raises(ProofError, match="not an assertionMethod"):
        verify_proof(badge, contexts, {DID: {**own, "assertionMethod": []}})
    with pytest.raises(ProofError, match=re.escape("https://registry.uni-sofia.example/.well-known/did.json")):
        verify_proof(badge, contexts)


def _stack_held(path: Path) -> Any:
    group = click.Group()
    register(group)
    return CliRunner().invoke(group, ["stack", "SU-SLP-DH", "-c", str(SOFIA / "catalogue.yaml"), "--held",
                                      str(path)])


def test_stack_reads_a_badges_proof_and_names_a_changed_badge(ed25519_out: tuple[Path, Ed25519SealKey],
                                                                tmp_path: Path) -> None:
    out, _ = ed25519_out
    badge = next(out.glob("ob3/*.json"))
    intact = _stack_held(badge)
    assert intact.exit_code == 2
    assert "an Open Badge 3.0 / CLR 2.0 credential, which stack does not count" in intact.stderr
    assert "its Data Integrity proof verifies (key did:key:z6Mk" in intact.stderr
    changed = tmp_path / "changed.json"
    changed.write_text(json.dumps(_changed(json.loads(badge.read_bytes()), "name")), "utf-8")
    refused = _stack_held(changed)
    assert refused.exit_code == 2
    assert "its Data Integrity proof is refused: its signature does not verify" in refused.stderr


def test_stack_issue_refuses_an_ed25519_seal_before_anything_is_written(tmp_path: Path) -> None:
    key = ed25519_seal(load_catalogue(SOFIA / "catalogue.yaml"))
    group = click.Group()
    register(group)
    result = CliRunner().invoke(group, ["stack", "SU-SLP-DH", "-c", str(SOFIA / "catalogue.yaml"),
                                        "--records", str(SOFIA / "awards.jsonl"), "--issue",
                                        str(tmp_path / "issued"), *seal_options(tmp_path, key)])
    assert result.exit_code == 2
    assert "an Ed25519 key signs Open Badges only ('edcbridge badges --seal')" in result.stderr
    assert not (tmp_path / "issued").exists() or not any((tmp_path / "issued").rglob("*.*"))


def test_verify_checks_a_badges_proof_and_calls_a_changed_badge_invalid(
        ed25519_out: tuple[Path, Ed25519SealKey], tmp_path: Path) -> None:
    out, _ = ed25519_out
    badge = next(out.glob("ob3/*.json"))
    changed = tmp_path / "changed.json"
    changed.write_text(json.dumps(_changed(json.loads(badge.read_bytes()), "description")), "utf-8")
    from edcbridge.seal.cli import register as register_seal

    group = click.Group()
    register_seal(group)
    result = CliRunner().invoke(group, ["verify", "--json", str(badge), str(changed)])
    intact, edited = json.loads(result.stdout)
    assert intact["verdict"] == "NOT SEALED"
    assert "its Data Integrity proof verifies" in intact["verdict_reason"]
    assert edited["verdict"] == "INVALID"
    assert "its signature does not verify" in edited["verdict_reason"]


def _verify(*args: str) -> Any:
    from edcbridge.seal.cli import register as register_seal

    group = click.Group()
    register_seal(group)
    return CliRunner().invoke(group, ["verify", *args])


def test_verify_of_a_did_web_badge_without_its_did_document_says_it_could_not_be_checked(
        did_web_out: tuple[Path, Any]) -> None:
    out, _ = did_web_out
    files = [str(next(out.glob("ob3/*.json"))), str(next(out.glob("clr/*.json")))]
    result = _verify("--json", *files)
    for report in json.loads(result.stdout):
        assert report["verdict"] == "NOT SEALED", report
        assert "its Data Integrity proof could not be checked" in report["verdict_reason"]
        assert ("save it from https://registry.uni-sofia.example/.well-known/did.json and give it with "
                "--did-document FILE") in report["verdict_reason"]


def test_verify_checks_a_did_web_badge_with_the_did_document_given(
        did_web_out: tuple[Path, Any], tmp_path: Path) -> None:
    from edcbridge.badges.proof import did_document

    out, _ = did_web_out
    badge, clr = next(out.glob("ob3/*.json")), next(out.glob("clr/*.json"))
    changed = tmp_path / "changed.json"
    changed.write_text(json.dumps(_changed(json.loads(badge.read_bytes()), "description")), "utf-8")
    result = _verify("--json", "--did-document", str(out / "did.json"), str(badge), str(clr), str(changed))
    intact, record, edited = json.loads(result.stdout)
    for report in (intact, record):
        assert report["verdict"] == "NOT SEALED", report
        assert f"its Data Integrity proof verifies (key {DID}#z6Mk" in report["verdict_reason"]
        assert "the issuer's)" in report["verdict_reason"]
    assert edited["verdict"] == "INVALID" and "its signature does not verify" in edited["verdict_reason"]
    other = tmp_path / "other-did.json"
    other.write_text(json.dumps(did_document(DID, ed25519_seal().private_key.public_key())), "utf-8")
    [elsewhere] = json.loads(_verify("--json", "--did-document", str(other), str(badge)).stdout)
    assert elsewhere["verdict"] == "INVALID"
    assert "has no verification method" in elsewhere["verdict_reason"]


def test_a_did_document_option_that_is_no_did_document_is_a_usage_error(
        did_web_out: tuple[Path, Any], tmp_path: Path) -> None:
    out, _ = did_web_out
    badge = str(next(out.glob("ob3/*.json")))
    result = _verify("--did-document", badge, badge)
    assert result.exit_code == 2
    assert f"{badge} is not a DID document" in result.output
    copy = tmp_path / "did.json"
    copy.write_bytes((out / "did.json").read_bytes())
    twice = _verify("--did-document", str(out / "did.json"), "--did-document", str(copy), badge)
    assert twice.exit_code == 2
    assert f"are both DID documents of {DID}" in twice.output


def test_stack_reads_a_did_web_badges_proof_with_the_did_document_given(
        did_web_out: tuple[Path, Any]) -> None:
    out, _ = did_web_out
    badge = str(next(out.glob("ob3/*.json")))
    group = click.Group()
    register(group)
    stack = ["stack", "SU-SLP-DH", "-c", str(SOFIA / "catalogue.yaml"), "--held", badge]
    unchecked = CliRunner().invoke(group, stack)
    assert unchecked.exit_code == 2
    assert "its Data Integrity proof could not be checked" in unchecked.stderr
    assert "give it with --did-document FILE" in unchecked.stderr
    checked = CliRunner().invoke(group, [*stack, "--did-document", str(out / "did.json")])
    assert checked.exit_code == 2
    assert f"its Data Integrity proof verifies (key {DID}#z6Mk" in checked.stderr


@pytest.mark.parametrize(("value", "named"), [(float("nan"), "NaN"), (float("inf"), "Infinity")])
def test_a_badge_whose_proof_covers_nan_is_invalid_as_digital_bazaar_cannot_read_it(
        ed25519_out: tuple[Path, Ed25519SealKey], reference: Path, tmp_path: Path, value: float,
        named: str) -> None:
    """NaN and Infinity are no JSON (RFC 8259): a proof made over them is not enough, as for a
    VC-JWT; the npm verifier cannot even read the file."""
    out, key = ed25519_out
    doc = json.loads(next(out.glob("ob3/*.json")).read_bytes())
    doc.pop("proof")
    doc["credentialSubject"]["creditsEarned"] = value
    holding = tmp_path / "holding.json"
    holding.write_text(json.dumps(_signed_without_checks(doc, key, reference)), "utf-8")
    assert named in holding.read_text("utf-8")
    peer = _run_digital_bazaar([holding], key.certificate, reference, tmp_path)
    assert peer.returncode != 0 and not peer.stdout and "JSON" in peer.stderr, peer.stderr
    intact = next(out.glob("clr/*.json"))
    result = _verify("--json", str(holding), str(intact))
    assert result.exit_code == 1, result.output
    refused, other = json.loads(result.stdout)
    assert refused["verdict"] == "INVALID", refused
    assert f"holds {named} at $.credentialSubject.creditsEarned, which is no JSON number" in \
        refused["verdict_reason"]
    assert other["verdict"] == "NOT SEALED" and "proof verifies" in other["verdict_reason"]


@pytest.mark.parametrize(("value", "named"), [(float("nan"), "NaN"), (float("inf"), "Infinity"),
                                             (float("-inf"), "-Infinity")])
def test_a_badge_holding_nan_is_never_signed(ed25519_out: tuple[Path, Ed25519SealKey], reference: Path,
                                             value: float, named: str) -> None:
    """verify_proof refuses a proof over NaN or Infinity, so none is made: the finding names the
    path and the fix."""
    from edcbridge.badges.proof import Unsignable, add_proof

    out, key = ed25519_out
    doc = json.loads(next(out.glob("ob3/*.json")).read_bytes())
    doc.pop("proof")
    doc["credentialSubject"]["creditsEarned"] = value
    with pytest.raises(Unsignable) as unsigned:
        add_proof(doc, key, context_files(reference / "ob3-clr"))
    [finding] = unsigned.value.findings
    assert finding.severity == "error" and finding.where == "$.credentialSubject.creditsEarned"
    assert f"holds {named}" in finding.message and "no JSON number" in finding.message
    assert "finite number" in finding.fix


@pytest.mark.parametrize("validate", [True, False])
def test_an_award_holding_nan_is_not_signed_and_the_others_are(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, reference: Path, validate: bool) -> None:
    """The record whose badge holds NaN fails, naming the path and the fix, with the schema checks
    on or off; the other awards are signed and written."""
    from edcbridge.badges import export, open_badge, write_ob3

    catalogue = load_catalogue(SOFIA / "catalogue.yaml")
    awards = [(row.award, catalogue) for row in iter_awards(SOFIA / "awards.jsonl", catalogue) if row.award]
    assert len(awards) > 1
    spoilt = awards[0][0].award_id

    def badge(award: Any, *args: Any) -> dict[str, Any]:
        doc = open_badge(award, *args)
        if award.award_id == spoilt:
            doc["credentialSubject"]["creditsEarned"] = float("nan")
        return doc

    monkeypatch.setattr(export, "open_badge", badge)
    outputs = write_ob3(awards, tmp_path / "ob3", lambda _c: ed25519_seal(catalogue), reference / "ob3-clr",
                        validate=validate)
    [(name, findings)] = outputs.failed.items()
    assert spoilt in name
    assert any(f.where == "$.credentialSubject.creditsEarned" and "NaN" in f.message and f.fix
               for f in findings), findings
    assert not list((tmp_path / "ob3").glob(f"*{spoilt}*"))
    assert len(outputs.written) == 2 * (len(awards) - 1)


def test_a_badge_without_a_proof_holding_nan_is_said_to(ed25519_out: tuple[Path, Ed25519SealKey],
                                                        tmp_path: Path) -> None:
    out, _ = ed25519_out
    doc = json.loads(next(out.glob("ob3/*.json")).read_bytes())
    doc.pop("proof")
    doc["credentialSubject"]["creditsEarned"] = float("nan")
    holding = tmp_path / "holding.json"
    holding.write_text(json.dumps(doc), "utf-8")
    [report] = json.loads(_verify("--json", str(holding)).stdout)
    assert report["verdict"] == "NOT SEALED", report
    assert "holds NaN at $.credentialSubject.creditsEarned" in report["verdict_reason"]


def _signed_without_checks(doc: dict[str, Any], key: Ed25519SealKey, reference: Path) -> dict[str, Any]:
    """``doc`` with a proof made over it as is, as another signer may make one."""
    from edcbridge.badges.proof import base58btc, hash_data, proof_options

    options = proof_options(doc, key)
    signature = key.private_key.sign(hash_data(doc, options, context_files(reference / "ob3-clr")))
    return {**doc, "proof": [{**options, "proofValue": "z" + base58btc(signature)}]}


_SPACE_LOGO = "https://www.uni-sofia.bg/logo files/logo.png"
_NOT_AN_IRI = "not an absolute IRI"


@pytest.mark.parametrize(("path", "value", "where", "named"), [
    (("credentialSubject", "id"), "did:example:learner one", "$.credentialSubject.id", _NOT_AN_IRI),
    (("credentialSubject", "id"), "learner-1", "$.credentialSubject.id", _NOT_AN_IRI),
    (("issuer", "image", "id"), _SPACE_LOGO, "$.issuer.image.id", _NOT_AN_IRI),
    (("credentialSubject", "achievement", "name"), {"@value": "Diploma", "@language": "en_GB!"},
     "$.credentialSubject.achievement.name.@language", "not a BCP 47 language tag"),
    (("credentialSubject", "gradeNote"), "with distinction", "$.credentialSubject.gradeNote",
     "contexts do not define"),
    (("credentialSubject", "achievement", "type"), ["Achievement", "Diploma"],
     "$.credentialSubject.achievement.type", "contexts do not define"),
])
def test_a_proof_over_what_json_ld_safe_mode_refuses_is_invalid_as_digital_bazaar_says(
        ed25519_out: tuple[Path, Ed25519SealKey], reference: Path, tmp_path: Path,
        path: tuple[str, ...], value: Any, where: str, named: str) -> None:
    """Digital Bazaar canonicalises in JSON-LD safe mode: an id that is no absolute IRI (a space,
    a relative reference), a language that is no language tag, or a property or type the contexts
    do not define fails its check, whatever the signature; edcbridge's reader refuses the same
    documents, naming where."""
    from edcbridge.badges.proof import ProofError, Unsignable, add_proof, verify_proof

    out, key = ed25519_out
    doc = json.loads(next(out.glob("ob3/*.json")).read_bytes())
    doc.pop("proof")
    node = doc
    for step in path[:-1]:
        node = node.setdefault(step, {"type": "Image"})
    node[path[-1]] = value
    holding = tmp_path / "holding.json"
    holding.write_text(json.dumps(_signed_without_checks(doc, key, reference)), "utf-8")
    [peer] = _digital_bazaar([holding], key.certificate, reference, tmp_path)
    assert peer["ok"] is False and any("Safe mode" in e for e in peer["errors"]), peer
    with pytest.raises(ProofError, match=named) as refused:
        verify_proof(json.loads(holding.read_bytes()), context_files(reference / "ob3-clr"))
    assert where in str(refused.value)
    with pytest.raises(Unsignable) as unsigned:
        add_proof(doc, key, context_files(reference / "ob3-clr"))
    [finding] = unsigned.value.findings
    assert finding.where == where and finding.fix
    if named != "contexts do not define":
        assert named in finding.message
        assert str(refused.value) == f"{where} {finding.message}, whatever its proof"
    [report] = json.loads(_verify("--json", str(holding)).stdout)
    assert report["verdict"] == "INVALID" and where in report["verdict_reason"], report
    if named != "contexts do not define":
        written = value["@language"] if isinstance(value, dict) else value
        assert repr(written) in report["verdict_reason"] and "safe mode" in report["verdict_reason"]


def test_a_badge_json_ld_safe_mode_refuses_is_not_signed_and_the_others_are(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, reference: Path) -> None:
    """The record whose learner id holds a space fails, naming the path, the value and the fix;
    the other awards are signed and written."""
    from edcbridge.badges import export, open_badge, write_ob3

    catalogue = load_catalogue(SOFIA / "catalogue.yaml")
    awards = [(row.award, catalogue) for row in iter_awards(SOFIA / "awards.jsonl", catalogue) if row.award]
    assert len(awards) > 1
    spoilt = awards[0][0].award_id

    def badge(award: Any, *args: Any) -> dict[str, Any]:
        doc = open_badge(award, *args)
        if award.award_id == spoilt:
            doc["credentialSubject"]["id"] = "did:example:learner one"
        return doc

    monkeypatch.setattr(export, "open_badge", badge)
    outputs = write_ob3(awards, tmp_path / "ob3", lambda _c: ed25519_seal(catalogue), reference / "ob3-clr")
    [(name, [finding])] = outputs.failed.items()
    assert spoilt in name and finding.where == "$.credentialSubject.id"
    assert "'did:example:learner one'" in finding.message and "not an absolute IRI" in finding.message
    assert "%20" in finding.fix
    assert len(outputs.written) == 2 * (len(awards) - 1)


def test_a_language_tag_and_ids_json_ld_safe_mode_accepts_verify_as_digital_bazaar_says(
        ed25519_out: tuple[Path, Ed25519SealKey], reference: Path, tmp_path: Path) -> None:
    """The check refuses only what safe mode refuses: a well-formed tag, a blank node id and an
    encoded space pass both verifiers."""
    from edcbridge.badges.proof import verify_proof

    out, key = ed25519_out
    doc = json.loads(next(out.glob("ob3/*.json")).read_bytes())
    doc.pop("proof")
    doc["credentialSubject"]["id"] = "urn:example:learner%20one"
    doc["credentialSubject"]["achievement"]["name"] = {"@value": "Diploma", "@language": "en-GB"}
    doc["issuer"]["image"] = {"id": "_:logo", "type": "Image"}
    holding = tmp_path / "holding.json"
    holding.write_text(json.dumps(_signed_without_checks(doc, key, reference)), "utf-8")
    [peer] = _digital_bazaar([holding], key.certificate, reference, tmp_path)
    assert peer["ok"] is True, peer
    assert verify_proof(json.loads(holding.read_bytes()), context_files(reference / "ob3-clr"))


def test_a_text_with_a_direction_is_signed_as_digital_bazaar_canonicalises_it(
        ed25519_out: tuple[Path, Ed25519SealKey], reference: Path, tmp_path: Path) -> None:
    """eddsa-rdfc-2022 canonicalises a text's ``@direction`` as an i18n datatype (Digital Bazaar's
    cryptosuite, rdfDirection ``i18n-datatype``): a proof that leaves it out does not verify there."""
    from edcbridge.badges.proof import ProofError, add_proof, verify_proof

    out, key = ed25519_out
    contexts = context_files(reference / "ob3-clr")
    doc = json.loads(next(out.glob("ob3/*.json")).read_bytes())
    doc.pop("proof")
    name = {"@value": "دبلوم", "@language": "ar", "@direction": "rtl"}
    doc["credentialSubject"]["achievement"]["name"] = name
    holding = tmp_path / "holding.json"
    holding.write_text(json.dumps(add_proof(doc, key, contexts)), "utf-8")
    [peer] = _digital_bazaar([holding], key.certificate, reference, tmp_path)
    assert peer["ok"] is True, peer
    assert verify_proof(json.loads(holding.read_bytes()), contexts)
    flipped = json.loads(holding.read_bytes())
    flipped["credentialSubject"]["achievement"]["name"]["@direction"] = "ltr"
    holding.write_text(json.dumps(flipped), "utf-8")
    [peer] = _digital_bazaar([holding], key.certificate, reference, tmp_path)
    assert peer["ok"] is False, peer
    with pytest.raises(ProofError, match="does not verify"):
        verify_proof(flipped, contexts)


def _expansions_of_credentials(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Each credential JSON-LD expands from now on, compacted or already expanded (a document
    naming ``credentialSubject``, as a term or by its IRI)."""
    from pyld import jsonld

    expanded: list[Any] = []
    expand = jsonld.JsonLdProcessor.expand

    def counting(self: Any, input_: Any, options: Any) -> Any:
        if "credentialSubject" in json.dumps(input_, default=str):
            expanded.append(input_)
        return expand(self, input_, options)

    monkeypatch.setattr(jsonld.JsonLdProcessor, "expand", counting)
    return expanded


def test_signing_and_checking_a_proof_expand_the_credential_once(
        ed25519_out: tuple[Path, Ed25519SealKey], reference: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The safe-mode check and the canonical form read one expansion, the most costly step."""
    from edcbridge.badges.proof import add_proof, verify_proof

    out, key = ed25519_out
    contexts = context_files(reference / "ob3-clr")
    signed = json.loads(next(out.glob("ob3/*.json")).read_bytes())
    unsigned = {k: v for k, v in signed.items() if k != "proof"}
    expanded = _expansions_of_credentials(monkeypatch)
    assert add_proof(unsigned, key, contexts) == signed
    assert len(expanded) == 1
    assert verify_proof(signed, contexts).issuer_controls is False
    assert len(expanded) == 2


def test_a_member_named_by_the_proofs_iri_stays_covered_by_the_proof(
        ed25519_out: tuple[Path, Ed25519SealKey], reference: Path) -> None:
    """A member written as the IRI ``proof`` stands for is no proof of this credential: the proof
    covers it, so the checked proof verifies, and fails once it is changed."""
    from edcbridge.badges.proof import ProofError, add_proof, verify_proof

    out, key = ed25519_out
    contexts = context_files(reference / "ob3-clr")
    doc = json.loads(next(out.glob("ob3/*.json")).read_bytes())
    doc.pop("proof")
    doc["https://w3id.org/security#proof"] = {"id": "urn:example:another-proof"}
    signed = add_proof(doc, key, contexts)
    assert verify_proof(signed, contexts).issuer_controls is False
    signed["https://w3id.org/security#proof"] = {"id": "urn:example:changed"}
    with pytest.raises(ProofError, match="does not verify"):
        verify_proof(signed, contexts)
