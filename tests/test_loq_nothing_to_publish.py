"""A catalogue none of whose specifications LOQ can describe writes no LOQ document: an empty one
would pass loq.xsd, and a register taking the folder would then remove every entry of the
institution. An earlier document is kept as it was, and the run says which, from when and why."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from edcbridge.cli import main
from edcbridge.load import load_catalogue
from edcbridge.schemas import SchemaStore
from edcbridge.xml.export import write_loq
from tests.conftest import FIXTURES

GALWAY = FIXTURES / "galway"


def _catalogue(tmp_path: Path, without_isced: int) -> Path:
    """The Galway catalogue with the ISCED-F fields of its first ``without_isced`` specifications
    taken out (it has two)."""
    lines = (GALWAY / "catalogue.yaml").read_text(encoding="utf-8").splitlines(keepends=True)
    dropped = [i for i, line in enumerate(lines) if line.lstrip().startswith("isced_f:")]
    assert len(dropped) == 2
    path = tmp_path / f"catalogue-{without_isced}.yaml"
    path.write_text("".join(line for i, line in enumerate(lines) if i not in dropped[:without_isced]),
                    encoding="utf-8")
    return path


def _earlier(out: Path, store: SchemaStore) -> tuple[Path, bytes]:
    outcome = write_loq(load_catalogue(GALWAY / "catalogue.yaml"), out, store)
    assert outcome.path is not None and len(outcome.specifications) == 2
    return outcome.path, outcome.path.read_bytes()


def test_an_earlier_document_is_kept_when_nothing_can_be_published(store: SchemaStore,
                                                                   tmp_path: Path) -> None:
    path, before = _earlier(tmp_path / "out", store)
    outcome = write_loq(load_catalogue(_catalogue(tmp_path, 2)), tmp_path / "out", store)
    assert outcome.path is None and outcome.specifications == []
    assert path.read_bytes() == before
    [said] = [f for f in outcome.findings if f.code == "loq-empty"]
    assert str(path) in said.message and "kept" in said.message and "UTC" in said.message
    assert "isced_f" in " ".join(f.fix for f in outcome.findings if f.code == "loq-skipped")
    assert "loq-skipped" in said.fix


def test_no_document_is_written_when_nothing_can_be_published(store: SchemaStore, tmp_path: Path) -> None:
    outcome = write_loq(load_catalogue(_catalogue(tmp_path, 2)), tmp_path / "out", store)
    assert outcome.path is None
    assert not (tmp_path / "out" / "loq").exists() or not any((tmp_path / "out" / "loq").iterdir())
    [said] = [f for f in outcome.findings if f.code == "loq-empty"]
    assert "not written" in said.message and "kept" not in said.message


def test_some_specifications_publishable_is_a_normal_write(store: SchemaStore, tmp_path: Path) -> None:
    path, before = _earlier(tmp_path / "out", store)
    outcome = write_loq(load_catalogue(_catalogue(tmp_path, 1)), tmp_path / "out", store)
    assert outcome.path == path and len(outcome.specifications) == 1
    assert path.read_bytes() != before
    assert not [f for f in outcome.findings if f.code == "loq-empty"]


def test_the_loq_command_keeps_the_earlier_document(store: SchemaStore, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EDCBRIDGE_SCHEMAS", str(store.root))
    path, before = _earlier(tmp_path / "out", store)
    result = CliRunner().invoke(main, ["loq", str(_catalogue(tmp_path, 2)), "-o", str(tmp_path / "out"),
                                       "-q"])
    assert result.exit_code == 1, result.output
    assert path.read_bytes() == before
    assert result.stdout == ""  # no file written, none listed
    assert "loq-empty" in result.stderr and str(path) in result.stderr


def test_export_keeps_the_earlier_document(store: SchemaStore, tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EDCBRIDGE_SCHEMAS", str(store.root))
    out = tmp_path / "out"
    path, before = _earlier(out, store)
    catalogue = _catalogue(tmp_path, 2)
    result = CliRunner().invoke(main, ["export", str(GALWAY / "awards.jsonl"), "-c", str(catalogue),
                                       "-o", str(out), "--format", "loq", "-j", "1"])
    assert result.exit_code == 0, result.output
    assert path.read_bytes() == before
    assert str(path) not in result.stdout.splitlines()
    assert "loq-empty" in result.stderr and str(path) in result.stderr
