"""Awards: one row per credential to issue, from CSV, XLSX or JSON Lines.

Column names are English and fixed (see ``COLUMNS``); a file's own headers in another language
are read as them through a column mapping (see :mod:`.column_map`). Text columns (names, grade) take the
credential's primary language; other languages go in ``column@xx`` columns, e.g.
``given_name@en`` for a Latin transliteration. Every problem in the file is reported, and
a bad row never stops the rows after it. A row's problems are said in one run: a refused value
leaves out only the checks that read it (no second run to learn what fixing it revealed), and
nothing that only follows from it is said.
"""

from __future__ import annotations

import contextlib
import difflib
import json
import re
import sqlite3
from collections.abc import Callable, Collection, Iterator, Mapping
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from edcbridge import vocab
from edcbridge.load.award_checks import (
    ahead_of_today,
    date_order,
    failing_grade,
    grade_left_out,
    short_text,
    wrong_script,
)
from edcbridge.load.cell_text import hidden_problem, text_marker_problem
from edcbridge.load.errors import InputFileError, RecordError, cell_fix, from_validation, suggest
from edcbridge.load.local_dates import local_date_fix
from edcbridge.load.tabular import read_rows
from edcbridge.load.tabular.cells import (
    ErrorCell,
    LogicalCell,
    NumberCell,
    PastDatesCell,
    Row,
    Table,
    TimeCell,
    blank,
    nfc,
)
from edcbridge.model import Award, Catalogue, parse

if TYPE_CHECKING:
    from edcbridge.load.column_map import ColumnMap

# column -> (path in the Award model, is multilingual text, description)
COLUMNS: dict[str, tuple[tuple[str, ...], bool, str]] = {
    "award_id": (("award_id",), False, "Unique id of the award at the issuer (required)"),
    "specification": (("specification",), False, "Code of the specification in the catalogue"),
    "learner_id": (("learner", "id"), False, "Student number"),
    "given_name": (("learner", "given_name"), True, "Given name(s)"),
    "family_name": (("learner", "family_name"), True, "Family name(s)"),
    "full_name": (("learner", "full_name"), True, "Full name as it should be displayed"),
    "date_of_birth": (("learner", "date_of_birth"), False, "YYYY-MM-DD"),
    "email": (("learner", "email"), False, "Learner's e-mail address"),
    "national_id": (("learner", "national_id"), False, "National identifier"),
    "national_id_country": (("learner", "national_id_country"), False,
                            "Country that issued national_id (ISO code)"),
    "awarding_date": (("awarding_date",), False, "YYYY-MM-DD (required)"),
    "issued": (("issued",), False, "Issue date-time with zone; default awarding date 00:00Z"),
    "grade": (("grade",), True, "Grade or result, e.g. Pass, 72%, Merit"),
    "language": (("language",), False, "Primary language (ISO 639-1); default the catalogue's"),
    "valid_until": (("valid_until",), False, "YYYY-MM-DD; default from the specification"),
    "issuer": (("issuer",), False, "Organisation key; default the catalogue's issuer"),
}
REQUIRED = ("award_id", "specification", "learner_id", "given_name", "family_name",
            "awarding_date")
PERSON_IDS = ("learner_id", "national_id")  # identify a person outside this registry

# Other names student systems and hand-made sheets give the columns, each of which can mean only
# that column; matched by their letters and digits alone ('E-mail', 'e_mail' and 'EMAIL' are
# 'Email'). A name that could mean two columns ('Name', 'Date', 'ID') is none of them.
ALIASES: dict[str, tuple[str, ...]] = {
    "award_id": ("AwardID", "Award number", "Award no"),
    "learner_id": ("Student ID", "Student number", "Student no", "Matriculation number"),
    "given_name": ("First name", "First names", "Forename", "Forenames", "Given names"),
    "family_name": ("Surname", "Last name"),
    "full_name": ("Fullname",),
    "date_of_birth": ("DOB", "Birth date", "Birthdate"),
    "email": ("E-mail", "Email address", "E-mail address"),
    "awarding_date": ("Award date", "Date of award"),
}
_NOT_LETTERS = re.compile(r"[\s._-]+")
_ALIAS_OF = {_NOT_LETTERS.sub("", alias.lower()): column
             for column, aliases in ALIASES.items() for alias in aliases}


IDS_IN_MEMORY = 100_000  # award ids kept in memory per file before the rest go to disk


class FirstRows:
    """Where each award id (or other key) first appeared: a row of a file, or any text.

    The first ``in_memory`` ids are kept in a dict; the rest go to a private temporary SQLite
    database on disk, so a file of millions of rows does not hold them all in memory.
    """

    def __init__(self, in_memory: int = IDS_IN_MEMORY) -> None:
        self.in_memory = in_memory
        self._recent: dict[str, str] = {}
        self._disk: sqlite3.Connection | None = None

    def first(self, key: str, where: str) -> str | None:
        """Where ``key`` was seen before, else None (and ``where`` is kept)."""
        found = self.where(key)
        if found is not None:
            return found
        if len(self._recent) < self.in_memory:
            self._recent[key] = where
            return None
        if self._disk is None:
            self._disk = sqlite3.connect("")  # "": a temporary database, deleted when closed
            self._disk.execute("CREATE TABLE seen (id TEXT PRIMARY KEY, place TEXT) WITHOUT ROWID")
        self._disk.execute("INSERT INTO seen VALUES (?, ?)", (key, where))
        return None

    def where(self, key: str) -> str | None:
        """Where ``key`` first appeared, else None."""
        found = self._recent.get(key)
        if found is not None or self._disk is None:
            return found
        hit = self._disk.execute("SELECT place FROM seen WHERE id = ?", (key,)).fetchone()
        return None if hit is None else str(hit[0])

    def __contains__(self, key: str) -> bool:
        if key in self._recent:
            return True
        return self._disk is not None and \
            self._disk.execute("SELECT 1 FROM seen WHERE id = ?", (key,)).fetchone() is not None

    def close(self) -> None:
        if self._disk is not None:
            self._disk.close()
            self._disk = None


@dataclass(frozen=True, slots=True)
class LoadedRow:
    """One input row: the award, or the errors that stop it.

    ``file_level`` marks the header's errors: a problem of the file, not an award row.
    """

    file: str
    row: int
    award: Award | None
    errors: tuple[RecordError, ...]
    raw_key: str
    file_level: bool = False
    issuer: str = ""  # the row's own issuer column, as written (its award may not load)
    warnings: tuple[RecordError, ...] = ()  # what loads but deserves a second look
    key_refused: bool = False  # an error is of the award_id or issuer column: raw_key and
    # issuer may not be what names the award
    names: Mapping[str, str] | None = None  # each column by the header the file writes for it
    # (AwardID, a mapped Prüfungsnummer), as :func:`column_header` reads it


_SEPARATORS = re.compile(r"[\s-]+")


