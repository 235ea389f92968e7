"""Compiled shapes kept between processes: read back only when nothing they depend on changed,
only from the user's own private files, and giving the verdicts of freshly compiled shapes."""

from __future__ import annotations

import datetime as dt
import json
import os
import pickle
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
import rdflib
from pyshacl.rdfutil.compare import compare_literal as pyshacl_compare_literal

from edcbridge.mapping.image import card_png
from edcbridge.schemas import SchemaStore
from edcbridge.validation import shapes_cache
from edcbridge.validation.shacl import _SHAPES_DIR, DEFAULT_SHAPES, SHAPES, shapes_graph
from edcbridge.validation.shapes_cache import compiled_cached, fingerprint
from edcbridge.validation.shapes_compiled import CompiledShapes, compare_literal, compile_shapes

from .conftest import fixture_credentials


def _files(store: SchemaStore) -> list[Path]:
    return [store.path(_SHAPES_DIR + name) for name in SHAPES[DEFAULT_SHAPES]]


class _Compiler:
    """Compiles the default shapes and counts how often it was asked to."""

    def __init__(self, store: SchemaStore) -> None:
        self.store = store
        self.calls = 0

    def __call__(self) -> CompiledShapes:
        self.calls += 1
        return compile_shapes(shapes_graph(self.store.root, DEFAULT_SHAPES))


@pytest.fixture()
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv(shapes_cache.CACHE_ENV, str(folder))
    return folder


def _written(cache: Path) -> list[Path]:
    return sorted((cache / "shapes").glob("compiled-*.pickle"))


def test_compiled_once_then_read_back(store: SchemaStore, cache: Path) -> None:
    compile_them = _Compiler(store)
    first = compiled_cached(_files(store), compile_them)
    again = compiled_cached(_files(store), compile_them)
    assert compile_them.calls == 1
    assert [s.node for s in again.roots] == [s.node for s in first.roots]
    assert again.iris == first.iris and again is not first
    (written,) = _written(cache)
    assert oct(written.stat().st_mode & 0o777) == oct(0o600)
    assert oct((cache / "shapes").stat().st_mode & 0o777) == oct(0o700)


@pytest.mark.parametrize("spoil", ["group-writable file", "world-writable folder", "symlink"])
def test_a_file_others_may_write_is_not_read(store: SchemaStore, cache: Path, spoil: str) -> None:
    compiled_cached(_files(store), _Compiler(store))
    (written,) = _written(cache)
    if spoil == "group-writable file":
        written.chmod(0o620)
    elif spoil == "world-writable folder":
        written.parent.chmod(0o707)
    else:
        moved = written.with_name("elsewhere")
        written.rename(moved)
        written.symlink_to(moved)
    compile_them = _Compiler(store)
    compiled_cached(_files(store), compile_them)
    assert compile_them.calls == 1


@pytest.mark.parametrize("content", [b"not a pickle", pickle.dumps({"roots": []})])
def test_an_unreadable_or_foreign_file_is_compiled_again_and_replaced(store: SchemaStore, cache: Path,
                                                                      content: bytes) -> None:
    compiled_cached(_files(store), _Compiler(store))
    (written,) = _written(cache)
    written.write_bytes(content)
    compile_them = _Compiler(store)
    shapes = compiled_cached(_files(store), compile_them)
    assert compile_them.calls == 1 and shapes.roots
    assert compiled_cached(_files(store), _Compiler(store)).roots  # written again, readable
    assert written.read_bytes() != content


