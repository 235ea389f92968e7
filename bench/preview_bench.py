"""Preview pages of a batch (what ``export --preview`` makes after its run): N synthetic awards
of the imperial fixture, each page rendered and written, by one process and then by the given
number of workers, in the same run.

    python bench/preview_bench.py [--awards N] [--workers W]

The pages of both runs must be the same bytes; the last line is:

    RESULT pages=<int> one_process_per_s=<float> workers_per_s=<float> speedup=<float>
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from edcbridge.demo import bundled_fixtures
from edcbridge.load import iter_awards, load_catalogue
from edcbridge.preview import preview_awards

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import synthetic_awards  # the awards of the main benchmark


def _pages(folder: Path) -> dict[str, bytes]:
    return {page.name: page.read_bytes() for page in folder.glob("*.html")}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--awards", type=int, default=2000)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    catalogue_path = bundled_fixtures() / "imperial" / "catalogue.yaml"
    catalogue = load_catalogue(catalogue_path)
    specs = [s.code for s in catalogue.specifications if s.assessment is not None]
    with tempfile.TemporaryDirectory(prefix="edcbridge-preview-bench-") as work:
        awards_file = Path(work) / "awards.csv"
        synthetic_awards(awards_file, args.awards, 1, specs)
        awards = [row.award for row in iter_awards(awards_file, catalogue) if row.award is not None]
        rates, made = [], []
        for workers in (1, args.workers):
            out = Path(work) / f"pages-{workers}"
            started = time.perf_counter()
            count = sum(1 for _ in preview_awards(awards, catalogue, out, workers=workers))
            rates.append(count / (time.perf_counter() - started))
            made.append(_pages(out))
            print(f"  {workers} process(es): {count} pages, {rates[-1]:.1f} pages/s", flush=True)
        if made[0] != made[1]:
            print("the pages differ between one process and the workers", file=sys.stderr)
            return 1
    print(f"RESULT pages={len(made[0])} one_process_per_s={rates[0]:.1f} workers_per_s={rates[1]:.1f} "
          f"speedup={rates[1] / rates[0]:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
