"""The issuer URL and the seal certificate: verifiers that resolve the SD-JWT VC's key from
``x5c`` bind ``iss`` to the certificate's subject alternative names (SD-JWT VC, HAIP 1.0), so
`serve` says, when it starts, that a seal not naming the issuer's host will be refused."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from edcbridge.oid4vci.sdjwt import issuer_binding_problem
from edcbridge.schemas import SchemaStore
from tests.wallet.issuer_support import Exported, export_awards, serve_process

ISSUER = "https://credentials.uni.example/issuer"


def _certificate(*names: x509.GeneralName) -> x509.Certificate:
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Uni Example")])
    now = datetime.now(UTC)
    builder = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject)
               .public_key(key.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(now - timedelta(days=1)).not_valid_after(now + timedelta(days=1)))
    if names:
        builder = builder.add_extension(x509.SubjectAlternativeName(list(names)), critical=False)
    return builder.sign(key, hashes.SHA256())


@pytest.mark.parametrize("names", [
    [x509.DNSName("credentials.uni.example")],
    [x509.DNSName("CREDENTIALS.Uni.Example")],
    [x509.DNSName("*.uni.example")],
    [x509.DNSName("uni.example"), x509.DNSName("credentials.uni.example")],
    [x509.UniformResourceIdentifier(ISSUER)],
    [x509.UniformResourceIdentifier(ISSUER + "/")],
])
def test_a_certificate_naming_the_issuer_is_bound_to_it(names: list[x509.GeneralName]) -> None:
    assert issuer_binding_problem(ISSUER, _certificate(*names)) is None


@pytest.mark.parametrize("names", [
    [],
    [x509.DNSName("uni.example")],
    [x509.DNSName("*.example")],  # a wildcard stands for one label only
    [x509.DNSName("*.credentials.uni.example")],
    [x509.UniformResourceIdentifier("https://credentials.uni.example/other")],
    [x509.RFC822Name("registry@uni.example")],
])
def test_a_certificate_not_naming_the_issuer_is_said_to_be_refused(names: list[x509.GeneralName]) -> None:
    problem = issuer_binding_problem(ISSUER, _certificate(*names))
    assert problem is not None
    assert "credentials.uni.example" in problem and "refuse" in problem
    assert "DNS:credentials.uni.example" in problem  # what to ask the authority for
    for name in names:
        if isinstance(name, x509.DNSName | x509.UniformResourceIdentifier):
            assert name.value in problem  # what the certificate names instead


@pytest.fixture(scope="module")
def exported(store: SchemaStore, tmp_path_factory: pytest.TempPathFactory) -> Exported:
    return export_awards(tmp_path_factory.mktemp("oid4vci-binding"), 1, store.root)


def test_serve_warns_when_its_seal_does_not_name_the_public_issuer(exported: Exported,
                                                                   tmp_path: Path) -> None:
    log = tmp_path / "serve.log"
    with serve_process(exported, log, "--issuer-url", ISSUER):
        pass
    warnings = [line for line in log.read_text("utf-8").splitlines() if line.startswith("warning:")]
    assert any("subject alternative names" in line and "credentials.uni.example" in line
               for line in warnings), warnings


def test_serve_on_this_machine_alone_does_not_warn_about_the_binding(exported: Exported,
                                                                      tmp_path: Path) -> None:
    log = tmp_path / "serve.log"
    with serve_process(exported, log):
        pass
    assert "subject alternative names" not in log.read_text("utf-8")
