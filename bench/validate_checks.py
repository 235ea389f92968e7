"""Processor time of each validation check, per credential, as the export's workers run them.

    python bench/validate_checks.py [--awards N] [--rounds R] [--seed S]

Maps N synthetic awards (as bench/run.py makes them) of the imperial demo catalogue once, then
validates them R times, check by check over the whole batch (as ``validate_credentials`` does),
with the catalogue's policies. Each round prints the milliseconds of processor time per
credential of each check and their total: processor time, not wall-clock time, so that other
work on the machine moves the figures less. The first round runs after one warm-up batch (the
shapes compiled, the shared catalogue nodes checked once), so every round measures the steady
state of a long run.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path
from typing import Any

from edcbridge.demo import bundled_fixtures
from edcbridge.load import iter_awards, load_catalogue
from edcbridge.mapping.edc import to_edc
from edcbridge.schemas import default_store
from edcbridge.validation import _CHECKS, Request, _Checked, validate_credentials
from edcbridge.validation.policy import PROFILES
from run import synthetic_awards  # bench/run.py: the script's folder is on the path


def credentials(count: int, seed: int) -> tuple[list[dict[str, Any]], tuple[str, ...]]:
    """The credentials of ``count`` synthetic awards, and the catalogue's policies."""
    catalogue_path = bundled_fixtures() / "imperial" / "catalogue.yaml"
    catalogue = load_catalogue(catalogue_path)
    specs = [s.code for s in catalogue.specifications if s.assessment is not None]
    with tempfile.TemporaryDirectory() as work:
        awards = Path(work) / "awards.csv"
        synthetic_awards(awards, count, seed, specs)
        docs = [to_edc(row.award, catalogue) for row in iter_awards(awards, catalogue)
                if row.award is not None]
    return docs, tuple(p for p in catalogue.policies if p in PROFILES)


def round_times(requests: list[Request], store: Any) -> dict[str, float]:
    """Milliseconds of processor time per credential of each check, over the batch."""
    checked = [_Checked(r.doc, r.source, r.policies, r.annex1, True) for r in requests]
    times = {}
    for check in _CHECKS:
        started = time.process_time()
        for item in checked:
            check(item, store)
        times[check.__name__.lstrip("_")] = (time.process_time() - started) / len(checked) * 1000
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--awards", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    docs, policies = credentials(args.awards, args.seed)
    store = default_store()
    requests = [Request(doc, "edc", policies, "warning") for doc in docs]
    validate_credentials(requests[:50], store)
    for _ in range(args.rounds):
        times = round_times(requests, store)
        print(" ".join(f"{name}={ms:.4f}" for name, ms in times.items()),
              f"total={sum(times.values()):.4f} ms/credential", flush=True)


if __name__ == "__main__":
    main()
