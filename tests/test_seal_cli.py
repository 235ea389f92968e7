"""`seal`, `verify` and `dev-pki` through click, as the main CLI registers them."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from cryptography import x509

from edcbridge.seal import devpki
from edcbridge.seal.cli import register
from edcbridge.seal.keys import PASSWORD_ENV
from edcbridge.seal.tsa_server import DevServer, TimestampAuthority

CREDENTIAL = '{"id": "urn:credential:cli", "type": ["VerifiableCredential"], "name": "Ω"}\n'


@click.group()
def main() -> None:
    """Stand-in for the edcbridge group."""


register(main)


@pytest.fixture(scope="module")
def pki_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dev-pki")
    result = CliRunner().invoke(main, ["dev-pki", "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out


@pytest.fixture
def credential(tmp_path: Path) -> Path:
    path = tmp_path / "award-1-unsigned.json"
    path.write_text(CREDENTIAL, encoding="utf-8")
    return path


def _seal(pki_dir: Path, files: list[Path], out: Path, *extra: str) -> click.testing.Result:
    args = ["seal", *map(str, files), "--p12", str(pki_dir / "seal.p12"), "--out", str(out)]
    return CliRunner().invoke(
        main,
        [*args, "--password-file", str(pki_dir / "seal-password.txt"), *extra],
    )


def test_dev_pki_writes_marked_test_material(pki_dir: Path) -> None:
    names = {p.name for p in pki_dir.iterdir()}
    assert {"root-ca.pem", "seal.p12", "seal-password.txt", "tsa-cert.pem", "root-ca.crl"} <= names
    assert "TEST" in (pki_dir / "README.txt").read_text(encoding="utf-8")
    for name in ("root-ca.pem", "tsa-cert.pem", "seal-cert.pem"):
        cert = x509.load_pem_x509_certificate((pki_dir / name).read_bytes())
        assert "TEST" in cert.subject.rfc4514_string()


def test_seal_then_verify_json(pki_dir: Path, credential: Path, tmp_path: Path) -> None:
    out = tmp_path / "sealed"
    result = _seal(pki_dir, [credential], out)
    assert result.exit_code == 0, result.stderr
    sealed = out / "award-1-signed.jsonld"
    assert result.stdout.strip() == str(sealed)
    assert json.loads(sealed.read_text(encoding="utf-8"))["payload"] == CREDENTIAL
    runner = CliRunner()
    anchor = ["--trust-anchor", str(pki_dir / "root-ca.pem")]
    verified = runner.invoke(main, ["verify", str(sealed), "--json", *anchor])
    assert verified.exit_code == 0, verified.output
    report = json.loads(verified.stdout)
    assert [entry["file"] for entry in report] == [str(sealed)]
    checks = report[0]["checks"]
    assert set(checks) == {"SEAL", "TIMESTAMP", "FORMAT", "EXPIRY", "REVOCATION"}
    assert checks["SEAL"]["status"] == "OK"
    assert all(set(c) == {"status", "reason"} for c in checks.values())
    text = runner.invoke(main, ["verify", str(sealed)])
    assert text.exit_code == 0
    assert "SEAL" in text.stdout and "trust not established" in text.stdout


def test_verify_exit_codes(pki_dir: Path, credential: Path, tmp_path: Path) -> None:
    out = tmp_path / "sealed"
    assert _seal(pki_dir, [credential], out).exit_code == 0
    sealed = out / "award-1-signed.jsonld"
    tampered = tmp_path / "tampered.jsonld"
    tampered.write_text(sealed.read_text(encoding="utf-8").replace("cli", "clj", 1), "utf-8")
    runner = CliRunner()
    result = runner.invoke(main, ["verify", "--json", str(sealed), str(tampered)])
    assert result.exit_code == 1
    statuses = [entry["checks"]["SEAL"]["status"] for entry in json.loads(result.stdout)]
    assert statuses == ["OK", "ERROR"]
    assert runner.invoke(main, ["verify"]).exit_code == 2
    assert runner.invoke(main, ["verify", str(tmp_path / "missing.jsonld")]).exit_code == 2


def test_wrong_password_writes_nothing(pki_dir: Path, credential: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad-password.txt"
    bad.write_text("wrong\n", encoding="utf-8")
    out = tmp_path / "sealed"
    result = CliRunner().invoke(
        main,
        [
            *("seal", str(credential), "--p12", str(pki_dir / "seal.p12")),
            *("--out", str(out), "--password-file", str(bad)),
        ],
    )
    assert result.exit_code == 2  # the seal cannot be opened: no file can be sealed
    assert result.stderr.count("Error:") == 1
    assert "wrong password" in result.stderr
    assert not out.exists() or not any(out.iterdir())


def test_password_from_environment(
    pki_dir: Path, credential: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    password = (pki_dir / "seal-password.txt").read_text(encoding="utf-8").strip()
    monkeypatch.setenv(PASSWORD_ENV, password)
    out = tmp_path / "sealed"
    result = CliRunner().invoke(
        main, ["seal", str(credential), "--p12", str(pki_dir / "seal.p12"), "--out", str(out)]
    )
    assert result.exit_code == 0, result.stderr
    assert (out / "award-1-signed.jsonld").is_file()


def test_password_is_not_an_option(pki_dir: Path, credential: Path, tmp_path: Path) -> None:
    result = _seal(pki_dir, [credential], tmp_path / "o", "--password", "secret")
    assert result.exit_code == 2


def test_tsa_down_writes_nothing(pki_dir: Path, credential: Path, tmp_path: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    out = tmp_path / "sealed"
    result = _seal(pki_dir, [credential], out, "--tsa", f"http://127.0.0.1:{port}/tsa")
    assert result.exit_code == 2  # unusable input found before any work, as for export
    assert result.stderr.count("Error:") == 1
    assert "cannot reach timestamp authority" in result.stderr
    assert not out.exists() or not any(out.iterdir())


def test_batch_is_all_or_nothing(pki_dir: Path, credential: Path, tmp_path: Path) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text('{"id": ', encoding="utf-8")
    out = tmp_path / "sealed"
    result = _seal(pki_dir, [credential, broken], out)
    assert result.exit_code == 1
    assert "not JSON" in result.stderr
    assert not out.exists() or not any(out.iterdir())


def test_seal_with_tsa_defaults_to_b_lta(pki_dir: Path, credential: Path, tmp_path: Path) -> None:
    files = devpki.TestSeal.at(pki_dir)
    out = tmp_path / "sealed"
    with DevServer(TimestampAuthority(devpki.load_tsa_signer(files))) as server:
        result = _seal(pki_dir, [credential], out, "--tsa", server.tsa_url, "--crl", str(files.crl))
    assert result.exit_code == 0, result.stderr
    assert "JAdES B-LTA" in result.stderr
    verified = CliRunner().invoke(
        main, ["verify", "--json", str(out / "award-1-signed.jsonld"), "--trust-anchor", str(files.root_ca)]
    )
    assert verified.exit_code == 0, verified.stdout
    checks = json.loads(verified.stdout)[0]["checks"]
    assert {name: check["status"] for name, check in checks.items()} == {
        "SEAL": "OK",
        "TIMESTAMP": "OK",
        "FORMAT": "SKIPPED",
        "EXPIRY": "OK",
        "REVOCATION": "OK",
    }


def test_timestamped_level_without_tsa_is_usage_error(
    pki_dir: Path, credential: Path, tmp_path: Path
) -> None:
    result = _seal(pki_dir, [credential], tmp_path / "o", "--level", "B-LTA")
    assert result.exit_code == 2
    assert "--tsa" in result.stderr


def test_verify_reads_xml_as_verify_xml_does(tmp_path: Path) -> None:
    xml = tmp_path / "credential.xml"
    xml.write_bytes(b'\xef\xbb\xbf<?xml version="1.0"?><europassCredential/>')
    result = CliRunner().invoke(main, ["verify", str(xml)])
    assert result.exit_code == 1
    assert result.stdout.startswith(f"{xml}: NOT SEALED: a credential without a seal"), result.stdout
    assert "  SEAL        ERROR   the document has no ds:Signature: it is not sealed" in result.stdout


def test_seal_skips_a_byte_order_mark_and_names_a_file_not_in_utf8(pki_dir: Path,
                                                                     tmp_path: Path) -> None:
    """Editors on Windows start files with a BOM; it is not part of the JSON that is signed."""
    marked = tmp_path / "award-bom-unsigned.json"
    marked.write_bytes(b"\xef\xbb\xbf" + CREDENTIAL.encode("utf-8"))
    result = _seal(pki_dir, [marked], tmp_path / "sealed")
    assert result.exit_code == 0, result.output
    sealed = json.loads((tmp_path / "sealed" / "award-bom-signed.jsonld").read_text("utf-8"))
    assert sealed["payload"] == CREDENTIAL
    latin = tmp_path / "award-latin-unsigned.json"
    latin.write_bytes(CREDENTIAL.encode("utf-8").replace(b"}", b', "note": "caf\xe9"}', 1))  # Latin-1 é
    refused = _seal(pki_dir, [latin], tmp_path / "sealed2")
    assert refused.exit_code == 1 and "not UTF-8 text" in refused.output and "Traceback" not in refused.output


def test_dev_pki_lists_every_file_it_writes_on_stdout(tmp_path: Path) -> None:
    out = tmp_path / "pki"
    result = CliRunner().invoke(main, ["dev-pki", "--out", str(out)])
    assert result.exit_code == 0, result.output
    listed = sorted(Path(line) for line in result.stdout.splitlines())
    assert listed == sorted(path for path in out.rglob("*") if path.is_file())
