"""What the readers give: a :class:`Table` of rows of cells, the typed texts of spreadsheet
cells (numbers, errors, logicals, times), and a cell value as the text a spreadsheet shows."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Context, Decimal
from functools import lru_cache
from typing import Any

Row = dict[str, Any]  # cells by column; "__extra__", "__cells__" and "__invalid__" mark broken rows
# (with "__invalid__": "__column__", "__fix__", "__character__", where in the line it breaks, and
# "__read__", the cells of a JSON object refused whole that could be read);
# "__short__" a CSV row of fewer cells than the header: (cells, header's columns, names read empty)


class NumberCell(str):
    """The text of a spreadsheet number cell: identifiers stored as numbers may have lost digits."""

    __slots__ = ()


class ErrorCell(str):
    """The text of a spreadsheet error cell (#N/A, #REF!): a formula that failed, not a value."""

    __slots__ = ()


class LogicalCell(str):
    """TRUE or FALSE, as a spreadsheet shows a logical cell (Excel turns a typed "true" into one)."""

    __slots__ = ()


class PastDatesCell(str):
    """A date cell holding a number past the last date a spreadsheet has (9999-12-31), which it
    shows as ########: digits typed into a date cell (20250714), or an id in a date column."""

    __slots__ = ()


class TimeCell(str):
    """The time of a spreadsheet cell holding a time of day without a date (a typed 7:10 becomes
    07:10:00)."""

    __slots__ = ()


@dataclass(frozen=True, slots=True)
class Table:
    """The header, the stream of rows, and for XLSX the sheet read and all sheet names."""

    header: list[str]
    rows: Iterator[tuple[int, Row]]
    sheet: str | None = None
    sheets: tuple[str, ...] = field(default=())
    header_row: int = 1
    counted: int | None = None  # of a workbook read to count its rows: how many (see xlsx_row_count)


ColumnTest = Callable[[str], bool]  # whether a header cell names a column the reader knows


def blank(value: Any) -> bool:
    """Empty, whitespace only, or a language map of such texts."""
    if isinstance(value, dict):
        return all(blank(v) for v in value.values())
    return value is None or (isinstance(value, str) and not value.strip())


def nfc(text: str) -> str:
    """``text`` in Unicode NFC, to compare: an e-acute typed as e plus a combining accent (as
    macOS and some exports write it) is the same id or code as the single character."""
    return text if text.isascii() else unicodedata.normalize("NFC", text)


def _cell(value: Any, number_format: str = "General") -> Any:
    if isinstance(value, dt.datetime):  # under a second: Excel's rounding of a date cell
        return value.date().isoformat() if value.time() < dt.time(0, 0, 1) else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, bool):
        return LogicalCell("TRUE" if value else "FALSE")
    if isinstance(value, dt.time):
        return TimeCell(value.isoformat())
    if isinstance(value, dt.timedelta):  # a duration format such as [h]:mm
        return TimeCell(str(value))
    if isinstance(value, int | float) and "%" in number_format:
        return NumberCell(_percent(value))  # 0.725 shown as 72.5% is the grade 72.5%
    if isinstance(value, int | float) and number_format != "General":
        shown = _padded(value, number_format)
        if shown is not None:
            return shown  # 123 in a 00000 cell is the id 00123, as the cell shows it
    if isinstance(value, int | float) and number_format != "General" and abs(value) < 1e15:
        places = _decimal_places(number_format)
        if places:
            return NumberCell(_with_places(value, places))  # 3.5 shown as 3.50 is the grade 3.50
    if isinstance(value, float) and value.is_integer() and abs(value) < 2 ** 53:
        return NumberCell(int(value))  # 2230018.0 is 2230018; above 2**53 digits are lost
    if isinstance(value, int | float):
        return NumberCell(value)
    return value


# a number format that pads a whole number with zeros, with text before or after it: 00000,
# "IMP-"00000, \I\M\P\-00000 (its first section)
_PADDING_FORMAT = re.compile(r'((?:"[^"]*"|\\.)*)(0+)((?:"[^"]*"|\\.)*)')
_LITERAL = re.compile(r'"([^"]*)"|\\(.)')


def _padded(value: float, number_format: str) -> str | None:
    """A whole number as its padding format shows it (123 in 00000 is 00123), when that shows
    zeros or text the number lacks; else None. Excel keeps an id's leading zeros that way, and
    what the cell shows is the id the registry holds."""
    found = _PADDING_FORMAT.fullmatch(number_format.split(";", 1)[0])
    if found is None or value < 0 or (isinstance(value, float) and not value.is_integer()) \
            or abs(value) >= 2 ** 53:
        return None
    digits = str(int(value)).zfill(len(found[2]))
    before, after = _unquoted(found[1]), _unquoted(found[3])
    if not before and not after and len(digits) == len(str(int(value))):
        return None  # no zero shown that the number lacks: a zero typed before it was lost all the same
    return before + digits + after


def _unquoted(text: str) -> str:
    """The text a format's literals show: "IMP-" and \\I\\M\\P\\- are IMP-."""
    return _LITERAL.sub(lambda m: m[1] if m[1] is not None else m[2], text)


# a plain number format that states decimals: 0.00, #,##0.0, 0.000;[Red]-0.000 (its first section)
_DECIMALS_FORMAT = re.compile(r"[#,]*0\.(0+)")


@lru_cache(maxsize=64)  # a sheet has few formats, each read once per cell
def _decimal_places(number_format: str) -> int:
    """How many decimals the number format shows; 0 when it is no plain decimal format."""
    found = _DECIMALS_FORMAT.fullmatch(number_format.split(";", 1)[0])
    return len(found.group(1)) if found else 0


def _with_places(value: float, places: int) -> str:
    """The number with at least ``places`` decimals, as the cell shows it (3.5 as 3.50); a digit
    the format hides is kept, never rounded away (3.456 in a 0.00 cell stays 3.456)."""
    text = repr(value)
    if "e" not in text:  # the common case, without Decimal: 3.5 -> 3.50, 3 -> 3.00
        whole, _, fraction = text.partition(".")
        return f"{whole}.{fraction.ljust(places, '0')}"
    exact = Decimal(text)
    exponent = exact.as_tuple().exponent
    if not isinstance(exponent, int) or exponent <= -places:
        return f"{exact:f}"
    return f"{exact.quantize(Decimal(1).scaleb(-places), context=_WIDE):f}"


_WIDE = Context(prec=64)  # 15 digits before the point and Excel's 30 after it fit


def _percent(value: float) -> str:
    """The number as a percentage, every digit kept (the cell may show fewer)."""
    hundredfold = Decimal(repr(value)).scaleb(2).normalize()
    return f"{hundredfold:f}%"
