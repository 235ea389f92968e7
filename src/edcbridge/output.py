"""Writing outputs: atomic files, stable serialisation, safe file names.

JSON is written with orjson here, and only here.
"""

from __future__ import annotations

import base64
import contextlib
import errno
import hashlib
import json
import os
import re
import threading
import unicodedata
from collections import OrderedDict
from pathlib import Path
from typing import Any

import orjson

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
_UNSAFE_BEFORE_LAST = re.compile(r"[^A-Za-z0-9.-]+")


def serialise(doc: dict[str, Any]) -> bytes:
    """The bytes written for a JSON credential: UTF-8, two-space indent, newline-terminated.

    orjson writes exactly what ``json.dumps(doc, ensure_ascii=False, indent=2)`` would (a test
    holds it to that), about 25 times faster.
    """
    return orjson.dumps(doc, option=orjson.OPT_INDENT_2 | orjson.OPT_APPEND_NEWLINE)


def serialise_payload(doc: dict[str, Any], unassigned: frozenset[str]) -> bytes:
    """The bytes sealed as a JAdES payload: UTF-8 JSON without whitespace, as the EC's issuer
    writes its sealed credentials (what ``json.dumps(doc, ensure_ascii=False,
    separators=(",", ":"))`` writes). Inside the seal the payload is an escaped string that
    nobody reads by eye, and indenting it made the sealed file half again as large. The
    characters Unicode has not assigned (see :func:`unassigned_in`) are written as JSON escapes:
    ``unassigned``, those the document holds, which the caller knows (a batch finds them once per
    record and catalogue) or finds with :func:`unassigned_in` over :func:`compact_json`."""
    return escaped(compact_json(doc), unassigned)


def compact_json(doc: Any) -> bytes:
    """UTF-8 JSON without whitespace, keys in their order: what ``json.dumps(doc,
    ensure_ascii=False, separators=(",", ":"))`` writes."""
    return orjson.dumps(doc)


def json_string(text: str) -> bytes:
    """``text`` as it is written inside a JSON string (its quotes left out), UTF-8: what
    ``json.dumps(text, ensure_ascii=False)[1:-1]`` writes."""
    return orjson.dumps(text)[1:-1]


class Shared(dict[str, Any]):
    """A JSON object made once and never changed, held by many documents (a catalogue entry's
    node, in each of its credentials): :func:`sealing_payload` writes it once per process."""


# a shared node's compact JSON, and that JSON as a JSON string holds it, by the node's id
_SHARED_JSON: dict[int, tuple[Shared, bytes, bytes]] = {}
_MARK = orjson.Fragment(b"\x00")  # where a shared node is: compact JSON has no NUL of its own


def sealing_payload(doc: dict[str, Any], unassigned: frozenset[str]) -> tuple[bytes, bytes]:
    """:func:`serialise_payload` of the document (``unassigned`` as there), and the same text as
    the sealed file carries it, inside a JSON string (:func:`json_string`). The shared nodes' parts of both
    are written once per process: most of a credential is its catalogue entry's (a five-fold
    saving on the imperial demo's)."""
    shared: list[tuple[Shared, bytes, bytes]] = []

    def mark(node: Any) -> orjson.Fragment:
        if not isinstance(node, Shared):
            raise TypeError  # another subclass (of str, int, list or dict): written as ever, below
        shared.append(_shared_json(node))
        return _MARK

    try:
        own = orjson.dumps(doc, default=mark, option=orjson.OPT_PASSTHROUGH_SUBCLASS).split(b"\x00")
    except orjson.JSONEncodeError:
        own = None
    data = compact_json(doc) if own is None else \
        own[0] + b"".join(node + text for (_, node, _), text in zip(shared, own[1:], strict=True))
    if own is None or unassigned:
        data = escaped(data, unassigned)
        return data, json_string(data.decode("utf-8"))
    return data, _string_of(own[0]) + b"".join(node + _string_of(text)
                                               for (_, _, node), text in zip(shared, own[1:], strict=True))


