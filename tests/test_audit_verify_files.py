"""`audit verify` holds the credential files of the folder to the journal, whose outputs the
trail's events hash: a file replaced or edited after it was issued, or a journal brought in from
another folder, is named with the file, its record and the fix. A copy of the journal alone
(files not there) is verified as it is."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from edcbridge.cli import main
from edcbridge.load import load_catalogue
from edcbridge.pipeline import Job, RunOptions, run
from edcbridge.pipeline.journal import JOURNAL_NAME
from edcbridge.schemas import SchemaStore
from edcbridge.sealing import demo_seal
from tests.conftest import FIXTURES

CATALOGUE = FIXTURES / "imperial" / "catalogue.yaml"
AWARDS = 2


def _export(base: Path, store: SchemaStore) -> Path:
    """A sealed export of the first fixture awards into ``base/out``, with a seal of its own."""
    with (FIXTURES / "imperial" / "awards.csv").open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))[:AWARDS]
    awards = base / "awards.csv"
    with awards.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    options = RunOptions(out_dir=base / "out", store_root=store.root, formats=(), workers=1,
                         seal=demo_seal(base / "seal", load_catalogue(CATALOGUE)))
    assert run([Job(CATALOGUE, (awards,))], options).done == AWARDS
    return base / "out"


@pytest.fixture(scope="module")
def exported(store: SchemaStore, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """Two folders of the same awards, sealed with two seals."""
    return (_export(tmp_path_factory.mktemp("first"), store),
            _export(tmp_path_factory.mktemp("second"), store))


def _verify(out: Path) -> tuple[Result, list[str]]:
    result = CliRunner().invoke(main, ["audit", "verify", str(out), "--json"])
    return result, list(json.loads(result.stdout)["problems"])


def test_a_credential_replaced_by_another_is_named_with_its_record(exported: tuple[Path, Path],
                                                                     tmp_path: Path) -> None:
    out = tmp_path / "out"
    shutil.copytree(exported[0], out)
    first, second = sorted((out / "edc-sealed").iterdir())
    shutil.copyfile(second, first)
    result, problems = _verify(out)
    assert result.exit_code == 1, result.output
    [problem] = problems
    assert problem.startswith(f"{first} (record imperial/{first.stem.split('_', 1)[1]}) is not the file "
                              "issued: its sha256 is "), problem
    assert problem.endswith("restore it from a copy"), problem
    assert f"BROKEN: {first} (record " in result.stderr


def test_the_journal_of_another_folder_is_found_by_the_files(exported: tuple[Path, Path],
                                                             tmp_path: Path) -> None:
    out = tmp_path / "out"
    shutil.copytree(exported[0], out)
    for name in (JOURNAL_NAME, "report.json"):  # a trail that holds, of other files
        shutil.copyfile(exported[1] / name, out / name)
    result, problems = _verify(out)
    assert result.exit_code == 1, result.output
    assert len(problems) == AWARDS, problems
    assert all("is not the file issued" in problem for problem in problems), problems


def test_a_copy_of_the_journal_alone_is_verified_as_it_is(exported: tuple[Path, Path],
                                                          tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    for name in (JOURNAL_NAME, "report.json"):
        shutil.copyfile(exported[0] / name, out / name)
    result, problems = _verify(out)
    assert result.exit_code == 0 and problems == [], result.output
