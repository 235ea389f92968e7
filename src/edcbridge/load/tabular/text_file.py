"""The kind of an award file by its extension, and a text file (CSV, JSON) opened streamed in
its encoding, with the line and byte where it stops being that encoding."""

from __future__ import annotations

import codecs
import contextlib
import io
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from edcbridge.load.errors import InputFileError


def detect_kind(path: Path) -> str:
    suffix = path.suffix.lower()
    kinds = {".csv": "csv", ".tsv": "csv", ".txt": "csv", ".xlsx": "xlsx", ".jsonl": "jsonl",
             ".ndjson": "jsonl", ".json": "jsonl"}
    if suffix not in kinds:
        raise InputFileError(str(path), f"cannot read {suffix or 'extension-less'} files",
                             "give awards as .csv, .xlsx or .jsonl")
    return kinds[suffix]


_BOMS = ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
         (codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"),
         (codecs.BOM_UTF16_BE, "utf-16"))


def _encoding(head: bytes) -> str:
    """UTF-8, unless a byte-order mark or the NUL bytes of UTF-16/32 text say otherwise
    (Excel's "Unicode text" is UTF-16 with a byte-order mark)."""
    for bom, name in _BOMS:
        if head.startswith(bom):
            return name
    sample = head[:4096 - 4096 % 4]
    if not sample or sample.count(0) * 3 < len(sample):  # ASCII in UTF-16 is half NUL bytes
        return "utf-8"
    nul = [sample[i::4].count(0) * 8 > len(sample) for i in range(4)]  # over half NUL
    if nul == [False, True, True, True]:
        return "utf-32-le"
    if nul == [True, True, True, False]:
        return "utf-32-be"
    return "utf-16-le" if nul[1] and nul[3] else "utf-16-be"


def _label(encoding: str) -> str:
    return {"utf-8-sig": "UTF-8"}.get(encoding, encoding.upper())


_UTF8 = frozenset(("utf-8", "utf-8-sig"))


def named_encoding(name: str) -> str | None:
    """The codec of an encoding a user names for legacy CSV files (cp1252, latin-1), None for
    UTF-8 (the default); ValueError for a name Python does not know or a codec that is not one
    byte per character with ASCII as it is (UTF-16 is read by its byte-order mark)."""
    try:
        codec = codecs.lookup(name).name
    except LookupError:
        raise ValueError(f"{name!r} is not an encoding Python knows; name it like cp1252, latin-1 or "
                         "iso-8859-2") from None
    if codec in _UTF8:
        return None
    try:
        ascii_kept = bytes(range(128)).decode(codec) == bytes(range(128)).decode("ascii")
        single_byte = len("\u00e9".encode(codec, "replace")) == 1
    except (UnicodeError, TypeError, LookupError):  # a codec that is no text encoding (base64)
        ascii_kept = single_byte = False
    if not (ascii_kept and single_byte):
        raise ValueError(f"{name!r} is not a single-byte encoding such as cp1252: a UTF-16 file is "
                         "read by its byte-order mark, without --encoding")
    return codec


def _not_encoded(path: Path, label: str, line: int, offset: int, fix: str) -> InputFileError:
    hint = ("; it may be in a legacy encoding such as Windows-1252 (western Europe), 1250 (central "
            "Europe), 1251 (Cyrillic) or 1253 (Greek)") if label == "UTF-8" else ""
    return InputFileError(str(path), f"not {label} (line {line}, byte {offset}){hint}", fix)


def _bad_byte(path: Path, encoding: str) -> tuple[int, int]:
    """The line and file offset of the first byte that is not *encoding*.

    A text stream decodes ahead of the row it returns, so its error does not say where."""
    decoder = codecs.getincrementaldecoder(encoding)()
    line, offset = 1, 0
    with path.open("rb") as raw:
        while True:
            chunk = raw.read(65536)
            state = decoder.getstate()
            try:
                line += decoder.decode(chunk, final=not chunk).count("\n")
            except UnicodeDecodeError as exc:
                start = exc.start - len(state[0])  # the error counts from the bytes held back
                before = codecs.getincrementaldecoder(encoding)()
                before.setstate(state)
                return line + before.decode(chunk[:max(start, 0)]).count("\n"), offset + start
            if not chunk:
                return line, offset
            offset += len(chunk)


def _decode_error(path: Path, encoding: str, fix: str) -> InputFileError:
    line, offset = _bad_byte(path, encoding)
    return _not_encoded(path, _label(encoding), line, offset, fix)