def _shared_json(node: Shared) -> tuple[Shared, bytes, bytes]:
    """The node, its compact JSON, and that as a JSON string holds it; remembered (with the
    node, so that its id is no other's while it is)."""
    found = _SHARED_JSON.get(id(node))
    if found is None or found[0] is not node:
        data = orjson.dumps(node)
        found = (node, data, json_string(data.decode("utf-8")))
        if len(_SHARED_JSON) > 4096:
            _SHARED_JSON.clear()
        _SHARED_JSON[id(node)] = found
    return found


def _string_of(data: bytes) -> bytes:
    """Compact JSON orjson wrote (its control characters escaped already) as a JSON string
    holds it: each quote and backslash escaped, as :func:`json_string` does."""
    return data.replace(b"\\", b"\\\\").replace(b'"', b'\\"')


def canonical_json(node: Any, *, floats: bool | None = None) -> bytes:
    """Sorted, compact UTF-8 JSON: ``json.dumps(node, sort_keys=True, ensure_ascii=False,
    separators=(",", ":"))``, written by orjson where it writes the same bytes (no floats,
    whose notation differs, and no integers beyond 64 bits); a test holds it to that.
    ``floats`` says whether ``node`` holds a float, when the caller knows (see :func:`has_float`)."""
    if not (has_float(node) if floats is None else floats):
        try:
            return orjson.dumps(node, option=orjson.OPT_SORT_KEYS)
        except orjson.JSONEncodeError:
            pass
    return json.dumps(node, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


_PAST_ASCII = re.compile(r"[^\x00-\x7f]")


def unassigned_in(text: str) -> frozenset[str]:
    """The characters of ``text`` that Unicode, as this Python knows it, has not assigned:
    noncharacters (U+FFFE) and characters newer than its tables. JOSE verifiers (npm jose)
    refuse an unencoded JAdES payload holding one as written (see :func:`escaped`)."""
    if text.isascii():
        return frozenset()
    return frozenset(c for c in set(_PAST_ASCII.findall(text)) if unicodedata.category(c) == "Cn")


def escaped(data: bytes, characters: frozenset[str]) -> bytes:
    """JSON text with ``characters`` written as JSON escapes (\\u0378): the same JSON value.
    A character past ASCII can only be in a string of JSON, where its escape stands for it."""
    if not characters:
        return data
    found = re.compile("[" + "".join(re.escape(c) for c in sorted(characters)) + "]")
    return found.sub(lambda match: json_escape(match.group()), data.decode("utf-8")).encode("utf-8")


def json_escape(character: str) -> str:
    """``character`` as a JSON escape: ``\\u0378``, or a surrogate pair past U+FFFF."""
    units = character.encode("utf-16-be")
    return "".join(f"\\u{units[i] << 8 | units[i + 1]:04x}" for i in range(0, len(units), 2))


def has_float(value: Any) -> bool:
    """Whether a float is anywhere in ``value`` (walked without recursion: called for every
    node id of every credential)."""
    todo = [value]
    while todo:
        item = todo.pop()
        if isinstance(item, str):  # most values: answered first
            continue
        if isinstance(item, float):
            return True
        if isinstance(item, dict):
            todo.extend(item.values())
        elif isinstance(item, list):
            todo.extend(item)
    return False


def unreadable_json(exc: ValueError | RecursionError) -> str:
    """Why well-formed JSON cannot be read, for a person: a number too long (without Python's
    own remedy, sys.set_int_max_str_digits(), which no user of the command can apply) or
    nesting too deep."""
    if isinstance(exc, RecursionError):
        return "nested too deep"
    return str(exc).split(";")[0]


FILE_NAME_KEYS = frozenset({"source", "file", "html", "pdf"})
"""The keys whose values are file names in the --json output of the commands that read files."""

_SURROGATE = re.compile("[\ud800-\udfff]")


def json_text(value: Any) -> str:
    """*value* as indented JSON text for stdout, UTF-8 and valid Unicode throughout (I-JSON,
    RFC 7493), so strict readers take it. A file name whose bytes are no UTF-8 (held by Python
    as lone surrogates, e.g. U+DCF4 for a Latin-1 0xF4) has each such byte written as U+FFFD,
    and beside it, under its key with ``_base64``, the name's exact bytes in base64, to open it."""
    text = json.dumps(value, ensure_ascii=False, indent=2)
    if _SURROGATE.search(text) is None:  # nearly always: no name from outside UTF-8
        return text
    return json.dumps(_valid_unicode(value), ensure_ascii=False, indent=2)


def _valid_unicode(value: Any) -> Any:
    """*value* with lone surrogates replaced, and the exact bytes of each such file name added."""
    if isinstance(value, str):
        return _SURROGATE.sub("\ufffd", value)
    if isinstance(value, list | tuple):
        return [_valid_unicode(item) for item in value]
    if not isinstance(value, dict):
        return value
    valid: dict[Any, Any] = {}
    for key, item in value.items():
        valid[_valid_unicode(key)] = _valid_unicode(item)
        exact = _name_bytes(item) if key in FILE_NAME_KEYS else None
        if exact is not None:
            valid[f"{key}_base64"] = exact
    return valid


def _name_bytes(name: Any) -> str | None:
    """The bytes of a file name that is no UTF-8, in base64; None for any other value."""
    if not isinstance(name, str) or _SURROGATE.search(name) is None:
        return None
    try:
        return base64.b64encode(os.fsencode(name)).decode("ascii")
    except UnicodeError:  # a surrogate no file system byte stands for
        return None


def printable(text: str) -> str:
    """``text`` with each non-printable character (control, line separator, surrogate,
    direction override...) escaped as ``\\n``, ``\\x1b``, ``\\u202e``: text from outside (a
    request, an awards file) then cannot start a line of a log, fake one, or show itself
    reversed. Printable text, any script, stays as it is."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in text)


# What starts a formula, as OWASP lists it: full-width ＝＋－＠ are read as formulas in
# Japanese locales.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")
# Excel, in a locale whose list separator is ";" (Polish, German, French), opens a CSV file by a
# double-click split at every ";", quoted or not: what follows one starts a cell, and a quote
# there opens a quoted field, whose text is still run (csv writes a quote of the text twice:
# ``A;"=1"`` as ``"A;""=1"""``). An apostrophe after the ";" makes it text; one already there
# gets another, so that :func:`plain_cell` reads each back as it was.
_AFTER_SEMICOLON = "'*[ \"]*[" + re.escape("".join(_FORMULA_START)) + "]"
_FORMULA_AFTER_SEMICOLON = re.compile(f";(?={_AFTER_SEMICOLON})")
_GUARD_AFTER_SEMICOLON = re.compile(f";'(?={_AFTER_SEMICOLON})")


