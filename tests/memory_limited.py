"""Running a piece of edcbridge in a child process under a memory limit: an input that would
fill the machine's memory fails the child (MemoryError), never the test run."""

from __future__ import annotations

import resource
import subprocess
import sys
import textwrap
from collections.abc import Callable


def _limit(megabytes: int) -> Callable[[], None]:
    def limit() -> None:
        size = megabytes * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (size, size))
    return limit


def printed_within(megabytes: int, program: str) -> str:
    """What ``program`` (Python source, dedented) prints, run with at most ``megabytes`` of address
    space; the child must exit 0 (a MemoryError or traceback fails the test with its end)."""
    done = subprocess.run([sys.executable, "-c", textwrap.dedent(program)], capture_output=True,
                          text=True, preexec_fn=_limit(megabytes), check=False)
    assert done.returncode == 0, done.stderr[-500:]
    return done.stdout