def _open_text(path: Path, named: str | None = None,
               line_bound: bool = False) -> tuple[io.TextIOWrapper, str]:
    """The file as text, streamed, and its codec: the one its bytes show, or ``named`` (see
    :func:`named_encoding`), which a file whose bytes show another is refused under. With
    ``line_bound``, a line longer than :data:`MAX_LINE_BYTES` is refused as it is read."""
    raw = path.open("rb")
    head = raw.read(65536)
    raw.seek(0)
    fix = ("save the file as 'CSV UTF-8' (Excel) or convert it to UTF-8"
           if detect_kind(path) == "csv" else "write the file as UTF-8")
    if head.startswith(b"PK\x03\x04"):
        raw.close()
        raise InputFileError(str(path), "this is a ZIP archive such as an XLSX workbook, not text",
                             "give the workbook the extension .xlsx, or " + fix)
    encoding = _encoding(head)
    if named is not None:
        problem = _not_named(raw, head, encoding, _label(named))
        if problem is not None:
            raw.close()
            raise InputFileError(str(path), problem, "read it without --encoding (in a run of its "
                                 "own, if other files need the option)")
        return _text_stream(raw, named, _line_limit(path, line_bound)), named
    try:
        codecs.getincrementaldecoder(encoding)().decode(head, final=False)
    except UnicodeDecodeError as exc:
        if encoding in ("utf-8", "utf-8-sig") and _holds_utf8(head):
            pass  # a UTF-8 file with a stray byte (a name pasted from elsewhere): its row fails alone
        elif encoding in ("utf-8", "utf-8-sig"):
            raw.close()
            line = head[:exc.start].count(b"\n") + 1
            fix += "; or, to read it as it is, name its encoding: --encoding cp1252"
            raise _not_encoded(path, "UTF-8", line, exc.start, fix) from None
        else:
            raw.close()
            raise InputFileError(str(path), f"looks like {_label(encoding)} but is not valid "
                                 f"{_label(encoding)} (byte {exc.start})", fix) from None
    return _text_stream(raw, encoding, _line_limit(path, line_bound)), encoding


def _not_named(raw: io.BufferedReader, head: bytes, found: str, named: str) -> str | None:
    """Why a file whose first bytes are ``head`` is not in the encoding the user named: a
    byte-order mark, or letters written in UTF-8 anywhere in it, says it is another (read as the
    named one, each of its accented letters would become two or three others, with no error)."""
    for bom, codec in _BOMS:
        if head.startswith(bom):
            label = _label(codec)
            return f"the file starts with a {label} byte-order mark, so it is {label}, not {named}"
    if found not in _UTF8:
        return f"the file is {_label(found)} (its bytes hold NULs as that encoding writes them), not {named}"
    line = _utf8_line(raw)
    if line is None:
        return None
    return (f"the file is UTF-8 (line {line} holds letters written in UTF-8), not {named}: read as "
            f"{named} they would be garbled")


# a letter of two, three or four bytes of UTF-8; in a legacy encoding such a run is text no one
# writes ("Ã©", "Ã¨")
_UTF8_LETTER = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}")


def _utf8_line(raw: io.BufferedReader) -> int | None:
    """The line of the first letter written in UTF-8 in the file, read from its start."""
    line, carry = 1, b""
    try:
        while chunk := raw.read(1 << 20):
            data = carry + chunk
            found = _UTF8_LETTER.search(data)
            if found is not None:
                return line + data.count(b"\n", 0, found.start())
            line += data.count(b"\n", 0, len(data) - 3)
            carry = data[-3:]  # the start of a letter the next chunk ends
        return None
    finally:
        raw.seek(0)


def _text_stream(raw: io.BufferedReader, encoding: str,
                 line_limit: _LineLimit | None = None) -> io.TextIOWrapper:
    """A later byte outside the encoding becomes a lone surrogate, found in the row that holds
    it: that row fails, where a strict decoder reading ahead would lose the rows around it."""
    stream = raw
    if encoding not in ("utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-32-le", "utf-32-be"):
        size = raw.seek(0, io.SEEK_END)
        if size and raw.seek(size - 1) and raw.read(1) == _END_OF_FILE:
            stream = io.BufferedReader(_Before(raw, size - 1))
        raw.seek(0)
    if line_limit is not None:
        stream = io.BufferedReader(_LineBound(stream, line_limit))
    return io.TextIOWrapper(stream, encoding=encoding, newline="", errors="surrogateescape")


MAX_LINE_BYTES = 32 * 1024 * 1024
"""Longest line of a CSV or JSON Lines file. A row of 2,000 cells is a few hundred KB, a CSV cell
at most 16 MB; a line is read whole before it is split, so 300 MB without a line break would
otherwise be held in memory at once (several times over as text)."""