def text_cell(value: object) -> object:
    """A cell of a CSV file for people, shown as text by a spreadsheet: a text starting like a
    formula (``=HYPERLINK(...)`` as an award id, say), also after spaces (LibreOffice's "Trim
    spaces" import runs `` =2+3``), gets a leading apostrophe, so opening the file never runs
    it; so does one after a ``;``, even past a quote. Other values are left as they are."""
    if not isinstance(value, str):
        return value
    value = _FORMULA_AFTER_SEMICOLON.sub(";'", value)
    if value.lstrip(" ").startswith(_FORMULA_START):
        return "'" + value
    return value


def plain_cell(cell: str) -> str:
    """The text :func:`text_cell` made ``cell`` of. A leading apostrophe before a formula's
    start is taken as the guard (a text that began with one reads back without it, as before);
    after a ``;`` each guard is told from the text's own apostrophes."""
    if cell.startswith("'") and cell[1:].lstrip(" ").startswith(_FORMULA_START):
        cell = cell[1:]
    return _GUARD_AFTER_SEMICOLON.sub(";", cell)


# File systems take names of at most 255 bytes; this leaves room for a suffix such as ".jsonld".
_LONGEST_NAME = 200


def safe_name(*parts: str) -> str:
    """A file name from identifiers, one to one: a part that must be changed to be safe (say
    ``X/1`` or ``X 1``, both ``X-1`` once cleaned) also gets a digest of what it was, so two
    identifiers never share a file. Parts are joined by ``_``, which only the last may hold
    unchanged. A name too long for a file system keeps its start and a digest of the whole."""
    name = "_".join([*(_safe_part(p, _UNSAFE_BEFORE_LAST) for p in parts[:-1]),
                     *(_safe_part(p, _UNSAFE) for p in parts[-1:])])
    if len(name) <= _LONGEST_NAME:  # ASCII only, so characters are bytes
        return name
    return f"{name[:_LONGEST_NAME - 21]}-{hashlib.sha256(name.encode()).hexdigest()[:20]}"


