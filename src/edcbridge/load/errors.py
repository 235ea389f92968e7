"""Record errors: which file, row and column, the bad value, and how to fix it."""

from __future__ import annotations

import difflib
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any, ClassVar

from pydantic import ValidationError

from edcbridge.vocab import UnknownConcept


@dataclass(frozen=True, slots=True)
class RecordError:
    file: str
    row: int | None
    column: str | None
    value: str | None
    message: str
    fix: str
    position: int | None = None  # 1-based, for a cell under no column name
    character: int | None = None  # 1-based, where in the line of a text file (JSON Lines)
    named: ClassVar[str] = "column"  # what ``column`` is a name of, as the error says it

    def render(self) -> str:
        """``file:row: column 'c' = 'v': message``, or ``file:line:character:`` where the
        character is known; parts that are unknown are left out."""
        place = self.file + (f":{self.row}" if self.row is not None else "")
        if self.row is not None and self.character is not None:
            place += f":{self.character}"
        where = f" {self.named} {self.column!r}" if self.column else ""
        if not self.column and self.position is not None:
            where = f" column {self.position} (no header)"
        where += f" = {self.value!r}" if self.value not in (None, "") else ""
        return f"{place}:{where + ':' if where else ''} {self.message}\n    fix: {self.fix}"

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class FieldError(RecordError):
    """An error of a catalogue, where ``column`` is the path of a field
    (``specifications[MC01].title``): a catalogue has fields, not columns."""

    named: ClassVar[str] = "field"


class InputFileError(ValueError):
    """The whole file cannot be read (missing, wrong encoding, wrong format)."""

    def __init__(self, file: str, message: str, fix: str) -> None:
        self.error = RecordError(file, None, None, None, message, fix)
        super().__init__(self.error.render())


def _short(value: Any) -> str | None:
    if value is None:
        return None
    text = value if isinstance(value, str) else repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def fix_for(error: dict[str, Any], column: str) -> str:
    """A remedy for one pydantic error, in the words of the input file."""
    kind = error["type"]
    ctx_error = error.get("ctx", {}).get("error")
    if isinstance(ctx_error, UnknownConcept):
        if ctx_error.suggestions:
            return f"use one of {', '.join(ctx_error.suggestions)} (codes, IRIs or English labels work)"
        return f"use a code, IRI or English label from the {ctx_error.scheme} code list " \
               "(see 'edcbridge vocab " + ctx_error.scheme + "')"
    if kind == "missing":
        return f"fill in {column}; it is required"
    if kind == "extra_forbidden":
        key = column.rsplit(".", 1)[-1]
        return f"remove {key!r} or correct its name; run 'edcbridge formats' for the accepted names"
    if kind in ("list_type", "tuple_type"):
        return "write a list of values, e.g. [first, second]"
    if kind in ("dict_type", "model_type", "model_attributes_type"):
        return "write keys and values, e.g. {en: 'text'} for a text in each language"
    if kind.startswith("url"):
        return "write a full URL such as https://example.org/page"
    if kind == "timezone_aware":
        return ("write the zone too, e.g. 2025-07-14T10:00:00Z (UTC) or 2025-07-14T12:00:00+02:00; "
                "a spreadsheet's date cell holds no zone, so type it in a Text cell")
    if kind in ("date_type", "datetime_type"):
        return "write the date as text, YYYY-MM-DD (a date-time as YYYY-MM-DDThh:mm:ssZ)"
    if kind in ("date_from_datetime_parsing", "date_parsing", "datetime_parsing",
                "datetime_from_date_parsing"):
        return "write dates as YYYY-MM-DD and date-times as YYYY-MM-DDThh:mm:ssZ"
    if kind == "string_type":
        return "write it as text; in JSON or YAML, in quotes"
    if kind.startswith("int"):
        return "write a whole number such as 5"
    if kind.startswith(("decimal", "float")):
        return "write a plain number such as 7.5"
    message = str(error.get("msg", ""))
    if "language map" in message or "language key" in message:
        return "give text per language, e.g. {en: 'Data skills', cy: 'Sgiliau data'}"
    if "; " in message:  # our validators say "problem; remedy"
        return message.split("; ", 1)[1]
    return "correct the value as the message says"


