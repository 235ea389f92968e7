"""Seal files as certification authorities, Windows, OpenSSL 1.x and 3, and Java's keytool write
them: every one openssl reads loads, the seal certificate and its chain are picked out whatever
the order, and a file that cannot load says why in words, naming the file and the fix.

Every key and certificate file here is made with the `openssl` (and `keytool`) command line.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from cryptography import x509
from cryptography.x509.oid import NameOID

from edcbridge.cli import main
from edcbridge.seal import keys
from edcbridge.seal.errors import KeyLoadError, PasswordError
from tests.conftest import need_tool

PASSWORD = "seal-secret"
NON_ASCII_PASSWORD = "Pässwörd€"

EXTENSIONS = """\
[ca]
basicConstraints=critical,CA:TRUE
keyUsage=critical,keyCertSign,cRLSign
[seal]
basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature,nonRepudiation
"""


@dataclass(frozen=True)
class Pki:
    """root -> issuing CA -> seal (RSA) and ec-seal (P-256, SEC1 key); other: another end entity."""

    folder: Path

    def __truediv__(self, name: str) -> Path:
        return self.folder / name


def _openssl(*args: str, cwd: Path) -> None:
    subprocess.run([need_tool("openssl"), *args], cwd=cwd, check=True, capture_output=True)


def _issue(folder: Path, name: str, subject: str, issuer: str, section: str) -> None:
    _openssl("req", "-new", "-key", f"{name}.key", "-out", f"{name}.csr", "-subj", subject, cwd=folder)
    _openssl("x509", "-req", "-in", f"{name}.csr", "-CA", f"{issuer}.pem", "-CAkey", f"{issuer}.key",
             "-CAcreateserial", "-days", "400", "-extfile", "ext.cnf", "-extensions", section,
             "-out", f"{name}.pem", cwd=folder)


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    folder = tmp_path_factory.mktemp("openssl-pki")
    (folder / "ext.cnf").write_text(EXTENSIONS, encoding="ascii")
    for name in ("root", "issuing", "seal", "other"):
        _openssl("genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out",
                 f"{name}.key", cwd=folder)
    _openssl("ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", "ec-seal.key", cwd=folder)
    _openssl("req", "-x509", "-key", "root.key", "-out", "root.pem", "-days", "800", "-subj",
             "/C=BE/O=Test Root/CN=Test Root CA", "-addext", "basicConstraints=critical,CA:TRUE",
             "-addext", "keyUsage=critical,keyCertSign,cRLSign", cwd=folder)
    _issue(folder, "issuing", "/C=BE/O=Test QTSP/CN=Test Issuing CA", "root", "ca")
    _issue(folder, "seal", "/C=BE/O=Test University/CN=Test University Seal", "issuing", "seal")
    _issue(folder, "ec-seal", "/C=BE/O=Test University/CN=Test University EC Seal", "issuing", "seal")
    _issue(folder, "other", "/C=BE/O=Test University/CN=Web Server", "root", "seal")
    return Pki(folder)


def _export(pki: Pki, name: str, *options: str, key: str = "seal", certs: tuple[str, ...] = ("seal",),
            chain: tuple[str, ...] = ("issuing", "root"), password: str = PASSWORD) -> Path:
    """`openssl pkcs12 -export` of *key* with *certs* (-in) and *chain* (-certfile)."""
    folder = pki.folder
    (folder / f"{name}.in.pem").write_bytes(b"".join((folder / f"{c}.pem").read_bytes() for c in certs))
    (folder / f"{name}.chain.pem").write_bytes(b"".join((folder / f"{c}.pem").read_bytes() for c in chain))
    _openssl("pkcs12", "-export", "-inkey", f"{key}.key", "-in", f"{name}.in.pem", "-certfile",
             f"{name}.chain.pem", "-passout", f"pass:{password}", "-out", name, *options, cwd=folder)
    return folder / name


def _cn(cert: x509.Certificate) -> str:
    return str(cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value)


def _names(certs: tuple[x509.Certificate, ...]) -> list[str]:
    return [_cn(c) for c in certs]


@pytest.mark.parametrize(("options", "password"), [
    pytest.param((), PASSWORD, id="openssl3-aes256-pbkdf2"),
    pytest.param(("-legacy",), PASSWORD, id="legacy-rc2-40-3des"),
    pytest.param(("-legacy", "-descert"), PASSWORD, id="legacy-3des-everywhere"),
    pytest.param(("-nomac",), PASSWORD, id="no-mac"),
    pytest.param(("-macalg", "sha1"), PASSWORD, id="mac-sha1"),
    pytest.param(("-keypbe", "NONE", "-certpbe", "NONE"), PASSWORD, id="not-encrypted"),
    pytest.param((), "", id="empty-password"),
    pytest.param(("-legacy",), "", id="empty-password-legacy"),
    pytest.param((), NON_ASCII_PASSWORD, id="non-ascii-password"),
    pytest.param(("-legacy",), NON_ASCII_PASSWORD, id="non-ascii-password-legacy"),
])
def test_pkcs12_encodings_load(pki: Pki, options: tuple[str, ...], password: str) -> None:
    path = _export(pki, "seal.pfx", *options, password=password)
    seal = keys.load_p12(path, password.encode("utf-8"), at=datetime.now(UTC))
    assert _cn(seal.certificate) == "Test University Seal"
    assert _names(seal.chain) == ["Test Issuing CA", "Test Root CA"]


def test_password_of_openssl_1_with_non_ascii_characters(pki: Pki) -> None:
    """OpenSSL 1.x turned each UTF-8 byte of a password into a character of its own."""
    openssl_1_form = NON_ASCII_PASSWORD.encode("utf-8").decode("latin-1")
    path = _export(pki, "openssl1.p12", "-legacy", password=openssl_1_form)
    _openssl("pkcs12", "-legacy", "-in", path.name, "-noout", "-passin", f"pass:{NON_ASCII_PASSWORD}",
             cwd=pki.folder)  # the openssl command line opens it with the password as typed
    seal = keys.load_p12(path, NON_ASCII_PASSWORD.encode("utf-8"), at=datetime.now(UTC))
    assert _cn(seal.certificate) == "Test University Seal"


def test_pkcs12_seal_certificate_and_chain_picked_from_any_order(pki: Pki) -> None:
    path = _export(pki, "mixed.p12", certs=("root", "other", "issuing", "seal"), chain=("issuing",))
    seal = keys.load_p12(path, PASSWORD.encode(), at=datetime.now(UTC))
    assert _cn(seal.certificate) == "Test University Seal"
    assert _names(seal.chain) == ["Test Issuing CA", "Test Root CA"]  # no repeat, no web server
    assert _names(seal.intermediates) == ["Test Issuing CA"]  # what x5c holds after the seal


def test_pem_bundle_in_any_order_gives_the_issuer_path(pki: Pki) -> None:
    bundle = pki.folder / "bundle-reversed.pem"
    bundle.write_bytes(b"".join((pki.folder / f"{c}.pem").read_bytes()
                                for c in ("root", "issuing", "other", "seal")))
    seal = keys.load_pem(pki / "seal.key", bundle, None, at=datetime.now(UTC))
    assert _cn(seal.certificate) == "Test University Seal"
    assert _names(seal.intermediates) == ["Test Issuing CA"]
    assert _names(seal.chain) == ["Test Issuing CA", "Test Root CA"]


def test_keystore_with_two_keys_is_refused_naming_its_entries(pki: Pki) -> None:
    keytool = need_tool("keytool")
    rsa = _export(pki, "rsa-only.p12", "-name", "university-seal")
    ec = _export(pki, "ec-only.p12", "-name", "old-seal", key="ec-seal", certs=("ec-seal",))
    store = pki.folder / "keystore.p12"
    store.unlink(missing_ok=True)
    for source in (rsa, ec):
        subprocess.run([keytool, "-importkeystore", "-noprompt", "-srckeystore", str(source),
                        "-srcstoretype", "PKCS12", "-srcstorepass", PASSWORD, "-destkeystore",
                        str(store), "-deststoretype", "PKCS12", "-deststorepass", PASSWORD],
                       check=True, capture_output=True)
    with pytest.raises(KeyLoadError) as caught:
        keys.load_p12(store, PASSWORD.encode(), at=datetime.now(UTC))
    message = str(caught.value)
    assert str(store) in message and "2 private keys" in message
    assert "'university-seal'" in message and "'old-seal'" in message and "-srcalias" in message


def test_ec_key_in_sec1_form_and_certificate_in_der(pki: Pki) -> None:
    der = pki.folder / "ec-seal.cer"
    _openssl("x509", "-in", "ec-seal.pem", "-outform", "DER", "-out", der.name, cwd=pki.folder)
    assert (pki / "ec-seal.key").read_bytes().startswith(b"-----BEGIN EC PRIVATE KEY-----")
    seal = keys.load_pem(pki / "ec-seal.key", der, None, at=datetime.now(UTC))
    assert _cn(seal.certificate) == "Test University EC Seal"


def test_private_key_in_der(pki: Pki) -> None:
    der = pki.folder / "seal-key.der"
    _openssl("pkey", "-in", "seal.key", "-outform", "DER", "-out", der.name, cwd=pki.folder)
    seal = keys.load_pem(der, pki / "seal.pem", None, at=datetime.now(UTC))
    assert _cn(seal.certificate) == "Test University Seal"


@pytest.mark.parametrize("form", [
    pytest.param(("rsa", "-traditional", "-aes256"), id="traditional-rsa-encrypted"),
    pytest.param(("pkcs8", "-topk8", "-v2", "aes-256-cbc"), id="pkcs8-pbes2"),
    pytest.param(("pkcs8", "-topk8", "-v1", "PBE-SHA1-3DES"), id="pkcs8-pbes1-3des"),
])
def test_encrypted_pem_keys_load(pki: Pki, form: tuple[str, ...]) -> None:
    _openssl(*form, "-in", "seal.key", "-passout", f"pass:{PASSWORD}", "-out", "seal-enc.key",
             cwd=pki.folder)
    seal = keys.load_pem(pki / "seal-enc.key", pki / "seal.pem", PASSWORD.encode(),
                         at=datetime.now(UTC))
    assert _cn(seal.certificate) == "Test University Seal"


def test_password_given_for_a_key_that_has_none(pki: Pki) -> None:
    """A password set for the run is not needed by an unencrypted key: it opens without."""
    seal = keys.load_pem(pki / "seal.key", pki / "seal.pem", PASSWORD.encode(), at=datetime.now(UTC))
    assert _cn(seal.certificate) == "Test University Seal"


def test_key_and_certificates_exported_by_openssl_pkcs12_as_pem(pki: Pki) -> None:
    """`openssl pkcs12 -in seal.p12 -out all.pem` writes "Bag Attributes" lines before each block."""
    p12 = _export(pki, "to-pem.p12")
    _openssl("pkcs12", "-in", p12.name, "-passin", f"pass:{PASSWORD}", "-passout", f"pass:{PASSWORD}",
             "-out", "all.pem", cwd=pki.folder)
    all_pem = pki.folder / "all.pem"
    assert all_pem.read_bytes().startswith(b"Bag Attributes")
    seal = keys.load_pem(all_pem, all_pem, PASSWORD.encode(), at=datetime.now(UTC))
    assert _names(seal.chain) == ["Test Issuing CA", "Test Root CA"]


def test_pem_file_named_p12_says_so(pki: Pki) -> None:
    fake = pki.folder / "pem-named.p12"
    fake.write_bytes((pki / "seal.key").read_bytes() + (pki / "seal.pem").read_bytes())
    with pytest.raises(KeyLoadError) as caught:
        keys.load_p12(fake, PASSWORD.encode(), at=datetime.now(UTC))
    message = str(caught.value)
    assert str(fake) in message and "PEM" in message and "openssl pkcs12 -export" in message


def test_truncated_pkcs12_says_it_is_cut_short(pki: Pki) -> None:
    whole = _export(pki, "whole.p12").read_bytes()
    cut = pki.folder / "cut.p12"
    cut.write_bytes(whole[: len(whole) // 2])
    with pytest.raises(KeyLoadError) as caught:
        keys.load_p12(cut, PASSWORD.encode(), at=datetime.now(UTC))
    assert str(cut) in str(caught.value) and f"{len(whole) // 2} of {len(whole)} bytes" in str(caught.value)


def test_pkcs12_without_private_key_says_so(pki: Pki) -> None:
    path = _export(pki, "certs-only.p12", "-nokeys")
    with pytest.raises(KeyLoadError, match="holds no private key"):
        keys.load_p12(path, PASSWORD.encode(), at=datetime.now(UTC))


def test_wrong_password_still_says_so(pki: Pki) -> None:
    path = _export(pki, "right.p12")
    with pytest.raises(PasswordError) as caught:
        keys.load_p12(path, b"not-the-password", at=datetime.now(UTC))
    assert str(path) in str(caught.value) and "wrong password" in str(caught.value)
    assert "not-the-password" not in str(caught.value)


def test_seal_command_reports_a_cut_p12_in_one_line(pki: Pki, tmp_path: Path) -> None:
    whole = _export(pki, "for-cli.p12").read_bytes()
    cut = tmp_path / "seal.p12"
    cut.write_bytes(whole[:700])
    password_file = tmp_path / "password.txt"
    password_file.write_text(PASSWORD + "\n", encoding="utf-8")
    credential = tmp_path / "award.json"
    credential.write_text('{"id": "urn:award"}\n', encoding="utf-8")
    result = CliRunner().invoke(main, ["seal", str(credential), "--out", str(tmp_path / "out"),
                                       "--p12", str(cut), "--password-file", str(password_file)])
    assert result.exit_code == 2, result.output
    assert result.stderr.count("Error:") == 1 and "cut short" in result.stderr, result.stderr
    assert str(cut) in result.stderr
    assert "Traceback" not in result.output and PASSWORD not in result.output


def test_missing_password_says_how_to_open_a_file_without_one(pki: Pki, tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(keys.PASSWORD_ENV, raising=False)
    with pytest.raises(PasswordError, match="empty password file") as caught:
        keys.read_password(None)
    path = _export(pki, "no-password.p12", "-keypbe", "NONE", "-certpbe", "NONE", "-nomac", password="")
    empty = tmp_path / "empty.txt"
    empty.write_text("", encoding="utf-8")
    assert keys.PASSWORD_ENV in str(caught.value)
    seal = keys.load_p12(path, keys.read_password(empty), at=datetime.now(UTC))
    assert _cn(seal.certificate) == "Test University Seal"


def test_seal_command_opens_an_encrypted_der_key_with_the_password_file(pki: Pki, tmp_path: Path) -> None:
    """`seal --key` takes a PEM or DER key, encrypted or not, as `export-xml --key` does."""
    _openssl("pkcs8", "-topk8", "-v2", "aes-256-cbc", "-in", "seal.key", "-outform", "DER",
             "-passout", f"pass:{PASSWORD}", "-out", "seal-enc.der", cwd=pki.folder)
    password_file = tmp_path / "password.txt"
    password_file.write_text(PASSWORD + "\n", encoding="utf-8")
    credential = tmp_path / "award.json"
    credential.write_text('{"id": "urn:award"}\n', encoding="utf-8")
    result = CliRunner().invoke(main, ["seal", str(credential), "--out", str(tmp_path / "out"),
                                       "--key", str(pki / "seal-enc.der"), "--cert", str(pki / "seal.pem"),
                                       "--password-file", str(password_file), "-q"])
    assert result.exit_code == 0, result.stderr
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["award-signed.jsonld"]
