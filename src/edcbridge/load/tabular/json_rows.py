"""Rows of a JSON Lines file, or of a .json file holding an array of awards, {"awards": [...]}
or formatted objects one after another; a row per JSON object, numbered by its line. An array or
objects one after another are read an award at a time (see json_window), however long the file
and its lines."""

from __future__ import annotations

import io
import json
import math
import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from edcbridge.load.errors import InputFileError
from edcbridge.load.tabular import json_window
from edcbridge.load.tabular.cells import Row, Table, _cell, blank
from edcbridge.load.tabular.json_window import CHUNK, JsonWindow, cut_short, too_long
from edcbridge.load.tabular.text_file import _decode_error, _label, _open_text, _undecodable
from edcbridge.output import unreadable_json


def _jsonl_rows(path: Path, named: str | None = None) -> Table:
    """``named``: the legacy encoding the user names (see :func:`.text_file.named_encoding`),
    refused for a file whose bytes show another, as for a CSV file; else the bytes say."""
    handle, encoding = _open_text(path, named)
    fix = _encoding_fix(named)
    form = _json_form(handle) if path.suffix.lower() == ".json" else "lines"
    if form != "lines" and not _decodes(handle):
        handle.close()
        raise _decode_error(path, encoding, fix)
    if form in ("array", "awards"):
        return Table([], _array_rows(path, handle, wrapped=form == "awards"))
    if form == "objects":
        window = JsonWindow(handle)
        try:
            formatted = _formatted_object(path, window)
        except BaseException:
            handle.close()
            raise
        if formatted:
            return Table([], _object_rows(path, handle, window))
    handle.close()
    handle, encoding = _open_text(path, named, line_bound=True)  # JSON Lines: each line read whole

    def rows() -> Iterator[tuple[int, Row]]:
        with handle:
            try:
                for number, line in enumerate(handle, start=1):
                    if _undecodable(line):  # the line fails, not the file
                        yield number, {"__invalid__": "the line holds a byte that is not "
                                                      f"{_label(encoding)}",
                                       "__character__": next(i for i, c in enumerate(line, start=1)
                                                             if _undecodable(c)),
                                       "__fix__": "correct the line and write the file as UTF-8"
                                       if named is None else "correct the line, or name the "
                                       "encoding the file is in with --encoding"}
                        continue
                    yield from _jsonl_value(number, line)
            except UnicodeDecodeError:  # UTF-16/32 data an escape cannot stand for (an ASCII byte)
                raise _decode_error(path, encoding, fix) from None

    return Table([], rows())


def _encoding_fix(named: str | None) -> str:
    if named is None:
        return "write the file as UTF-8"
    return "name the encoding the file is in with --encoding, or write the file as UTF-8"


_SPACE_AND_MARKS = " \t\r\n\ufeff"
_AWARDS_KEY = re.compile(r'[ \t\r\n\ufeff]*\{[ \t\r\n]*"awards"[ \t\r\n]*:[ \t\r\n]*\[')


def _unmarked(text: str) -> str:
    """``text`` without the JSON spaces and byte-order marks it starts with: files joined before
    the first award may leave blank lines, then the mark of the file holding it (an empty or blank
    first file, ``printf '\\n' > a.json; cat b.json >> a.json``)."""
    return text.lstrip(_SPACE_AND_MARKS)


def _json_form(handle: io.TextIOWrapper) -> str:
    """How a .json file holds its awards: an "array", {"awards": [...]} ("awards"), "lines"
    (JSON Lines), or maybe "objects" written over several lines each, as a formatter (or jq)
    writes them: its first line starts an object but is not one."""
    head = handle.read(4096)
    handle.seek(0)
    if _unmarked(head).startswith("["):
        return "array"
    if _AWARDS_KEY.match(head):
        return "awards"
    first = next((_unmarked(line).strip() for line in handle if _unmarked(line).strip()), "")
    handle.seek(0)
    if not first.startswith("{"):
        return "lines"
    try:
        json.loads(first)
    except json.JSONDecodeError:
        return "objects"
    except (ValueError, RecursionError):  # JSON, with a number or nesting Python cannot read
        return "lines"  # each line is read (and this one refused) on its own
    return "lines"


def one_award_a_line(handle: io.TextIOWrapper) -> bool:
    """Whether a .json file is read as JSON Lines, an award a line (not an array, {"awards":
    [...]}, nor objects written over several lines); the handle is left at its start."""
    return _json_form(handle) == "lines"


_OBJECTS_FIX = "correct the JSON at that line: the file must hold award objects, one after another"


