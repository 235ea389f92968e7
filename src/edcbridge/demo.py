"""``edcbridge demo``: the main job on the bundled fixtures, with embedded defaults."""

from __future__ import annotations

from pathlib import Path

from edcbridge.pipeline import Job

AWARD_SUFFIXES = (".csv", ".xlsx", ".jsonl")


def bundled_fixtures() -> Path:
    """The demo fixture sets, shipped inside the package (so an installed ``edcbridge demo``
    finds them as a checkout does)."""
    return Path(__file__).resolve().parent / "demo-fixtures"


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


def demo_jobs(fixtures: Path | None = None) -> list[Job]:
    sets = fixture_sets(fixtures or bundled_fixtures())
    return [Job(catalogue, tuple(awards)) for catalogue, awards in sets]