@lru_cache(maxsize=1024)  # every row of a file has the same column names
def _split_column(name: str) -> tuple[str, str | None]:
    """The column and language a header names, in any letter case and with spaces or hyphens
    for underscores, as spreadsheets and student systems write them ('Given Name@EL'), or by
    one of its :data:`ALIASES` ('Surname@EL')."""
    base, _, lang = name.partition("@")
    column = _SEPARATORS.sub("_", base.strip()).lower()
    if column not in COLUMNS:
        column = _ALIAS_OF.get(_NOT_LETTERS.sub("", column), column)
    return column, (lang.strip().lower() or None)


def alias_notice(file: str, row: int, name: str) -> RecordError | None:
    """A notice naming the column a header cell is read as, when it names it by an alias."""
    column = _split_column(name)[0]
    spelt = _SEPARATORS.sub("_", name.partition("@")[0].strip()).lower()
    if column not in COLUMNS or spelt == column:
        return None
    return RecordError(file, row, name, None, f"the column {name!r} is read as {column}",
                       f"if it holds something else, rename it; named {column!r}, it is read "
                       "without this notice")


def _alias_notices(file: str, row: int, names: list[str], noticed: set[str]) -> list[RecordError]:
    """A notice for each name of ``names`` that is an alias not yet in ``noticed`` (then added)."""
    notices = []
    for name in names:
        if name not in COLUMNS and name not in noticed:
            notice = alias_notice(file, row, name)
            if notice is not None:
                noticed.add(name)
                notices.append(notice)
    return notices


def is_column(name: str) -> bool:
    """Whether a header cell names an accepted column (``given_name@el`` names given_name)."""
    return _split_column(name)[0] in COLUMNS


def column_test(columns: ColumnMap | None) -> Callable[[str], bool]:
    """Whether a header cell names a column, by its name or through the column mapping."""
    if columns is None:
        return is_column
    return lambda name: columns.is_mapped(name) or is_column(name)


def header_names(names: list[str]) -> dict[str, str]:
    """Each known column by the name the file gives it: ``given_name@el`` when the file has
    no plain ``given_name``."""
    found: dict[str, str] = {}
    for name in names:
        base, lang = _split_column(name)
        if base in COLUMNS and (base not in found or lang is None):
            found[base] = name
    return {base: found.get(base, base) for base in COLUMNS}


def unknown_column(file: str, row: int, name: str, present: Collection[str] = ()) -> RecordError:
    """A column (a JSON key) no award field has: an error of the file, said once. Its values
    are not read; the rows are checked and loaded without them."""
    return RecordError(file, row, name, None, f"unknown column {name!r}",
                       f"{_nearest_column(_split_column(name)[0], present)} (its values are not "
                       "read, in any row, until the column is renamed or removed)")


def _nearest_column(column: str, present: Collection[str]) -> str:
    """The column an unknown one may be. A required column the header (``present``) lacks is
    where a renamed column's values belong ('Date awarded' beside no awarding_date), so it is
    matched less strictly than the others, which a looser match would name by chance."""
    have = {_split_column(name)[0] for name in present}
    missing = [required for required in REQUIRED if required not in have] if present else []
    renamed = difflib.get_close_matches(column, missing, n=1, cutoff=0.45)
    return f"did you mean {renamed[0]!r}?" if renamed else suggest(column, list(COLUMNS))


def check_header(file: str, header: list[str], row: int = 1) -> list[RecordError]:
    errors = []
    seen: set[tuple[str, str | None]] = set()
    for name in header:
        base, lang = _split_column(name)
        if not name:
            continue
        if base not in COLUMNS:
            errors.append(unknown_column(file, row, name, header))
        elif lang and not COLUMNS[base][1]:
            errors.append(RecordError(file, row, name, None, f"{base} is not a text column",
                                      f"use a plain {base!r} column"))
        elif (base, lang) in seen:
            errors.append(RecordError(file, row, name, None, "column appears twice",
                                      "keep one of the two columns"))
        seen.add((base, lang))
    if header:
        errors += [RecordError(file, row, r, None, f"required column {r!r} is missing",
                               f"add a column {r!r}, or rename the column that holds its values")
                   for r in REQUIRED
                   if not any(_split_column(h)[0] == r for h in header)]
    return errors


def _one_spelling(file: str, table: Table) -> None:
    """Refuse a header that names one column in two spellings ('award_id' and 'Award ID'): which
    of the two holds the values cannot be told. (A name written twice alike is an error of the
    header, its cells read as :func:`.header._twice_filled` says.)"""
    first: dict[tuple[str, str | None], int] = {}
    for index, name in enumerate(table.header):
        base, lang = _split_column(name)
        if not name or base not in COLUMNS:
            continue
        earlier = first.setdefault((base, lang), index)
        if table.header[earlier] != name:
            column = f"{base}@{lang}" if lang else base
            _let_go(table.rows)
            raise InputFileError(file, f"the header names the column {column} twice, as "
                                 f"{_header_cell(table, earlier)} and {_header_cell(table, index)}",
                                 "keep one of the two columns: delete or rename the other")


def _let_go(rows: Iterator[Any]) -> None:
    """Close the file a reader's rows hold: a generator lets it go when closed once started."""
    with contextlib.suppress(InputFileError):
        next(rows, None)
    close = getattr(rows, "close", None)
    if close is not None:
        close()


def _header_cell(table: Table, index: int) -> str:
    """A header cell by its name and its column as the user sees it (7, or G in a sheet)."""
    if table.sheet is None:
        return f"{table.header[index]!r} (column {index + 1})"
    from edcbridge.load.tabular.xlsx_rows import column_letter

    return f"{table.header[index]!r} (column {column_letter(index + 1)})"


def _nest(target: dict[str, Any], path: tuple[str, ...], value: Any) -> None:
    for key in path[:-1]:
        target = target.setdefault(key, {})
    target[path[-1]] = value


def row_to_data(row: Row, default_language: str) -> tuple[dict[str, Any], list[tuple[str, str, str]]]:
    """Nest flat cells into the Award's shape; returns the data and (column, problem, fix).

    Plain text columns are in the row's ``language`` (the credential's), else in the
    catalogue's primary language (the registry's working language); so are they when the row
    also has that text in a ``column@xx`` for the row's language (the plain one is then the
    registry's).
    """
    problems: list[tuple[str, str, str]] = []
    row_language = _row_language(row)
    # the columns filled: asked only of a row that names its language
    given = {_split_column(name) for name, value in row.items() if not blank(value)} \
        if row_language else set()
    data: dict[str, Any] = {}
    for name, value in row.items():
        base, lang = _split_column(name)
        if base not in COLUMNS or value is None:
            continue
        stripped = value.strip() if isinstance(value, str) else None
        if stripped == "":
            continue
        if stripped is not None and ("\n" in value or "\r" in value):
            problems.append((name, _line_breaks(base, value), "remove it; in a CSV file, a quote "
                             "opened in this row and closed rows later makes those rows one cell: close "
                             "the quote where the cell ends"))
        path, multilingual, _ = COLUMNS[base]
        holder = data if len(path) == 1 else data.setdefault(path[0], {})  # a learner's field
        if not multilingual:
            holder[path[-1]] = value if stripped is None else stripped
            continue
        plain = row_language if row_language and (base, row_language) not in given else default_language
        texts = holder.setdefault(path[-1], {})
        cells = value.items() if isinstance(value, dict) else ((lang or plain, str(value)),)
        for key, text in cells:
            if key in texts and texts[key] != text:
                problems.append((name, f"{base} gives two different {key!r} texts ({texts[key]!r} and "
                                 f"{text!r})", f"the plain column is read as {key!r} here: keep one "
                                 "of the two"))
            texts[key] = text
    return data, problems


