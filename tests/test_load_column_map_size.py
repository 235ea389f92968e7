"""A column mapping file (``--columns FILE``) names a few dozen headers: it is read at most to
its limit, so a huge file, or a device that never ends, is refused without filling the memory."""

from __future__ import annotations

import resource
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from edcbridge.load.column_map import file_pairs

MEMORY_LIMIT = 512 * 1024 * 1024


def _limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


def _file_pairs_within_memory_limit(path: Path) -> str:
    program = textwrap.dedent(f"""
        from pathlib import Path
        from edcbridge.load.column_map import file_pairs
        try:
            file_pairs(Path({str(path)!r}))
        except ValueError as exc:
            print(exc)
    """)
    done = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True,
                          preexec_fn=_limit_memory, check=False)
    assert done.returncode == 0, done.stderr[-500:]
    return done.stdout


def test_a_mapping_file_larger_than_the_memory_is_refused_unread(tmp_path: Path) -> None:
    mapping = tmp_path / "columns.csv"
    with mapping.open("wb") as handle:
        handle.truncate(2 * MEMORY_LIMIT)  # sparse: no disk space taken
    said = _file_pairs_within_memory_limit(mapping)
    assert said.startswith(f"{mapping}: more than a column mapping of 65,536 bytes may be")


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="needs /dev/zero")
def test_a_device_given_as_mapping_file_is_read_no_further_than_the_limit() -> None:
    said = _file_pairs_within_memory_limit(Path("/dev/zero"))
    assert said.startswith("/dev/zero: more than a column mapping of 65,536 bytes may be")


def test_a_mapping_file_within_the_limit_is_read(tmp_path: Path) -> None:
    mapping = tmp_path / "columns.csv"
    mapping.write_text("header,column\nMatrikelnummer,learner_id\n", encoding="utf-8")
    assert [pair[:2] for pair in file_pairs(mapping)] == [("Matrikelnummer", "learner_id")]
