"""`edcbridge seal`: the algorithm follows the key, seal set-up errors exit 2 with one message,
and every input file is checked (names, encoding, already sealed) before anything is written."""

from __future__ import annotations

import json
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from edcbridge.cli import main
from edcbridge.seal import devpki
from edcbridge.seal.errors import PasswordError
from edcbridge.seal.keys import PASSWORD_ENV
from edcbridge.seal.tsa_server import DevServer, TimestampAuthority
from edcbridge.sealing import SealFactory
from tests.conftest import need_tool

CREDENTIAL = '{"id": "urn:credential:inputs", "type": ["VerifiableCredential"], "name": "Zeugnis ä"}\n'
PEERS = Path(__file__).resolve().parent / "peers"
PEM = serialization.Encoding.PEM


@pytest.fixture
def credential(tmp_path: Path) -> Path:
    path = tmp_path / "award-unsigned.json"
    path.write_text(CREDENTIAL, encoding="utf-8")
    return path


def _pem_pair(folder: Path, name: str, key: devpki.SealPrivateKey,
              *certificates: x509.Certificate) -> tuple[Path, Path]:
    """An unencrypted PEM key and a PEM certificate file (certificate first, then its chain)."""
    key_path, cert_path = folder / f"{name}.key", folder / f"{name}.pem"
    key_path.write_bytes(key.private_bytes(PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    cert_path.write_bytes(b"".join(c.public_bytes(PEM) for c in certificates))
    return key_path, cert_path


def _ec_seal(pki: devpki.DevPki, curve: ec.EllipticCurve, *, days: int = 30,
             start: int = -1) -> devpki.IssuedSeal:
    """An EC e-seal certificate under the PKI's root, valid from *start* to *start* + *days* days."""
    now = datetime.now(UTC)
    return devpki.issue_seal_certificate(
        pki.root, organisation="EDCBRIDGE TEST EC", organisation_identifier="NTRBE-TEST0007",
        country="BE", not_before=now + timedelta(days=start),
        not_after=now + timedelta(days=start + days), key=ec.generate_private_key(curve))


def _seal(files: list[Path], out: Path, *seal_args: str) -> Result:
    return CliRunner().invoke(main, ["seal", *map(str, files), "--out", str(out), *seal_args])


def _p12_args(written: devpki.TestSeal) -> list[str]:
    return ["--p12", str(written.p12), "--password-file", str(written.password_file)]


def _nothing_written(out: Path) -> bool:
    return not out.exists() or not any(out.iterdir())


def _verified(sealed: Path, anchor: Path) -> dict[str, str]:
    result = CliRunner().invoke(main, ["verify", "--json", str(sealed), "--trust-anchor", str(anchor)])
    return {name: check["status"] for name, check in json.loads(result.stdout)[0]["checks"].items()}


def _jose_accepts(sealed: Path) -> str:
    """The algorithm npm jose verified *sealed* with (skips without node or jose)."""
    node = need_tool("node")
    if not (PEERS / "node_modules" / "jose").is_dir():
        pytest.skip(f"npm jose is missing: run `make peers` (npm ci in {PEERS})")
    run = subprocess.run([node, str(PEERS / "verify-jades.mjs"), str(sealed)],
                         capture_output=True, text=True, check=False, timeout=120)
    answer = json.loads(run.stdout)
    assert answer["ok"], answer
    return str(answer["alg"])


def test_an_ec_seal_signs_es256_without_alg(pki: devpki.DevPki, written: devpki.TestSeal,
                                            credential: Path, tmp_path: Path) -> None:
    issued = _ec_seal(pki, ec.SECP256R1())
    key, cert = _pem_pair(tmp_path, "ec", issued.key, issued.certificate, pki.root.certificate)
    result = _seal([credential], tmp_path / "out", "--key", str(key), "--cert", str(cert))
    assert result.exit_code == 0, result.output
    sealed = tmp_path / "out" / "award-signed.jsonld"
    assert "(ES256)" in result.stderr
    assert _verified(sealed, written.root_ca)["SEAL"] == "OK"
    assert _jose_accepts(sealed) == "ES256"


def test_an_rsa_seal_signs_rs256_without_alg(written: devpki.TestSeal, credential: Path,
                                             tmp_path: Path) -> None:
    result = _seal([credential], tmp_path / "out", *_p12_args(written))
    assert result.exit_code == 0, result.output
    sealed = tmp_path / "out" / "award-signed.jsonld"
    assert _verified(sealed, written.root_ca)["SEAL"] == "OK"
    assert _jose_accepts(sealed) == "RS256"


def _no_organisation(pki: devpki.DevPki) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    """An end-entity signing certificate whose subject names no organisation."""
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "TEST nobody")]))
        .issuer_name(pki.root.certificate.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(True, True, False, False, False, False, False, False, False),
                       critical=True)
        .sign(pki.root.key, hashes.SHA256())
    )
    return key, certificate