_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_DELIMITER = re.compile(r"[,;\t]")


def _line_breaks(base: str, value: str) -> str:
    """The problem of a cell holding line breaks, with how many of the lines after them look
    like rows of the file (a quote left open takes them into the cell, and no award is read
    from them)."""
    lines = _LINE_BREAK.split(value)
    breaks = len(lines) - 1
    said = f"{base} holds a line break" if breaks == 1 else f"{base} holds {breaks} line breaks"
    rows = sum(1 for line in lines[1:] if _DELIMITER.search(line))
    if not rows:
        return said
    if rows == 1:
        return f"{said}, and a line after it looks like a row of the file: its award is not read"
    return (f"{said}, and {rows} of the lines after them look like rows of the file: their awards "
            "are not read")


def _row_language(row: Row) -> str | None:
    """The ISO 639-1 code the row's ``language`` cell names, if any (a wrong one is reported
    when the award is checked)."""
    for name, value in row.items():
        if _split_column(name) == ("language", None) and isinstance(value, str) and value.strip():
            try:
                return vocab.resolve("language", value).code
            except vocab.UnknownConcept:
                return None
    return None


def _unknown_spec(file: str, number: int, column: str, code: str, catalogue: Catalogue) -> RecordError:
    return RecordError(file, number, column, code, "no such specification in the catalogue",
                       suggest(code, [s.code for s in catalogue.specifications], "known specifications"))


def _cross_check(file: str, number: int, award: Award, catalogue: Catalogue,
                 names: dict[str, str], bad: frozenset[str] = frozenset()) -> list[RecordError]:
    """What the row's values say together, and against the catalogue.

    ``bad`` names the columns already refused in this row (``award`` is then :func:`_salvage`'s,
    without them): a check that reads one is left out, since what it would say follows from that
    error. The others are made all the same, so a row's problems are said in one run."""
    errors = date_order(file, number, award, names, bad)
    failed = failing_grade(award.grade)  # never reads the specification: said even without one
    if failed is not None:
        errors.append(RecordError(file, number, names["grade"], failed,
                                  "the grade says the learner did not pass, and a credential states "
                                  "that the learner achieved it",
                                  "leave failed attempts out of the export (or, if the learner "
                                  "passed, correct the grade)"))
    if "issuer" not in bad:
        issuer_key = award.issuer or catalogue.issuer
        issuer = catalogue.find_organisation(issuer_key)
        if issuer is None:
            orgs = [o.key for o in catalogue.organisations]
            errors.append(RecordError(file, number, names["issuer"], issuer_key, "no such organisation",
                                      suggest(issuer_key, orgs, "known organisations")))
        elif not issuer.eidas_identifier:
            errors.append(RecordError(file, number, names["issuer"], issuer_key,
                                      "the issuer has no eidas_identifier, which EDC requires",
                                      "add eidas_identifier (as in the seal certificate) to the "
                                      "organisation in the catalogue"))
    if "specification" in bad:
        return errors
    spec = catalogue.specification(award.specification)
    if spec is None:
        return [*errors, _unknown_spec(file, number, names["specification"], award.specification,
                                       catalogue)]
    if spec.assessment is not None and award.grade is None and "grade" not in bad:
        errors.append(RecordError(file, number, names["grade"], None,
                                  f"{spec.code} is assessed, so the credential needs a grade",
                                  "fill in grade, e.g. Pass, Merit or 72/100"))
    if "language" in bad:
        return errors
    language = vocab.concept("language", award.language).code if award.language else \
        vocab.concept("language", catalogue.primary_language).code
    if language not in spec.title:
        errors.append(RecordError(file, number, names["language"], language,
                                  f"{spec.code} has no title in {language!r} "
                                  f"(it has {', '.join(sorted(spec.title))})",
                                  f"add a {language!r} title to the specification or pick one "
                                  "of its languages"))
    return errors


# what a spreadsheet shows in a cell whose formula failed (#N/A, #REF!, #DIV/0!, #NAME?); a CSV
# file saved from it holds the same text
_SPREADSHEET_ERROR = re.compile(r"#(N/A|GETTING_DATA|[A-Z]+(/0)?[!?])")
_SCIENTIFIC = re.compile(r"[0-9](\.[0-9]+)?[eE]\+[0-9]+")  # as spreadsheets write it: E+06, never E06


def _cell_values(file: str, number: int, row: Row) -> list[RecordError]:
    """Cells that hold a spreadsheet's error instead of a value, a TRUE/FALSE or time-of-day
    cell, which no column takes, ids a spreadsheet saved in scientific notation (2.21459E+06),
    whose digits are lost, and cells holding a character that cannot be seen or an id written
    with a spreadsheet's text apostrophe ('00123), which the credential would carry.

    A workbook marks its error cells; elsewhere the error's text is refused only in columns
    that hold no names or grades, where it could be what someone wrote."""
    errors = []
    for name, value in row.items():
        base = _split_column(name)[0]
        if type(value) is str and _plain_cell(base, value):
            continue
        if isinstance(value, dict) and base in COLUMNS:  # a JSON text in each language
            errors += _hidden_texts(file, number, name, base, value)
        if not isinstance(value, str) or isinstance(value, NumberCell) or base not in COLUMNS:
            continue
        text = value.strip()
        if isinstance(value, (LogicalCell, TimeCell, PastDatesCell)):  # a tuple: faster than a union
            errors.append(RecordError(file, number, name, text, *_typed_cell(value, base, name)))
        elif isinstance(value, ErrorCell) or (not COLUMNS[base][1] and text.startswith("#")
                                              and _SPREADSHEET_ERROR.fullmatch(text)):
            errors.append(RecordError(file, number, name, text, f"the cell shows the spreadsheet "
                                      f"error {text} instead of a value (its formula failed)",
                                      "correct the formula or enter the value itself"))
        elif base in _IDS and _SCIENTIFIC.fullmatch(text):
            errors.append(RecordError(file, number, name, text,
                                      f"{base} is a number in scientific notation, so digits "
                                      "have been lost", f"format the {name} column as Text in "
                                      "the spreadsheet, enter the ids again and save it again"))
        elif (problem := _unseen(base, name, text)) is not None:
            errors.append(RecordError(file, number, name, short_text(text), *problem))
    return errors


