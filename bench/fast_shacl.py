"""Official-shapes validation of the fixture credentials: pyshacl against the compiled checker.

    python bench/fast_shacl.py [--repeat N]   (best of N passes, default 3)

Both run in this process on the same credentials, shapes loaded once beforehand (as a batch
worker does). Prints milliseconds per credential for the whole call (JSON-LD to RDF included,
as ``validate_shacl`` / ``validate_fast`` do it) and for the SHACL step alone on prepared input,
then one line: ``RESULT pyshacl_ms=<float> fast_ms=<float> speedup=<float>`` (whole calls).
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from typing import Any

import rdflib
from pyshacl import validate as pyshacl_validate

from edcbridge.demo import bundled_fixtures, fixture_sets
from edcbridge.load import iter_awards, load_catalogue
from edcbridge.mapping.edc import to_edc
from edcbridge.schemas import default_store
from edcbridge.validation.fastshacl import check, validate_fast
from edcbridge.validation.jsonld import to_nquads
from edcbridge.validation.shacl import DEFAULT_SHAPES, shapes_graph, validate_shacl


def per_call(step: Callable[[Any], Any], items: list[Any], repeat: int) -> float:
    """Seconds per item, best of ``repeat`` passes."""
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        for item in items:
            step(item)
        best = min(best, (time.perf_counter() - started) / len(items))
    return best


def rdflib_graph(nquads: str) -> rdflib.Graph:
    data = rdflib.Dataset()
    data.parse(data=nquads, format="nquads")
    graph = rdflib.Graph()
    for triple in data.triples((None, None, None)):
        graph.add(triple)
    return graph


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    store = default_store()
    docs = []
    for catalogue_path, awards in fixture_sets(bundled_fixtures()):
        catalogue = load_catalogue(catalogue_path)
        rows = [r for path in awards for r in iter_awards(path, catalogue)]
        docs += [to_edc(r.award, catalogue) for r in rows if r.award]
    validate_shacl(docs[0], store)  # shapes parsed and compiled once, as a batch worker does
    validate_fast(docs[0], store)
    same = sum(bool(validate_shacl(d, store)) == bool(validate_fast(d, store, remember=False))
               for d in docs)
    texts = [to_nquads(d, store) for d in docs]
    graphs = [rdflib_graph(t) for t in texts]
    shapes = shapes_graph(store.root, DEFAULT_SHAPES)

    slow = per_call(lambda d: validate_shacl(d, store), docs, args.repeat)
    fast = per_call(lambda d: validate_fast(d, store, remember=False), docs, args.repeat)
    for doc in docs:
        validate_fast(doc, store)  # the memo of clean structures learns each fixture once
    remembered = per_call(lambda d: validate_fast(d, store), docs, args.repeat)
    slow_shacl = per_call(lambda g: pyshacl_validate(g, shacl_graph=shapes, inference="none", advanced=True,
                                                     allow_warnings=True), graphs, args.repeat)
    fast_shacl = per_call(lambda t: check(t, store, DEFAULT_SHAPES), texts, args.repeat)
    rdf = per_call(lambda d: to_nquads(d, store), docs, args.repeat)

    print(f"{len(docs)} fixture credentials, same verdict on {same}")
    print(f"{'JSON-LD to N-Quads (shared)':34} {rdf * 1000:9.2f} ms/credential")
    print(f"{'pyshacl on an rdflib graph':34} {slow_shacl * 1000:9.2f} ms/credential")
    print(f"{'compiled checker on N-Quads':34} {fast_shacl * 1000:9.2f} ms/credential"
          f"  ({slow_shacl / fast_shacl:.1f}x)")
    print(f"{'validate_shacl (whole call)':34} {slow * 1000:9.2f} ms/credential")
    print(f"{'validate_fast (whole call)':34} {fast * 1000:9.2f} ms/credential  ({slow / fast:.1f}x)")
    print(f"{'validate_fast, structure seen':34} {remembered * 1000:9.2f} ms/credential"
          f"  ({slow / remembered:.1f}x)")
    print(f"RESULT pyshacl_ms={slow * 1000:.2f} fast_ms={fast * 1000:.2f} speedup={slow / fast:.1f}")
    return 0 if same == len(docs) else 1


if __name__ == "__main__":
    raise SystemExit(main())
