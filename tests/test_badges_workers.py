"""`badges` makes its Open Badges and learner records by several processes: the same files,
byte for byte, listed in the same order as one process writes them."""

from __future__ import annotations

import csv
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from edcbridge.load import load_catalogue
from edcbridge.preview.cli import register
from edcbridge.sealing import demo_seal
from tests.pipeline_support import synthetic_awards
from tests.test_pipeline import CATALOGUE


def _awards(tmp_path: Path) -> Path:
    """40 awards of 20 learners, two each (a learner record holding both), one a failure."""
    awards = synthetic_awards(tmp_path / "awards.csv", 40)
    with awards.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    for index, row in enumerate(rows):
        row["learner_id"] = f"S{index // 2:04d}"
    rows[13]["email"] = "not an address"  # the row is not read: no badge, no learner record entry
    with awards.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return awards


@pytest.mark.parametrize("sealed", [False, True])
def test_several_processes_write_what_one_does(reference: Path, tmp_path: Path, sealed: bool) -> None:
    awards = _awards(tmp_path)
    seal: list[str] = []
    if sealed:  # RS256: the same signature of the same content
        factory = demo_seal(tmp_path / "seal", load_catalogue(CATALOGUE))
        seal = ["--seal", str(factory.p12), "--password-file", str(factory.p12.parent / "seal-password.txt")]
    group = click.Group()
    register(group)
    listed, files = {}, {}
    for workers in ("1", "2"):
        out = tmp_path / f"out-{workers}"
        result = CliRunner().invoke(group, ["badges", str(awards), "-c", str(CATALOGUE), "-o", str(out), "-j",
                                            workers, "--schemas", str(reference / "ob3-clr"), "-q", *seal])
        assert result.exit_code == 1, result.output  # the row not read
        listed[workers] = [str(Path(line).relative_to(out)) for line in result.stdout.splitlines()]
        files[workers] = {str(path.relative_to(out)): path.read_bytes() for path in out.rglob("*")
                          if path.is_file()}
    assert len([name for name in listed["1"] if name.startswith("ob3/")]) == 39 * (2 if sealed else 1)
    assert len([name for name in listed["1"] if name.startswith("clr/")]) == 20 * (2 if sealed else 1)
    assert listed["2"] == listed["1"]
    assert files["2"] == files["1"]
