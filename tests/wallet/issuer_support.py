"""Shared by the tests/test_oid4vci_*.py modules: exported awards, a running issuer, a holder.

The awards are exported by the real pipeline (``edcbridge export --seal``) with a generated
TEST seal whose organisation matches the catalogue; the issuer runs under uvicorn on 127.0.0.1.
The holder here is written for the tests only (jwcrypto signs its proofs), so protocol errors
can be provoked one at a time; tests/wallet/wallet.mjs is the independent wallet.
"""

from __future__ import annotations

import base64
import csv
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import requests
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwcrypto import jwk, jws
from tests.conftest import FIXTURES

from edcbridge.load import load_catalogue
from edcbridge.oid4vci.app import create_app
from edcbridge.oid4vci.sdjwt import decode_part
from edcbridge.oid4vci.server import BackgroundServer, bind
from edcbridge.oid4vci.service import IssuerService, IssuerSettings
from edcbridge.seal import SealKey
from edcbridge.seal.keys import load_p12
from edcbridge.sealing import demo_seal

CATALOGUE = FIXTURES / "imperial" / "catalogue.yaml"
WALLET = Path(__file__).resolve().parent
PRE_AUTH = "urn:ietf:params:oauth:grant-type:pre-authorized_code"


@dataclass(frozen=True)
class Exported:
    out_dir: Path
    p12: Path
    password_file: Path
    keys: list[str]  # journal keys <issuer>/<award_id>, in input order

    def seal(self) -> SealKey:
        return load_p12(
            self.p12, self.password_file.read_text("utf-8").strip().encode(), at=datetime.now(UTC)
        )

    def sealed_by_another_organisation(self, folder: Path) -> Exported:
        """The same export served with a TEST seal of another organisation (made in ``folder``)."""
        from edcbridge.seal import generate_test_seal

        other = generate_test_seal(folder, organisation="University of Elsewhere",
                                   organisation_identifier="NTRIE-0000000", country="IE")
        return replace(self, p12=other.p12, password_file=other.password_file)

    def edc(self, key: str) -> dict[str, Any]:
        issuer, award_id = key.split("/", 1)
        document: dict[str, Any] = json.loads(
            (self.out_dir / "edc" / f"{issuer}_{award_id}.jsonld").read_text("utf-8")
        )
        return document


def export_awards(work: Path, count: int, schemas: Path, valid_until: str = "") -> Exported:
    """``count`` distinct awards (own ids and given names) exported and sealed into work/out,
    each valid until ``valid_until`` when given."""
    with (FIXTURES / "imperial" / "awards.csv").open(encoding="utf-8-sig") as source:
        rows = list(csv.DictReader(source))
    awards = work / "awards.csv"
    with awards.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        for index in range(count):
            row = dict(rows[index % len(rows)])
            row["award_id"] = f"W-{index:04d}"
            row["given_name"] = f"Learner{index:04d}"
            row["valid_until"] = valid_until or row["valid_until"]
            writer.writerow(row)
    seal = demo_seal(work / "seal", load_catalogue(CATALOGUE))
    password_file = work / "seal" / "seal-password.txt"
    out = work / "out"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "edcbridge",
            "export",
            str(awards),
            "-c",
            str(CATALOGUE),
            "-o",
            str(out),
            "--no-validate",
            "--seal",
            str(seal.p12),
            "--password-file",
            str(password_file),
            "-j",
            "2",
            "-q",
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
        env={**os.environ, "EDCBRIDGE_SCHEMAS": str(schemas)},
    )
    assert result.returncode == 0, result.stderr
    issuer = load_catalogue(CATALOGUE).issuer
    return Exported(out, seal.p12, password_file, [f"{issuer}/W-{index:04d}" for index in range(count)])


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def edcbridge_cli(*args: str) -> list[str]:
    """The edcbridge command line with serve/offer/upload-dc4eu (``python -m edcbridge.oid4vci``)."""
    return [sys.executable, "-m", "edcbridge.oid4vci", *args]