def _setup_case(case: str, pki: devpki.DevPki, written: devpki.TestSeal, folder: Path) -> list[str]:
    """Seal arguments that no file can be sealed with, and nothing else wrong."""
    rsa_key, rsa_cert = _pem_pair(folder, "rsa", pki.seal.key, pki.seal.certificate)
    if case == "ES256 for an RSA key":
        return ["--key", str(rsa_key), "--cert", str(rsa_cert), "--alg", "ES256"]
    if case == "RS256 for an EC key":
        issued = _ec_seal(pki, ec.SECP256R1())
        key, cert = _pem_pair(folder, "ec", issued.key, issued.certificate)
        return ["--key", str(key), "--cert", str(cert), "--alg", "RS256"]
    if case == "a brainpool key":
        issued = _ec_seal(pki, ec.BrainpoolP384R1())
        key, cert = _pem_pair(folder, "brainpool", issued.key, issued.certificate)
        return ["--key", str(key), "--cert", str(cert)]
    if case == "a CA certificate":
        key, cert = _pem_pair(folder, "ca", pki.root.key, pki.root.certificate)
        return ["--key", str(key), "--cert", str(cert)]
    if case == "a key of another certificate":
        issued = _ec_seal(pki, ec.SECP256R1())
        return ["--key", str(rsa_key), "--cert", str(_pem_pair(folder, "other", issued.key,
                                                               issued.certificate)[1])]
    if case == "a wrong password":
        wrong = folder / "wrong.txt"
        wrong.write_text("not the password\n", encoding="utf-8")
        return ["--p12", str(written.p12), "--password-file", str(wrong)]
    if case == "an expired certificate":
        issued = _ec_seal(pki, ec.SECP256R1(), start=-40, days=30)
        key, cert = _pem_pair(folder, "expired", issued.key, issued.certificate)
        return ["--key", str(key), "--cert", str(cert)]
    if case == "a certificate naming no organisation":
        key, cert = _pem_pair(folder, "nobody", *_no_organisation(pki))
        return ["--key", str(key), "--cert", str(cert)]
    raise AssertionError(case)


@pytest.mark.parametrize(("case", "said"), [
    ("ES256 for an RSA key", "ES256 needs an EC P-256 key"),
    ("RS256 for an EC key", "RS256 needs an RSA key"),
    ("a brainpool key", "use an RSA seal or an EC seal on P-256, P-384 or P-521"),
    ("a CA certificate", "Root CA"),
    ("a key of another certificate", "the private key does not belong to certificate"),
    ("a wrong password", "wrong password"),
    ("an expired certificate", "expired on"),
    ("a certificate naming no organisation", "lacks organizationName (O)"),
])
def test_a_seal_no_file_can_be_sealed_with_exits_2_with_one_message(
        case: str, said: str, pki: devpki.DevPki, written: devpki.TestSeal, tmp_path: Path) -> None:
    issuer = {"legalName": {"en": "EDCBRIDGE TEST University"}}
    files = []
    for name in ("first", "second"):
        path = tmp_path / f"{name}.json"
        path.write_text(json.dumps({"id": f"urn:{name}", "issuer": issuer}), encoding="utf-8")
        files.append(path)
    out = tmp_path / "out"
    result = _seal(files, out, *_setup_case(case, pki, written, tmp_path))
    assert result.exit_code == 2, result.output
    assert result.stderr.count("Error:") == 1 and said in result.stderr, result.stderr
    assert "first.json" not in result.stderr and "Traceback" not in result.output
    assert _nothing_written(out)


