"""Locate, install and check the schema store."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cache, lru_cache
from importlib import resources
from pathlib import Path

from edcbridge.output import write_atomic

ENV_VAR = "EDCBRIDGE_SCHEMAS"
_PACKAGE_DIR = Path(__file__).resolve().parents[1]


class SchemaStoreError(RuntimeError):
    """The store is missing files, or a file does not match its pinned checksum."""


class InstallStopped(SchemaStoreError):
    """Raised by a fetch function to end an install: its file failed, the rest are not tried
    (say the server stopped answering)."""


class _Unwritable(SchemaStoreError):
    """The store cannot be written: the whole install fails, not one file."""


@dataclass(frozen=True, slots=True)
class ManifestEntry:
    path: str
    url: str | None
    version: str
    licence: str
    group: str
    sha256: str
    note: str | None = None


@cache
def manifest() -> tuple[ManifestEntry, ...]:
    text = resources.files("edcbridge.schemas").joinpath("manifest.json").read_text("utf-8")
    return tuple(ManifestEntry(**entry) for entry in json.loads(text)["files"])


def _checkout_root() -> Path | None:
    root = _PACKAGE_DIR.parents[1]
    return root if (root / "pyproject.toml").is_file() and (root / "src").is_dir() else None


def find_reference_dir() -> Path | None:
    """``../shared/reference`` beside a checkout, when present (the bundled default)."""
    root = _checkout_root()
    if root is None:
        return None
    candidate = root.parent / "shared" / "reference"
    return candidate if candidate.is_dir() else None


def default_store_dir() -> Path:
    if os.environ.get(ENV_VAR):
        return Path(os.environ[ENV_VAR]).expanduser()
    root = _checkout_root()
    if root is not None:
        return root / "xsd"
    cache_home = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return cache_home / "edcbridge" / "schemas"


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@cache
def _pinned() -> dict[str, str]:
    return {entry.path: entry.sha256 for entry in manifest()}


def _digest(target: Path) -> str:
    """A file's sha256, hashed again only when its size or modification time changes."""
    stat = target.stat()
    return _digest_of(str(target), stat.st_size, stat.st_mtime_ns, stat.st_ino)


@lru_cache(maxsize=1024)
def _digest_of(path: str, size: int, mtime_ns: int, inode: int) -> str:
    return _sha256(Path(path).read_bytes())


@dataclass(frozen=True)
class InstallResult:
    installed: list[str]
    unchanged: list[str]
    failed: list[tuple[str, str]]
    not_tried: list[str] = field(default_factory=list)  # after a fetch raised InstallStopped


Progress = Callable[[str, str], None]  # (manifest path, what became of it), as each file is done


class SchemaStore:
    """A folder holding the manifest's files under their manifest paths."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, relative: str) -> Path:
        """The local file for a manifest path; raises with a remedy if it is not installed or
        does not match its pinned checksum (an empty or edited shapes file would otherwise
        pass every credential)."""
        target = self.root / relative
        if not target.is_file():
            raise SchemaStoreError(
                f"{relative} is not in the schema store {self.root}; run "
                "'edcbridge schemas install --from DIR' (or --download)"
            )
        pinned = _pinned().get(relative)
        if pinned is not None and _digest(target) != pinned:
            raise SchemaStoreError(
                f"{relative} in the schema store {self.root} does not match its pinned sha256 "
                "(modified or damaged); reinstall it with 'edcbridge schemas install --from DIR' "
                "(or --download), which replaces modified files"
            )
        return target

    def missing(self, group: str | None = None) -> list[str]:
        return [e.path for e in manifest()
                if (group is None or e.group == group) and not (self.root / e.path).is_file()]

    def check(self, *groups: str) -> list[tuple[str, str]]:
        """Every manifest file (of ``groups``, default all) with its state: ok, missing or
        modified."""
        states = []
        for entry in manifest():
            if groups and entry.group not in groups:
                continue
            target = self.root / entry.path
            if not target.is_file():
                states.append((entry.path, "missing"))
            elif _digest(target) != entry.sha256:
                states.append((entry.path, "modified"))
            else:
                states.append((entry.path, "ok"))
        return states

    def install(self, fetch: Callable[[ManifestEntry], bytes],
                entries: Iterable[ManifestEntry] | None = None,
                progress: Progress | None = None) -> InstallResult:
        """Fetch each file not already intact, check its sha256 and write it.

        A fetch raising InstallStopped ends the install, the remaining files listed as not
        tried. A store that cannot be written raises SchemaStoreError at the first file.
        """
        result = InstallResult([], [], [])
        todo = list(entries if entries is not None else manifest())
        for index, entry in enumerate(todo):
            stopped = False
            try:
                state = self._install_one(entry, fetch)
            except _Unwritable:
                raise
            except (OSError, SchemaStoreError) as exc:  # this file only, unless InstallStopped
                result.failed.append((entry.path, str(exc)))
                state = f"failed: {exc}"
                stopped = isinstance(exc, InstallStopped)
            else:
                (result.installed if state == "installed" else result.unchanged).append(entry.path)
            if progress is not None:
                progress(entry.path, state)
            if stopped:
                result.not_tried.extend(e.path for e in todo[index + 1:])
                break
        return result

    def _install_one(self, entry: ManifestEntry, fetch: Callable[[ManifestEntry], bytes]) -> str:
        """'installed' or 'already present'; raises when the file could not be fetched."""
        target = self.root / entry.path
        if target.is_file() and _sha256(target.read_bytes()) == entry.sha256:
            return "already present"
        data = fetch(entry)
        digest = _sha256(data)
        if digest != entry.sha256:
            raise SchemaStoreError(f"sha256 {digest} does not match the pinned {entry.sha256}")
        self._write(target, data)
        return "installed"

    def _write(self, target: Path, data: bytes) -> None:
        """Write one file; a store that cannot be written (read-only, not a folder, full) ends
        the install, since every other file would fail the same way."""
        try:
            write_atomic(target, data)
        except OSError as exc:
            raise _Unwritable(
                f"cannot write the schema store {self.root}: {exc.strerror or exc}; give a "
                f"folder you can write with --store DIR or {ENV_VAR}"
            ) from exc

    def install_from(self, folder: Path, progress: Progress | None = None) -> InstallResult:
        def read(entry: ManifestEntry) -> bytes:
            source = folder / entry.path
            if not source.is_file():
                raise SchemaStoreError(f"not found in {folder}")
            return source.read_bytes()

        return self.install(read, progress=progress)

    def ensure(self, group: str | None = None) -> SchemaStore:
        """Install from ``../shared/reference`` if files are missing and that folder exists.

        A store that cannot be written is left as it is: its files are still missing, which
        the caller reports with the remedy.
        """
        if self.missing(group):
            reference = find_reference_dir()
            if reference is not None:
                with contextlib.suppress(SchemaStoreError):
                    self.install_from(reference)
        return self


def default_store() -> SchemaStore:
    return SchemaStore(default_store_dir()).ensure()
