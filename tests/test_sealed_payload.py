"""The payload of a sealed EDC is written as the EC's issuer writes it: JSON without whitespace,
the same credential as the unsealed file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from edcbridge.load import load_catalogue
from edcbridge.pipeline import Job, RunOptions, run
from edcbridge.schemas import SchemaStore
from edcbridge.sealing import SealFactory, demo_seal
from tests.conftest import FIXTURES

CATALOGUE = FIXTURES / "imperial" / "catalogue.yaml"
AWARDS = FIXTURES / "imperial" / "awards.csv"
EC_SAMPLES = ("Sample-MC-Annex1-signed.jsonld", "Sample-CertOfPart-signed.jsonld")


def _compact(text: str) -> str:
    """What the standard library writes for the same JSON, without whitespace."""
    return json.dumps(json.loads(text), ensure_ascii=False, separators=(",", ":"))


@pytest.fixture(scope="module")
def seal(tmp_path_factory: pytest.TempPathFactory) -> SealFactory:
    return demo_seal(tmp_path_factory.mktemp("seal"), load_catalogue(CATALOGUE))


@pytest.mark.parametrize("sample", EC_SAMPLES)
def test_the_ec_issuer_seals_compact_json(reference: Path, sample: str) -> None:
    sealed = json.loads((reference / "examples" / "elm-repo-v3-jsonld" / sample).read_bytes())
    assert sealed["payload"] == _compact(sealed["payload"])


@pytest.mark.parametrize("workers", [1, 2])
def test_an_export_seals_the_credential_of_edc_as_compact_json(
        store: SchemaStore, seal: SealFactory, tmp_path: Path, workers: int) -> None:
    out = tmp_path / "out"
    result = run([Job(CATALOGUE, (AWARDS,))], RunOptions(
        out_dir=out, store_root=store.root, formats=("edc", "edc-sealed"), workers=workers, seal=seal))
    assert result.failed == 0 and result.done > 0
    sealed_files = sorted((out / "edc-sealed").iterdir())
    assert len(sealed_files) == result.done
    for path in sealed_files:
        payload = json.loads(path.read_bytes())["payload"]
        unsealed = (out / "edc" / path.name).read_text("utf-8")
        assert payload == _compact(unsealed), path.name
        assert "\n" not in payload
