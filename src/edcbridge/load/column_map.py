"""A column mapping: the award column each header of a student system's export holds, when the
header is in the system's own language (``Matrikelnummer=learner_id``, ``Prénom=given_name``).

Headers are matched as the file writes them, in any letter case and with spaces or hyphens for
underscores, as the column names are; a mapped header with ``@xx`` (``Vorname@EL``) is the
column's text in that language.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from edcbridge.bounded_file import TooLarge, read_bounded
from edcbridge.load.awards import COLUMNS
from edcbridge.load.errors import suggest
from edcbridge.yaml_reading import YAMLError, safe_load

_SEPARATORS = re.compile(r"[\s-]+")
_TWO_LETTERS = re.compile(r"[a-z]{2}")
MAPPING_FILE_BYTES = 64 * 1024  # a mapping names a few dozen headers

# (header as written, column as written, where the pair was given: an option or a file's line)
Pair = tuple[str, str, str]


def normal_header(text: str) -> str:
    """A header as a column name is read: in lower case, spaces and hyphens as underscores, the
    language after ``@`` trimmed."""
    base, at, lang = text.partition("@")
    return _SEPARATORS.sub("_", base.strip()).lower() + (f"@{lang.strip().lower()}" if at else "")


@dataclass(frozen=True)
class ColumnMap:
    """Each mapped header (as :func:`normal_header` reads it) and the column and language it holds."""

    targets: dict[str, tuple[str, str | None]]
    written: dict[str, str]  # each mapped header as the mapping writes it

    def match(self, header: str) -> tuple[str, str, str | None] | None:
        """The mapped header a file's header cell is, and its column and language; a header with
        ``@xx`` after a mapped one (``Vorname@el``) is the column's text in that language."""
        key = normal_header(header)
        found = self.targets.get(key)
        if found is not None:
            return key, *found
        base, at, lang = key.partition("@")
        found = self.targets.get(base) if at and lang else None
        if found is not None and found[1] is None and COLUMNS[found[0]][1]:
            return base, found[0], lang
        return None

    def is_mapped(self, header: str) -> bool:
        return self.match(header) is not None


def column_map(pairs: Iterable[Pair]) -> ColumnMap:
    """The mapping the pairs give; ValueError naming the pair when a column is unknown, or two
    pairs map one header twice or two headers onto one column."""
    targets: dict[str, tuple[str, str | None]] = {}
    written: dict[str, str] = {}
    given: dict[str, str] = {}  # header -> where
    onto: dict[tuple[str, str | None], str] = {}  # column -> where
    for header, column, where in pairs:
        key = normal_header(header)
        if not key or key.startswith("@"):
            raise ValueError(f"{where}: no header is named; write it as the file does, e.g. "
                             "Matrikelnummer=learner_id")
        target = _target(column, where)
        if key in given:
            raise ValueError(f"{where}: the header {header!r} is mapped twice (also by "
                             f"{given[key]}); keep one of the two")
        if target in onto:
            shown = f"{target[0]}@{target[1]}" if target[1] else target[0]
            raise ValueError(f"{where} and {onto[target]} both map a header onto {shown}, so which "
                             "holds its values cannot be told; keep one of the two")
        given[key], onto[target] = where, where
        targets[key], written[key] = target, header.strip()
    return ColumnMap(targets, written)


def _target(column: str, where: str) -> tuple[str, str | None]:
    """The column (and language) a pair maps onto; ValueError when no such column takes it."""
    base, _, lang = normal_header(column).partition("@")
    if base not in COLUMNS:
        close = suggest(base, list(COLUMNS), "the columns")
        listing = "" if close.startswith("the columns") else f" (the columns: {', '.join(COLUMNS)})"
        raise ValueError(f"{where}: {column.strip()!r} is not a column: {close}{listing}")
    if not lang:
        return base, None
    if not COLUMNS[base][1]:
        raise ValueError(f"{where}: {base} is not a text column, so it takes no language: map the "
                         f"header onto {base!r}")
    if not _TWO_LETTERS.fullmatch(lang):
        raise ValueError(f"{where}: {lang!r} is not a two-letter language code: write it like "
                         f"{base}@el (see 'edcbridge vocab language')")
    return base, lang


def option_pairs(values: Iterable[str]) -> list[Pair]:
    """The pairs of ``--column HEADER=COLUMN`` options; ValueError for one without '='."""
    pairs = []
    for value in values:
        header, equals, column = value.rpartition("=")
        if not equals:
            raise ValueError(f"--column {value!r}: write the header, '=' and the column it holds, "
                             "e.g. --column 'Matrikelnummer=learner_id'")
        pairs.append((header, column, f"--column {value!r}"))
    return pairs


def file_pairs(path: Path) -> list[Pair]:
    """The pairs of a mapping file: YAML (``Matrikelnummer: learner_id``) for .yaml/.yml, else
    CSV rows of header and column (``Matrikelnummer,learner_id``; lines starting with # are
    comments). ValueError naming the file and line for what cannot be read."""
    try:
        data = read_bounded(path, MAPPING_FILE_BYTES)
    except OSError as exc:
        raise ValueError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    except TooLarge:
        raise ValueError(f"{path}: more than a column mapping of {MAPPING_FILE_BYTES:,} bytes may be; "
                         "keep one line per header") from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValueError(f"{path}: not UTF-8; save it as UTF-8") from None
    if path.suffix.lower() in (".yaml", ".yml"):
        return _yaml_pairs(path, text)
    return _csv_pairs(path, text)


def _yaml_pairs(path: Path, text: str) -> list[Pair]:
    try:
        data = safe_load(text)
    except YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f":{mark.line + 1}" if mark is not None else ""
        raise ValueError(f"{path}{line}: not YAML ({getattr(exc, 'problem', None) or exc}); write "
                         "one 'header: column' per line") from None
    if data is None:
        return []
    if not isinstance(data, dict):
        raise ValueError(f"{path}: write one 'header: column' per line, e.g. 'Matrikelnummer: learner_id'")
    pairs = []
    for header, column in data.items():
        if not isinstance(header, str) or not isinstance(column, str):
            raise ValueError(f"{path}: {header!r}: {column!r} is not a header and a column name; "
                             "quote them, e.g. 'Nr.': 'award_id'")
        pairs.append((header, column, f"{path} ({header!r})"))
    return pairs


def _csv_pairs(path: Path, text: str) -> list[Pair]:
    pairs = []
    lines = text.splitlines()
    delimiter = next((d for d in ("\t", ";", ",") if any(d in line for line in lines)), ",")
    for number, cells in enumerate(csv.reader(lines, delimiter=delimiter), start=1):
        filled = [cell.strip() for cell in cells if cell.strip()]
        if not filled or filled[0].startswith("#") or filled[-1].lower() == "column":
            continue  # a comment, or a first line naming the two columns (header,column)
        if len(filled) != 2:
            raise ValueError(f"{path}:{number}: write the header and the column it holds, e.g. "
                             "Matrikelnummer,learner_id")
        pairs.append((filled[0], filled[1], f"{path}:{number}"))
    return pairs