def _formatted_object(path: Path, window: JsonWindow) -> bool:
    """Whether the first object runs over several lines (else the file is JSON Lines whose first
    line is broken, each line then reported on its own). A first line of just "{" opens an
    object: when that object is broken, the file is."""
    window.more(window.skip(0, marks=True))  # the object at the start of the window, where it stays
    keys = _KeysTwice()
    try:
        _, end = _whole_value(path, window, (json.JSONDecoder(object_pairs_hook=keys), keys), 0)
    except json.JSONDecodeError as exc:
        if window.text.split("\n", 1)[0].strip() == "{":
            raise _json_error(path, exc.msg, window.where(exc.pos), _OBJECTS_FIX) from None
        return False
    return "\n" in window.text[:end]


def _object_rows(path: Path, handle: io.TextIOWrapper, window: JsonWindow) -> Iterator[tuple[int, Row]]:
    """Objects one after another (a .json file), numbered by the line each starts on. A
    byte-order mark between two is where another file was joined on (``cat a.json b.json``, each
    written with one), passed over as in JSON Lines; it stays a character of its line's columns."""
    with handle:
        for line, _, value, keys in _object_values(path, window):
            yield from _json_row(line, value, keys, each="award")


_Value = tuple[int, int, Any, "_KeysTwice"]  # an award's line and column, its value, its keys written twice


def _object_values(path: Path, window: JsonWindow) -> Iterator[_Value]:
    """The objects one after another, decoded one at a time: what the reader and the count share."""
    keys = _KeysTwice()
    decoder = json.JSONDecoder(object_pairs_hook=keys)
    index = 0
    while (index := window.skip(index, marks=True)) < len(window.text):
        line = window.line(index)
        value, index = _value_or_error(path, window, (decoder, keys), index, _OBJECTS_FIX)
        yield line, 0, value, keys


def _decodes(handle: io.TextIOWrapper) -> bool:
    """Whether the whole file is in its encoding, read through before its first award: a file
    that is not fails as a whole, with none of its awards read."""
    try:
        while chunk := handle.read(CHUNK):
            if _undecodable(chunk):
                return False
    except UnicodeDecodeError:  # UTF-16/32 data an escape cannot stand for (an ASCII byte)
        return False
    handle.seek(0)
    return True


_ARRAY_FIX = "correct the JSON at that line: the file must be one array of objects"


def _array_rows(path: Path, handle: io.TextIOWrapper, wrapped: bool = False) -> Iterator[tuple[int, Row]]:
    """The objects of the file's JSON array, read one at a time, numbered by the line each starts
    on; ``wrapped``: the array is the value of {"awards": ...}."""
    with handle:
        for line, character, value, keys in _array_values(path, JsonWindow(handle), wrapped):
            yield from _json_row(line, value, keys, each="award in the array", character=character)


def _array_values(path: Path, window: JsonWindow, wrapped: bool) -> Iterator[_Value]:
    """The awards of the array, decoded one at a time: what the reader and the count share."""
    if wrapped:
        window.held(4096)  # {"awards": [ is in the first 4096 characters (see _json_form)
    index = window.skip(0, marks=True)  # read before the text it is an index into
    index = window.text.index("[", index) + 1
    keys = _KeysTwice()
    decoder = json.JSONDecoder(object_pairs_hook=keys)
    while True:
        index = window.skip(index)
        if window.at(index, "]"):
            _array_end(path, window, index + 1, wrapped)
            return
        line, character = window.where(index)
        value, index = _value_or_error(path, window, (decoder, keys), index)
        yield line, character, value, keys
        index = window.skip(index)
        if window.at(index, ","):
            index += 1
        elif not window.at(index, "]"):
            raise _json_error(path, "expecting ',' or ']' after an award", window.where(index))


def json_row_count(path: Path) -> int | None:
    """The rows the reader takes from a .json file of an array of awards, {"awards": [...]} or
    objects written over several lines, for the progress bar: each award is decoded as the reader
    decodes it, one at a time, but made a row only when it may be none (an object of blank values),
    a fraction of the reader's time. None for JSON Lines (counted a line a row) and for a file the
    reader stops in (the awards after its error are not read) or cannot read."""
    try:
        handle, _ = _open_text(path)
    except (InputFileError, OSError):
        return None
    with handle:
        try:
            form = _json_form(handle)
            if form == "lines" or not _decodes(handle):
                return None
            window = JsonWindow(handle)
            if form == "objects" and not _formatted_object(path, window):
                return None
            values = (_object_values(path, window) if form == "objects"
                      else _array_values(path, window, wrapped=form == "awards"))
            return sum(_rows_of(value, keys) for _, _, value, keys in values)
        except (InputFileError, OSError, UnicodeDecodeError):  # the run names what is wrong with it
            return None


