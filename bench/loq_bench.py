"""LOQ export of a large catalogue: the Galway fixture's specifications copied under new codes
until there are N, each whole naming its part in ``has_part`` and each part its whole in
``part_of`` (both sides of the link, as catalogues write it).

    python bench/loq_bench.py [--specifications N] [--rounds R]

Prints the best time of R exports and the SHA-256 of the serialised document (the same before
and after a change that must not change the output). The last line is:

    RESULT specifications=<int> seconds=<float> sha256=<hex>
"""

from __future__ import annotations

import argparse
import hashlib
import time

from edcbridge.demo import bundled_fixtures
from edcbridge.load import load_catalogue
from edcbridge.model import Catalogue
from edcbridge.xml import edc12, loq


def large_catalogue(count: int) -> Catalogue:
    catalogue = load_catalogue(bundled_fixtures() / "galway" / "catalogue.yaml")
    whole, part = (next(s for s in catalogue.specifications if s.code == code)
                   for code in ("GAL-PGCERT-DA", "GAL-MC-PYDA"))
    specs = []
    for n in range(count // 2):
        specs.append(whole.model_copy(update={"code": f"GAL-W{n:05d}", "has_part": (f"GAL-P{n:05d}",)}))
        specs.append(part.model_copy(update={"code": f"GAL-P{n:05d}", "part_of": (f"GAL-W{n:05d}",)}))
    return catalogue.model_copy(update={"specifications": tuple(specs)})


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--specifications", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    catalogue = large_catalogue(args.specifications)
    best, digest = float("inf"), ""
    for _ in range(args.rounds):
        started = time.perf_counter()
        result = loq.to_loq(catalogue)
        best = min(best, time.perf_counter() - started)
        digest = hashlib.sha256(edc12.serialise(result.tree)).hexdigest()
    print(f"RESULT specifications={len(catalogue.specifications)} seconds={best:.3f} sha256={digest}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
