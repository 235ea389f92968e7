"""``edcbridge erase`` of an award withdrawn more than once: each withdrawal kept its files in
OUT/withdrawn/ under a name of its own (``.2``, ``.3``...), and every one of them holds the
learner's data."""

from __future__ import annotations

import csv
from pathlib import Path

from click.testing import CliRunner, Result

from edcbridge.cli import main
from tests.conftest import FIXTURES

CATALOGUE = FIXTURES / "imperial" / "catalogue.yaml"


def _cli(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


def _awards(tmp_path: Path, ids: list[str]) -> Path:
    """The fixture's first rows, given the award ids ``ids``."""
    with (FIXTURES / "imperial" / "awards.csv").open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        rows = [row for row, _ in zip(reader, ids, strict=False)]
        fields = list(reader.fieldnames or [])
    for row, award_id in zip(rows, ids, strict=True):
        row["award_id"] = award_id
    path = tmp_path / "awards.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fields)
        writer.writeheader()
        writer.writerows(rows)
    return path


def _export(awards: Path, out: Path) -> None:
    result = _cli("export", str(awards), "-c", str(CATALOGUE), "-o", str(out), "--preview", "-j", "1")
    assert result.exit_code == 0, result.output


def _withdrawn_and_put_back(awards: Path, out: Path, key: str, times: int) -> None:
    for _ in range(times):
        for undo in ((), ("--undo",)):
            result = _cli("withdraw", str(out), key, "--reason", "entered in error", *undo)
            assert result.exit_code == 0, result.output
        _export(awards, out)


def test_every_copy_an_award_withdrawn_twice_left_in_withdrawn_is_erased(tmp_path: Path) -> None:
    awards, out = _awards(tmp_path, ["ERA-1", "ERA-2"]), tmp_path / "out"
    _export(awards, out)
    _withdrawn_and_put_back(awards, out, "imperial/ERA-1", 2)
    assert len(list((out / "withdrawn").rglob("*ERA-1.2.*"))) == 2  # edc and preview
    result = _cli("erase", str(out), "imperial/ERA-1", "--reason", "DPO-1")
    assert result.exit_code == 0, result.output
    assert sorted(path.name for path in out.rglob("*ERA-1*")) == []
    assert len(list(out.rglob("*ERA-2*"))) == 2


def test_an_awards_file_looking_like_a_copy_of_another_is_not_erased_with_it(tmp_path: Path) -> None:
    """``ERA.2``'s files are named as a second copy of ``ERA``'s would be: they are its own."""
    awards, out = _awards(tmp_path, ["ERA", "ERA.2"]), tmp_path / "out"
    _export(awards, out)
    for key in ("imperial/ERA", "imperial/ERA.2"):
        assert _cli("withdraw", str(out), key, "--reason", "entered in error").exit_code == 0
    result = _cli("erase", str(out), "imperial/ERA", "--reason", "DPO-1")
    assert result.exit_code == 0, result.output
    assert sorted(path.relative_to(out).as_posix() for path in out.rglob("*ERA*")) == [
        "withdrawn/edc/imperial_ERA.2.jsonld", "withdrawn/preview/imperial_ERA.2.html"]