def _rows_of(value: Any, keys: _KeysTwice) -> int:
    """The rows :func:`_json_row` makes of a value: one, but none for an object of blank values."""
    if isinstance(value, dict) and all(blank(cell) for cell in value.values()):
        return sum(1 for _ in _json_row(0, value, keys))
    keys.twice.clear()
    return 1


def _value_or_error(path: Path, window: JsonWindow, reader: tuple[json.JSONDecoder, _KeysTwice],
                    start: int, fix: str = _ARRAY_FIX) -> tuple[Any, int]:
    """The value starting at ``start`` and the index after it, or the error of the file."""
    line = window.line(start)
    try:
        return _whole_value(path, window, reader, start)
    except json.JSONDecodeError as exc:
        raise _json_error(path, exc.msg, window.where(exc.pos), fix) from None
    except InputFileError:  # an award too long, said as it is
        raise
    except (ValueError, RecursionError) as exc:
        raise InputFileError(str(path), f"line {line}: {unreadable_json(exc)}; the awards after it could "
                             "not be read", "write each award as an object of its fields"
                             if fix == _ARRAY_FIX else fix) from None


def _whole_value(path: Path, window: JsonWindow, reader: tuple[json.JSONDecoder, _KeysTwice],
                 start: int) -> tuple[Any, int]:
    """The value starting at ``start`` and the index after it, reading on while the window ends
    inside it (the key-written-twice notes of a value cut short are dropped); json's error once
    the window holds all it depends on. The text before ``start`` may be dropped."""
    decoder, keys = reader
    unreadable = ""
    while True:
        keys.twice.clear()
        try:
            value, end = decoder.raw_decode(window.text, start)
            if not window.may_go_on(end):
                return value, end
        except json.JSONDecodeError as exc:
            if not cut_short(window, exc):
                raise
        except ValueError as exc:  # a number of too many digits may go on past the window
            if str(exc) == unreadable or window.ended:
                raise
            unreadable = str(exc)
        if len(window.text) - start > json_window.MAX_AWARD_CHARS:
            raise too_long(path, *window.where(start))
        start -= window.more(start)


def _array_end(path: Path, window: JsonWindow, index: int, wrapped: bool) -> None:
    """Nothing may follow the array but, around {"awards": [...]}, its closing brace; and the
    byte-order marks of empty files joined on after it (``cat awards.json empty.json``)."""
    index = window.skip(index, marks=not wrapped)
    if wrapped and window.at(index, ","):
        raise InputFileError(str(path), "the object holds more than its 'awards' array, which alone is "
                             "read (the awards in it were)", "keep only the awards: {\"awards\": [...]}, "
                             "or give the array by itself")
    if wrapped and window.at(index, "}"):
        index = window.skip(index + 1, marks=True)
    elif wrapped:
        raise _json_error(path, "expecting '}' after the awards", window.where(index))
    if index < len(window.text):
        raise _json_error(path, "more after the awards", window.where(index))


def _json_error(path: Path, message: str, where: tuple[int, int], fix: str = _ARRAY_FIX
                   ) -> InputFileError:
    return InputFileError(str(path), f"not JSON at line {where[0]}, column {where[1]}: {message}; "
                          "the awards after it could not be read", fix)


def _jsonl_value(number: int, line: str) -> Iterator[tuple[int, Row]]:
    """The row of one line, none for a blank one. A byte-order mark starting the line is where
    another file was joined on (``cat a.jsonl b.jsonl``, each written with one): JSON may pass
    it over, and it is no part of the award; so are the spaces and marks before it (the file
    before was empty, or spaces without a line break)."""
    body = _unmarked(line)
    if not body.strip():
        return
    keys = _KeysTwice()
    try:
        value = json.loads(body, object_pairs_hook=keys)
    except json.JSONDecodeError as exc:
        yield number, _not_json(body, exc, len(line) - len(body))
        return
    except (ValueError, RecursionError) as exc:  # a number of 4,300 digits; nesting Python cannot take
        yield number, {"__invalid__": f"not an award: {unreadable_json(exc)}",
                       "__fix__": "write one JSON object of award fields per line"}
        return
    yield from _json_row(number, value, keys)


CUT_SHORT_FIX = "the line is cut short: the file may be incomplete; export it again"