@dataclass(frozen=True)
class _LineLimit:
    """The most bytes a line may hold, and the file named when one holds more."""

    file: str
    limit: int


def _line_limit(path: Path, line_bound: bool) -> _LineLimit | None:
    return _LineLimit(str(path), MAX_LINE_BYTES) if line_bound else None


class _LineBound(io.RawIOBase):
    """The bytes of a file, refusing a line longer than the limit while it is read: measured
    chunk by chunk (a CR or an LF ends a line in every encoding edcbridge reads), never row by row."""

    def __init__(self, raw: io.BufferedReader, limit: _LineLimit) -> None:
        self._raw, self._limit = raw, limit
        self._line_start = 0  # offset of the byte after the last line break read

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        position = self._raw.seek(offset, whence)
        self._line_start = position
        return position

    def tell(self) -> int:
        return self._raw.tell()

    def readinto(self, buffer: Any) -> int:
        start = self._raw.tell()
        count = self._raw.readinto(buffer)
        if count:
            chunk = bytes(memoryview(buffer)[:count])
            last_break = max(chunk.rfind(b"\n"), chunk.rfind(b"\r"))
            if last_break >= 0:
                self._line_start = start + last_break + 1
            elif start + count - self._line_start > self._limit.limit:
                raise _line_too_long(self._limit, self._line_start)
        return count

    def close(self) -> None:
        self._raw.close()
        super().close()


def _line_too_long(limit: _LineLimit, start: int) -> InputFileError:
    return InputFileError(limit.file, f"the line starting at byte {start:,} runs on for more than "
                          f"{limit.limit // (1024 * 1024)} MB without a line break: not a file of "
                          "awards, or a quote left open in it", "check that this is the awards file (in "
                          "CSV, a cell that starts with a quote must end with one)")


# Ctrl-Z, which DOS wrote after the end of a text file, and Windows' copy a.csv+b.csv still does
_END_OF_FILE = b"\x1a"


class _Before(io.RawIOBase):
    """The bytes of a file before ``end``: a file without its end-of-file mark."""

    def __init__(self, raw: io.BufferedReader, end: int) -> None:
        self._raw, self._end = raw, end

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        if whence == io.SEEK_END:
            return self._raw.seek(self._end + offset)
        return self._raw.seek(offset, whence)

    def tell(self) -> int:
        return self._raw.tell()

    def readinto(self, buffer: Any) -> int:
        left = self._end - self._raw.tell()
        if left <= 0:
            return 0
        view = memoryview(buffer)[:left]
        return self._raw.readinto(view)

    def close(self) -> None:
        self._raw.close()
        super().close()


def _holds_utf8(head: bytes) -> bool:
    """Whether ``head`` holds letters written in UTF-8 (C3 A9 for e-acute): a file in a legacy
    encoding holds none, its accented letters being single bytes that are not UTF-8."""
    return any(ord(c) > 0x7F and not 0xDC80 <= ord(c) <= 0xDCFF
               for c in head.decode("utf-8", "surrogateescape"))


def undecodable_cell(column: str, text: str, encoding: str = "utf-8") -> tuple[str, str, str]:
    """The text of a cell holding bytes outside its encoding (lone surrogates, see _open_text)
    as it is shown (each byte a U+FFFD), and the problem and fix of its row. When a cell of a
    UTF-8 file reads in Windows-1252, the problem says what it reads there."""
    raw = text.encode("utf-8", "surrogateescape")
    shown = raw.decode("utf-8", "replace")
    if encoding not in _UTF8:
        shown = "".join("\ufffd" if 0xDC80 <= ord(c) <= 0xDCFF else c for c in text)
        return shown, f"{column} holds a byte that is not {_label(encoding)} (shown as \ufffd)", \
            ("correct the cell (type it again), or name the encoding the file is in with --encoding; "
             "saving it as 'CSV UTF-8' avoids both")
    problem = f"{column} holds a byte that is not UTF-8 (shown as \ufffd)"
    if all(ord(c) < 0x80 or 0xDC80 <= ord(c) <= 0xDCFF for c in text):
        with contextlib.suppress(UnicodeDecodeError):  # 0x81 is no Windows-1252 character
            problem += f"; in Windows-1252 it reads {raw.decode('cp1252')!r}"
    return shown, problem, ("correct the cell (type it again) and save the file as 'CSV UTF-8': a "
                            "program that wrote another encoding was used on it")


def _undecodable(text: str) -> bool:
    """Whether decoded text holds a byte that was not in the encoding (see _open_text)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False
