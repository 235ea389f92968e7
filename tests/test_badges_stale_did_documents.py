"""A run into an output folder holding the DID documents of an earlier run that published other
DIDs: what it did not write (OUT/did.json after a run of several did:web issuers, OUT/did/...
after a run of one) no longer matches what was signed and could be published by mistake, so it is
removed and said; a file there that is no DID document is kept, and named."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.test_badges_data_integrity import DID, _badges, _catalogue_with_did
from tests.test_badges_did_web_jwt import _ec_seal, _issuer_given_did
from tests.test_badges_signing import seal_options

WALES = "did:web:wales.example:registry:badges"


def _several(out: Path, seals: Path) -> Any:
    """A run signing for two did:web issuers (as demo makes them) into ``out``."""
    from edcbridge.badges import write_badges
    from edcbridge.sealing import demo_seal
    from tests.preview_support import fixture_pairs

    dids = {"sofia": DID, "wales": WALES}
    catalogues = {name: _issuer_given_did(c, dids[name]) for name, _, c in fixture_pairs() if name in dids}
    pairs = [(a, catalogues[name]) for name, a, _ in fixture_pairs() if name in dids]
    keys = {id(c): demo_seal(seals / name, c).load().key for name, c in catalogues.items()}
    outputs = write_badges(pairs, out, key_for=lambda c: keys[id(c)])
    assert outputs.ok, outputs.failed
    return outputs


def _one(tmp_path: Path, out: Path) -> Any:
    """``badges`` signing for the one did:web issuer of the Sofia catalogue into ``out``."""
    catalogue = _catalogue_with_did(tmp_path / "catalogue", DID)
    return _badges(out, *seal_options(tmp_path, _ec_seal(tmp_path, catalogue)), catalogue=catalogue)


def test_badges_of_one_did_after_a_run_of_several_removes_their_did_documents(tmp_path: Path) -> None:
    out = tmp_path / "out"
    earlier = _several(out, tmp_path / "seals")
    assert len(earlier.did_documents) == 2 and all(path.is_file() for path in earlier.did_documents)
    result = _one(tmp_path, out)
    assert json.loads((out / "did.json").read_bytes())["id"] == DID
    assert not (out / "did").exists()
    for path in earlier.did_documents:
        assert f"note: removed {path}: an earlier run's DID document" in result.stderr


def test_a_run_of_several_dids_after_badges_of_one_removes_out_did_json(tmp_path: Path) -> None:
    out = tmp_path / "out"
    _one(tmp_path, out)
    assert (out / "did.json").is_file()
    outputs = _several(out, tmp_path / "seals")
    assert not (out / "did.json").exists()
    assert outputs.stale.removed == [out / "did.json"] and not outputs.stale.kept
    assert all(path.is_file() for path in outputs.did_documents)


def test_a_run_of_several_dids_keeps_their_documents_and_removes_a_did_no_longer_signed_for(
        tmp_path: Path) -> None:
    out = tmp_path / "out"
    old = out / "did" / "gone.example" / "did.json"
    old.parent.mkdir(parents=True)
    old.write_text(json.dumps({"@context": ["https://www.w3.org/ns/did/v1"], "id": "did:web:gone.example"}))
    outputs = _several(out, tmp_path / "seals")
    assert outputs.stale.removed == [old] and not old.parent.exists()
    assert all(path.is_file() for path in outputs.did_documents)


def test_a_file_that_is_no_did_document_is_kept_and_named(tmp_path: Path) -> None:
    out = tmp_path / "out"
    other = out / "did" / "notes" / "did.json"
    other.parent.mkdir(parents=True)
    other.write_text("the operator's own notes", "utf-8")
    result = _one(tmp_path, out)
    assert other.read_text("utf-8") == "the operator's own notes"
    assert (f"warning: {other} is not a DID document this run wrote and was not removed (it does not "
            "read as a DID document)") in result.stderr


def test_demo_of_several_dids_after_badges_of_one_removes_out_did_json_and_says_so(
        store: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import shutil

    from click.testing import CliRunner

    from edcbridge.cli import main
    from tests.conftest import FIXTURES

    monkeypatch.setenv("EDCBRIDGE_SCHEMAS", str(store.root))
    out = tmp_path / "out"
    _one(tmp_path, out)
    assert (out / "did.json").is_file()
    for name, did in {"galway": "did:web:galway.example:credentials", "sofia": DID}.items():
        shutil.copytree(FIXTURES / name, tmp_path / "fixtures" / name)
        catalogue = tmp_path / "fixtures" / name / "catalogue.yaml"
        text = catalogue.read_text("utf-8")
        marker = next(line for line in text.splitlines(keepends=True) if "eidas_identifier:" in line)
        catalogue.write_text(text.replace(marker, f"{marker}    did: {did}\n", 1), "utf-8")
    result = CliRunner().invoke(main, ["demo", "--out", str(out), "--fixtures", str(tmp_path / "fixtures")])
    assert result.exit_code == 0, result.stderr
    assert not (out / "did.json").exists()
    assert f"note: removed {out / 'did.json'}: an earlier run's DID document" in result.stderr
    assert (out / "did" / "registry.uni-sofia.example" / "did.json").is_file()