def _not_json(line: str, exc: json.JSONDecodeError, before: int = 0) -> Row:
    """The error of a line that is not JSON, at the character where it breaks (``before``: the
    characters of the line in front of the text read). A line whose JSON is still open where
    the line ends was cut short (a write that stopped part way): it is named at its end, not
    where the open string or object began."""
    text = line.rstrip()
    if exc.pos >= len(text) or exc.msg.startswith("Unterminated string"):
        return {"__invalid__": "not JSON: the line ends before its object is closed",
                "__character__": before + len(text) + 1, "__fix__": CUT_SHORT_FIX}
    return {"__invalid__": f"not JSON: {exc.msg}", "__character__": before + exc.colno,
            "__fix__": "correct the JSON there: write one JSON object per line"}


class _KeysTwice:
    """Builds JSON objects and notes a key written twice in one (JSON keeps the last value)."""

    def __init__(self) -> None:
        self.twice: list[str] = []

    def __call__(self, pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        value = dict(pairs)
        if len(value) < len(pairs):
            keys = [key for key, _ in pairs]
            self.twice.append(next(key for index, key in enumerate(keys) if key in keys[:index]))
        return value


def _json_row(number: int, value: Any, keys: _KeysTwice, each: str = "line",
              character: int | None = None) -> Iterator[tuple[int, Row]]:
    """The row of one JSON value (``each`` line or award must be an object): an object, none for an
    object of blank values. A number becomes a number cell, so an id written as a number is
    checked as in a spreadsheet. ``character``: where on its line the value starts, which names
    a value that is no object (no award id does) in an array written on one line."""
    twice = keys.twice[:]
    keys.twice.clear()
    if not isinstance(value, dict):
        example = {"line": None, "award": '{"award_id": ...}'}.get(each, '[{"award_id": ...}, ...]')
        yield number, {"__invalid__": f"each {each} must be one JSON object",
                       **({"__fix__": f"write each award as an object: {example}"} if example else {}),
                       **({"__character__": character} if character is not None else {})}
        return
    if twice:
        yield number, {"__invalid__": f"the key {twice[0]!r} is written twice in one object",
                       "__column__": twice[0], "__fix__": "keep one of the two: only the last would be read",
                       "__read__": _cells(value, twice)}
        return
    nested = next((key for key, cell in value.items() if _holds_objects(cell)), None)
    if nested is not None:
        yield number, {"__invalid__": f"{nested!r} holds objects, so this object is not the cells of "
                                      "one award", "__column__": nested,
                       "__fix__": "give each award as one object of cells, {\"award_id\": ..., "
                                  "\"given_name\": ...}: in a .json file an array of them or "
                                  "{\"awards\": [...]}, in a .jsonl file one per line",
                       "__read__": _cells(value, [nested])}
        return
    if all(blank(v) for v in value.values()):
        return
    endless = [key for key, item in value.items() if _not_finite(item)]
    if endless:
        yield number, {"__invalid__": f"{endless[0]!r} is no number a credential can hold: JSON has no NaN "
                                      "or Infinity, and a number beyond 1.8e308 (1e999) reads as infinite",
                       "__column__": endless[0],
                       "__fix__": "write the value as it should read on the credential, in quotes",
                       "__read__": _cells(value, endless)}
        return
    broken = [key for key, item in value.items() if _undecodable(json.dumps(item, ensure_ascii=False))]
    if broken:  # a \ud800-style escape without its pair: JSON allows it, text has no such character
        yield number, {"__invalid__": "holds a lone surrogate escape (\\ud800-\\udfff), which is not a "
                                      "character", "__column__": broken[0],
                       "__fix__": "write the character itself, or the escape with its pair",
                       "__read__": _cells(value, broken)}
        return
    yield number, _cells(value)


def _cells(value: dict[str, Any], unread: Iterable[str] = ()) -> Row:
    """The cells of an object but those of the keys ``unread``. An object refused whole keeps the
    cells it could read (``__read__``), so its award is named by its award_id all the same."""
    left_out = set(unread)
    return {key: _cell(item) if isinstance(item, int | float) and not isinstance(item, bool) else item
            for key, item in value.items() if key not in left_out}


def _not_finite(cell: Any) -> bool:
    """NaN or Infinity, which Python's JSON reader accepts though JSON has neither, or a number
    too large for a float (1e999), which it reads as Infinity: none is what the file meant."""
    return isinstance(cell, float) and not math.isfinite(cell)


def _holds_objects(cell: Any) -> bool:
    """A list holding an object, or an object holding more than texts: a list of awards or a
    nested record, where a cell holds a value or a language map."""
    if isinstance(cell, list):
        return any(isinstance(item, dict) for item in cell)
    return isinstance(cell, dict) and any(isinstance(item, dict | list) for item in cell.values())
