"""A symlink planted in a shared output folder under a report's temporary name must not make
the run overwrite the file it points to."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from edcbridge.cli import main
from edcbridge.pipeline.reports import ReportWriter
from tests.conftest import FIXTURES


def test_a_planted_link_at_a_temporary_report_name_is_not_followed(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n", encoding="utf-8")
    for name in (".report.csv.tmp", ".report.json.tmp"):
        (out / name).symlink_to(victim)
    ReportWriter(out).discard()
    assert victim.read_text(encoding="utf-8") == "precious\n"


def test_a_rerun_into_a_folder_with_a_planted_link_leaves_its_target_alone(tmp_path: Path, store) -> None:
    out = tmp_path / "out"
    out.mkdir()
    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n", encoding="utf-8")
    (out / ".report.csv.tmp").symlink_to(victim)
    result = CliRunner().invoke(main, ["export", str(FIXTURES / "imperial" / "awards.csv"), "-c",
                                       str(FIXTURES / "imperial" / "catalogue.yaml"), "-o", str(out), "-q"],
                                env={"EDCBRIDGE_SCHEMAS": str(store.root)})
    assert result.exit_code == 0, result.output
    assert victim.read_text(encoding="utf-8") == "precious\n"
    assert not (out / "report.csv").is_symlink()
