"""The shapes cache on shared machines, in containers and under sudo: where it is written, what
its name depends on, and what it refuses to read."""

from __future__ import annotations

import os
import pickle
import pickletools
import pwd
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path
from types import FrameType

import pytest

from edcbridge.schemas import SchemaStore
from edcbridge.validation import shapes_cache
from edcbridge.validation.shacl import _SHAPES_DIR, DEFAULT_SHAPES, SHAPES, shapes_graph
from edcbridge.validation.shapes_cache import COMPILED_BY, compiled_cached, fingerprint
from edcbridge.validation.shapes_compiled import CompiledShapes, compile_shapes


class _Marked:
    """Hands out empty shapes named ``mark`` and counts how often it was asked to."""

    def __init__(self, mark: str) -> None:
        self.mark = mark
        self.calls = 0

    def __call__(self) -> CompiledShapes:
        self.calls += 1
        return CompiledShapes([], frozenset({self.mark}))


def _mark(shapes: CompiledShapes) -> str:
    return next(iter(shapes.iris))


@pytest.fixture()
def shapes_file(tmp_path: Path) -> Path:
    path = tmp_path / "shapes.ttl"
    path.write_bytes(b"# shapes A\n")
    return path


@pytest.fixture()
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv(shapes_cache.CACHE_ENV, str(folder))
    return folder


