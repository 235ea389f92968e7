"""A worker takes a batch stage by stage (every award mapped, then every credential validated
check by check, then sealed, then every file written): each award's outcome is exactly the one
it gets alone, whatever else is in its batch, failures included."""

from __future__ import annotations

import dataclasses
import hashlib
from pathlib import Path
from typing import Any

import pytest

from edcbridge.load import iter_awards, load_catalogue
from edcbridge.pipeline import worker
from edcbridge.sealing import demo_seal
from tests.conftest import FIXTURES

IMPERIAL = FIXTURES / "imperial"


def _items(catalogue_path: Path) -> list[tuple[str, str, str, int, str]]:
    catalogue = load_catalogue(catalogue_path)
    awards = [r.award for r in iter_awards(IMPERIAL / "awards.csv", catalogue) if r.award]
    # one that fails in the worker: its specification is not in the catalogue (the loader would
    # have refused it; here it stands for an award the worker cannot map)
    broken = awards[0].model_copy(update={"award_id": "BROKEN-1"})
    items = [(a.award_id, hashlib.sha256(a.award_id.encode()).hexdigest(), a.model_dump_json(), n,
              "awards.csv") for n, a in enumerate(awards, start=2)]
    items.insert(2, ("BROKEN-1", "0" * 64, broken.model_dump_json().replace(
        '"specification":"IMP-MC-MLH"', '"specification":"NOPE"'), 99, "awards.csv"))
    return items


def _comparable(outcome: worker.Outcome, out: Path) -> dict[str, Any]:
    seen = dataclasses.asdict(outcome)
    seen.pop("seconds")
    for written in seen["outputs"].values():
        written.pop("mtime_ns")
        written["path"] = str(Path(written["path"]).relative_to(out))
    return seen


def _without_issuer(award_id: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """Map the award ``award_id`` to a credential without its issuer, which fails validation."""
    real_to_edc = worker.to_edc

    def to_edc(award: Any, catalogue: Any) -> dict[str, Any]:
        doc = real_to_edc(award, catalogue)
        if award.award_id == award_id:
            doc.pop("issuer")
        return doc

    monkeypatch.setattr(worker, "to_edc", to_edc)
    return award_id


def test_each_outcome_is_the_one_it_gets_alone(store, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    catalogue_path = IMPERIAL / "catalogue.yaml"
    items = _items(catalogue_path)
    invalid = _without_issuer(items[4][0], monkeypatch)
    seal = demo_seal(tmp_path / "seal", load_catalogue(catalogue_path))
    found = {}
    for name, batched in (("alone", False), ("batched", True)):
        out = tmp_path / name
        worker.init_worker(worker.WorkerConfig(catalogue_path, store.root, out, ("edc", "ebsi"), True, seal))
        outcomes = (worker.process_batch(items) if batched
                    else [worker.process_batch([item])[0] for item in items])
        assert [o.key for o in outcomes] == [item[0] for item in items]
        found[name] = [_comparable(o, out) for o in outcomes]
    alone, batched = found["alone"], found["batched"]
    assert {o["state"] for o in alone} == {"done", "failed"}  # the batch mixes both
    failed = {o["key"]: o["stage"] for o in alone if o["state"] == "failed"}
    assert failed == {"BROKEN-1": "map", invalid: "validate"}
    assert any("issuer" in error for o in alone if o["key"] == invalid for error in o["errors"])
    for single, in_batch in zip(alone, batched, strict=True):
        for written in (single, in_batch):
            sealed = written["outputs"].get("edc-sealed")
            if sealed is not None:  # a seal holds its signing time: compare where it was written
                sealed.pop("sha256"), sealed.pop("size")
        assert single == in_batch


@pytest.fixture(autouse=True)
def _fresh_worker_state() -> Any:
    yield
    worker._STATE = None


def test_an_award_whose_findings_cannot_be_told_fails_alone(store, tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """A bug met while an award's findings are put in the catalogue's terms fails that award,
    as any other step's bug does, not the batch."""
    catalogue_path = IMPERIAL / "catalogue.yaml"
    items = _items(catalogue_path)
    invalid = _without_issuer(items[4][0], monkeypatch)

    def in_catalogue_terms(finding: Any, specification: str) -> Any:
        if finding.severity == "error":
            raise RuntimeError("a bug met by this award's findings only")
        return finding

    monkeypatch.setattr(worker, "in_catalogue_terms", in_catalogue_terms)
    out = tmp_path / "out"
    worker.init_worker(worker.WorkerConfig(catalogue_path, store.root, out, ("edc",), True, None))
    outcomes = worker.process_batch(items)
    failed = {o.key: o.stage for o in outcomes if o.state == "failed"}
    assert failed == {"BROKEN-1": "map", invalid: "validate"}
    (bad,) = [o for o in outcomes if o.key == invalid]
    assert any("internal error: RuntimeError" in error for error in bad.errors)
    assert all(o.outputs for o in outcomes if o.state == "done")


def test_an_outcome_reads_back_whole_in_the_main_process() -> None:
    """What a worker answers is pickled: every field comes back as it was, none shared."""
    import pickle

    values = {f.name: f"<{f.name}>" for f in dataclasses.fields(worker.Outcome)}
    values.update(row=7, file_level=True, outputs={"edc": {"path": "p"}}, errors=["e"],
                  warnings=["w"], seconds={"map": 0.5})
    outcome = worker.Outcome(**values)
    again = pickle.loads(pickle.dumps([outcome, outcome]))
    assert again[0] == outcome and again[0] is not outcome and again[0] is again[1]
    assert dataclasses.asdict(again[0]) == values
