"""Compiled shapes kept on disk between processes.

Reading and compiling the official shapes takes about 0.3 s (rdflib's Turtle parser, pyshacl's
shape harvest) in every process that validates: each `validate` and each worker of a run. The
compiled form is written once to the user's cache folder and read back in a few milliseconds.

A cache file is named by a digest of everything its content depends on: the shapes files'
bytes, the code that reads, compiles and evaluates them, and the versions of Python, rdflib and
pyshacl. Whatever changes, another name is looked for and nothing stale is read. The file is
a pickle, so it is read only from a folder and a file that belong to the user running the
command and that nobody else may write (an SSH-like rule, checked on the opened folder and file,
so no one able to rename a folder above them can swap them between the check and the read): no
other user can plant one. Root makes no folder inside another user's (``sudo`` keeping the
user's HOME would leave them a cache they cannot write). Anything unreadable is compiled again
and written over.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import pickle
import secrets
import stat
import sys
from collections.abc import Callable, Sequence
from importlib import metadata
from pathlib import Path

from edcbridge.cache_home import cache_home
from edcbridge.schemas import store
from edcbridge.validation import nquads, shacl, shapes_compiled
from edcbridge.validation.shapes_compiled import CompiledShapes

CACHE_ENV = "EDCBRIDGE_CACHE"  # a folder; "off" to compile in every process
COMPILED_BY = (store, shacl, shapes_compiled, nquads)  # the code that reads, compiles and runs them
_FOLDER_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW


def cache_dir() -> Path | None:
    """``$EDCBRIDGE_CACHE``, else ``$XDG_CACHE_HOME/edcbridge``, else ``~/.cache/edcbridge``;
    None when set to ``off``. A relative ``EDCBRIDGE_CACHE`` is taken from the current folder;
    a relative ``XDG_CACHE_HOME`` is ignored, as the XDG Base Directory specification says
    (a folder that moved with every ``cd`` would fill the folders of the runs)."""
    chosen = os.environ.get(CACHE_ENV)
    if chosen == "off":
        return None
    try:
        if chosen:
            return Path(chosen).expanduser().absolute()
        return cache_home() / "edcbridge"
    except RuntimeError:  # no HOME and no passwd entry (a container run as an arbitrary uid)
        return None


def fingerprint(shapes_files: Sequence[Path]) -> str:
    """What a compiled form depends on, as one digest."""
    digest = hashlib.sha256()
    for code in COMPILED_BY:
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
    by ``compile_them`` and written there (a folder that cannot take them is not an error). Files
    replaced while they were compiled (a ``schemas install`` meanwhile) are not written under
    the name of their earlier bytes."""
    folder = cache_dir()
    if folder is None:
        return compile_them()
    name = fingerprint(shapes_files)
    target = folder / "shapes" / f"compiled-{name}.pickle"
    found = _read(target)
    if found is not None:
        return found
    shapes = compile_them()
    if fingerprint(shapes_files) == name:
        _write(target, shapes)
    return shapes


def _private(info: os.stat_result) -> bool:
    """Whether what ``info`` describes belongs to this user and no one else may write it."""
    return info.st_uid == os.geteuid() and not info.st_mode & (stat.S_IWGRP | stat.S_IWOTH)


def _open_private_folder(folder: Path) -> int | None:
    """A descriptor of ``folder`` when it is a private folder of this user (not a symlink)."""
    try:
        descriptor = os.open(folder, _FOLDER_FLAGS)
    except OSError:
        return None
    if _private(os.fstat(descriptor)):
        return descriptor
    os.close(descriptor)
    return None


def _read(target: Path) -> CompiledShapes | None:
    folder = _open_private_folder(target.parent)
    if folder is None:
        return None
    try:
        with os.fdopen(os.open(target.name, os.O_RDONLY | os.O_NOFOLLOW, dir_fd=folder), "rb") as handle:
            info = os.fstat(handle.fileno())
            if not (stat.S_ISREG(info.st_mode) and _private(info)):
                return None
            found = pickle.loads(handle.read())  # the user's own private file, see above
    except Exception:  # missing, unreadable, from other code: compile again
        return None
    finally:
        os.close(folder)
    return found if isinstance(found, CompiledShapes) else None


def _may_make(folder: Path) -> bool:
    """Whether this user may make ``folder``: root makes none inside another user's folder."""
    if os.geteuid() != 0:
        return True
    existing = folder
    while not os.path.lexists(existing) and existing != existing.parent:
        existing = existing.parent
    try:
        return existing.stat().st_uid == 0
    except OSError:
        return False


def _write(target: Path, shapes: CompiledShapes) -> None:
    try:
        if _may_make(target.parent):
            target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError:
        return
    folder = _open_private_folder(target.parent)
    if folder is None:
        return
    try:
        _write_in(folder, target.name, shapes)
        _prune(folder, keep=target.name)
    finally:
        os.close(folder)


KEPT = 24  # compiled forms kept: six profiles, for the code and versions of a few upgrades


def _prune(folder: int, keep: str) -> None:
    """Remove all but the KEPT most recently written compiled forms (each one of an earlier
    code, version or shapes file is never read again), ``keep`` always kept."""
    found = []
    for name in os.listdir(folder):
        if name.startswith("compiled-") and name.endswith(".pickle") and name != keep:
            with contextlib.suppress(OSError):
                found.append((os.stat(name, dir_fd=folder, follow_symlinks=False).st_mtime_ns, name))
    for _, name in sorted(found, reverse=True)[KEPT - 1:]:
        with contextlib.suppress(OSError):
            os.unlink(name, dir_fd=folder)


def _write_in(folder: int, name: str, shapes: CompiledShapes) -> None:
    """Write ``name`` in the opened ``folder`` through a file only this process uses."""
    temporary = f".{name}.{secrets.token_hex(8)}"
    try:
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600,
                             dir_fd=folder)
    except OSError:
        return
    try:
        with os.fdopen(descriptor, "wb") as handle:
            pickle.dump(shapes, handle, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(temporary, name, src_dir_fd=folder, dst_dir_fd=folder)
    except BaseException as exc:  # a Ctrl-C too: no temporary file is left behind
        with contextlib.suppress(OSError):
            os.unlink(temporary, dir_fd=folder)
        if not isinstance(exc, OSError | pickle.PicklingError | RecursionError):
            raise