def test_no_home_and_no_passwd_entry_compiles_without_a_cache(shapes_file: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """A container run as a uid /etc/passwd does not know, with HOME unset."""
    for name in ("HOME", "XDG_CACHE_HOME", shapes_cache.CACHE_ENV):
        monkeypatch.delenv(name, raising=False)

    def unknown(uid: int) -> pwd.struct_passwd:
        raise KeyError(f"getpwuid(): uid not found: {uid}")

    monkeypatch.setattr(pwd, "getpwuid", unknown)
    compile_them = _Marked("compiled")
    assert _mark(compiled_cached([shapes_file], compile_them)) == "compiled"
    assert compile_them.calls == 1


@pytest.mark.skipif(os.geteuid() != 0, reason="only root can give a folder to another user")
def test_root_makes_no_folder_in_another_users_home(shapes_file: Path, tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """``sudo edcbridge ...`` keeping the user's HOME leaves no root-owned ~/.cache there."""
    home = tmp_path / "home"
    home.mkdir()
    os.chown(home, 12345, 12345)
    monkeypatch.delenv(shapes_cache.CACHE_ENV, raising=False)
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    monkeypatch.setenv("HOME", str(home))
    assert _mark(compiled_cached([shapes_file], _Marked("compiled"))) == "compiled"
    assert list(home.iterdir()) == []
    own = tmp_path / "root-home"
    own.mkdir()
    monkeypatch.setenv("HOME", str(own))
    compiled_cached([shapes_file], _Marked("compiled"))
    assert list((own / ".cache" / "edcbridge" / "shapes").glob("compiled-*.pickle"))


_SWAPPER = textwrap.dedent("""
    import ctypes, os, sys, time
    folder, planted, pause = sys.argv[1], sys.argv[2], float(sys.argv[3])
    link = folder + ".link"
    os.symlink(planted, link)
    renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
    at_cwd, exchange = -100, 2
    print("swapping", flush=True)
    while True:  # the folder and the symlink trade places, atomically
        if renameat2(at_cwd, folder.encode(), at_cwd, link.encode(), exchange) != 0:
            sys.exit(os.strerror(ctypes.get_errno()))
        time.sleep(pause)
""")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="renameat2 is Linux's")
def test_a_folder_swapped_after_the_check_is_not_read(shapes_file: Path, cache: Path, tmp_path: Path) -> None:
    """Someone who may rename folders above the cache (a shared, group-writable cache folder)
    swaps the private folder with a symlink to theirs, again and again, while it is read: the
    file read is always the one checked."""
    compiled_cached([shapes_file], _Marked("genuine"))
    folder = cache / "shapes"
    (target,) = folder.glob("compiled-*.pickle")
    planted = tmp_path / "planted"
    planted.mkdir()
    (planted / target.name).write_bytes(pickle.dumps(CompiledShapes([], frozenset({"planted"}))))
    (planted / target.name).chmod(0o666)
    swapper = subprocess.Popen([sys.executable, "-c", _SWAPPER, str(folder), str(planted), "0.00001"],
                               stdout=subprocess.PIPE, text=True)
    seen: dict[str, int] = {}
    try:
        assert swapper.stdout is not None and swapper.stdout.readline() == "swapping\n"
        for _ in range(20000):  # reads only: compiling again on a miss would slow the race down
            found = shapes_cache._read(target)
            mark = _mark(found) if found is not None else "nothing"
            seen[mark] = seen.get(mark, 0) + 1
        assert swapper.poll() is None, "the swapper stopped"
    finally:
        swapper.kill()
        swapper.communicate()
    assert set(seen) <= {"genuine", "nothing"}, seen
    assert seen.get("genuine"), seen


def test_files_replaced_while_compiled_are_not_cached_under_their_old_bytes(shapes_file: Path,
                                                                           cache: Path) -> None:
    """A ``schemas install`` during compilation: the compiled form of the new bytes must not be
    read back for the old ones."""
    def install_meanwhile() -> CompiledShapes:
        shapes_file.write_bytes(b"# shapes B\n")
        return CompiledShapes([], frozenset({"from B"}))

    compiled_cached([shapes_file], install_meanwhile)
    shapes_file.write_bytes(b"# shapes A\n")
    compile_them = _Marked("from A")
    assert _mark(compiled_cached([shapes_file], compile_them)) == "from A"
    assert compile_them.calls == 1


def test_a_crashed_writer_with_the_same_process_id_does_not_block_the_cache(shapes_file: Path,
                                                                           cache: Path) -> None:
    """In containers a command often runs with the same process id every time: what a killed
    earlier run left half written must not keep the cache from being written."""
    name = f"compiled-{fingerprint([shapes_file])}.pickle"
    folder = cache / "shapes"
    folder.mkdir(mode=0o700, parents=True)
    (folder / f".{name}.{os.getpid()}").write_bytes(b"half")
    compiled_cached([shapes_file], _Marked("compiled"))
    compile_them = _Marked("again")
    assert _mark(compiled_cached([shapes_file], compile_them)) == "compiled"
    assert compile_them.calls == 0


_FINGERPRINT = textwrap.dedent("""
    import sys
    from pathlib import Path
    from edcbridge.validation.shapes_cache import fingerprint
    print(fingerprint([Path(sys.argv[1])]))
""")


def _fingerprint_with(source: Path, shapes_file: Path) -> str:
    env = {**os.environ, "PYTHONPATH": str(source)}
    done = subprocess.run([sys.executable, "-c", _FINGERPRINT, str(shapes_file)], env=env,
                          capture_output=True, text=True, check=True)
    return done.stdout.strip()


def test_the_name_changes_with_the_code_that_reads_the_shapes(shapes_file: Path, tmp_path: Path) -> None:
    """``shapes_graph`` (which files, how parsed) decides the compiled form as much as the
    compiler does."""
    package = Path(shapes_cache.__file__).parents[1]
    source = tmp_path / "src"
    shutil.copytree(package, source / "edcbridge", ignore=shutil.ignore_patterns("__pycache__"))
    before = _fingerprint_with(source, shapes_file)
    with (source / "edcbridge" / "validation" / "shacl.py").open("a", encoding="utf-8") as handle:
        handle.write("\n# read differently\n")
    assert _fingerprint_with(source, shapes_file) != before


def _edcbridge_code_run_by(compile_them: Callable[[], object]) -> set[str]:
    """The files of every edcbridge function ``compile_them`` calls."""
    ran: set[str] = set()
    package = str(Path(shapes_cache.__file__).parents[1])

    def note(frame: FrameType, event: str, arg: object) -> None:
        if event == "call" and frame.f_code.co_filename.startswith(package):
            ran.add(frame.f_code.co_filename)

    sys.setprofile(note)
    try:
        compile_them()
    finally:
        sys.setprofile(None)
    return ran


def _pickled_modules(data: bytes) -> set[str]:
    """The modules whose classes a pickle names (``STACK_GLOBAL`` takes the two strings before it)."""
    strings: list[str] = []
    memo: list[object] = []
    modules = set()
    for opcode, arg, _ in pickletools.genops(data):
        if isinstance(arg, str) and "UNICODE" in opcode.name:
            strings.append(arg)
        elif opcode.name == "MEMOIZE":
            memo.append(strings[-1] if strings else None)
        elif opcode.name in ("BINGET", "LONG_BINGET") and isinstance(arg, int):
            remembered = memo[arg]
            if isinstance(remembered, str):
                strings.append(remembered)
        elif opcode.name == "STACK_GLOBAL":
            modules.add(strings[-2])
    return modules


def test_the_name_covers_every_module_the_compiled_form_comes_from(store: SchemaStore, cache: Path) -> None:
    files = [store.path(_SHAPES_DIR + name) for name in SHAPES[DEFAULT_SHAPES]]
    hashed = {str(Path(str(code.__file__)).resolve()) for code in COMPILED_BY}
    ran = _edcbridge_code_run_by(lambda: compile_shapes(shapes_graph(store.root, DEFAULT_SHAPES)))
    assert {str(Path(name).resolve()) for name in ran} <= hashed
    compiled_cached(files, lambda: compile_shapes(shapes_graph(store.root, DEFAULT_SHAPES)))
    (written,) = (cache / "shapes").glob("compiled-*.pickle")
    ours = {name for name in _pickled_modules(written.read_bytes()) if name.startswith("edcbridge")}
    assert ours and ours <= {code.__name__ for code in COMPILED_BY}


class _Interrupting:
    """Pickled part way when Ctrl-C comes."""

    def __reduce__(self) -> tuple[object, ...]:
        raise KeyboardInterrupt


def test_a_ctrl_c_while_writing_leaves_no_temporary_file(cache: Path) -> None:
    shapes = CompiledShapes([_Interrupting()], frozenset())  # type: ignore[list-item]
    with pytest.raises(KeyboardInterrupt):
        compiled_cached([], lambda: shapes)
    assert list((cache / "shapes").iterdir()) == []
