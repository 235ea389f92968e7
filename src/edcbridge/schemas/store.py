"""Locate, install and check the schema store."""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cache, lru_cache
from importlib import resources
from pathlib import Path
from stat import S_ISDIR, S_ISREG

from edcbridge.cache_home import cache_home
from edcbridge.output import write_atomic

ENV_VAR = "EDCBRIDGE_SCHEMAS"
MAX_FILE_BYTES = 16 * 1024 * 1024  # the manifest pins no sizes; its largest file is under 1 MB
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
    copy: str | None = None  # the same bytes at a fixed commit, where ``url`` names none


@cache
def manifest() -> tuple[ManifestEntry, ...]:
    text = resources.files("edcbridge.schemas").joinpath("manifest.json").read_text("utf-8")
    return parse_manifest(text)


def parse_manifest(text: str) -> tuple[ManifestEntry, ...]:
    """The manifest's entries; ValueError for a path that could leave the store or name
    another entry's file (``..``, absolute, a drive or ``\\``, or the same path but for case,
    which a case-insensitive file system would make one file)."""
    entries = tuple(ManifestEntry(**entry) for entry in json.loads(text)["files"])
    seen: dict[str, str] = {}
    for entry in entries:
        parts = entry.path.split("/")
        if (not entry.path or entry.path.startswith("/") or "\\" in entry.path or ":" in entry.path
                or any(part in ("", ".", "..") for part in parts)):
            raise ValueError(f"manifest path {entry.path!r} is not a plain relative path")
        folded = entry.path.casefold()
        if folded in seen:
            raise ValueError(f"manifest paths {seen[folded]!r} and {entry.path!r} would be one "
                             "file on a case-insensitive file system")
        seen[folded] = entry.path
    return entries


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
        return Path(os.environ[ENV_VAR]).expanduser().absolute()
    root = _checkout_root()
    if root is not None:
        return root / "xsd"
    return cache_home() / "edcbridge" / "schemas"


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@cache
def _entries() -> dict[str, ManifestEntry]:
    return {entry.path: entry for entry in manifest()}


def install_remedy(entry: ManifestEntry | None = None) -> str:
    """What to run to install ``entry`` (else every file), said for an offline machine too."""
    reference = find_reference_dir()  # named only where there is one: beside a checkout
    if entry is not None and entry.url is None:
        return ("this file has no public download: run 'edcbridge schemas install --from DIR', DIR "
                f"holding it as {entry.path}{f' (as {reference} does)' if reference else ''}, or "
                "install with --download --mirror URL from a mirror that holds it")
    # the store does not record where its files came from: a mirror install is named too
    return ("run 'edcbridge schemas install --download' (or 'edcbridge schemas install --download "
            "--mirror URL' for a store filled from a mirror), or, without network access, "
            "'edcbridge schemas install --from DIR', DIR being a copy of the official files ("
            f"{f'{reference}, or ' if reference else ''}a store filled with --download --store DIR "
            "elsewhere)")


def _unreadable_remedy(target: Path, exc: OSError) -> str:
    """Why a file in the store cannot be read, and what to do (a store installed by another
    user with a strict umask is readable by that user only)."""
    return (f"{exc.strerror or exc}; make {target} readable for this user (chmod a+r, and "
            f"a+rx on its folders) or install a store of your own with --store DIR or {ENV_VAR}")


def _digest(target: Path, stat: os.stat_result | None = None) -> str:
    """A file's sha256, hashed again when its size, modification or change time, or inode
    changes. The change time counts: a rewrite keeping the size can set the modification time
    back (``touch -r``, or a coarse clock), never the change time."""
    stat = stat or target.stat()
    return _digest_of(str(target), stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns, stat.st_ino,
                      stat.st_dev)


def _file_stat(target: Path) -> os.stat_result | None:
    """The stat of a regular file, None when there is none. PermissionError when a folder on
    the way may not be entered (installed by another user with umask 077): whether the file
    is there cannot be told, and 'not installed' would send the user to the wrong fix."""
    try:
        stat = target.stat()
    except PermissionError:
        raise
    except OSError:  # not there, a folder on the way is a file, a loop of links
        return None
    return stat if S_ISREG(stat.st_mode) else None


