"""Where the time goes when mapping and validating the fixture awards (one process).

    python bench/map_validate.py [--repeat N]

Prints milliseconds per credential for each step and the ratio of each to a floor measured
in the same run: serialising the credential (json.dumps), the least any exporter must do.
"EBSI JSON Schema" remembers the shared catalogue nodes it found valid, as a batch does;
"EBSI JSON Schema, plain" checks every node of every credential.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable
from typing import Any

from edcbridge.demo import bundled_fixtures, fixture_sets
from edcbridge.load import iter_awards, load_catalogue
from edcbridge.mapping.ebsi import to_ebsi
from edcbridge.mapping.edc import to_edc
from edcbridge.output import serialise
from edcbridge.schemas import default_store
from edcbridge.validation.annex1 import check_annex1
from edcbridge.validation.ebsi_schema import ebsi_validator, validate_ebsi
from edcbridge.validation.fastshacl import validate_fast
from edcbridge.validation.jsonld import to_nquads
from edcbridge.validation.lints import lint
from edcbridge.validation.shacl import validate_shacl


def timed(step: Callable[[], Any], repeat: int) -> float:
    started = time.perf_counter()
    for _ in range(repeat):
        step()
    return (time.perf_counter() - started) / repeat


def steps(award: Any, catalogue: Any, doc: dict[str, Any], store: Any) -> dict[str, Callable[[], Any]]:
    plain = ebsi_validator(store, remember_shared=False)  # without the memo of shared nodes
    return {
        "serialise (floor)": lambda: serialise(doc),
        "map to EDC": lambda: to_edc(award, catalogue),
        "lints": lambda: lint(doc, store),
        "annex I": lambda: check_annex1(doc),
        "JSON-LD to RDF": lambda: to_nquads(doc, store),
        "SHACL pyshacl (incl. RDF)": lambda: validate_shacl(doc, store),
        "SHACL compiled (incl. RDF)": lambda: validate_fast(doc, store, remember=False),
        "SHACL, structure seen": lambda: validate_fast(doc, store),
        "map to EBSI": lambda: to_ebsi(doc),
        "EBSI JSON Schema": lambda: validate_ebsi(to_ebsi(doc), store),
        "EBSI JSON Schema, plain": lambda: validate_ebsi(to_ebsi(doc), store, plain),
    }


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    store = default_store()
    pairs = []
    for catalogue_path, awards in fixture_sets(bundled_fixtures()):
        catalogue = load_catalogue(catalogue_path)
        pairs += [(r.award, catalogue) for path in awards for r in iter_awards(path, catalogue) if r.award]
    validate_shacl(to_edc(*pairs[0]), store)  # load shapes once, as a batch does
    validate_ebsi(to_ebsi(to_edc(*pairs[0])), store)
    totals: dict[str, float] = {}
    size = 0
    for award, catalogue in pairs:
        doc = to_edc(award, catalogue)
        size += len(json.dumps(doc))
        for name, step in steps(award, catalogue, doc, store).items():
            totals[name] = totals.get(name, 0.0) + timed(step, args.repeat)
    count = len(pairs)
    floor = totals["serialise (floor)"] / count
    print(f"{count} credentials, mean {size / count / 1024:.1f} KiB")
    width = max(len(name) for name in totals)
    for name, total in totals.items():
        per = total / count
        print(f"{name:{width}} {per * 1000:9.2f} ms/credential  {per / floor:8.1f} x floor")
    for engine in ("pyshacl", "compiled"):
        chain = sum(totals[k] for k in ("map to EDC", "lints", "annex I", f"SHACL {engine} (incl. RDF)"))
        print(f"map+validate with {engine}: {count / chain:.1f} credentials/s on one core")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