_IDS = frozenset((*PERSON_IDS, "award_id"))


def _plain_cell(base: str, value: str) -> bool:
    """Whether a cell of text (not a spreadsheet's typed cell) is one :func:`_cell_values`
    passes without a look: in no column, or printable (no character that cannot be seen:
    see :func:`.cell_text.hidden_character`) and starting with no # (an error's text) or '
    (a text marker), and no id in scientific notation. Most cells are."""
    if base not in COLUMNS:
        return True
    text = value.strip()
    return text.isprintable() and text[:1] not in ("#", "'", "") \
        and not (base in _IDS and _SCIENTIFIC.fullmatch(text))


def _unseen(base: str, name: str, text: str) -> tuple[str, str] | None:
    """The problem and fix of a cell holding a character that cannot be seen, or of an id
    written with a spreadsheet's text apostrophe (the cells :func:`_plain_cell` does not pass
    at once): printable text has no character that cannot be seen."""
    if not text.isprintable():
        problem = hidden_problem(base, text, COLUMNS[base][1])
        if problem is not None:
            return problem
    return text_marker_problem(base, name, text) if base in _IDS else None


def _hidden_texts(file: str, number: int, name: str, base: str,
                  texts: dict[Any, Any]) -> list[RecordError]:
    """The first text of a JSON language map that holds a character that cannot be seen."""
    for text in texts.values():
        problem = hidden_problem(base, text.strip(), True) if isinstance(text, str) else None
        if problem is not None:
            return [RecordError(file, number, name, short_text(text.strip()), *problem)]
    return []


# a lead byte of UTF-8 (C2-F4) read as Windows-1252 or Latin-1, then a continuation byte (80-BF)
# read so: what "é" becomes when a UTF-8 file is opened as Windows-1252 and saved again ("Ã©")
_MISREAD = re.compile("[\u00c2-\u00f4][\u0080-\u00bf\u0152\u0153\u0160\u0161\u0178\u017d\u017e"
                      "\u0192\u02c6\u02dc\u2013\u2014\u2018-\u201e\u2020-\u2022\u2026\u2030"
                      "\u2039\u203a\u20ac\u2122]")


def misread_utf8(text: str) -> str | None:
    """What ``text`` said before its UTF-8 bytes were read as Windows-1252 (or Latin-1), when
    all its non-ASCII characters are such a misreading; else None."""
    if not _MISREAD.search(text):
        return None
    raw = bytearray()
    for character in text:
        try:
            raw += bytes([ord(character)]) if ord(character) < 256 else character.encode("cp1252")
        except UnicodeEncodeError:  # a character of another script: not a misread file
            return None
    try:
        before = raw.decode("utf-8")
    except UnicodeDecodeError:
        return None
    return before if before != text else None


def _garbled(file: str, number: int, row: Row) -> list[RecordError]:
    """Text garbled by a wrong encoding before the file was saved ("ChloÃ©" for "Chloé"): the
    file reads as UTF-8, so only its characters show it. A warning on the record, since such
    text may, very rarely, be what was meant."""
    errors = []
    for name, value in row.items():
        if (isinstance(value, str) and value.isascii()) or _split_column(name)[0] not in COLUMNS:
            continue  # the misreading is of characters past ASCII: most cells are passed at once
        texts = value.values() if isinstance(value, dict) else [value]
        for text in texts:
            before = misread_utf8(text) if isinstance(text, str) and not text.isascii() else None
            if before is not None:
                errors.append(RecordError(
                    file, number, name, short_text(text), f"the text looks garbled: it is how "
                    f"{short_text(before)!r} reads after UTF-8 was opened as Windows-1252",
                    f"check it: to write {short_text(before)!r}, correct the cell; the file went "
                    "through a program that read it in the wrong encoding (in Excel, open a CSV file "
                    "with Data > From Text/CSV, file origin 65001: Unicode (UTF-8)), so check its "
                    "other rows too"))
                break
    return errors


def _json_values(file: str, number: int, row: Row) -> list[RecordError]:
    """JSON values no column takes: true/false anywhere, a list where one text goes. They are
    refused, never written into a credential as the text 'False' or "['Ann', 'Marie']"."""
    errors = []
    for name, value in row.items():
        base = _split_column(name)[0]
        if base not in COLUMNS:
            continue
        shown = json.dumps(value, ensure_ascii=False)
        if isinstance(value, bool):
            errors.append(RecordError(file, number, name, shown, f"{base} is the JSON {shown}, "
                                      "which no column takes",
                                      f"write {name} as a JSON string in quotes, e.g. \"Pass\""
                                      if base == "grade" else f"write {name} as a JSON string in quotes"))
        elif isinstance(value, list) and COLUMNS[base][1]:  # the model refuses it elsewhere
            errors.append(RecordError(file, number, name, short_text(shown),
                                      f"{base} holds a JSON list, where one text goes",
                                      f"write {name} as one JSON string; texts in several languages "
                                      "as an object, e.g. {\"en\": \"Anna\", \"el\": \"Άννα\"}"))
    return errors


def _typed_cell(value: str, base: str, name: str) -> tuple[str, str]:
    """The problem and fix of a logical or time-of-day cell: what the spreadsheet made of what
    was typed (true, 7:10), or a value no column takes."""
    retype = f"format the {name} column as Text and type the value again"
    if isinstance(value, PastDatesCell):
        return _past_dates(base, name)
    if isinstance(value, LogicalCell):
        return ("the cell is a logical (TRUE/FALSE) cell, which no column takes (a typed \"true\" "
                "becomes one)",
                f"{retype}, or enter the value the credential should state")
    if base == "issued":
        return ("the cell holds a time of day without a date",
                "write the date and time with its zone, e.g. 2025-07-14T10:00:00Z, in a Text cell")
    if base in ("awarding_date", "date_of_birth", "valid_until"):
        return ("the cell holds a time of day, not a date", "enter the date, in a date cell or as "
                "YYYY-MM-DD")
    return (f"the cell holds a time of day (a typed 7:10 becomes one), which {base} does not take",
            retype)


def _past_dates(base: str, name: str) -> tuple[str, str]:
    """The problem and fix of a date cell holding a number past the last date (shown ########)."""
    problem = ("the cell is formatted as a date but holds a number past the last date a "
               "spreadsheet has, so it shows ########")
    if base in ("awarding_date", "date_of_birth", "valid_until"):
        return (f"{problem}: digits typed into a date cell, such as 20250714",
                "enter the date in a date cell or as YYYY-MM-DD, e.g. 2025-07-14")
    return (problem, f"format the {name} column as Text and type the value again")


