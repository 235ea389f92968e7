"""Awards files for the pipeline tests."""

from __future__ import annotations

import csv
import os
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

from tests.conftest import FIXTURES


def synthetic_awards(path: Path, count: int) -> Path:
    """``count`` distinct awards (ids SYN-00000...) made from the imperial fixture rows."""
    with (FIXTURES / "imperial" / "awards.csv").open(encoding="utf-8-sig") as source:
        rows = list(csv.DictReader(source))
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        for index in range(count):
            writer.writerow({**rows[index % len(rows)], "award_id": f"SYN-{index:05d}"})
    return path


def ctrl_c_once_ready(command: list[str], ready: Callable[[list[int]], bool]) -> tuple[int, bytes, list[int]]:
    """Run ``command`` in a session of its own until ``ready(workers)`` (given its child processes;
    five minutes at most), then press Ctrl-C as a terminal does, for every process of it: its
    exit code, its stderr, and its workers as they were then. It is killed if it does not end."""
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            start_new_session=True)
    children = Path(f"/proc/{proc.pid}/task/{proc.pid}/children")

    def workers() -> list[int]:
        return [int(pid) for pid in children.read_text().split()] if proc.poll() is None else []

    try:
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline and proc.poll() is None and not ready(workers()):
            time.sleep(0.02)
        started = workers()
        assert started and ready(started), "no worker started, or the work was done before it was stopped"
        os.killpg(proc.pid, signal.SIGINT)
        _, stderr = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
    return proc.returncode, stderr, started
