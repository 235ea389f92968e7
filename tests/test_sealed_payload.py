"""The payload of a sealed EDC is written as the EC's issuer writes it: JSON without whitespace,
the same credential as the unsealed file; and the sealed file carries it as a JSON string."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from edcbridge.load import load_catalogue
from edcbridge.mapping.nodes import frozen
from edcbridge.output import escaped, sealing_payload, serialise_payload, unassigned_in
from edcbridge.pipeline import Job, RunOptions, run
from edcbridge.schemas import SchemaStore
from edcbridge.seal import Sealer
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


# texts with what JSON escapes, past ASCII, and characters Unicode has not assigned (U+0378, U+FFFE)
_TEXTS = st.text(alphabet=st.sampled_from(['"', "\\", "\n", "\x00", "\x1f", "\x7f", "a", "é", "Ł", "\u2028",
                                           "\u0378", "\ufffe", "😀", "/", ":", ","]), max_size=8)


def _plain(node: Any) -> Any:
    """The value with every shared node a plain dict (the JSON it stands for)."""
    if isinstance(node, dict):
        return {key: _plain(value) for key, value in node.items()}
    if isinstance(node, list):
        return [_plain(value) for value in node]
    return node


@st.composite
def _documents(draw: st.DrawFn) -> dict[str, Any]:
    """A credential-like document: its own nodes, and nodes shared by every document of a
    catalogue entry (frozen), the same object in several places, one inside another."""
    leaves = st.one_of(_TEXTS, st.integers(-(2**63), 2**63 - 1), st.booleans(), st.none())
    values = st.recursive(leaves, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                          st.dictionaries(_TEXTS, inner, max_size=3)),
                          max_leaves=8)
    shared = [frozen(draw(st.dictionaries(_TEXTS, values, max_size=3))) for _ in range(2)]
    shared.append(frozen({"inner": shared[0], "text": draw(_TEXTS)}))
    nodes = st.one_of(values, st.sampled_from(shared))
    return draw(st.dictionaries(_TEXTS, st.one_of(nodes, st.lists(nodes, max_size=3),
                                                  st.dictionaries(_TEXTS, nodes, max_size=3)), max_size=6))


@settings(max_examples=300, deadline=None)
@given(doc=_documents())
def test_the_sealed_payload_and_its_json_string_are_the_standard_librarys(doc: dict[str, Any]) -> None:
    """The payload is the compact JSON of the whole document (shared nodes written once per
    process), its unassigned characters as escapes, and the text the sealed file carries is
    that payload as a JSON string, as ``json.dumps`` writes them."""
    standard = json.dumps(_plain(doc), ensure_ascii=False, separators=(",", ":"))
    unassigned = unassigned_in(standard)
    payload = escaped(standard.encode("utf-8"), unassigned)
    data, as_string = sealing_payload(doc, unassigned)
    assert data == payload
    assert as_string == json.dumps(payload.decode("utf-8"), ensure_ascii=False)[1:-1].encode("utf-8")
    assert sealing_payload(doc, unassigned) == (data, as_string)  # written from memory


def test_a_document_holding_a_subclass_of_text_is_written_as_ever() -> None:
    class Text(str):
        pass

    shared = frozen({"name": "Siân \"q\""})
    doc = {"a": Text("x\"y"), "b": shared, "c": [shared]}
    data, as_string = sealing_payload(doc, frozenset())
    assert data == serialise_payload(_plain(doc), frozenset())
    assert as_string == json.dumps(data.decode("utf-8"), ensure_ascii=False)[1:-1].encode("utf-8")


def test_a_seal_of_the_payload_given_as_a_json_string_is_the_seal_of_the_payload(seal: SealFactory) -> None:
    at = datetime.now(UTC).replace(microsecond=0)  # one signing time: the same protected header
    sealer = Sealer.from_p12(seal.p12, seal.password, clock=lambda: at)
    doc = {"@context": ["x"], "issuer": frozen({"name": {"cy": "Prifysgol \"Aber\" \\ Łódź"}}), "n": 1}
    data, as_string = sealing_payload(doc, frozenset())
    assert sealer.seal_serialised(data, as_string) == sealer.seal_serialised(data)
