"""Compiled shapes kept on disk between processes.

Reading and compiling the official shapes takes about 0.3 s (rdflib's Turtle parser, pyshacl's
shape harvest) in every process that validates: each `validate` and each worker of a run. The
compiled form is written once to the user's cache folder and read back in a few milliseconds.

A cache file is named by a digest of everything its content depends on: the shapes files'
bytes, the code that compiles and evaluates them, and the versions of Python, rdflib and
pyshacl. Whatever changes, another name is looked for and nothing stale is read. The file is
a pickle, so it is read only from a folder and a file that belong to the user running the
command and that nobody else may write (an SSH-like rule): no other user can plant one.
Anything unreadable is compiled again and written over.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import stat
import sys
from collections.abc import Callable, Sequence
from importlib import metadata
from pathlib import Path

from edcbridge.validation import nquads, shapes_compiled
from edcbridge.validation.shapes_compiled import CompiledShapes

CACHE_ENV = "EDCBRIDGE_CACHE"  # a folder; "off" to compile in every process


def cache_dir() -> Path | None:
    """``$EDCBRIDGE_CACHE``, else ``$XDG_CACHE_HOME/edcbridge``, else ``~/.cache/edcbridge``;
    None when set to ``off``."""
    chosen = os.environ.get(CACHE_ENV)
    if chosen == "off":
        return None
    if chosen:
        return Path(chosen).expanduser()
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "edcbridge"


def fingerprint(shapes_files: Sequence[Path]) -> str:
    """What a compiled form depends on, as one digest."""
    digest = hashlib.sha256()
    for code in (shapes_compiled, nquads):
        digest.update(Path(str(code.__file__)).read_bytes())
    for package in ("rdflib", "pyshacl"):
        digest.update(f"{package}={metadata.version(package)};".encode())
    digest.update(f"{sys.version};{pickle.HIGHEST_PROTOCOL};".encode())
    for path in shapes_files:
        data = path.read_bytes()
        digest.update(f"{len(data)}:".encode() + data)
    return digest.hexdigest()[:40]


def compiled_cached(shapes_files: Sequence[Path],
                    compile_them: Callable[[], CompiledShapes]) -> CompiledShapes:
    """The compiled shapes of ``shapes_files``: from the cache when it holds them, else compiled
    by ``compile_them`` and written there (a folder that cannot take them is not an error)."""
    folder = cache_dir()
    if folder is None:
        return compile_them()
    target = folder / "shapes" / f"compiled-{fingerprint(shapes_files)}.pickle"
    found = _read(target)
    if found is not None:
        return found
    shapes = compile_them()
    _write(target, shapes)
    return shapes


def _own_and_private(path: Path) -> bool:
    """Whether ``path`` belongs to this user and no one else may write it."""
    info = path.lstat()
    return (not stat.S_ISLNK(info.st_mode) and info.st_uid == os.getuid()
            and not info.st_mode & (stat.S_IWGRP | stat.S_IWOTH))


def _read(target: Path) -> CompiledShapes | None:
    try:
        if not (_own_and_private(target.parent) and _own_and_private(target)):
            return None
        found = pickle.loads(target.read_bytes())  # the user's own private file, see above
    except Exception:  # missing, unreadable, from other code: compile again
        return None
    return found if isinstance(found, CompiledShapes) else None


def _write(target: Path, shapes: CompiledShapes) -> None:
    try:
        target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        if not _own_and_private(target.parent):
            return
        temporary = target.with_name(f".{target.name}.{os.getpid()}")
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    except OSError:
        return
    try:
        with os.fdopen(descriptor, "wb") as handle:
            pickle.dump(shapes, handle, protocol=pickle.HIGHEST_PROTOCOL)
        temporary.replace(target)
    except (OSError, pickle.PicklingError, RecursionError):
        temporary.unlink(missing_ok=True)