def _number_ids(file: str, number: int, row: Row, spreadsheet: bool = True) -> list[RecordError]:
    """Identifiers in number cells (or JSON numbers): never changed here, refused where digits
    may be lost."""
    errors = []
    for name, value in row.items():
        if not isinstance(value, NumberCell):  # only spreadsheets and JSON have number cells
            continue
        base = _split_column(name)[0]
        if base in PERSON_IDS:
            errors.append(RecordError(file, number, name, value, *_lost_zero(base, name, spreadsheet)))
        elif base == "award_id" and not value.isdigit():
            errors.append(RecordError(file, number, name, value, *_lost_digits(base, name, spreadsheet)))
    return errors


def _lost_zero(base: str, name: str, spreadsheet: bool) -> tuple[str, str]:
    if spreadsheet:
        return (f"{base} is stored as a number, so a leading zero may have been lost",
                f"format the {name} column as Text and enter each id as the registry holds it, "
                "leading zeros included")
    return (f"{base} is a JSON number, so a leading zero may have been lost",
            f"write {name} as a JSON string holding the id as the registry holds it, leading "
            "zeros included, e.g. \"02214587\"")


def _lost_digits(base: str, name: str, spreadsheet: bool) -> tuple[str, str]:
    if spreadsheet:
        return (f"{base} is a number with a fraction or more digits than a spreadsheet number keeps",
                f"format the {name} column as Text and enter the ids again")
    return (f"{base} is a JSON number with a fraction or an exponent",
            f"write {name} as a JSON string, e.g. \"250001\"")


def iter_awards(path: Path, catalogue: Catalogue, encoding: str | None = None,
                columns: ColumnMap | None = None) -> Iterator[LoadedRow]:
    """Stream every row of an awards file as an award or its errors.

    Raises :class:`InputFileError` only when the file as a whole cannot be read. Header
    problems are yielded as a result of the header row (``file_level``) and rows are still
    checked; in JSON, a key no column has is such a result, once, on the first line that has it.
    ``encoding`` is the legacy encoding a CSV or JSON file is in, as the user names it (never
    guessed); ``columns`` the column each of the file's own headers holds, as the user maps them.
    """
    file = str(path)
    mapped: list[RecordError] = []
    headers: dict[str, str] = {}  # each column read from a mapped header, by that header
    table = read_rows(path, column_test(columns), encoding)
    if columns is not None:
        table, mapped = _mapped_table(file, table, columns, headers)
    _one_spelling(file, table)
    header_errors = _sheet_named(file, table, check_header(file, table.header, table.header_row))
    if header_errors:
        yield _in_file_headers(LoadedRow(file, table.header_row, None, tuple(header_errors), "",
                                         file_level=True), headers)
    default_language = vocab.concept("language", catalogue.primary_language).code
    seen = FirstRows(IDS_IN_MEMORY)
    try:
        rows = _loaded_rows(file, table.header, table.header_row, table.rows, catalogue,
                            default_language, seen, mapped, headers)
        for loaded in _without_column(rows, table.header, table.header_row):
            yield _in_file_headers(loaded, headers)
    finally:
        seen.close()


_KEY_COLUMNS = ("award_id", "issuer")  # the columns that name an award


def _in_file_headers(loaded: LoadedRow, headers: dict[str, str]) -> LoadedRow:
    """The row with its errors and warnings naming each column as the file's header does
    (``Matrikelnummer``, not learner_id, the column it is read as through the column mapping),
    and marked when an error is of a column that names the award."""
    if not loaded.errors and not loaded.warnings:
        return replace(loaded, names=_mapped_names(loaded.names, headers)) if headers else loaded
    refused = any(e.column and _split_column(e.column)[0] in _KEY_COLUMNS for e in loaded.errors)
    if not headers:
        return replace(loaded, key_refused=refused) if refused else loaded
    return replace(loaded, key_refused=refused, names=_mapped_names(loaded.names, headers),
                   errors=tuple(_as_headed(e, headers) for e in loaded.errors),
                   warnings=tuple(_as_headed(w, headers) for w in loaded.warnings))


def _mapped_names(names: Mapping[str, str] | None, headers: dict[str, str]) -> Mapping[str, str] | None:
    """The row's column names with each mapped column under the header it is read from (a copy:
    in JSON, ``headers`` is the next object's once that is read)."""
    return None if names is None else {**names, **headers}


def column_header(loaded: LoadedRow, column: str) -> str:
    """The header the row's file writes for a column: a mapped header (``Prüfungsnummer``) or
    an alias (``AwardID``), else the column's own name."""
    return loaded.names.get(column, column) if loaded.names else column


def _as_headed(error: RecordError, headers: dict[str, str]) -> RecordError:
    """The error naming its column by the mapped header it is read from, in its fix too."""
    header = headers.get(error.column or "")
    if header is None or error.column is None:
        return error
    return replace(error, column=header,
                   fix=error.fix.replace(f"the {error.column} column", f"the {header} column"))


def _without_column(rows: Iterator[LoadedRow], header: list[str], header_row: int) -> Iterator[LoadedRow]:
    """A required value missing because the header has no such column (it is misspelt or
    renamed: the header's errors say so) is not fixed by filling in a cell: say what is."""
    absent = {r for r in REQUIRED if header and not any(_split_column(h)[0] == r for h in header)}
    if not absent:
        yield from rows
        return
    for loaded in rows:
        errors = tuple(replace(e, fix=f"the file has no {e.column!r} column: add one, or rename the "
                               f"column that holds the {e.column} values (see the header, row "
                               f"{header_row})") if e.column in absent and e.message ==
                       "a required value is missing" else e for e in loaded.errors)
        yield replace(loaded, errors=errors)


def _sheet_named(file: str, table: Table, errors: list[RecordError]) -> list[RecordError]:
    """Header errors of a workbook sheet not called awards say which sheet was read."""
    sheet = table.sheet
    if not errors or sheet is None or sheet.strip().casefold() == "awards":
        return errors
    named = [replace(e, message=f"{e.message} in sheet {sheet!r}") for e in errors]
    if len(table.sheets) == 1:
        return named
    others = ", ".join(repr(s) for s in table.sheets if s != sheet)
    return [RecordError(file, table.header_row, None, None,
                        f"no sheet is named 'awards', so the first "
                        f"{'sheet' if table.sheets[0] == sheet else 'visible sheet'}, {sheet!r}, was read "
                        f"(the others: {others})",
                        "name the sheet that holds the awards 'awards', or move it first"), *named]


