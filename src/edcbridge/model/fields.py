"""Field types shared by the records: dates, concepts from code lists, decimals."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BeforeValidator,
    TypeAdapter,
    ValidationError,
    WithJsonSchema,
)

from edcbridge import vocab

_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_MIDNIGHT = re.compile(r"\d{4}-\d{2}-\d{2}[T ]00:00(:00)?")
_DATE_TIME = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?")


_EXCEL_EPOCH = dt.date(1899, 12, 30)  # day 0 of Excel's serial numbers (since 1900-03-01)


# 10000-99999 (1927-05-18 to 2173-10-14), as a whole number or a float, with a time of day
_EXCEL_SERIAL = re.compile(r"(\d{5})(?:[.,](\d+))?")


def _serial_problem(value: str, serial: re.Match[str]) -> str:
    """What a date column holding an Excel date serial number (45852, 45852.0) says."""
    day = (_EXCEL_EPOCH + dt.timedelta(days=int(serial[1]))).isoformat()
    if serial[2] is not None and serial[2].strip("0"):
        return (f"{value!r} is not a date; it looks like an Excel date serial number with a time of "
                f"day, which stands for {day} and a time: format the cell as a date, or write {day} "
                "if that is the date")
    return (f"{value!r} is not a date; it looks like an Excel date serial number, which stands for "
            f"{day}: format the cell as a date, or write {day} if that is the date")


def _to_date(value: Any) -> Any:
    """A date; a date with a time other than midnight is refused, not cut to its day.

    Which day 23:30 falls on depends on a time zone the value does not carry, and an
    awarding date or date of birth is a fact the registry office states, not one we guess.
    """
    if isinstance(value, dt.datetime):
        value = value.isoformat()
    if isinstance(value, dt.date):
        return _plausible(value, value)
    if isinstance(value, str):
        text = value.strip()
        if _DATE.fullmatch(text):
            try:
                date = dt.date.fromisoformat(text)
            except ValueError:
                raise ValueError(f"{value!r} is not a date; write it as YYYY-MM-DD") from None
            return _plausible(date, value)
        if _MIDNIGHT.fullmatch(text):  # a spreadsheet date cell
            return _to_date(text[:10])
        if _DATE_TIME.fullmatch(text):
            raise ValueError(f"{value!r} is not a date: it holds a date and a time; store just "
                             "the date, as YYYY-MM-DD or a date cell without a time")
        serial = _EXCEL_SERIAL.fullmatch(text)
        if serial is not None:
            raise ValueError(_serial_problem(value, serial))
        raise ValueError(f"{value!r} is not a date; write it as YYYY-MM-DD")
    return value


_DATE_TIME_PARSER = TypeAdapter(dt.datetime)
_DATE_TIME_FORM = ("write it as YYYY-MM-DDThh:mm:ss with its zone, e.g. 2025-07-14T10:00:00Z or "
                   "2025-07-14T12:00:00+02:00")


def _to_date_time(value: Any) -> Any:
    """A date-time (its zone is checked after); what the parser refuses is named in the words
    the date columns use: a date without a time, or the form to write."""
    number = isinstance(value, int | float | Decimal) and not isinstance(value, bool)
    if not (number or isinstance(value, str)):
        return value
    text = str(value).strip()
    if number or re.fullmatch(r"[-+]?\d+(\.\d*)?", text):  # never seconds since 1970, as the parser reads it
        raise ValueError(f"{value if number else repr(value)} is not a date-time: it is a number (a "
                         f"spreadsheet's date serial or a count of seconds); {_DATE_TIME_FORM}, in a "
                         "Text cell")
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        raise ValueError(f"{value!r} is not a date-time: it has no time of day and no time zone; "
                         f"write the time and zone too, e.g. {text}T00:00:00Z (midnight UTC), in a "
                         "Text cell; or leave issued empty to issue on the awarding date at 00:00 UTC")
    try:
        return _DATE_TIME_PARSER.validate_python(text)
    except ValidationError:
        raise ValueError(f"{value!r} is not a date-time; {_DATE_TIME_FORM}") from None


EARLIEST_YEAR = 1900


def _plausible(date: dt.date, value: Any) -> dt.date:
    """A year before 1900 (0025-07-14) is a typing error, and credentials cannot state it."""
    if date.year < EARLIEST_YEAR:
        raise ValueError(f"{str(value)!r} is not a plausible date (before {EARLIEST_YEAR}); "
                         "write it as YYYY-MM-DD with the four digits of the year")
    return date


_THOUSANDS = re.compile(r"[-+]?[1-9]\d{0,2}(,\d{3})+")


def _to_decimal(value: Any) -> Any:
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a number; write a plain number such as 7.5")
    number = value
    if isinstance(value, int | float):
        number = Decimal(str(value))
    elif isinstance(value, str):
        if _THOUSANDS.fullmatch(value.strip()):  # 1,000 hours is a thousand, 7,5 credits seven and a half
            raise ValueError(f"{value!r} is ambiguous: the comma may separate thousands or decimals; "
                             "write the number without a thousands separator, e.g. 1000 or 1.5")
        if "_" in value or not value.strip().isascii():  # Decimal reads 7_5 as 75, ٧ as 7
            raise ValueError(f"{value!r} is not a number; write a plain number such as 7.5")
        try:
            number = Decimal(value.strip().replace(",", "."))
        except InvalidOperation:
            raise ValueError(f"{value!r} is not a number; write a plain number such as 7.5") from None
    if isinstance(number, Decimal) and not number.is_finite():
        raise ValueError(f"{value!r} is not a finite number; write a plain number such as 7.5")
    return number


def _to_int(value: Any) -> Any:
    if isinstance(value, str) and ("_" in value or not value.strip().isascii()):  # 1_2, ١٢
        raise ValueError(f"{value!r} is not a whole number; write a whole number such as 5")
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return value


def _between(low: int, high: int, unit: str) -> AfterValidator:
    """Bounds that keep values out of what overflows dates and durations downstream."""

    def check(value: Any) -> Any:
        if not low <= value <= high:
            raise ValueError(f"{value} {unit} is out of range; write a number from {low} to {high}")
        return value

    return AfterValidator(check)


def _whole_number(low: int, high: int) -> WithJsonSchema:
    """The published schema of a count: a whole number in bounds, or its digits as text (the
    loader reads both)."""
    return WithJsonSchema({"anyOf": [{"type": "integer", "minimum": low, "maximum": high},
                                     {"type": "string", "pattern": r"^\s*[0-9]+\s*$"}]})


# one address, as a mail program takes it: no display name, brackets, "mailto:", list
# separators, empty dot-separated parts, and a domain of letters, digits and hyphens
_EMAIL = re.compile(r"""^(?!\.)(?!.*\.\.)(?!mailto:)[^@\s<>()\[\],;:"\\]+(?<!\.)
                        @(?:[^\W_](?:(?:[^\W_]|-)*[^\W_])?\.)+(?:[^\W\d_]{2,}|xn--[^\W_][\w-]*)$""",
                    re.IGNORECASE | re.VERBOSE)


def is_email(value: str) -> bool:
    return _EMAIL.match(value) is not None


_LOCALE = re.compile(r"^[A-Za-z]{2,3}([-_][A-Za-z0-9]{2,8})*$")  # a BCP 47 language tag, in short


def is_locale(value: str) -> bool:
    """Whether ``value`` is written like a language tag (``en``, ``pt-BR``) for a wallet's
    e-mail and pages."""
    return _LOCALE.match(value) is not None


def _check_email(value: str) -> str:
    if not is_email(value):
        raise ValueError(f"{value!r} is not an e-mail address; write it like name@example.org")
    return value


# DID Core 3.1: "did:" method-name ":" method-specific-id (idchars, pct-encoded, inner colons)
_ID_CHAR = r"(?:[A-Za-z0-9._-]|%[0-9A-Fa-f]{2})"
_DID = re.compile(rf"did:[a-z0-9]+:(?:{_ID_CHAR}*:)*{_ID_CHAR}+")


def _check_did(value: str) -> str:
    if not _DID.fullmatch(value):
        raise ValueError(f"{value!r} is not a DID; write it like did:ebsi:zvHWX359A3CvfJnCYaAiAde")
    if value.startswith("did:ebsi:") and not _is_legal_entity_ebsi(value.removeprefix("did:ebsi:")):
        raise ValueError(f"{value!r} is not a did:ebsi of a legal entity, which is 'z' and the base58btc "
                         "of version byte 1 and 16 bytes (like did:ebsi:zvHWX359A3CvfJnCYaAiAde): EBSI's "
                         "resolvers refuse any other; copy the DID the DID Registry lists")
    return value


def _is_legal_entity_ebsi(identifier: str) -> bool:
    """The EBSI DID method's identifier of a legal entity: multibase base58btc of 0x01 and 16
    random bytes. Natural persons use did:key (the version 2 did:ebsi was withdrawn)."""
    from edcbridge.badges.proof import from_base58btc

    try:
        raw = from_base58btc(identifier[1:]) if identifier.startswith("z") else b""
    except ValueError:
        return False
    return len(raw) == 17 and raw[0] == 1


def concept_of(scheme: str, aliases: dict[str, str] | None = None) -> BeforeValidator:
    """Accept an IRI, code or label of ``scheme`` (or one of ``aliases``, by lower-case code)
    and store the official IRI."""

    def convert(value: Any) -> Any:
        if isinstance(value, int) and not isinstance(value, bool):
            value = str(value)
        if isinstance(value, str):
            value = (aliases or {}).get(value.strip().lower(), value)
            return vocab.resolve(scheme, value).iri
        return value

    return BeforeValidator(convert)


def enum_of(scheme: str, enum: type[Any]) -> BeforeValidator:
    """Accept an IRI, code or label and return the enum member valued with that IRI."""

    def convert(value: Any) -> Any:
        if isinstance(value, enum):
            return value
        if isinstance(value, int | float) and not isinstance(value, bool):
            value = str(int(value)) if float(value).is_integer() else str(value)
        if isinstance(value, str):
            return enum(vocab.resolve(scheme, value).iri)
        return value

    return BeforeValidator(convert)


Date = Annotated[dt.date, BeforeValidator(_to_date)]
DateTime = Annotated[AwareDatetime, BeforeValidator(_to_date_time)]
CreditPoints = Annotated[Decimal, BeforeValidator(_to_decimal), _between(0, 1000, "credits")]
Hours = Annotated[Decimal, BeforeValidator(_to_decimal), _between(0, 100_000, "hours")]
Months = Annotated[int, BeforeValidator(_to_int), _between(1, 1200, "months"), _whole_number(1, 1200)]
Years = Annotated[int, BeforeValidator(_to_int), _between(1, 100, "years"), _whole_number(1, 100)]
Language = Annotated[str, concept_of("language")]
# the EU's own codes for Greece and the United Kingdom (Interinstitutional Style Guide), which
# ISO writes GR and GB: without them, EL and UK would be close to BEL and UKR
EU_COUNTRY_CODES = {"el": "GR", "uk": "GB"}
Country = Annotated[str, concept_of("country", EU_COUNTRY_CODES)]
IscedF = Annotated[str, concept_of("isced-f")]


def _a_level(iri: str) -> str:
    framework = vocab.nqf_framework(iri)
    if framework is not None:
        raise ValueError(f"{framework!r} is a qualifications framework, not a level of it; write the "
                         "level, as the NQF list names it (e.g. RQF Level 6, CQFW Level 6, SCQF Level 9; "
                         "'edcbridge vocab nqf' lists them)")
    return iri


NqfLevel = Annotated[str, concept_of("nqf"), AfterValidator(_a_level)]
AccreditationType = Annotated[str, concept_of("accreditation-type")]
AssessmentType = Annotated[str, concept_of("assessment-type")]
OpportunityType = Annotated[str, concept_of("learning-opportunity-type")]


def written_as(scheme: str, *, numbers: tuple[int, int] | None = None) -> WithJsonSchema:
    """The published schema of a vocabulary field: what the loader reads (an IRI, code or
    English label; with ``numbers``, the codes from ``numbers[0]`` to ``numbers[1]`` written as
    numbers), not only the IRI it stores."""
    text = {"type": "string", "minLength": 1}
    number = {"type": "integer", "minimum": numbers[0], "maximum": numbers[1]} if numbers else None
    return WithJsonSchema({
        **({"anyOf": [text, number]} if number else text),
        "description": f"An IRI, code or English label of the {scheme} vocabulary "
                       f"(`edcbridge vocab {scheme}` lists them)"})


EQF = Annotated[vocab.EQFLevel, enum_of("eqf", vocab.EQFLevel), written_as("eqf", numbers=(1, 8))]
Credits = Annotated[vocab.CreditSystem, enum_of("credit-system", vocab.CreditSystem),
                    written_as("credit-system")]
CredType = Annotated[vocab.CredentialType, enum_of("credential-type", vocab.CredentialType),
                     written_as("credential-type")]
Setting = Annotated[vocab.LearningSetting, enum_of("learning-setting", vocab.LearningSetting),
                    written_as("learning-setting")]
ModeOf = Annotated[vocab.Mode, enum_of("mode", vocab.Mode), written_as("mode")]
SupervisionOf = Annotated[vocab.Supervision, enum_of("supervision", vocab.Supervision),
                          written_as("supervision")]
Email = Annotated[str, AfterValidator(_check_email)]
Did = Annotated[str, AfterValidator(_check_did)]
