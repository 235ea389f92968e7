"""`dev-pki --catalogue`: a TEST seal naming the catalogue's issuer, which `export --seal`
accepts and `verify` trusts with the TEST root."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner
from cryptography import x509
from cryptography.x509.oid import NameOID

from edcbridge.cli import main
from tests.conftest import FIXTURES


def test_a_test_seal_for_a_catalogue_seals_its_export(tmp_path: Path, store) -> None:
    catalogue = FIXTURES / "imperial" / "catalogue.yaml"
    runner = CliRunner()
    made = runner.invoke(main, ["dev-pki", "--catalogue", str(catalogue), "--out", str(tmp_path / "pki")])
    assert made.exit_code == 0, made.output
    cert = x509.load_pem_x509_certificate((tmp_path / "pki" / "seal-cert.pem").read_bytes())
    assert "TEST" in cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value
    out = tmp_path / "out"
    exported = runner.invoke(main, [
        "export", str(FIXTURES / "imperial" / "awards.csv"), "-c", str(catalogue), "-o", str(out), "-q",
        "--seal", str(tmp_path / "pki" / "seal.p12"),
        "--password-file", str(tmp_path / "pki" / "seal-password.txt")],
        env={"EDCBRIDGE_SCHEMAS": str(store.root)})
    assert exported.exit_code == 0, exported.output
    sealed = sorted((out / "edc-sealed").iterdir())
    verified = runner.invoke(main, ["verify", str(sealed[0]), "--trust-anchor",
                                    str(tmp_path / "pki" / "root-ca.pem"), "--require-trust"])
    assert verified.exit_code == 0, verified.output
    both = runner.invoke(main, ["dev-pki", "--catalogue", str(catalogue), "--organisation", "X",
                                "--out", str(tmp_path / "x")])
    assert both.exit_code == 2 and "leave out --organisation" in both.output