def _maybe_there(target: Path) -> bool:
    """Whether ``target`` is a regular file, or may be one behind a folder this user may not enter."""
    try:
        return _file_stat(target) is not None
    except PermissionError:
        return True


def _surely_there(target: Path) -> bool:
    """Whether ``target`` is a regular file this user can see."""
    try:
        return _file_stat(target) is not None
    except PermissionError:
        return False


@lru_cache(maxsize=1024)
def _digest_of(path: str, size: int, mtime_ns: int, ctime_ns: int, inode: int, device: int) -> str:
    data = _read_bounded(Path(path))
    return "" if data is None else _sha256(data)  # "": no pinned file is that large


def _read_bounded(path: Path) -> bytes | None:
    """The bytes of ``path``, None when it is larger than any pinned file: a file put in the
    store or the ``--from`` folder by mistake may be larger than the memory."""
    with path.open("rb") as handle:
        data = handle.read(MAX_FILE_BYTES + 1)
    return data if len(data) <= MAX_FILE_BYTES else None


@cache
def _companions(relative: str) -> tuple[ManifestEntry, ...]:
    """The pinned files read along with ``relative``: for an XML schema, every pinned schema
    under its top folder, which its ``xs:import``/``xs:include`` may name (lxml and xmlschema
    read those from the store themselves, unchecked); for other files, none."""
    if not relative.endswith(".xsd"):
        return ()
    top = relative.split("/", 1)[0] + "/"
    return tuple(e for e in manifest() if e.path != relative and e.path.startswith(top)
                 and e.path.endswith(".xsd"))


@dataclass(frozen=True)
class InstallResult:
    installed: list[str]
    unchanged: list[str]
    failed: list[tuple[str, str]]
    not_tried: list[str] = field(default_factory=list)  # after a fetch raised InstallStopped


Progress = Callable[[str, str], None]  # (manifest path, what became of it), as each file is done
Origin = Callable[[ManifestEntry], tuple[str, str]]  # (where a file came from, the fix if not pinned)


def _check_source_folder(folder: Path) -> None:
    """Refuse a folder that holds none of the pinned files (the parent or a subfolder of the
    copy, say): each file would fail alone, a hundred lines saying 'not found'."""
    if any(_maybe_there(folder / entry.path) for entry in manifest()):
        return
    sample = manifest()[0].path
    tops = sorted({entry.path.split("/", 1)[0] + "/" for entry in manifest()})
    message = (f"{folder} holds none of the pinned files at their manifest paths (such as {sample}); "
               f"give the folder that holds {', '.join(tops[:3])} and the others")
    below = [child for child in _subfolders(folder) if _surely_there(child / sample)]
    if below:
        message += f": perhaps --from {below[0]}"
    raise SchemaStoreError(message)


def _missing_source_remedy(entry: ManifestEntry) -> str:
    """What to do when a ``--from`` folder lacks one pinned file (a partial copy)."""
    if entry.url is None:
        return ("it has no public download: copy it there from a complete copy of the official "
                "files and run the same command again, or install with --download --mirror URL "
                "from a mirror that holds it")
    return (f"copy the official file ({entry.url}) there and run the same command again, or "
            "install the missing files with --download")


def _subfolders(folder: Path) -> list[Path]:
    try:
        return sorted(child for child in folder.iterdir() if child.is_dir())
    except OSError:
        return []


def _stat_or_none(path: Path) -> os.stat_result | None:
    """``path``'s stat, None when it cannot be had (``Path.exists`` raises PermissionError)."""
    try:
        return path.stat()
    except OSError:
        return None


def _unwritable_remedy(target: Path, exc: OSError) -> str:
    """What to do when ``target`` cannot be written, naming the folder that refused it."""
    folder = target.parent
    while _stat_or_none(folder) is None and folder != folder.parent:
        folder = folder.parent
    store_option = f"--store DIR or {ENV_VAR}"
    if exc.errno in (errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)):
        return (f"the disk holding {folder} is full: free some space and run the same command "
                f"again (intact files are kept), or give another folder with {store_option}")
    if exc.errno == errno.EROFS:
        return f"{folder} is on a read-only file system: give a folder you can write with {store_option}"
    stat = _stat_or_none(folder)
    if stat is not None and not S_ISDIR(stat.st_mode):
        return f"{folder} is a file, not a folder: move it away, or give another folder with {store_option}"
    return (f"this user may not write in {folder}: ask its owner to make it writable for you, "
            f"or give a folder you can write with {store_option}")