def _loaded_rows(file: str, header: list[str], header_row: int, rows: Iterator[tuple[int, Row]],
                 catalogue: Catalogue, default_language: str, seen: FirstRows,
                 mapped: list[RecordError], headers: Mapping[str, str]) -> Iterator[LoadedRow]:
    file_names = header_names(header)  # the same for every row, but in JSON Lines
    file_columns = {path: file_names[name] for name, (path, _, _) in COLUMNS.items()}
    spellings = {"specification": {nfc(s.code): s.code for s in catalogue.specifications},
                 "issuer": {nfc(o.key): o.key for o in catalogue.organisations}}
    unknown: set[str] = set()  # JSON keys no column has, said once per file
    noticed: set[str] = set()  # column names read by an alias, said once per file
    # on the first award that loads
    notices = mapped + _alias_notices(file, header_row, header, noticed)
    for number, row in rows:
        if "__invalid__" in row:
            column = row.get("__column__")
            award_id, issuer = _read_key(row.get("__read__") or {})
            yield LoadedRow(file, number, None, (RecordError(
                file, number, str(column) if column else None, None, str(row["__invalid__"]),
                str(row.get("__fix__", "write one JSON object per line")),
                character=row.get("__character__")),), award_id, issuer=issuer)
            continue
        short = row.pop("__short__", None)
        if header and _repeats_header(row, headers):
            yield LoadedRow(file, number, None, (RecordError(
                file, number, None, None, "the row repeats the header (two files joined into one?)",
                "delete the row"),), "")
            continue
        errors: list[RecordError] = []
        if "__extra__" in row:
            errors.append(_extra_cells(file, number, len(header), row.pop("__extra__")))
        errors += [RecordError(file, number, column, value, message, fix, position=position)
                   for column, position, value, message, fix in row.pop("__cells__", ())]
        notices += [_mapped_notice(file, number, key, column) for key, column in row.pop("__mapped__", ())]
        if not header:  # JSON: each object names its keys
            keys = [name for name in row if is_column(name)]
            notices += _alias_notices(file, number, keys, noticed)
            new_keys = [] if len(keys) == len(row) else \
                [name for name in row if name and not is_column(name) and name not in unknown]
            if new_keys:
                unknown.update(new_keys)
                yield LoadedRow(file, number, None, tuple(unknown_column(file, number, name, keys)
                                                          for name in new_keys), "", file_level=True)
            errors += [e for e in check_header(file, keys, number)
                       if e.column not in REQUIRED or "missing" not in e.message]
        names = file_names if header else header_names(list(row))
        refused = _cell_values(file, number, row) + ([] if header else _json_values(file, number, row))
        errors += _number_ids(file, number, row, bool(header)) + refused
        data, conflicts = row_to_data(row, default_language)
        _catalogue_spelling(data, spellings)
        data.setdefault("learner", {})  # so each missing name or id is its own error
        errors += [RecordError(file, number, column, None, message, fix)
                   for column, message, fix in conflicts]
        award_id = str(data.get("award_id", ""))
        try:
            award = parse(Award, data)
        except ValidationError as exc:
            if header and (footer := _not_an_award(file, number, row, header)) is not None:
                yield LoadedRow(file, number, None, (footer, *_short_row(file, number, short)), "")
                continue
            columns = (file_columns if header
                       else {path: names[name] for name, (path, _, _) in COLUMNS.items()})
            said = {e.column for e in refused}  # a refused cell's value says nothing more
            errors += _model_errors(exc, file, number, row, columns, said)
            bad = _refused_columns(errors) | {f for e in exc.errors() if (f := _field(e["loc"]))}
            salvaged = _salvage(data, bad)
            if salvaged is not None:
                errors += _award_checks(file, number, salvaged, catalogue, names, seen, bad)
            errors += _short_row(file, number, short)  # a broken row's likeliest cause
            yield LoadedRow(file, number, None, tuple(errors), award_id,
                            issuer=str(data.get("issuer") or "").strip(), names=names)
            continue
        if errors:  # cells refused before the award was read: the checks leave their columns out
            bad = _refused_columns(errors)
            checked = _salvage(data, bad) if bad & _CHECKED else award
            if checked is not None:
                errors += _award_checks(file, number, checked, catalogue, names, seen, bad)
        else:
            errors = _award_checks(file, number, award, catalogue, names, seen, _NONE)
        warnings: tuple[RecordError, ...] = ()
        if not errors:
            warnings = tuple(notices + ahead_of_today(file, number, award, names)
                             + _garbled(file, number, row) + wrong_script(file, number, award, names)
                             + _short_row(file, number, short)
                             + grade_left_out(file, number, award, catalogue, names))
            notices = []
        else:
            errors += _short_row(file, number, short)
        yield LoadedRow(file, number, None if errors else award, tuple(errors), award.award_id,
                        issuer=award.issuer or "", warnings=warnings, names=names)


def _read_key(cells: Row) -> tuple[str, str]:
    """The award_id and issuer of a JSON object refused whole (NaN in one of its keys, a lone
    surrogate), from the cells it could read: its errors then name the award, as a row's of a
    cell refused do. A column given twice, with two values, names none."""
    found: dict[str, set[str]] = {column: set() for column in _KEY_COLUMNS}
    for name, value in cells.items():
        column, lang = _split_column(name)
        if column in found and lang is None and isinstance(value, str) and value.strip():
            found[column].add(value.strip())
    award_id, issuer = (next(iter(values)) if len(values) == 1 else "" for values in found.values())
    return award_id, issuer


def _column_name(column: str, lang: str | None) -> str:
    return f"{column}@{lang}" if lang else column


def _mapped_notice(file: str, row: int, header: str, column: str) -> RecordError:
    """A notice naming the column a header is read as, as the column mapping says."""
    return RecordError(file, row, header, None, f"the column {header!r} is read as {column}, as the "
                       "column mapping says", "if it holds something else, correct the mapping")


def _mapped_table(file: str, table: Table, columns: ColumnMap,
                  headers: dict[str, str]) -> tuple[Table, list[RecordError]]:
    """The table with each header the mapping names read as its column, and a notice of each
    mapping applied and of each mapped header the file does not have; ``headers`` is given each
    such column and the header it is read from. In JSON, each object's keys are mapped as they
    come (see :func:`_mapped_keys`)."""
    if not table.header:
        return replace(table, rows=_mapped_keys(table.rows, columns, headers)), []
    renamed: dict[str, str] = {}
    used: set[str] = set()
    for name in table.header:
        found = columns.match(name) if name else None
        if found is not None:
            key, column, lang = found
            renamed[name] = _column_name(column, lang)
            used.add(key)
    _no_mapped_clash(file, table, renamed)
    headers.update((column, name) for name, column in renamed.items())
    notices = [_mapped_notice(file, table.header_row, name, column) for name, column in renamed.items()]
    notices += [RecordError(file, table.header_row, None, None,
                            f"the column mapping names the header {written!r}, which the file does not have",
                            f"check its spelling against the header (row {table.header_row}), or leave "
                            "it out of the mapping")
                for key, written in columns.written.items() if key not in used]
    header = [renamed.get(name, name) for name in table.header]
    return replace(table, header=header, rows=_renamed_rows(table.rows, renamed)), notices


