"""What a run's workers load when they start: with fork, the catalogue the run read, the seal
the run opened and the shapes the run loaded are taken from memory, not read, decrypted and
loaded again by each worker."""

from __future__ import annotations

import multiprocessing
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from edcbridge.load import load_catalogue
from edcbridge.pipeline import Job, RunOptions, run, worker
from edcbridge.schemas import SchemaStore
from edcbridge.seal import devpki, keys
from edcbridge.seal.errors import PasswordError
from edcbridge.sealing import demo_seal
from edcbridge.validation import fastshacl
from tests.conftest import FIXTURES
from tests.pipeline_support import synthetic_awards

CATALOGUE = FIXTURES / "imperial" / "catalogue.yaml"

forked = pytest.mark.skipif(multiprocessing.get_start_method() != "fork",
                            reason="workers started by fork only")


def _not_again(*args: Any, **kwargs: Any) -> Any:
    raise AssertionError("read again in a worker")


@forked
def test_workers_take_the_catalogue_the_run_read(store: SchemaStore, tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    awards = synthetic_awards(tmp_path / "awards.csv", 70)
    catalogue = load_catalogue(CATALOGUE)
    monkeypatch.setattr(worker, "load_catalogue", _not_again)  # the workers are forked: inherited
    result = run([Job(CATALOGUE, (awards,))],
                 RunOptions(out_dir=tmp_path / "out", store_root=store.root, workers=2))
    assert (result.done, result.failed) == (70, 0)
    assert len(list((tmp_path / "out" / "edc").glob("*.jsonld"))) == 70
    assert catalogue.issuer  # read once here, as the run reads it


@forked
def test_workers_take_the_seal_the_run_opened(store: SchemaStore, tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    awards = synthetic_awards(tmp_path / "awards.csv", 70)
    seal = demo_seal(tmp_path / "seal", load_catalogue(CATALOGUE))
    opened: list[int] = []
    decrypt = keys._decrypt_p12

    def counted(*args: Any) -> Any:
        opened.append(1)  # a list: appended in a forked worker, it stays there
        if multiprocessing.parent_process() is not None:
            raise AssertionError("decrypted again in a worker")
        return decrypt(*args)

    monkeypatch.setattr(keys, "_decrypt_p12", counted)
    monkeypatch.setattr(keys, "_OPENED", {})
    result = run([Job(CATALOGUE, (awards,))],
                 RunOptions(out_dir=tmp_path / "out", store_root=store.root, workers=2, seal=seal))
    assert (result.done, result.failed) == (70, 0)
    assert len(list((tmp_path / "out" / "edc-sealed").glob("*.jsonld"))) == 70
    assert opened == [1]  # once, by the run, for all its uses


@forked
def test_workers_take_the_shapes_the_run_loaded(store: SchemaStore, tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """The run validates its first batch before it forks the workers: they start with the
    shapes loaded, and validate every credential, the first batch's too, as before."""
    awards = synthetic_awards(tmp_path / "awards.csv", 70)
    loaded: list[int] = []
    load = fastshacl.compiled_cached

    def counted(*args: Any) -> Any:
        loaded.append(1)
        if multiprocessing.parent_process() is not None:
            raise AssertionError("loaded again in a worker")
        return load(*args)

    monkeypatch.setattr(fastshacl, "compiled_cached", counted)
    fastshacl.compiled.cache_clear()  # loaded afresh by this run
    result = run([Job(CATALOGUE, (awards,))],
                 RunOptions(out_dir=tmp_path / "out", store_root=store.root, workers=2))
    assert (result.done, result.failed) == (70, 0)
    assert len(list((tmp_path / "out" / "edc").glob("*.jsonld"))) == 70
    assert loaded  # by the run, before its workers


def test_a_seal_file_changed_or_a_wrong_password_is_not_taken_from_memory(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    now = datetime.now(UTC)
    pki = devpki.generate(now=now)
    files = devpki.write(pki, tmp_path / "pki")
    monkeypatch.setattr(keys, "_OPENED", {})
    first = keys.load_p12(files.p12, files.password, at=now)
    with pytest.raises(PasswordError, match="wrong password"):
        keys.load_p12(files.p12, b"not-the-password", at=now)
    other = devpki.write(devpki.generate(now=now), tmp_path / "other")
    files.p12.write_bytes(other.p12.read_bytes())  # another seal under the same name
    second = keys.load_p12(files.p12, other.password, at=now)
    assert second.certificate != first.certificate
    assert keys.load_p12(files.p12, other.password, at=now).certificate == second.certificate
