"""``edcbridge demo``: the main job on the bundled fixtures, with embedded defaults."""

from __future__ import annotations

from pathlib import Path

import click

from edcbridge.export import RunSummary, run_export
from edcbridge.load import CatalogueError, InputFileError
from edcbridge.progress import Progress
from edcbridge.report import summary_text, write_reports
from edcbridge.schemas import SchemaStore

AWARD_SUFFIXES = (".csv", ".xlsx", ".jsonl")


def bundled_fixtures() -> Path:
    return Path(__file__).resolve().parents[2] / "fixtures"


def fixture_sets(root: Path) -> list[tuple[Path, list[Path]]]:
    """Every folder with a catalogue.yaml and its award files (broken inputs excluded)."""
    sets = []
    for catalogue in sorted(root.glob("*/catalogue.yaml")):
        if catalogue.parent.name == "broken":
            continue
        awards = sorted(p for p in catalogue.parent.iterdir()
                        if p.suffix in AWARD_SUFFIXES and p.stem.startswith("awards"))
        sets.append((catalogue, awards))
    return sets


def run_demo(out_dir: Path, fixtures: Path | None, store: SchemaStore) -> int:
    root = fixtures or bundled_fixtures()
    sets = fixture_sets(root)
    if not sets:
        click.echo(f"error: no fixture sets (*/catalogue.yaml) under {root}", err=True)
        return 2
    summary = RunSummary()
    progress = Progress()
    for catalogue, awards in sets:
        try:
            run_export(awards, catalogue, out_dir, store, ("edc", "ebsi"), progress=progress.update,
                       summary=summary)
        except (CatalogueError, InputFileError) as exc:
            progress.close()
            click.echo(f"error: {catalogue}: {exc}", err=True)
            return 2
    progress.close()
    report, _ = write_reports(summary, out_dir)
    for record in summary.records:
        for error in record.errors:
            click.echo(error, err=True)
    click.echo(f"{len(sets)} catalogues: {summary_text(summary)}", err=True)
    click.echo(f"outputs in {out_dir}/edc and {out_dir}/ebsi; report: {report}", err=True)
    return 1 if summary.failed else 0
