"""A worker killed while it sends its answer (the system's out-of-memory killer strikes at any
moment) leaves half a message in the pipe the pool reads answers from: the pool then waits for
the rest forever and never says the worker is gone. The run must still stop, say why, and end."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

from tests.conftest import FIXTURES
from tests.pipeline_support import synthetic_awards

# Run in a process of its own: a run that hangs must not hang the tests, only fail them.
SCRIPT = textwrap.dedent("""
    import os, struct, sys
    from pathlib import Path
    from edcbridge.pipeline import Job, RunOptions, run, worker
    from edcbridge.pipeline import runner
    from edcbridge.in_order import WorkerLost

    calls = 0

    def dies_mid_answer(batch):
        global calls
        calls += 1
        if calls == 2:  # this worker's second batch: half an answer, then killed
            frame = sys._getframe()
            while frame.f_code.co_name != "_process_worker":  # the pool's loop in the worker
                frame = frame.f_back
            answers = frame.f_locals["result_queue"]
            if answers._wlock is not None:
                answers._wlock.acquire()
            os.write(answers._writer.fileno(), struct.pack("!i", 1 << 16) + b"half an answer")
            os._exit(137)
        return worker.process_batch(batch)

    runner.process_batch = dies_mid_answer  # the workers are forked: they inherit it
    catalogue, awards, out, store = map(Path, sys.argv[1:5])
    try:
        run([Job(catalogue, (awards,))], RunOptions(out_dir=out, store_root=store, workers=2))
    except WorkerLost as lost:
        print("lost:", lost)
        sys.exit(3)
    print("the run ended without noticing")
""")


def test_a_worker_killed_while_it_answers_stops_the_run(store, tmp_path: Path) -> None:
    awards = synthetic_awards(tmp_path / "awards.csv", 32 * 12)
    try:
        ended = subprocess.run([sys.executable, "-c", SCRIPT, str(FIXTURES / "imperial" / "catalogue.yaml"),
                                str(awards), str(tmp_path / "out"), str(store.root)],
                               capture_output=True, text=True, timeout=120, check=False)
    except subprocess.TimeoutExpired as hung:
        raise AssertionError(f"the run hung after its worker died: {hung.stderr!r}") from None
    assert ended.returncode == 3, ended.stdout + ended.stderr
    assert "a worker process of the run was killed" in ended.stdout