def _no_mapped_clash(file: str, table: Table, renamed: dict[str, str]) -> None:
    """Refuse a header mapped onto a column another header also names (``Vorname`` mapped onto
    given_name, and ``First name``): which of the two holds the values cannot be told."""
    holders: dict[tuple[str, str | None], int] = {}
    for index, name in enumerate(table.header):
        if not name:
            continue
        target = _split_column(renamed.get(name, name))
        if target[0] not in COLUMNS:
            continue
        earlier = holders.setdefault(target, index)
        if earlier != index and table.header[earlier] != name and \
                (name in renamed or table.header[earlier] in renamed):
            _let_go(table.rows)
            raise InputFileError(file, f"the header gives the column {_column_name(*target)} twice, as "
                                 f"{_header_cell(table, earlier)} and {_header_cell(table, index)}, "
                                 "one of them by the column mapping",
                                 "leave the header out of the mapping, or delete or rename the other column")


def _renamed_rows(rows: Iterator[tuple[int, Row]], renamed: dict[str, str]) -> Iterator[tuple[int, Row]]:
    """The rows with the cells of each mapped header under its column."""
    try:
        for number, row in rows:
            yield number, {renamed.get(name, name): value for name, value in row.items()}
    finally:
        close = getattr(rows, "close", None)
        if close is not None:
            close()


def _mapped_keys(rows: Iterator[tuple[int, Row]], columns: ColumnMap,
                 headers: dict[str, str]) -> Iterator[tuple[int, Row]]:
    """JSON objects with each mapped key under its column, the first of each said (``__mapped__``);
    an object whose mapped key gives a column another of its keys gives fails. ``headers`` holds
    the mapped keys of the object last given (its results are made before the next is read)."""
    noticed: set[str] = set()
    try:
        for number, row in rows:
            headers.clear()
            if "__invalid__" not in row:
                row = _mapped_object(row, columns, noticed, headers)
            yield number, _read_mapped(row, columns) if "__read__" in row else row
    finally:
        close = getattr(rows, "close", None)
        if close is not None:
            close()


def _mapped_object(row: Row, columns: ColumnMap, noticed: set[str], headers: dict[str, str]) -> Row:
    mapped: Row = {}
    given: dict[tuple[str, str | None], str] = {}
    said: list[tuple[str, str]] = []
    for key, value in row.items():
        found = None if key.startswith("__") else columns.match(key)
        name = _column_name(found[1], found[2]) if found else key
        target = _split_column(name)
        other = given.get(target)
        if other is not None and target[0] in COLUMNS and (found or columns.is_mapped(other)):
            return {"__invalid__": f"the keys {other!r} and {key!r} both give "
                    f"{_column_name(*target)}, one of them by the column mapping",
                    "__fix__": "keep one of the two keys", "__column__": key,
                    "__read__": {name: cell for name, cell in row.items() if name not in (key, other)}}
        given.setdefault(target, key)
        if found:
            headers[name] = key
        if found and key not in noticed:
            noticed.add(key)
            said.append((key, name))
        mapped[name] = value
    if said:
        mapped["__mapped__"] = said
    return mapped


def _read_mapped(row: Row, columns: ColumnMap) -> Row:
    """A refused object with the cells it could read under the columns the mapping names (keys
    two of which give one column left out), so :func:`_read_key` finds its award_id."""
    read: Row = row["__read__"]
    while "__read__" in (mapped := _mapped_object(read, columns, set(), {})):
        read = mapped["__read__"]
    return {**row, "__read__": mapped}


def _not_an_award(file: str, number: int, row: Row, header: list[str]) -> RecordError | None:
    """One error for a row that fills at most one of the required columns the header has (at
    least three), such as a total or footer row ('Total,,,,300'): not an award, whose every
    empty column would otherwise be an error of its own. Asked only of rows that fail."""
    present = {_split_column(name)[0] for name in header} & set(REQUIRED)
    filled = [name for name, value in row.items()
              if not name.startswith("__") and not blank(value) and _split_column(name)[0] in present]
    if len(present) < 3 or len(filled) > 1:
        return None
    shown = ", ".join(str(value).strip() for name, value in row.items()
                      if not name.startswith("__") and not blank(value))
    empty = [name for name in header if _split_column(name)[0] in present and name not in filled]
    return RecordError(file, number, None, None,
                       f"the row is not an award: it holds only {short_text(shown)!r} and leaves "
                       f"{', '.join(empty)} empty (a total, note or footer row?)",
                       "delete the row if it is not an award; else fill in "
                       f"{', '.join(empty)}")


def _repeats_header(row: Row, written: Mapping[str, str]) -> bool:
    """Whether most filled cells of a row are the names of their columns, as the file writes
    them (``written``: a mapped column's header, Matrikelnummer): the header of a file joined
    after another (its byte-order mark with it), not an award. Asked of every row: the filled
    cells are counted only once two cells hold their column's name."""
    same = 0
    for column, value in row.items():
        name = written.get(column, column)
        if isinstance(value, str) and name in value and not column.startswith("__"):
            text = value.strip()
            same += bool(text) and (text == name or text.lstrip("\ufeff") == name)
    if same < 2:
        return False
    filled = sum(1 for name, value in row.items()
                 if isinstance(value, str) and not name.startswith("__") and value.strip())
    return 2 * same >= filled


def _model_errors(exc: ValidationError, file: str, number: int, row: Row,
                  columns: dict[tuple[str, ...], str], said: set[str | None]) -> list[RecordError]:
    """The model's errors of a row, but those of columns already refused. A text's language the
    model refuses is said of each column (``given_name@xx``) that gives one: the model stops at
    a field's first problem, and names the field, not the column."""
    details = exc.errors()
    converted = from_validation(exc, file, number, columns, {**_flat_values(row), **row}, cell_fix)
    texts = any(COLUMNS[f][1] for d in details if (f := _field(d["loc"])))
    keyed = [e for e in _language_keys(file, number, row) if e.column not in said] if texts else []
    errors: list[RecordError] = []
    for detail, error in zip(details, converted, strict=True):
        field = _field(detail["loc"])
        own = [e for e in keyed if _split_column(e.column or "")[0] == field]
        errors += [e for e in own if e not in errors]
        if error.column in said or (own and _key_error(detail)):
            continue
        errors.append(_local_date(error))
    return errors


def _key_error(detail: Any) -> bool:
    """Whether a model error of a text column says a language of it is not one."""
    ctx = detail.get("ctx", {}).get("error")
    return (isinstance(ctx, vocab.UnknownConcept) and ctx.scheme == "language") \
        or "two-letter" in str(detail.get("msg", ""))


_TWO_LETTERS = re.compile(r"[a-z]{2}")