def award_file(folder: Path, key: str, suffix: str) -> Path:
    """The file in ``folder`` named for the award ``key`` (``issuer/award_id``): an offer's QR
    code (``.png``), the record of a gateway's offer (``.json``)."""
    return folder / (safe_name(*key.split("/", 1)) + suffix)


def _safe_part(part: str, unsafe: re.Pattern[str]) -> str:
    cleaned = unsafe.sub("-", part).strip("-.") or "x"
    if cleaned == part:
        return part
    # a file name that is no UTF-8 holds lone surrogates (U+DCF4 for a Latin-1 0xF4): its bytes
    return f"{cleaned}-{hashlib.sha256(part.encode('utf-8', 'surrogateescape')).hexdigest()[:10]}"


_MAX_FOLDER_FDS = 16
_CANNOT_LINK = (errno.EPERM, errno.EACCES, errno.ENOENT, errno.EXDEV, errno.EOPNOTSUPP)
_LOCAL = threading.local()  # per thread: one thread never closes a descriptor another uses
_PROC_FD = Path("/proc/self/fd")  # unnamed files are linked in through their /proc entry
_ANONYMOUS = getattr(os, "O_TMPFILE", 0) if _PROC_FD.is_dir() else 0
_FOLDER_HANDLES = hasattr(os, "O_DIRECTORY") and os.open in os.supports_dir_fd  # not on Windows
_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
# a new file only: one left under the temporary name (by a process of this number that was
# killed) would keep its own mode, and a link planted there would be followed
_CREATE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | _CLOEXEC | getattr(os, "O_BINARY", 0)


def make_private(path: Path) -> None:
    """Create ``path`` empty, readable and writable by this user only, unless it exists. For
    the files SQLite then opens (journal, offers): they hold learners' e-mail addresses and the
    issuer's secrets, and SQLite gives its -wal and -shm files the mode of the database."""
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _CLOEXEC, 0o600))


def write_atomic(target: Path, data: bytes, *, mode: int = 0o666) -> None:
    """Write ``data`` to ``target`` so that readers see the old file or the whole new one.

    On Linux the bytes go to an unnamed file in the target's folder (``O_TMPFILE``) which is
    then linked under its name: one lock of the folder per file, and nothing left behind by a
    crash. An existing file is replaced by linking the written file under a temporary name
    and renaming that over it, so a crash while the bytes are written leaves no temporary
    file either; one killed between the two leaves it, and the next process to write in the
    folder removes it. Other systems write under a temporary name and rename it. The file gets the
    mode ``open()`` would give it (``mode``, 0666 unless given, less the umask) from the
    start: a private file (0600) is never readable by others, not even for a moment.
    """
    if not _FOLDER_HANDLES:
        target.parent.mkdir(parents=True, exist_ok=True)
        _write_named(None, target, data, mode)
        return
    folder = _folder_fd(target.parent)
    try:
        _write_in(folder, target, data, mode)
    except OSError:
        if not _moved(target.parent, folder):
            raise
        _forget_folder(target.parent)  # the folder went away during the run: make it again
        _write_in(_folder_fd(target.parent), target, data, mode)


def _write_in(folder: int, target: Path, data: bytes, mode: int) -> None:
    if not (_ANONYMOUS and _write_unnamed(folder, target, data, mode)):
        _write_named(folder, target, data, mode)


def _write_unnamed(folder: int, target: Path, data: bytes, mode: int) -> bool:
    """Write an unnamed file and link it in; False when it is to be written by name instead
    (this folder or system cannot)."""
    global _ANONYMOUS
    try:
        fd = os.open(".", _ANONYMOUS | os.O_WRONLY | _CLOEXEC, mode, dir_fd=folder)
    except OSError as exc:
        if exc.errno in (errno.EOPNOTSUPP, errno.EISDIR, errno.EINVAL):
            return False
        raise
    try:
        _write_all(fd, data)
        try:
            try:
                os.link(f"{_PROC_FD}/{fd}", target.name, dst_dir_fd=folder, follow_symlinks=True)
            except FileExistsError:  # written whole already: named only for the rename
                _link_over(fd, folder, target.name)
        except OSError as exc:
            if exc.errno not in _CANNOT_LINK or _moved(target.parent, folder):
                raise
            _ANONYMOUS = 0  # this system does not let us link them in: named files from now on
            return False
        return True
    finally:
        os.close(fd)


