"""The benchmark runs end to end and prints its RESULT line (no timing is asserted here)."""

from __future__ import annotations

import importlib.util
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from types import ModuleType

from edcbridge.demo import bundled_fixtures
from edcbridge.load import load_catalogue
from edcbridge.pipeline import Job, RunOptions, run
from edcbridge.schemas import SchemaStore
from edcbridge.schemas.store import ENV_VAR
from edcbridge.seal.jades import b64url_decode
from edcbridge.sealing import demo_seal

from .conftest import ROOT


def _bench(store: SchemaStore, *args: str, tmp: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, ENV_VAR: str(store.root)} | ({"TMPDIR": str(tmp)} if tmp is not None else {})
    return subprocess.run([sys.executable, str(ROOT / "bench" / "run.py"), *args], capture_output=True,
                          text=True, env=env, timeout=300, check=False)


def _small_bench(store: SchemaStore, *args: str, tmp: Path | None = None) -> subprocess.CompletedProcess[str]:
    """8 awards, one worker, the sealed credentials only."""
    return _bench(store, "--awards", "8", "--workers", "1", "--sealed-only", *args, tmp=tmp)


RESULT = re.compile(r"^RESULT credentials_per_s=(\d+\.\d) floor_ratio=(\d+\.\d\d) peak_rss_mb=(\d+\.\d)$")


def test_benchmark_runs_and_ends_with_the_result_line(store: SchemaStore) -> None:
    run = _bench(store, "--awards", "24", "--workers", "2")
    assert run.returncode == 0, run.stdout + run.stderr
    lines = run.stdout.strip().splitlines()
    assert "awards 24, done 24, failed 0, workers 2" in lines[0]
    floor = [line for line in lines if line.strip().startswith("floor ")]
    assert len(floor) == 1 and "2 workers at once" in floor[0]
    assert "before the run" in floor[0] and "after" in floor[0]  # the floor is taken on both sides
    found = RESULT.match(lines[-1])
    assert found is not None, lines[-1]
    assert all(float(value) > 0 for value in found.groups())


def test_benchmark_without_validation_says_so(store: SchemaStore) -> None:
    run = _small_bench(store, "--without-validation")
    assert run.returncode == 0, run.stdout + run.stderr
    lines = run.stdout.strip().splitlines()
    assert "awards 8, done 8, failed 0, workers 1" in lines[0]
    validate = [line.split() for line in lines if line.strip().startswith("validate ")]
    assert validate == [] or validate[0][:4] == ["validate", "0.00", "ms/credential", "(worker"]
    assert lines[-2].strip() == "(validation skipped: not the target configuration)"
    assert RESULT.match(lines[-1]) is not None, lines[-1]


def test_benchmark_with_the_ebsi_profile_writes_and_says_it(store: SchemaStore, tmp_path: Path) -> None:
    run = _small_bench(store, "--ebsi", "--keep", str(tmp_path / "out"))
    assert run.returncode == 0, run.stdout + run.stderr
    lines = run.stdout.strip().splitlines()
    assert "awards 8, done 8, failed 0, workers 1" in lines[0]
    assert lines[-2].strip() == "(with the EBSI profile: not the target configuration)"
    assert len(list((tmp_path / "out" / "ebsi").glob("*.json"))) == 8
    assert len(list((tmp_path / "out" / "edc-sealed").glob("*.jsonld"))) == 8
    assert RESULT.match(lines[-1]) is not None, lines[-1]


def test_benchmark_with_a_late_timestamp_authority_seals_at_b_t(store: SchemaStore, tmp_path: Path) -> None:
    run = _small_bench(store, "--tsa-latency", "5", "--keep", str(tmp_path / "out"))
    assert run.returncode == 0, run.stdout + run.stderr
    lines = run.stdout.strip().splitlines()
    assert "awards 8, done 8, failed 0, workers 1" in lines[0]
    assert lines[-2].strip() == "(sealed at B-T, each timestamp 5 ms late: not the target configuration)"
    sealed = list((tmp_path / "out" / "edc-sealed").glob("*.jsonld"))
    assert len(sealed) == 8 and all("sigTst" in _etsiu_text(path) for path in sealed)
    assert RESULT.match(lines[-1]) is not None, lines[-1]


def _etsiu_text(path: Path) -> str:
    """The unsigned properties of a sealed file's signature, decoded."""
    entries = json.loads(path.read_text("utf-8"))["signatures"][0].get("header", {}).get("etsiU", [])
    return "".join(b64url_decode(entry).decode("utf-8") for entry in entries)


def test_benchmark_with_edc_xml_and_a_late_authority_timestamps_both(store: SchemaStore,
                                                                     tmp_path: Path) -> None:
    run = _small_bench(store, "--edc-xml", "--tsa-latency", "5", "--keep", str(tmp_path / "out"))
    assert run.returncode == 0, run.stdout + run.stderr
    lines = run.stdout.strip().splitlines()
    assert "awards 8, done 8, failed 0, workers 1" in lines[0]
    assert lines[-3].strip() == "(with EDC XML 1.2, sealed XAdES: not the target configuration)"
    xml = list((tmp_path / "out" / "edc-xml").glob("*.xml"))
    assert len(xml) == 8 and all(b"EncapsulatedTimeStamp" in path.read_bytes() for path in xml)
    assert RESULT.match(lines[-1]) is not None, lines[-1]


