"""Shared test fixtures: the official reference files, a schema store, fixture sets."""

from __future__ import annotations

import atexit
import csv
import os
import shutil
import tempfile
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import click
import pytest

from edcbridge.schemas import SchemaStore
from edcbridge.seal.devpki import (
    DevPki,
    TestSeal,
    ec_seal_key,
    generate,
    generate_test_seal,
    load_tsa_signer,
    write,
)
from edcbridge.seal.keys import SealKey
from edcbridge.seal.tsa import TsaClient
from edcbridge.seal.tsa_server import DevServer, TimestampAuthority

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = ROOT.parent / "shared" / "reference"
# the demo sets ship in the package (edcbridge demo); the bad inputs are for the tests only
FIXTURES = ROOT / "src" / "edcbridge" / "demo-fixtures"
BROKEN = ROOT / "fixtures" / "broken"
REQUIRE_PEERS = os.environ.get("EDCBRIDGE_REQUIRE_PEERS") == "1"
# the compiled shapes are cached per user (edcbridge.validation.shapes_cache): the tests start
# from an empty cache of their own, so the shapes are compiled in them, not read from a warm one
if "EDCBRIDGE_CACHE" not in os.environ:
    os.environ["EDCBRIDGE_CACHE"] = tempfile.mkdtemp(prefix="edcbridge-test-cache-")
    atexit.register(shutil.rmtree, os.environ["EDCBRIDGE_CACHE"], True)


def reference_context_loader(url: str, options: Any = None) -> dict[str, Any]:
    """A pyld document loader of the EDC 3.2 and VC 1.1 contexts, read from the reference folder
    itself (not the schema store): official checks that do not go through our own reading."""
    import json

    local = {
        "https://www.w3.org/2018/credentials/v1": "w3c-vc-contexts/credentials-v1.jsonld",
        "http://data.europa.eu/snb/model/context/edc-ap": "elm3-rdf/3.2/rdf/ap/edc/edc-ap-context.jsonld",
    }[url]
    return {"contentType": "application/ld+json", "contextUrl": None, "documentUrl": url,
            "document": json.loads((REFERENCE / local).read_text("utf-8"))}


def need_tool(name: str) -> str:
    """The path of a peer tool; skip (or fail in CI, where it must be installed) without it."""
    path = shutil.which(name)
    if path is None:
        message = f"{name} is not installed"
        if REQUIRE_PEERS:
            pytest.fail(message + " (CI installs it: see .ci/run)")
        pytest.skip(message)
    return path


@pytest.fixture(scope="session")
def reference() -> Path:
    if not REFERENCE.is_dir():
        if REQUIRE_PEERS:
            pytest.fail(f"official reference files not found at {REFERENCE}")
        pytest.skip(f"official reference files not found at {REFERENCE}")
    return REFERENCE


@pytest.fixture(scope="session")
def store(reference: Path, tmp_path_factory: pytest.TempPathFactory) -> SchemaStore:
    """A schema store installed from the reference folder (not the checkout's xsd/)."""
    schema_store = SchemaStore(tmp_path_factory.mktemp("schemas"))
    result = schema_store.install_from(reference)
    assert not result.failed, result.failed
    return schema_store


@pytest.fixture(scope="session")
def fixture_sets() -> list[tuple[Path, list[Path]]]:
    from edcbridge.demo import fixture_sets as find

    sets = find(FIXTURES)
    assert sets, "no fixture sets found"
    return sets


@cache
def fixture_awards() -> tuple[tuple[str, Any, Any], ...]:
    """Every award of the bundled fixture sets: (``set:award_id``, award, catalogue)."""
    from edcbridge.demo import fixture_sets as find
    from edcbridge.load import iter_awards, load_catalogue

    cases = []
    for catalogue_path, award_files in find(FIXTURES):
        catalogue = load_catalogue(catalogue_path)
        for path in award_files:
            for row in iter_awards(path, catalogue):
                assert row.award is not None, [e.render() for e in row.errors]
                cases.append((f"{catalogue_path.parent.name}:{row.award.award_id}", row.award, catalogue))
    return tuple(cases)


def fixture_credentials() -> list[tuple[str, dict[str, Any]]]:
    """Every fixture award as EDC JSON-LD: (``set:award_id``, credential)."""
    from edcbridge.mapping.edc import to_edc

    return [(name, to_edc(award, catalogue)) for name, award, catalogue in fixture_awards()]


def seal_commands() -> click.Group:
    """verify and the other seal commands on a group of their own, without the format check the
    edcbridge command adds (for seals over credentials that are not EDC)."""
    from edcbridge.seal.cli import register

    @click.group()
    def commands() -> None:
        """verify without a format check."""

    register(commands)
    return commands


@pytest.fixture(scope="module")
def pki() -> DevPki:
    """A TEST PKI (root CA, e-seal, TSA), one per module; modules needing other dates make their own."""
    return generate()


@pytest.fixture(scope="module")
def written(pki: DevPki, tmp_path_factory: pytest.TempPathFactory) -> TestSeal:
    """The module's TEST PKI on disk: seal.p12, seal-key.pem (encrypted), root-ca.pem..."""
    return write(pki, tmp_path_factory.mktemp("pki"))


@pytest.fixture(scope="module")
def tsa(pki: DevPki) -> Iterator[TsaClient]:
    """A client of an RFC 3161 timestamp authority on 127.0.0.1 signing with the PKI's TSA key."""
    with DevServer(TimestampAuthority(pki.tsa_signer())) as server:
        client = TsaClient(server.tsa_url, timeout=5)
        yield client
        client.close()


@pytest.fixture(scope="module")
def ec_seal(pki: DevPki) -> SealKey:
    """An EC P-256 TEST seal under the PKI's root."""
    return ec_seal_key(pki)


@pytest.fixture(scope="module")
def rsa_seal(pki: DevPki) -> SealKey:
    """The PKI's RSA TEST seal with its root."""
    return SealKey(pki.seal.key, pki.seal.certificate, (pki.root.certificate,))


@pytest.fixture(scope="module")
def test_seal(tmp_path_factory: pytest.TempPathFactory) -> TestSeal:
    """A written TEST PKI (PKCS#12 seal, root CA, TSA key), one per module."""
    return generate_test_seal(tmp_path_factory.mktemp("pki"))


@pytest.fixture(scope="module")
def test_seal_tsa(test_seal: TestSeal) -> Iterator[TsaClient]:
    """A timestamp authority on 127.0.0.1 signing with the written TEST PKI's TSA key."""
    with DevServer(TimestampAuthority(load_tsa_signer(test_seal))) as server:
        client = TsaClient(server.tsa_url, timeout=5)
        yield client
        client.close()


@pytest.fixture
def csv_limit_kept() -> Iterator[None]:
    """The csv module's cell limit (of the process) as it was before the test."""
    limit = csv.field_size_limit()
    yield
    csv.field_size_limit(limit)