def _link_over(fd: int, folder: int, name: str) -> None:
    """Put the written file ``fd`` in place of the file called ``name``."""
    tmp = _temporary_name(name)
    try:
        os.link(f"{_PROC_FD}/{fd}", tmp, dst_dir_fd=folder, follow_symlinks=True)
    except FileExistsError:  # left by a process of this number that was killed
        os.unlink(tmp, dir_fd=folder)
        os.link(f"{_PROC_FD}/{fd}", tmp, dst_dir_fd=folder, follow_symlinks=True)
    try:
        os.replace(tmp, name, src_dir_fd=folder, dst_dir_fd=folder)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp, dir_fd=folder)
        raise


def _temporary_name(name: str) -> str:
    return f".tmp-{os.getpid()}-{threading.get_ident()}-{name}"


def _write_named(folder: int | None, target: Path, data: bytes, mode: int) -> None:
    """Through a temporary name and a rename: names relative to ``folder``, else full paths."""
    tmp = _temporary_name(target.name)
    final = target.name
    if folder is None:
        tmp, final = str(target.parent / tmp), str(target)
    try:
        fd = os.open(tmp, _CREATE, mode, dir_fd=folder)
    except FileExistsError:  # left by a process of this number that was killed
        os.unlink(tmp, dir_fd=folder)
        fd = os.open(tmp, _CREATE, mode, dir_fd=folder)
    try:
        try:
            _write_all(fd, data)
        finally:
            os.close(fd)
        os.replace(tmp, final, src_dir_fd=folder, dst_dir_fd=folder)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp, dir_fd=folder)
        raise


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def _folder_fd(folder: Path) -> int:
    """An open descriptor of the folder, made if missing; a few are kept per thread."""
    fds = _folder_fds()
    fd = fds.get(folder)
    if fd is not None:
        fds.move_to_end(folder)
        return fd
    folder.mkdir(parents=True, exist_ok=True)
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY | _CLOEXEC)
    fds[folder] = fd
    _sweep_once(fd)
    if len(fds) > _MAX_FOLDER_FDS:
        os.close(fds.popitem(last=False)[1])
    return fd


_SWEPT: set[tuple[int, int]] = set()  # folders (device, inode) this process has swept
_SWEEP_LOCK = threading.Lock()
_LEFT_BY = re.compile(r"\.tmp-(\d+)-\d+-")


def _sweep_once(folder: int) -> None:
    """Remove the temporary files that writers killed in the moment between naming a written
    file and renaming it over the old one left in this folder: one scan per folder per process.
    Only those of processes no longer running on this machine, so none a live writer uses."""
    found = os.fstat(folder)
    with _SWEEP_LOCK:
        if (found.st_dev, found.st_ino) in _SWEPT:
            return
        _SWEPT.add((found.st_dev, found.st_ino))
    with contextlib.suppress(OSError), os.scandir(folder) as entries:
        for entry in entries:
            left_by = _LEFT_BY.match(entry.name)
            if left_by and not _running(int(left_by[1])):
                with contextlib.suppress(OSError):
                    os.unlink(entry.name, dir_fd=folder)


def _running(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (OSError, OverflowError):  # another user's process, or no such number: leave it
        return True
    return True


def _moved(folder: Path, fd: int) -> bool:
    """Whether the open folder is no longer the one at that path."""
    try:
        here = folder.stat()
    except FileNotFoundError:
        return True
    there = os.fstat(fd)
    return (here.st_dev, here.st_ino) != (there.st_dev, there.st_ino)


def _forget_folder(folder: Path) -> None:
    fd = _folder_fds().pop(folder, None)
    if fd is not None:
        os.close(fd)


def _folder_fds() -> OrderedDict[Path, int]:
    fds: OrderedDict[Path, int] | None = getattr(_LOCAL, "fds", None)
    if fds is None:
        fds = _LOCAL.fds = OrderedDict()
    return fds