class SchemaStore:
    """A folder holding the manifest's files under their manifest paths."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, relative: str) -> Path:
        """The local file for a manifest path; raises with a remedy if it is not installed or
        does not match its pinned checksum (an empty or edited shapes file would otherwise
        pass every credential). An XML schema is checked with the pinned schemas it may import
        (see :func:`_companions`). A path the manifest does not pin is refused: nothing could
        tell its content from any other."""
        entry = _entries().get(relative)
        if entry is None:
            raise SchemaStoreError(f"{relative} is not a file the schema manifest pins, so the "
                                   "schema store cannot vouch for it")
        problem = self._problem(entry, f" in the schema store {self.root}")
        if problem is not None:
            raise SchemaStoreError(f"{relative}{problem}")
        for companion in _companions(relative):
            problem = self._problem(companion)
            if problem is not None:
                raise SchemaStoreError(f"cannot load {relative} from the schema store {self.root}: "
                                       f"{companion.path}, which it may import,{problem}")
        return self.root / relative

    def _problem(self, entry: ManifestEntry, where: str = "") -> str | None:
        """What is wrong with one pinned file in the store (after the file's name and ``where``
        it is), with the remedy; None if intact."""
        target = self.root / entry.path
        try:
            stat = _file_stat(target)  # one call: an XML schema is checked with dozens of others
        except PermissionError as exc:
            return f"{where} cannot be read: {_unreadable_remedy(target, exc)}"
        if stat is None:
            return f" is not in {self.where()}; {install_remedy(entry)}"
        try:
            digest = _digest(target, stat)
        except OSError as exc:
            return f"{where} cannot be read: {_unreadable_remedy(target, exc)}"
        if digest != entry.sha256:
            return (f"{where} does not match its pinned sha256 (modified or damaged); installing "
                    f"replaces modified files: {install_remedy(entry)}")
        return None

    def where(self) -> str:
        """The store, for a message: where its folder came from, and whether it is one."""
        notes = []  # in brackets: messages go on after it ("... lacks 9 files", "...; run ...")
        variable = os.environ.get(ENV_VAR)
        if variable and Path(variable).expanduser().absolute() == self.root.absolute():
            notes.append(f"set by {ENV_VAR}")  # a relative value names the same store
        try:
            stat = self.root.stat()
        except PermissionError:  # EDCBRIDGE_SCHEMAS=/root/schemas for another user, say
            notes.append("this user may not reach it: a folder on its way is closed to it")
        except OSError:
            notes.append("it does not exist")
        else:
            if not S_ISDIR(stat.st_mode):
                notes.append("it is not a folder")
        return f"the schema store {self.root}" + (f" ({'; '.join(notes)})" if notes else "")

    def missing(self, group: str | None = None) -> list[str]:
        return [e.path for e in manifest()
                if (group is None or e.group == group) and not _maybe_there(self.root / e.path)]

    def check(self, *groups: str) -> list[tuple[str, str]]:
        """Every manifest file (of ``groups``, default all) with its state: ok, missing,
        modified, or unreadable (there, but this user may not read it)."""
        return [(entry.path, self._state(entry)) for entry in manifest()
                if not groups or entry.group in groups]

    def require(self, purpose: str, *groups: str) -> None:
        """Raise SchemaStoreError, naming the fix, unless every file of ``groups`` (default all)
        is intact: for a command that reads them late, after writing other outputs, so that it
        stops before it writes anything."""
        states = self.check(*groups)
        unreadable = [path for path, state in states if state == "unreadable"]
        if unreadable:  # its remedy is the file's permissions, not an install
            self.path(unreadable[0])
        wrong = [_entries()[path] for path, state in states if state in ("missing", "modified")]
        if not wrong:
            return
        # a file --download cannot fetch first: its remedy (--from DIR) covers the others too
        first = next((entry for entry in wrong if entry.url is None), wrong[0])
        counts = ", ".join(f"{sum(1 for _, s in states if s == state)} {state}"
                           for state in ("missing", "modified") if any(s == state for _, s in states))
        raise SchemaStoreError(
            f"{purpose} needs the {len(states)} pinned files: {counts} (such as {first.path}; "
            f"'edcbridge schemas status' lists every file), in {self.where()}; installing fetches "
            f"what is missing and replaces what was modified: {install_remedy(first)}")

    def _state(self, entry: ManifestEntry) -> str:
        target = self.root / entry.path
        try:
            stat = _file_stat(target)
            if stat is None:
                return "missing"
            digest = _digest(target, stat)
        except OSError:
            return "unreadable"
        return "ok" if digest == entry.sha256 else "modified"

    def install(self, fetch: Callable[[ManifestEntry], bytes],
                entries: Iterable[ManifestEntry] | None = None,
                progress: Progress | None = None, origin: Origin | None = None) -> InstallResult:
        """Fetch each file not already intact, check its sha256 and write it.

        A fetch raising InstallStopped ends the install, the remaining files listed as not
        tried. A store that cannot be written raises SchemaStoreError at the first file.
        ``origin`` names where a file's bytes came from and what to do when they are not the
        pinned ones.
        """
        result = InstallResult([], [], [])
        todo = list(entries if entries is not None else manifest())
        for index, entry in enumerate(todo):
            stopped = False
            try:
                state = self._install_one(entry, fetch, origin)
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

    def _install_one(self, entry: ManifestEntry, fetch: Callable[[ManifestEntry], bytes],
                     origin: Origin | None) -> str:
        """'installed' or 'already present'; raises when the file could not be fetched or is
        not the pinned one (nothing is written then)."""
        target = self.root / entry.path
        if self._state(entry) == "ok":
            return "already present"
        data = fetch(entry)
        digest = _sha256(data)
        if digest != entry.sha256:
            source, remedy = origin(entry) if origin else ("the file fetched", install_remedy(entry))
            raise SchemaStoreError(
                f"{source} is not the official file: its sha256 {digest} does not match the pinned "
                f"{entry.sha256} (another version, or damaged), so it was not installed; {remedy}")
        self._write(target, data)
        return "installed"

    def _write(self, target: Path, data: bytes) -> None:
        """Write one file; a store that cannot be written (read-only, not a folder, full) ends
        the install, since every other file would fail the same way. A folder where the file
        belongs fails this file alone: the store can be written, and the folder is to move."""
        try:
            write_atomic(target, data)
        except OSError as exc:
            if exc.errno == errno.EISDIR and target.is_dir():
                raise SchemaStoreError(
                    f"{target} is a folder, where the store keeps this pinned file, so it was not "
                    "installed: move the folder away and run the same command again") from exc
            raise _Unwritable(f"cannot write the schema store {self.root}: {exc.strerror or exc}; "
                              f"{_unwritable_remedy(target, exc)}") from exc

    def install_from(self, folder: Path, progress: Progress | None = None) -> InstallResult:
        """Copy the pinned files from ``folder`` (laid out as the manifest); a folder holding
        none of them is refused at once, naming a folder below it that does."""
        _check_source_folder(folder)

        def origin(entry: ManifestEntry) -> tuple[str, str]:
            official = f" ({entry.url})" if entry.url else ""
            return (str(folder / entry.path),
                    f"replace it with the official file{official}, or install with "
                    f"{'--download' if entry.url else '--download --mirror URL'}")

        def read(entry: ManifestEntry) -> bytes:
            source = folder / entry.path
            try:
                if _file_stat(source) is None:
                    raise SchemaStoreError(
                        f"{source} is a folder, not the pinned file: move it away and put the official "
                        "file in its place, then run the same command again" if source.is_dir() else
                        f"not found in {folder} (no file {source}): {_missing_source_remedy(entry)}")
                data = _read_bounded(source)
            except OSError as exc:
                raise SchemaStoreError(
                    f"{source} cannot be read: {exc.strerror or exc}; make it readable for this user "
                    "(chmod a+r, and a+rx on its folders), or install from a copy this user can read"
                ) from exc
            if data is None:
                raise SchemaStoreError(f"{source} is larger than any pinned file (over {MAX_FILE_BYTES} "
                                       "bytes): not the official file, so it was not installed; "
                                       f"{origin(entry)[1]}")
            return data

        return self.install(read, progress=progress, origin=origin)

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
