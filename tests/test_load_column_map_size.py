"""A column mapping file (``--columns FILE``) names a few dozen headers: it is read at most to
its limit, so a huge file, or a device that never ends, is refused without filling the memory."""

from __future__ import annotations

from pathlib import Path

import pytest

from edcbridge.load.column_map import file_pairs
from tests.memory_limited import printed_within


def _file_pairs_within_memory_limit(path: Path) -> str:
    return printed_within(512, f"""
        from pathlib import Path
        from edcbridge.load.column_map import file_pairs
        try:
            file_pairs(Path({str(path)!r}))
        except ValueError as exc:
            print(exc)
    """)


def test_a_mapping_file_larger_than_the_memory_is_refused_unread(tmp_path: Path) -> None:
    mapping = tmp_path / "columns.csv"
    with mapping.open("wb") as handle:
        handle.truncate(1024 * 1024 * 1024)  # sparse: no disk space taken
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