def _language_keys(file: str, number: int, row: Row) -> list[RecordError]:
    """Each text cell whose language (``@xx`` of its column, or a key of a JSON object) is not a
    two-letter code of a known language."""
    errors = []
    for name, value in row.items():
        base, lang = _split_column(name)
        if base not in COLUMNS or not COLUMNS[base][1] or blank(value):
            continue
        texts = {lang: value} if lang else value if isinstance(value, dict) else {}
        for key, text in texts.items():
            code = str(key).strip().lower()
            try:
                concept: vocab.Concept | None = vocab.resolve("language", code)
            except vocab.UnknownConcept as exc:
                concept, suggestions = None, exc.suggestions
            if concept is not None and _TWO_LETTERS.fullmatch(code):
                continue
            codes = [concept.code] if concept is not None else _two_letter_codes(suggestions)
            written = [f"{base}@{c}" if lang else repr(c) for c in codes]
            example = f"{base}@en" if lang else "{\"en\": \"...\"}"
            fix = (f"did you mean {' or '.join(written)}?" if written
                   else f"name the language by its ISO 639-1 code, e.g. {example} (see 'edcbridge "
                   "vocab language')")
            errors.append(RecordError(file, number, name, short_text(str(text)),
                                      f"{str(key)!r} is not a two-letter code of a known language",
                                      fix if lang else f"key each text by its language: {fix}"))
    return errors


def _two_letter_codes(suggestions: list[str]) -> list[str]:
    """The ISO 639-1 codes of the languages suggested for a mistyped one ('gre (Greek)' is el)."""
    codes = []
    for suggestion in suggestions:
        try:
            code = vocab.resolve("language", suggestion.split(" ", 1)[0]).code
        except vocab.UnknownConcept:
            continue
        if _TWO_LETTERS.fullmatch(code) and code not in codes:
            codes.append(code)
    return codes


def _award_checks(file: str, number: int, award: Award, catalogue: Catalogue, names: dict[str, str],
                  seen: FirstRows, bad: frozenset[str]) -> list[RecordError]:
    """The checks of a row that read more than one cell: a duplicate award id, then
    :func:`_cross_check`'s. A row refused for other columns is checked too (``bad`` says which
    columns to leave out), and its award id counts for the duplicates of later rows."""
    errors = []
    if "award_id" not in bad:
        first = seen.first(nfc(award.award_id), str(number))
        if first is not None:
            errors.append(RecordError(file, number, names["award_id"], award.award_id,
                                      f"duplicate of row {first}",
                                      "if both rows are the same award, delete this row; if they are "
                                      "different awards, give each its own award_id"))
    return errors + _cross_check(file, number, award, catalogue, names, bad)


_NONE: frozenset[str] = frozenset()
_PATHS: dict[tuple[int | str, ...], str] = {path: name for name, (path, _, _) in COLUMNS.items()}
# the columns the checks after reading read: a row's other columns cannot change what they say
_CHECKED = frozenset({"award_id", "specification", "awarding_date", "issued", "grade", "language",
                      "valid_until", "issuer", "date_of_birth"})
# values of required fields that make a valid award: in place of a refused one, never read
_STAND_INS: dict[tuple[str, ...], Any] = {
    ("award_id",): "-", ("specification",): "-", ("awarding_date",): "2000-01-01",
    ("learner", "id"): "-", ("learner", "given_name"): {"en": "-"}, ("learner", "family_name"): {"en": "-"}}


def _refused_columns(errors: list[RecordError]) -> frozenset[str]:
    """The columns (without @language) that errors of a row name."""
    return frozenset(_split_column(e.column)[0] for e in errors if e.column)


def _field(loc: tuple[int | str, ...]) -> str | None:
    """The column of a model error's location: its award field, or its learner's field."""
    return _PATHS.get(loc[:2] if loc[:1] == ("learner",) else loc[:1])


def _salvage(data: dict[str, Any], bad: frozenset[str]) -> Award | None:
    """The award of a refused row as far as the checks read it: the columns in ``bad`` left out
    (a required one holds a stand-in, which no check reads, since it skips what ``bad`` names),
    and the learner's other values too, which no check reads. None should that not validate."""
    learner = data.get("learner")
    trial: dict[str, Any] = {}
    for name in _CHECKED:
        path = COLUMNS[name][0]
        value = learner.get(path[1]) if path[0] == "learner" and isinstance(learner, dict) \
            else data.get(path[0]) if len(path) == 1 else None
        if value is not None and name not in bad:
            _nest(trial, path, value)
    for path, stand_in in _STAND_INS.items():
        holder = trial.setdefault(path[0], {}) if len(path) == 2 else trial
        holder.setdefault(path[-1], stand_in)
    try:
        return parse(Award, trial)
    except ValidationError:  # not expected: each value here validated in the row
        return None


DATE_COLUMNS = ("awarding_date", "date_of_birth", "valid_until")


def _local_date(error: RecordError) -> RecordError:
    """The fix of a date written the local way names the date to write (see :func:`local_date_fix`)."""
    if _split_column(error.column or "")[0] not in DATE_COLUMNS:
        return error
    fix = local_date_fix(error.value or "")
    return replace(error, fix=fix) if fix else error


def _catalogue_spelling(data: dict[str, Any], spellings: dict[str, dict[str, str]]) -> None:
    """A specification code or issuer key as the catalogue writes it, when the row writes the
    same characters in another Unicode form (a decomposed accent)."""
    for field, known in spellings.items():
        value = data.get(field)
        if isinstance(value, str) and not value.isascii():
            data[field] = known.get(nfc(value), value)


def _extra_cells(file: str, number: int, columns: int, cells: list[str]) -> RecordError:
    """Cells past the header's last column, named by the position of the first filled one."""
    first = next(i for i, cell in enumerate(cells) if cell.strip())
    last = max(i for i, cell in enumerate(cells) if cell.strip())
    return RecordError(file, number, None, ", ".join(cells[first:last + 1]),
                       "more cells than header columns", "quote cells that contain the delimiter",
                       position=columns + first + 1)


def _short_row(file: str, number: int, short: tuple[int, int, list[str]] | None) -> list[RecordError]:
    """A CSV row of fewer cells than the header, its last columns read as empty: what a program
    leaving out trailing empty cells writes, but also a row broken by a lost delimiter or a line
    break in an unquoted value. A warning, as the row may well be right; said beside the errors
    of a row that fails, as the likeliest cause."""
    if short is None:
        return []
    cells, columns, empty = short
    return [RecordError(
        file, number, None, None,
        f"the row has fewer cells than the header ({cells} cells against the header's {columns}): "
        f"{', '.join(empty)} {'is' if len(empty) == 1 else 'are'} read as empty",
        "check the row: a value holding the delimiter or a line break must be in double quotes, "
        "and a lost delimiter must be added back; if the row is right, nothing is wrong (some "
        "programs leave out trailing empty cells)")]


def _flat_values(row: Row) -> dict[str, Any]:
    return {_split_column(k)[0]: v for k, v in row.items()}