def test_long_term_level_without_revocation_data_exits_2(
        written: devpki.TestSeal, credential: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    with DevServer(TimestampAuthority(devpki.load_tsa_signer(written))) as server:
        result = _seal([credential], out, *_p12_args(written), "--tsa", server.tsa_url,
                       "--level", "B-LT", "--no-fetch-revocation")
    assert result.exit_code == 2, result.output
    assert result.stderr.count("Error:") == 1
    assert _nothing_written(out)


def test_an_unencrypted_pem_key_opens_while_the_password_variable_is_set(
        pki: devpki.DevPki, credential: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The variable may be set for a PKCS#12 seal; a key without a password needs none."""
    monkeypatch.setenv(PASSWORD_ENV, "for the p12")
    key, cert = _pem_pair(tmp_path, "rsa", pki.seal.key, pki.seal.certificate)
    result = _seal([credential], tmp_path / "out", "--key", str(key), "--cert", str(cert))
    assert result.exit_code == 0, result.output
    assert (tmp_path / "out" / "award-signed.jsonld").is_file()


def test_an_encrypted_pem_key_opens_with_its_password_file(
        written: devpki.TestSeal, credential: Path, tmp_path: Path) -> None:
    result = _seal([credential], tmp_path / "out", "--key", str(written.seal_key),
                   "--cert", str(written.seal_cert), "--password-file", str(written.password_file))
    assert result.exit_code == 0, result.output


def test_an_encrypted_pem_key_without_a_password_says_where_to_give_it(
        written: devpki.TestSeal, credential: Path, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(PASSWORD_ENV, raising=False)
    result = _seal([credential], tmp_path / "out", "--key", str(written.seal_key),
                   "--cert", str(written.seal_cert))
    assert result.exit_code == 2
    assert "--password-file" in result.stderr and PASSWORD_ENV in result.stderr


def test_a_password_file_with_windows_line_ending_opens_the_seal(
        written: devpki.TestSeal, credential: Path, tmp_path: Path) -> None:
    crlf = tmp_path / "password.txt"
    crlf.write_bytes(written.password + b"\r\n")
    result = _seal([credential], tmp_path / "out", "--p12", str(written.p12), "--password-file", str(crlf))
    assert result.exit_code == 0, result.output


def test_an_empty_password_file_is_named(written: devpki.TestSeal, credential: Path, tmp_path: Path) -> None:
    empty = tmp_path / "password.txt"
    empty.write_bytes(b"")
    result = _seal([credential], tmp_path / "out", "--p12", str(written.p12), "--password-file", str(empty))
    assert result.exit_code == 2
    assert f"password file {empty} is empty" in result.stderr


def test_export_seal_says_when_the_password_given_is_empty(written: devpki.TestSeal) -> None:
    """`export --seal` shares this set-up: an empty password file is the likely cause."""
    with pytest.raises(PasswordError, match="the password given is empty"):
        SealFactory(written.p12, b"").load()
    assert SealFactory(written.p12, written.password).load().algorithm == "RS256"


def test_a_password_file_not_in_utf8_is_named(written: devpki.TestSeal, credential: Path,
                                              tmp_path: Path) -> None:
    latin = tmp_path / "password.txt"
    latin.write_bytes(b"caf\xe9\n")
    result = _seal([credential], tmp_path / "out", "--p12", str(written.p12), "--password-file", str(latin))
    assert result.exit_code == 2
    assert result.stderr.count("Error:") == 1 and f"password file {latin} is not UTF-8" in result.stderr


def test_the_same_file_given_twice_is_said(written: devpki.TestSeal, credential: Path,
                                           tmp_path: Path) -> None:
    again = credential.parent / "." / credential.name
    result = _seal([credential, again], tmp_path / "out", *_p12_args(written))
    assert result.exit_code == 2
    assert f"{credential} is given twice" in result.stderr


@pytest.mark.parametrize("second", ["award.json", "AWARD-unsigned.json"])
def test_two_inputs_sealed_into_one_file_name_are_refused_by_name(
        second: str, written: devpki.TestSeal, credential: Path, tmp_path: Path) -> None:
    """Names that differ only in case are one file on Windows, macOS and most USB sticks."""
    other = tmp_path / "elsewhere" / second
    other.parent.mkdir()
    other.write_text(CREDENTIAL, encoding="utf-8")
    out = tmp_path / "out"
    result = _seal([credential, other], out, *_p12_args(written))
    assert result.exit_code == 2
    assert f"{credential} and {other} would both be sealed as" in result.stderr
    assert _nothing_written(out)


def test_every_file_that_cannot_be_sealed_is_named_and_none_is_written(
        written: devpki.TestSeal, credential: Path, tmp_path: Path) -> None:
    first = tmp_path / "first"
    assert _seal([credential], first, *_p12_args(written)).exit_code == 0
    broken = {
        "sealed.jsonld": (first / "award-signed.jsonld").read_bytes(),
        "latin.json": b'{"name": "caf\xe9"}',
        "list.json": b"[{}]",
        "cut.json": b'{"id": ',
        "empty.json": b"",
        "deep.json": b"[" * 100_000 + b"]" * 100_000,
    }
    paths = []
    for name, data in broken.items():
        paths.append(tmp_path / name)
        paths[-1].write_bytes(data)
    out = tmp_path / "out"
    result = _seal([credential, *paths], out, *_p12_args(written))
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output and result.stderr.count("Error:") == 1
    problems = [line.strip() for line in result.stderr.splitlines() if line.startswith(f"  {tmp_path}")]
    assert [line.split(":")[0] for line in problems] == list(map(str, paths))
    assert "already sealed" in problems[0] and "not UTF-8" in problems[1]
    assert _nothing_written(out)


def test_a_noncharacter_is_refused_and_its_json_escape_sealed(written: devpki.TestSeal,
                                                               tmp_path: Path) -> None:
    """A noncharacter written as it is was sealed, and the seal verified here, but JOSE verifiers
    (npm jose) refuse such a payload; its JSON escape says the same and they take it."""
    raw = tmp_path / "raw.json"
    raw.write_text(CREDENTIAL.replace("ä", "ä\ufffe"), encoding="utf-8")
    result = _seal([raw], tmp_path / "out", *_p12_args(written))
    assert result.exit_code == 1 and _nothing_written(tmp_path / "out")
    assert f"{raw}: holds the noncharacter U+FFFE, at line 1, column 85, " in result.stderr
    assert "write it as the JSON escape \\ufffe" in result.stderr
    escaped = tmp_path / "escaped.json"
    escaped.write_text(CREDENTIAL.replace("ä", "ä\\uFFFE"), encoding="utf-8")
    assert _seal([escaped], tmp_path / "out", *_p12_args(written)).exit_code == 0
    assert _jose_accepts(tmp_path / "out" / "escaped-signed.jsonld") == "RS256"


def test_a_code_point_unicode_has_not_assigned_is_refused_as_a_noncharacter_is(written: devpki.TestSeal,
                                                                                tmp_path: Path) -> None:
    """U+0378 (no character yet) as written: sealed, verified here, refused by npm jose."""
    raw = tmp_path / "raw.json"
    raw.write_text(CREDENTIAL.replace("ä", "ä\u0378"), encoding="utf-8")
    result = _seal([raw], tmp_path / "out", *_p12_args(written))
    assert result.exit_code == 1 and _nothing_written(tmp_path / "out")
    assert f"{raw}: holds the code point Unicode has not assigned U+0378, at line 1, column 85, " \
        in result.stderr and "write it as the JSON escape \\u0378" in result.stderr


def test_a_sealed_file_is_not_sealed_again(written: devpki.TestSeal, credential: Path,
                                           tmp_path: Path) -> None:
    first = tmp_path / "first"
    assert _seal([credential], first, *_p12_args(written)).exit_code == 0
    sealed = first / "award-signed.jsonld"
    result = _seal([sealed], tmp_path / "again", *_p12_args(written))
    assert result.exit_code == 1
    assert f"{sealed}: already sealed" in result.stderr
    assert _nothing_written(tmp_path / "again")


def test_a_folder_given_as_file_is_named_as_that_files_problem(written: devpki.TestSeal,
                                                                tmp_path: Path) -> None:
    result = _seal([tmp_path], tmp_path / "out", *_p12_args(written))
    assert result.exit_code == 1 and f"{tmp_path}: a folder, not a file" in result.stderr
    assert _nothing_written(tmp_path / "out")


def test_an_out_folder_under_a_file_is_refused_before_sealing(
        written: devpki.TestSeal, credential: Path, tmp_path: Path) -> None:
    blocker = tmp_path / "blocker"
    blocker.write_text("", encoding="utf-8")
    result = _seal([credential], blocker / "out", *_p12_args(written))
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output and f"{blocker} is a file, not a folder" in result.stderr
    assert "sealing at" not in result.stderr


def test_an_xml_credential_is_pointed_to_the_commands_that_seal_xml(written: devpki.TestSeal,
                                                                      tmp_path: Path) -> None:
    xml = tmp_path / "credential.xml"
    xml.write_text('<?xml version="1.0" encoding="UTF-8"?>\n<europassCredential/>\n', "utf-8")
    result = _seal([xml], tmp_path / "out", *_p12_args(written))
    assert result.exit_code == 1 and _nothing_written(tmp_path / "out")
    assert f"{xml}: an XML document" in result.stderr and "export-xml --p12" in result.stderr
