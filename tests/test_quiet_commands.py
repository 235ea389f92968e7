"""`-q/--quiet` of `push deqar`, `push wallet`, `seal`, `dev-pki`, `offer`, `revoke` and
`upload-dc4eu`, as scripts and cron jobs run them: on success nothing on stderr but what needs
the reader (a refused item, a seal that is not a qualified e-seal, an offer's PIN), and the
same exit code, data on stdout and files written as without it; errors are still said."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner, Result
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from edcbridge.cli import main
from edcbridge.oid4vci.offers import OfferStore
from edcbridge.pipeline.journal import JOURNAL_NAME
from edcbridge.schemas import SchemaStore
from edcbridge.seal import devpki
from tests.deliver_support import CATALOGUE, PASSWORD, batch_text, jades, start_deqar
from tests.fake_http import FakeServer, Fault
from tests.fake_wallet import WalletFake
from tests.test_oid4vci_dc4eu import Gateway, _serve
from tests.test_revoke_audit_cli import _trail
from tests.wallet.issuer_support import Exported, export_awards

DEQAR_LOGIN = {"EDCBRIDGE_DEQAR_USERNAME": "acquin", "EDCBRIDGE_DEQAR_PASSWORD": PASSWORD}
CREDENTIAL = '{"id": "urn:credential:quiet", "type": ["VerifiableCredential"], "name": "Zeugnis ä"}\n'


def _invoke(args: list[str], env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(main, args, env=env)


def _lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.strip()]


# push deqar / push wallet


@pytest.fixture
def deqar(reference: Path) -> Iterator[Any]:
    """A fresh DEQAR on 127.0.0.1 per call: each run meets an empty register."""
    servers: list[FakeServer] = []

    def start() -> FakeServer:
        server, _ = start_deqar(reference)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


def _deqar_folder(folder: Path, text: str) -> Path:
    folder.mkdir()
    (folder / "catalogue.yaml").write_text(CATALOGUE, "utf-8")
    (folder / "batch.yaml").write_text(text, "utf-8")
    return folder


def _push_deqar(folder: Path, server: FakeServer, *extra: str) -> Result:
    return _invoke(["push", "deqar", str(folder / "batch.yaml"), "-c", str(folder / "catalogue.yaml"),
                    "--base-url", server.base_url, "-o", str(folder / "out"), *extra], env=DEQAR_LOGIN)


def _items(results: Path) -> list[tuple[str, str, str]]:
    document = json.loads(results.read_text("utf-8"))
    return [(item["key"], item["action"], item["status"]) for item in document["items"]]


def test_push_deqar_quiet_says_only_the_refused_report(deqar: Any, tmp_path: Path) -> None:
    loud_dir = _deqar_folder(tmp_path / "loud", batch_text(2, bad=True))
    quiet_dir = _deqar_folder(tmp_path / "quiet", batch_text(2, bad=True))
    loud = _push_deqar(loud_dir, deqar())
    quiet = _push_deqar(quiet_dir, deqar(), "-q")

    assert loud.exit_code == quiet.exit_code == 1, quiet.output
    said = loud.stderr.replace(str(loud_dir), str(quiet_dir)).splitlines()
    assert said[:2] == ["ok       create  EDCB-0001", "ok       create  EDCB-0002"]
    assert said[-1] == "1 failed, 2 ok"
    refusal = said[2:-1]  # the refused report, then each of its problems
    assert refusal[0] == "failed   refuse  EDCB-BAD: 2 problem(s), nothing sent"
    assert len(refusal) == 3 and all(line.startswith("    ") for line in refusal[1:])
    assert quiet.stderr.splitlines() == refusal
    assert quiet.stdout == loud.stdout.replace(str(loud_dir), str(quiet_dir))
    results = "out/deqar-results.json"
    assert _items(quiet_dir / results) == _items(loud_dir / results) == [
        ("EDCB-0001", "create", "ok"), ("EDCB-0002", "create", "ok"), ("EDCB-BAD", "refuse", "failed")]


def test_push_deqar_quiet_dry_run_says_nothing_when_nothing_is_refused(deqar: Any, tmp_path: Path) -> None:
    folder = _deqar_folder(tmp_path / "batch", batch_text(2))
    server = deqar()
    loud = _push_deqar(folder, server, "--dry-run")
    quiet = _push_deqar(folder, server, "--dry-run", "--quiet")
    assert loud.exit_code == quiet.exit_code == 0, quiet.output
    assert "dry run (nothing sent): 2 planned" in loud.stderr and "EDCB-0002" in loud.stderr
    assert quiet.stderr == ""
    assert quiet.stdout == loud.stdout and server.log == []
    assert _items(folder / "out" / "deqar-dry-run.json") == [("EDCB-0001", "create", "planned"),
                                                             ("EDCB-0002", "create", "planned")]


def test_push_deqar_quiet_keeps_a_retried_request_to_itself(deqar: Any, tmp_path: Path) -> None:
    """A request answered 503 and then retried is warned of on stderr (by logging, in a real
    process); with -q the push that then succeeds says nothing, and a report that fails is said."""
    env = {**os.environ, **DEQAR_LOGIN}

    def run(name: str, *extra: str) -> subprocess.CompletedProcess[str]:
        folder = _deqar_folder(tmp_path / name, batch_text(1))
        server = deqar()
        server.faults.append(Fault("status", 503, method="GET",
                                   path_prefix="/submissionapi/v2/check/local-identifier"))
        command = [sys.executable, "-c", "from edcbridge.deliver.cli import push_group; push_group()",
                   "deqar", str(folder / "batch.yaml"), "-c", str(folder / "catalogue.yaml"),
                   "--base-url", server.base_url, "-o", str(folder / "out"), *extra]
        done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120, check=False)
        assert [e.status for e in server.log if "local-identifier" in e.path][:1] == [503]
        return done

    loud, quiet = run("loud"), run("quiet", "-q")
    assert loud.returncode == quiet.returncode == 0, quiet.stderr
    assert "HTTP 503, retry 1/" in loud.stderr and "1 ok" in loud.stderr
    assert quiet.stderr == ""
    assert _items(tmp_path / "quiet" / "out" / "deqar-results.json") == [("EDCB-0001", "create", "ok")]

    failing = _deqar_folder(tmp_path / "failing", batch_text(1))
    server = deqar()
    server.faults.extend(Fault("status", 500, method="POST", path_prefix="/submissionapi/v2/submit/report")
                         for _ in range(2))  # the create and the one resend its look-up allows
    failed = _push_deqar(failing, server, "-q")
    assert failed.exit_code == 1
    assert failed.stderr.startswith("failed   create  EDCB-0001: ")


def _manifest(folder: Path, reference: Path, count: int) -> Path:
    """``count`` JAdES-shaped credentials for learners' e-mail addresses, and one unsealed file
    (refused before sending)."""
    folder.mkdir()
    sample = json.loads((reference / "examples/elm-repo-v3-jsonld/Sample-MC-Annex1-unsigned.jsonld")
                        .read_text("utf-8"))
    rows = ["credential,wallet_id,email,locale"]
    for number in range(1, count + 1):
        (folder / f"c{number}.json").write_bytes(jades({**sample, "id": f"urn:credential:quiet-{number}"}))
        rows.append(f"c{number}.json,,learner{number}@example.org,en")
    (folder / "plain.jsonld").write_text(json.dumps(sample), "utf-8")
    rows.append("plain.jsonld,,learner9@example.org,en")
    path = folder / "manifest.csv"
    path.write_text("\n".join(rows) + "\n", "utf-8")
    return path


def test_push_wallet_quiet_says_only_the_refused_credential(tmp_path: Path, reference: Path) -> None:
    wallets = [WalletFake(), WalletFake()]
    servers = [FakeServer(app).start() for app in wallets]
    try:
        loud, quiet = (
            _invoke(["push", "wallet", str(_manifest(tmp_path / name, reference, 2)), "--base-url",
                     server.base_url, "-o", str(tmp_path / name / "out"), *extra])
            for name, server, extra in (("loud", servers[0], ()), ("quiet", servers[1], ("-q",))))
    finally:
        for server in servers:
            server.stop()
    assert loud.exit_code == quiet.exit_code == 1, quiet.output
    said = loud.stderr.replace(str(tmp_path / "loud"), str(tmp_path / "quiet")).splitlines()
    assert said[:2] == ["ok       deposit urn:credential:quiet-1 -> ***@example.org",  # the learner masked
                        "ok       deposit urn:credential:quiet-2 -> ***@example.org"]
    assert said[-1] == "1 failed, 2 ok"
    refusal = said[2:-1]  # the unsealed file, then why
    assert refusal[0].startswith("failed   refuse  ") and "CR-0007" in refusal[-1]
    assert quiet.stderr.splitlines() == refusal
    assert quiet.stdout == loud.stdout.replace(str(tmp_path / "loud"), str(tmp_path / "quiet"))
    assert len(wallets[0].deposits) == len(wallets[1].deposits) == 2
    assert _items(tmp_path / "quiet" / "out" / "wallet-results.json") == _items(
        tmp_path / "loud" / "out" / "wallet-results.json")


# seal / dev-pki


@pytest.fixture
def credential(tmp_path: Path) -> Path:
    path = tmp_path / "award-unsigned.json"
    path.write_text(CREDENTIAL, encoding="utf-8")
    return path


def _seal(files: list[Path], out: Path, *args: str) -> Result:
    return _invoke(["seal", *map(str, files), "--out", str(out), *args])


def test_seal_quiet_writes_the_same_seal_without_the_certificate_report(
        written: devpki.TestSeal, credential: Path, tmp_path: Path) -> None:
    seal = ["--p12", str(written.p12), "--password-file", str(written.password_file)]
    loud = _seal([credential], tmp_path / "loud", *seal)
    quiet = _seal([credential], tmp_path / "quiet", *seal, "-q")
    assert loud.exit_code == quiet.exit_code == 0, quiet.output
    assert "sealing at JAdES B-B (RS256) with:" in loud.stderr
    assert quiet.stderr == ""
    assert quiet.stdout == f"{tmp_path / 'quiet' / 'award-signed.jsonld'}\n"
    sealed = json.loads((tmp_path / "quiet" / "award-signed.jsonld").read_text("utf-8"))
    assert sealed["payload"] == CREDENTIAL

    again = _seal([tmp_path / "quiet" / "award-signed.jsonld"], tmp_path / "twice", *seal, "-q")
    assert again.exit_code == 1 and "already sealed" in again.stderr
    assert not (tmp_path / "twice").exists()


def _unqualified_seal(pki: devpki.DevPki, folder: Path) -> tuple[Path, Path]:
    """A PEM key and certificate (with the root) of an e-seal without QC statements."""
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.now(UTC)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "TEST advanced seal"),
                         x509.NameAttribute(NameOID.ORGANIZATION_NAME, "EDCBRIDGE TEST University"),
                         x509.NameAttribute(NameOID.COUNTRY_NAME, "BE")])
    certificate = (
        x509.CertificateBuilder().subject_name(subject).issuer_name(pki.root.certificate.subject)
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1)).not_valid_after(now + timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(True, True, False, False, False, False, False, False, False),
                       critical=True)
        .sign(pki.root.key, hashes.SHA256())
    )
    key_path, cert_path = folder / "advanced.key", folder / "advanced.pem"
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    cert_path.write_bytes(b"".join(c.public_bytes(serialization.Encoding.PEM)
                                   for c in (certificate, pki.root.certificate)))
    return key_path, cert_path


def test_seal_quiet_still_warns_of_a_seal_that_is_not_a_qualified_e_seal(
        pki: devpki.DevPki, credential: Path, tmp_path: Path) -> None:
    key, cert = _unqualified_seal(pki, tmp_path)
    loud = _seal([credential], tmp_path / "loud", "--key", str(key), "--cert", str(cert))
    quiet = _seal([credential], tmp_path / "quiet", "--key", str(key), "--cert", str(cert), "--quiet")
    assert loud.exit_code == quiet.exit_code == 0, quiet.output
    assert "  warning: no QcCompliance + QcType e-seal statements: not a qualified e-seal" in loud.stderr
    assert _lines(quiet.stderr) == [
        "warning: the seal certificate 'C=BE,O=EDCBRIDGE TEST University,CN=TEST advanced seal' has no "
        "QcCompliance + QcType e-seal statements: not a qualified e-seal"]
    assert (tmp_path / "quiet" / "award-signed.jsonld").is_file()


def test_dev_pki_quiet_lists_the_files_without_the_note(tmp_path: Path) -> None:
    loud = _invoke(["dev-pki", "--out", str(tmp_path / "loud")])
    quiet = _invoke(["dev-pki", "--out", str(tmp_path / "quiet"), "-q"])
    assert loud.exit_code == quiet.exit_code == 0, quiet.output
    assert "TEST PKI written to" in loud.stderr
    assert quiet.stderr == ""
    assert quiet.stdout == loud.stdout.replace(str(tmp_path / "loud"), str(tmp_path / "quiet"))
    assert all(Path(line).is_file() for line in quiet.stdout.splitlines())

    blocked = tmp_path / "file"
    blocked.write_text("", "utf-8")
    refused = _invoke(["dev-pki", "--out", str(blocked / "pki"), "-q"])
    assert refused.exit_code == 2 and "is a file, not a folder" in refused.stderr


# offer / revoke / upload-dc4eu


@pytest.fixture(scope="module")
def exported(store: SchemaStore, tmp_path_factory: pytest.TempPathFactory) -> Exported:
    return export_awards(tmp_path_factory.mktemp("quiet-oid4vci"), 2, store.root)


@pytest.fixture(scope="module")
def oid4vci() -> click.Group:
    from edcbridge.oid4vci.cli import register

    group = click.Group()
    register(group)
    return group


def _copy(exported: Exported, folder: Path) -> Exported:
    """The export, copied (its journal, offers file and files), for one run."""
    shutil.copytree(exported.out_dir, folder)
    return replace(exported, out_dir=folder)


def _offer(oid4vci: click.Group, folder: Exported, *extra: str) -> Result:
    return CliRunner().invoke(oid4vci, ["offer", folder.keys[0], "-o", str(folder.out_dir), *extra])


def test_offer_quiet_keeps_the_pin_and_drops_the_details(oid4vci: click.Group, exported: Exported,
                                                         tmp_path: Path) -> None:
    public = ("--issuer-url", "https://issuer.example.ac.uk")
    loud_dir, quiet_dir = _copy(exported, tmp_path / "loud"), _copy(exported, tmp_path / "quiet")
    loud = _offer(oid4vci, loud_dir, *public)
    quiet = _offer(oid4vci, quiet_dir, *public, "-q")
    assert loud.exit_code == quiet.exit_code == 0, quiet.output
    key = exported.keys[0]
    assert f"{key}: offer " in loud.stderr and "open until" in loud.stderr
    (pin_line,) = _lines(quiet.stderr)
    assert pin_line.startswith(f"{key}: PIN ") and pin_line.endswith("(send it to the learner separately)")
    assert quiet.stdout.startswith("openid-credential-offer://") and len(_lines(quiet.stdout)) == 1
    assert (quiet_dir.out_dir / "offers" / "imperial_W-0000.png").is_file()

    drawn = _offer(oid4vci, quiet_dir, *public, "-q", "--qr-terminal", "--json")
    assert drawn.exit_code == 0 and "█" in drawn.stderr  # asked for: drawn
    assert "PIN" not in drawn.stderr and json.loads(drawn.stdout)["tx_code"]
    assert "earlier open offer(s) closed" not in drawn.stderr


def _with_stderr_on_a_terminal(args: list[str]) -> tuple[int, str, str]:
    """``edcbridge ARGS`` in a process whose stderr is a terminal: (exit code, stdout, stderr)."""
    master, terminal = os.openpty()
    process = subprocess.Popen([sys.executable, "-m", "edcbridge", *args], stdin=subprocess.DEVNULL,
                               stdout=subprocess.PIPE, stderr=terminal)
    os.close(terminal)
    said = b""
    try:
        while chunk := os.read(master, 65536):
            said += chunk
    except OSError:  # EIO: the process has closed the terminal
        pass
    finally:
        os.close(master)
    out, _ = process.communicate(timeout=120)
    return process.returncode, out.decode("utf-8"), said.decode("utf-8", "replace")


def test_offer_quiet_draws_no_qr_code_unasked_on_a_terminal(exported: Exported, tmp_path: Path) -> None:
    args = ["--issuer-url", "https://issuer.example.ac.uk", "--no-tx-code"]
    loud_dir, quiet_dir = _copy(exported, tmp_path / "loud"), _copy(exported, tmp_path / "quiet")
    loud = _with_stderr_on_a_terminal(["offer", exported.keys[0], "-o", str(loud_dir.out_dir), *args])
    quiet = _with_stderr_on_a_terminal(["offer", exported.keys[0], "-o", str(quiet_dir.out_dir), *args, "-q"])
    assert loud[0] == quiet[0] == 0, quiet[2]
    assert "█" in loud[2]
    assert quiet[2] == ""
    assert quiet[1].startswith("openid-credential-offer://") and len(_lines(quiet[1])) == 1


def test_offer_quiet_still_says_warnings_and_errors(oid4vci: click.Group, exported: Exported,
                                                    tmp_path: Path) -> None:
    folder = _copy(exported, tmp_path / "out")
    local = _offer(oid4vci, folder, "-q", "--no-tx-code")
    assert local.exit_code == 0, local.output
    assert _lines(local.stderr) == [
        "warning: the offers name http://127.0.0.1:8080, which only this machine can reach; give the "
        "issuer's public address with --issuer-url (or EDCBRIDGE_ISSUER_URL) for learners' phones"]
    unknown = CliRunner().invoke(oid4vci, ["offer", "imperial/NOPE", "-o", str(folder.out_dir), "-q",
                                           "--issuer-url", "https://issuer.example.ac.uk"])
    assert unknown.exit_code == 1 and unknown.stderr.startswith("error: ")


def _offered_copy(exported: Exported, folder: Path) -> Path:
    """A copy of the export in which the first award has an open offer."""
    copy = _copy(exported, folder)
    offers = OfferStore.for_folder(copy.out_dir)
    try:
        offers.create(copy.keys[0], ("elm",), valid_for=600)
    finally:
        offers.close()
    return copy.out_dir


def _revoke(oid4vci: click.Group, exported: Exported, folder: Path, *extra: str) -> tuple[Result, Path]:
    out = _offered_copy(exported, folder)
    return CliRunner().invoke(oid4vci, ["revoke", exported.keys[0], "-o", str(out), *extra]), out


def test_revoke_quiet_prints_the_revocation_and_records_it_without_saying_where(
        oid4vci: click.Group, exported: Exported, tmp_path: Path) -> None:
    (loud, loud_dir), (quiet, quiet_dir) = (_revoke(oid4vci, exported, tmp_path / "loud"),
                                            _revoke(oid4vci, exported, tmp_path / "quiet", "-q"))
    assert loud.exit_code == quiet.exit_code == 0, quiet.output
    key = exported.keys[0]
    assert f"{key}: the revocation is recorded in the audit trail" in loud.stderr
    assert quiet.stderr == ""
    assert quiet.stdout == loud.stdout == f"{key}: 1 unused offer closed\n"
    recorded = [(e["action"], e["key"]) for e in _trail(quiet_dir)][-1:]
    assert recorded == [(e["action"], e["key"]) for e in _trail(loud_dir)][-1:] == [("revoked", key)]

    nothing = CliRunner().invoke(oid4vci, ["revoke", exported.keys[1], "-o", str(quiet_dir), "-q"])
    assert nothing.exit_code == 1 and "there is nothing to revoke" in nothing.stderr


def test_revoke_quiet_drops_the_note_of_a_folder_without_its_journal(
        oid4vci: click.Group, exported: Exported, tmp_path: Path) -> None:
    """A folder whose journal was removed: the revocation goes to the offers file alone, which
    is no failure; the notes saying so are what -q leaves out."""
    out, key = _offered_copy(exported, tmp_path / "out"), exported.keys[0]
    for journal in out.glob(f"{JOURNAL_NAME}*"):  # with its -wal and -shm files, if any
        journal.unlink()
    quiet = CliRunner().invoke(oid4vci, ["revoke", key, "-o", str(out), "-q"])
    assert quiet.exit_code == 0, quiet.output
    assert quiet.stderr == ""
    assert quiet.stdout == f"{key}: 1 unused offer closed\n"
    again = CliRunner().invoke(oid4vci, ["revoke", key, "-o", str(out)])
    assert again.exit_code == 0 and "note: " in again.stderr


@pytest.fixture
def gateways(reference: Path) -> Iterator[Any]:
    """Fresh DC4EU gateways on 127.0.0.1, as the recorded swagger describes them."""
    swagger = json.loads((reference / "oid4vci-dc4eu" / "apigw-swagger.json").read_text("utf-8"))
    servers = []

    def start() -> tuple[Gateway, str]:
        fake = Gateway(swagger)
        server, url = _serve(fake)
        servers.append(server)
        return fake, url

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def test_upload_dc4eu_quiet_prints_the_offers_and_only_the_failures(
        oid4vci: click.Group, exported: Exported, gateways: Any, tmp_path: Path) -> None:
    def upload(folder: Exported, url: str, *awards_and_extra: str) -> Result:
        return CliRunner().invoke(oid4vci, ["upload-dc4eu", *awards_and_extra, "-o", str(folder.out_dir),
                                            "--url", url, "--authentic-source", "imperial-registry"])

    (loud_fake, loud_url), (quiet_fake, quiet_url) = gateways(), gateways()
    loud_dir, quiet_dir = _copy(exported, tmp_path / "loud"), _copy(exported, tmp_path / "quiet")
    loud = upload(loud_dir, loud_url, *exported.keys)
    quiet = upload(quiet_dir, quiet_url, *exported.keys, "-q")
    assert loud.exit_code == quiet.exit_code == 0, quiet.output
    assert loud.stderr.count("uploaded ") == 2
    assert quiet.stderr == ""
    assert len(_lines(quiet.stdout)) == 2 and all(
        line.startswith("openid-credential-offer://") for line in _lines(quiet.stdout))
    assert len(quiet_fake.documents) == len(loud_fake.documents) == 2
    assert sorted(p.name for p in (quiet_dir.out_dir / "offers-dc4eu").glob("*.png")) == [
        "imperial_W-0000.png", "imperial_W-0001.png"]

    missing = upload(quiet_dir, quiet_url, "imperial/NOPE", "-q")
    assert missing.exit_code == 1 and missing.stderr.startswith("failed   imperial/NOPE: ")