@contextmanager
def serve_process(exported: Exported, log_path: Path, *extra: str) -> Iterator[str]:
    """``edcbridge serve`` in a subprocess on 127.0.0.1; yields the issuer URL."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with log_path.open("w", encoding="utf-8") as log:
        process = subprocess.Popen(
            edcbridge_cli(
                "serve",
                "-o",
                str(exported.out_dir),
                "--p12",
                str(exported.p12),
                "--password-file",
                str(exported.password_file),
                "--port",
                str(port),
                *extra,
            ),
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    requests.get(f"{url}/.well-known/openid-credential-issuer", timeout=1).raise_for_status()
                    break
                except requests.ConnectionError:
                    assert process.poll() is None, log_path.read_text("utf-8")
                    assert time.monotonic() < deadline, "edcbridge serve did not start"
                    time.sleep(0.1)
            yield url
        finally:
            process.terminate()
            process.wait(timeout=10)


class Clock:
    """A settable clock for expiry tests (starts at the real time)."""

    def __init__(self) -> None:
        self.offset = 0.0

    def __call__(self) -> float:
        return time.time() + self.offset


@contextmanager
def running_issuer(
    exported: Exported, clock: Clock | None = None, **settings: Any
) -> Iterator[IssuerService]:
    """An issuer for ``exported`` served by uvicorn on 127.0.0.1 (ephemeral port)."""
    sock = bind("127.0.0.1", 0)
    url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    service = IssuerService(
        IssuerSettings(url, exported.out_dir, **settings), exported.seal(), clock=clock or time.time
    )
    try:
        with BackgroundServer(create_app(service), sock):
            yield service
    finally:
        service.close()


def offer_from_link(link: str) -> dict[str, Any]:
    query = parse_qs(urlsplit(link).query)
    if "credential_offer" in query:
        offer: dict[str, Any] = json.loads(query["credential_offer"][0])
        return offer
    response = requests.get(query["credential_offer_uri"][0], timeout=10)
    response.raise_for_status()
    result: dict[str, Any] = response.json()
    return result


def x5c_key(header: dict[str, Any]) -> jwk.JWK:
    cert = x509.load_der_x509_certificate(base64.b64decode(header["x5c"][0]))
    public = cert.public_key()
    assert isinstance(public, rsa.RSAPublicKey | ec.EllipticCurvePublicKey)
    return jwk.JWK.from_pyca(public)


class Holder:
    """A minimal wallet: its own P-256 key, token/nonce/credential requests over HTTP."""

    def __init__(self, issuer: str) -> None:
        self.issuer = issuer
        self.key = jwk.JWK.generate(kty="EC", crv="P-256")
        self.session = requests.Session()

    def token(self, code: str, tx_code: str | None = None) -> requests.Response:
        form = {"grant_type": PRE_AUTH, "pre-authorized_code": code}
        if tx_code is not None:
            form["tx_code"] = tx_code
        return self.session.post(f"{self.issuer}/token", data=form, timeout=30)

    def access_token(self, code: str, tx_code: str | None = None) -> str:
        response = self.token(code, tx_code)
        assert response.status_code == 200, response.text
        return str(response.json()["access_token"])

    def nonce(self) -> str:
        response = self.session.post(f"{self.issuer}/nonce", timeout=30)
        assert response.status_code == 200, response.text
        return str(response.json()["c_nonce"])

    def proof(
        self,
        nonce: str | None,
        *,
        aud: str | None = None,
        iat: float | None = None,
        typ: str = "openid4vci-proof+jwt",
        key: jwk.JWK | None = None,
        header: dict[str, Any] | None = None,
        public: dict[str, Any] | None = None,
    ) -> str:
        """``header`` adds to the protected header, ``public`` to the members of its ``jwk``."""
        claims: dict[str, Any] = {
            "aud": aud or self.issuer,
            "iat": int(iat if iat is not None else time.time()),
        }
        if nonce is not None:
            claims["nonce"] = nonce
        own = {**json.loads(self.key.export_public()), **(public or {})}
        token = jws.JWS(json.dumps(claims).encode())
        token.add_signature(
            key or self.key, alg="ES256",
            protected=json.dumps({"alg": "ES256", "typ": typ, "jwk": own, **(header or {})}),
        )
        return str(token.serialize(compact=True))

    def credential(self, access_token: str, body: dict[str, Any] | None = None) -> requests.Response:
        return self.session.post(
            f"{self.issuer}/credential",
            json=body,
            timeout=30,
            headers={"Authorization": f"Bearer {access_token}"},
        )

    def request(self, access_token: str, proof: str, configuration: str = "elm") -> requests.Response:
        return self.credential(
            access_token, {"credential_configuration_id": configuration, "proofs": {"jwt": [proof]}}
        )

    def fetch(self, code: str, tx_code: str | None = None) -> tuple[str, dict[str, Any]]:
        """The whole happy path; returns the access token and the credential response."""
        token = self.access_token(code, tx_code)
        response = self.request(token, self.proof(self.nonce()))
        assert response.status_code == 200, response.text
        return token, response.json()


def issued_payload(issuer: IssuerService, award_key: str) -> dict[str, Any]:
    """An SD-JWT VC issued over HTTP for ``award_key`` by a fresh offer: its issuer-signed claims."""
    offer = issuer.offers.create(award_key, ("elm",), valid_for=600)
    _, answer = Holder(issuer.issuer).fetch(offer.pre_authorized_code)
    payload: dict[str, Any] = decode_part(answer["credentials"][0]["credential"].split(".")[1])
    return payload


@contextmanager
def issuer_url(exported: Exported, **limits: int) -> Iterator[str]:
    """The issuer of ``exported`` served on a free port of 127.0.0.1, with the limits given
    (``max_client_connections``, ``max_client_requests``, ``max_connection_requests``)."""
    sock = bind("127.0.0.1", 0)
    url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    service = IssuerService(IssuerSettings(url, exported.out_dir), exported.seal())
    try:
        with BackgroundServer(create_app(service), sock, **limits):
            yield url
    finally:
        service.close()


def connect(url: str, source: str = "127.0.0.1") -> socket.socket:
    """A connection to the issuer at ``url`` from the loopback address ``source``."""
    address = urlsplit(url)
    return socket.create_connection((address.hostname, address.port), timeout=10, source_address=(source, 0))