def cell_fix(error: dict[str, Any], column: str) -> str:
    """A remedy for one pydantic error in a cell of a table (a CSV or sheet cell, a JSON Lines
    value), in the words of the person who fills it in; else :func:`fix_for`'s."""
    value, message = error.get("input"), str(error.get("msg", ""))
    if error["type"] in ("string_type", "date_type", "datetime_type") and isinstance(value, list | dict):
        shape = "a list" if isinstance(value, list) else "an object"
        what, how = {"date_type": ("date", 'in quotes as YYYY-MM-DD, e.g. "2025-07-14"'),
                     "datetime_type": ("date-time", 'in quotes with its zone, e.g. "2025-07-14T10:00:00Z"'),
                     }.get(error["type"], ("value", "as text in quotes"))
        return f"{column} takes one {what}, not {shape}: write it {how}"
    if isinstance(value, dict) and "needs at least one language" in message:
        return f"write the {column} text, or texts per language such as {{\"en\": \"...\"}}; " \
               "or leave it out if it is not required"
    if isinstance(value, dict) and message.startswith("Value error, text for language"):
        return f"write the {column} text in that language, or leave that language out"
    if isinstance(value, dict) and "text is not a string" in message:
        return f"write each {column} text in quotes, e.g. {{\"en\": \"...\"}}"
    return fix_for(error, column)


FixFor = Callable[[dict[str, Any], str], str]


def from_validation(exc: ValidationError, file: str, row: int | None,
                    columns: dict[tuple[Any, ...], str] | None = None,
                    values: dict[str, Any] | None = None, fix: FixFor = fix_for) -> list[RecordError]:
    """Turn pydantic's errors into record errors named by input column, each with ``fix``'s
    remedy."""
    out = []
    for error in exc.errors():
        loc = tuple(error["loc"])
        column = _column_for(loc, columns or {})
        message = str(error["msg"]).removeprefix("Value error, ")
        if error["type"] == "missing":
            message = "a required value is missing"
        if error["type"] == "timezone_aware":
            message = "the date-time has no time zone, so the moment it names is not known"
        message = _shorten_input(message, error.get("input"))
        if "; " in message and not isinstance(error.get("ctx", {}).get("error"), UnknownConcept):
            message = message.split("; ", 1)[0]
        value = (values or {}).get(column or "", error.get("input") if loc else None)
        if isinstance(value, dict) and error["type"] == "missing":
            value = None
        out.append(RecordError(file, row, column, _short(value), message, fix(dict(error), column or "")))
    return out


def _shorten_input(message: str, value: Any) -> str:
    """The message with a long input it quotes cut as the value is (a pasted page of text is
    not repeated in every report line)."""
    short = _short(value)
    if not isinstance(value, str) or short == value:
        return message
    return message.replace(repr(value), repr(short))


def _column_for(loc: tuple[Any, ...], columns: dict[tuple[Any, ...], str]) -> str | None:
    for end in range(len(loc), 0, -1):
        if loc[:end] in columns:
            return columns[loc[:end]]
    return ".".join(str(p) for p in loc) or None


def suggest(name: str, known: list[str], listing: str = "accepted columns") -> str:
    """The closest of *known*, in any case, else all of them after *listing* (what they are)."""
    folded = {k.casefold(): k for k in reversed(known)}
    close = [folded[c] for c in difflib.get_close_matches(name.casefold(), list(folded), n=2, cutoff=0.6)]
    return f"did you mean {' or '.join(repr(c) for c in close)}?" if close else \
        f"{listing}: {', '.join(known)}"