def test_preview_benchmark_compares_one_process_with_the_workers() -> None:
    run = subprocess.run([sys.executable, str(ROOT / "bench" / "preview_bench.py"), "--awards", "40",
                          "--workers", "2"], capture_output=True, text=True, timeout=300, check=False)
    assert run.returncode == 0, run.stdout + run.stderr  # 1 when the workers' pages differ
    found = re.fullmatch(r"RESULT pages=40 one_process_per_s=(\d+\.\d) workers_per_s=(\d+\.\d) "
                         r"speedup=(\d+\.\d\d)", run.stdout.strip().splitlines()[-1])
    assert found is not None, run.stdout
    assert all(float(value) > 0 for value in found.groups())


def test_benchmark_keeping_its_outputs_leaves_nothing_else_behind(store: SchemaStore, tmp_path: Path) -> None:
    # the awards it made and its seal (a private key) are no outputs: the temporary folder goes
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    run = _small_bench(store, "--keep", str(tmp_path / "out"), tmp=tmp)
    assert run.returncode == 0, run.stdout + run.stderr
    assert len(list((tmp_path / "out" / "edc-sealed").glob("*.jsonld"))) == 8
    assert list(tmp.iterdir()) == []


def _bench_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_run", ROOT / "bench" / "run.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_floor_signs_the_documents_the_run_seals(store: SchemaStore, tmp_path: Path) -> None:
    bench = _bench_module()
    catalogue_path = bundled_fixtures() / "imperial" / "catalogue.yaml"
    catalogue = load_catalogue(catalogue_path)
    specs = [s.code for s in catalogue.specifications if s.assessment is not None]
    awards = tmp_path / "awards.csv"
    bench.synthetic_awards(awards, 6, 1, specs)
    options = RunOptions(out_dir=tmp_path / "out", store_root=store.root, formats=(), workers=1,
                         seal=demo_seal(tmp_path / "seal", catalogue))
    assert run([Job(catalogue_path, (awards,))], options).done == 6
    floor = [bench.floor_payload(doc) for doc in bench._floor_documents(awards, catalogue_path, 6)]
    sealed = [json.loads(path.read_text("utf-8"))["payload"].encode("utf-8")
              for path in sorted((tmp_path / "out" / "edc-sealed").glob("*.jsonld"))]
    assert floor == sealed


def test_the_same_seed_makes_the_same_awards(tmp_path: Path) -> None:
    bench = _bench_module()
    specs = ["A", "B", "C"]
    for name, seed in (("one", 7), ("again", 7), ("other", 8)):
        bench.synthetic_awards(tmp_path / name, 50, seed, specs)
    assert (tmp_path / "one").read_bytes() == (tmp_path / "again").read_bytes()
    assert (tmp_path / "one").read_bytes() != (tmp_path / "other").read_bytes()


def test_peak_memory_of_a_run_without_workers_is_its_own(store: SchemaStore) -> None:
    # with one worker the run is done in the benchmark's process: the floor's processes are no
    # workers of it
    run = _small_bench(store)
    assert run.returncode == 0, run.stdout + run.stderr
    lines = run.stdout.strip().splitlines()
    memory = [line.split() for line in lines if line.strip().startswith("memory ")]
    assert len(memory) == 1 and memory[0][:2] == ["memory", "main"], memory
    found = RESULT.match(lines[-1])
    assert found is not None, lines[-1]
    assert float(found.group(3)) == float(memory[0][2])


def test_peak_memory_adds_every_worker_at_the_largest_ones_peak() -> None:
    peak = _bench_module().peak_rss_mb
    assert peak(100.0, 0.0, 1) == 100.0
    assert peak(100.0, 60.0, 1) == 100.0  # the floor's processes, when the run has no workers
    assert peak(100.0, 60.0, 3) == 280.0


def test_each_stage_gives_its_credentials_per_second(store: SchemaStore) -> None:
    run = _small_bench(store)
    assert run.returncode == 0, run.stdout + run.stderr
    stages = {line.split()[0]: line for line in run.stdout.splitlines()
              if line.strip().split(" ", 1)[0] in ("map", "validate", "seal", "write")}
    assert set(stages) == {"map", "validate", "seal", "write"}, run.stdout
    for line in stages.values():
        found = re.search(r" (\d+\.\d\d) ms/credential .*, (\d+) credentials/s in one worker", line)
        assert found is not None, line
        shown, rate = float(found.group(1)), int(found.group(2))  # the time rounded to 0.01 ms
        assert 1000 / (shown + 0.005) <= rate + 1
        assert shown < 0.005 or rate <= 1000 / (shown - 0.005) + 1


def test_the_result_line_does_not_round_a_ratio_above_three_to_three() -> None:
    line = _bench_module().result_line(1234.56, 3.04, 210.04)
    assert RESULT.match(line) is not None, line
    assert line == "RESULT credentials_per_s=1234.6 floor_ratio=3.04 peak_rss_mb=210.0"