def test_off_compiles_in_every_process(store: SchemaStore, tmp_path: Path,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(shapes_cache.CACHE_ENV, "off")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    compile_them = _Compiler(store)
    compiled_cached(_files(store), compile_them)
    compiled_cached(_files(store), compile_them)
    assert compile_them.calls == 2 and not any(tmp_path.iterdir())


def test_the_name_changes_with_the_shapes_bytes(store: SchemaStore, tmp_path: Path) -> None:
    files = _files(store)
    edited = tmp_path / files[-1].name
    edited.write_bytes(files[-1].read_bytes() + b"\n# one more line\n")
    assert fingerprint(files) != fingerprint([*files[:-1], edited])
    assert fingerprint(files) == fingerprint(list(files))


def test_a_folder_that_cannot_take_it_is_no_error(store: SchemaStore, tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    monkeypatch.setenv(shapes_cache.CACHE_ENV, str(blocker))
    assert compiled_cached(_files(store), _Compiler(store)).roots


_VALIDATE = """
import json, sys
from edcbridge.schemas import SchemaStore
from edcbridge.validation.fastshacl import validate_fast
doc = json.load(open(sys.argv[2], encoding="utf-8"))
found = validate_fast(doc, SchemaStore(__import__("pathlib").Path(sys.argv[1])), remember=False)
print(json.dumps({"findings": sorted(f.render() for f in found),
                  "pyshacl": any(m.split(".")[0] == "pyshacl" for m in sys.modules)}))
"""


def _validate_in_new_process(store: SchemaStore, doc: Path, cache: str) -> dict[str, object]:
    env = {**os.environ, shapes_cache.CACHE_ENV: cache}
    done = subprocess.run([sys.executable, "-c", _VALIDATE, str(store.root), str(doc)], env=env,
                          capture_output=True, text=True, check=True)
    result: dict[str, object] = json.loads(done.stdout)
    return result


def test_a_new_process_validates_from_the_cache_as_from_the_shapes(store: SchemaStore, cache: Path,
                                                                  tmp_path: Path) -> None:
    """The second process reads the cache (without importing pyshacl) and finds what a process
    compiling the shapes finds, on a clean credential and on one with errors."""
    credential = json.loads(json.dumps(fixture_credentials()[0][1]))
    broken = dict(credential)
    broken.pop("issuer", None)
    broken["validFrom"] = "yesterday"
    for name, doc in (("clean", credential), ("broken", broken)):
        path = tmp_path / f"{name}.jsonld"
        path.write_text(json.dumps(doc), "utf-8")
        compiling = _validate_in_new_process(store, path, "off")
        _validate_in_new_process(store, path, str(cache))  # fills the cache
        cached = _validate_in_new_process(store, path, str(cache))
        assert cached["findings"] == compiling["findings"], name
        assert compiling["pyshacl"] is True
        if name == "clean":  # messages of findings are printed by pyshacl's own functions
            assert cached["pyshacl"] is False and cached["findings"] == []
        else:
            assert cached["findings"]
    assert _written(cache)
    assert json.loads((tmp_path / "broken.jsonld").read_text("utf-8")) != credential


_LITERALS = [
    rdflib.Literal(value) for value in (
        1, 2, -3, Decimal("2.50"), Decimal("2.5"), 2.5, "a", "b", True,
        dt.date(2025, 1, 1), dt.date(2025, 6, 1),
        dt.datetime(2025, 1, 1, 12), dt.datetime(2025, 1, 1, 12, tzinfo=dt.UTC),
        dt.datetime(2025, 1, 1, 13, tzinfo=dt.UTC), dt.time(10, 0), dt.time(10, 0, tzinfo=dt.UTC))
] + [rdflib.Literal("10", datatype=rdflib.XSD.integer), rdflib.Literal("x", datatype=rdflib.XSD.integer),
     rdflib.Literal("P1Y", datatype=rdflib.XSD.duration), rdflib.Literal("a", lang="en")]


def _outcome(compare: object, first: rdflib.Literal, second: rdflib.Literal) -> object:
    try:
        return compare(first, second)  # type: ignore[operator]
    except (TypeError, NotImplementedError) as exc:
        return type(exc)


def test_literals_compare_as_pyshacl_compares_them() -> None:
    for first in _LITERALS:
        for second in _LITERALS:
            assert (_outcome(compare_literal, first, second)
                    == _outcome(pyshacl_compare_literal, first, second)), (first, second)


def _card_by_pixel(width: int, height: int) -> list[bytes]:
    """The card's rows as its description draws them, pixel by pixel."""
    blue, gold, white = bytes((0, 51, 153)), bytes((255, 204, 0)), bytes((255, 255, 255))
    rows = []
    for y in range(height):
        row = b"\0"
        for x in range(width):
            edge = x < 6 or y < 6 or x >= width - 6 or y >= height - 6
            band = 20 <= y < 56 and 20 <= x < width - 20
            bar = 64 <= y < 68 and 20 <= x < 120
            row += blue if edge or band else gold if bar else white
        rows.append(row)
    return rows


@pytest.mark.parametrize(("width", "height"), [(420, 297), (100, 80), (30, 12)])
def test_the_card_image_draws_its_border_band_and_bar(width: int, height: int) -> None:
    import zlib

    png = card_png(width, height)
    start = png.index(b"IDAT") + 4
    length = int.from_bytes(png[start - 8:start - 4], "big")
    pixels = zlib.decompress(png[start:start + length])
    assert pixels == b"".join(_card_by_pixel(width, height))


def test_only_the_most_recent_compiled_forms_are_kept(store: SchemaStore, cache: Path) -> None:
    """Each change of code, version or shapes makes a new file: the folder does not grow for ever."""
    folder = cache / "shapes"
    folder.mkdir(parents=True, mode=0o700)
    for number in range(shapes_cache.KEPT + 5):
        old = folder / f"compiled-{number:040d}.pickle"
        old.write_bytes(b"an earlier compiled form")
        os.utime(old, ns=(number * 10**9, number * 10**9))
    other = folder / "notes.txt"
    other.write_text("not ours to remove")
    compiled_cached(_files(store), _Compiler(store))
    (written,) = [p for p in _written(cache) if p.read_bytes() != b"an earlier compiled form"]
    kept = sorted(p.name for p in _written(cache) if p != written)
    assert len(kept) == shapes_cache.KEPT - 1
    assert kept == [f"compiled-{n:040d}.pickle" for n in range(6, shapes_cache.KEPT + 5)]
    assert other.exists()


def test_a_relative_xdg_cache_home_is_ignored_and_a_relative_own_folder_is_made_absolute(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(shapes_cache.CACHE_ENV, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/cache")
    assert shapes_cache.cache_dir() == tmp_path / "home" / ".cache" / "edcbridge"
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert shapes_cache.cache_dir() == tmp_path / "xdg" / "edcbridge"
    monkeypatch.setenv(shapes_cache.CACHE_ENV, "mine")
    assert shapes_cache.cache_dir() == tmp_path / "mine"
