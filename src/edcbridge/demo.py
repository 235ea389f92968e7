"""``edcbridge demo``: the main job on the bundled fixtures, with embedded defaults."""

from __future__ import annotations

from pathlib import Path

from edcbridge.pipeline import Job
from edcbridge.schemas import default_store

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
    """The demo's jobs, one per fixture set. The demo writes every format, so it reads every
    pinned file: a store lacking some (an install interrupted or made from an incomplete copy)
    raises SchemaStoreError naming the fix here, before anything is written, rather than after
    the credentials, when the Open Badges need their schemas."""
    sets = fixture_sets(fixtures or bundled_fixtures())
    if sets:
        default_store().require("the demo")
    return [Job(catalogue, tuple(awards)) for catalogue, awards in sets]
