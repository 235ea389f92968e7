"""The catalogue: organisations, quality assurance and credential specifications (YAML/JSON)."""

from __future__ import annotations

import difflib
import json
import re
import typing
import unicodedata
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from edcbridge import vocab
from edcbridge.load.catalogue_links import esco_problems
from edcbridge.load.cell_text import noncharacter
from edcbridge.load.errors import FieldError, InputFileError, RecordError, from_validation, suggest
from edcbridge.load.local_dates import local_date_fix
from edcbridge.load.logos import embed_logos
from edcbridge.model import Catalogue, Specification, parse
from edcbridge.model.records import Problem, reference_problems
from edcbridge.vocab import CredentialType, CreditSystem
from edcbridge.yaml_reading import (
    BoundedLoader,
    MappingNode,
    Node,
    ScalarNode,
    SequenceNode,
    TooLarge,
    TooManyWritten,
    YAMLError,
    check_expansion,
    compose,
    nearest_line,
    node_lines,
)


class CatalogueError(ValueError):
    """The catalogue has errors; all of them are in ``errors``."""

    def __init__(self, errors: list[RecordError]) -> None:
        self.errors = errors
        super().__init__("\n".join(e.render() for e in errors))


MAX_WRITTEN = 200_000
"""Most values a catalogue file may write (keys, values, items; an alias counts once): a
catalogue of a few hundred specifications writes tens of thousands (4 MB of YAML about 200,000).
PyYAML holds each as a node of about 700 bytes before anything can be checked, so 10 MB of
``[a,a,...]`` would take 7 GB."""


class _CatalogueLoader(BoundedLoader):
    """SafeLoader that leaves as text what YAML 1.1 would crash on or silently misread.

    An impossible date (2023-06-31) stays text, so the model reports it at its line instead
    of PyYAML raising; 1:30 (sexagesimal), 010 (octal), 0x1A, .inf and NO (Norway) do not
    become 90, 8, 26, infinity and False; 1.000 stays text, to be refused as ambiguous where a
    number is wanted (a thousand with a dot as thousands separator, or one).
    """


_PLAIN_NUMBER = re.compile(r"[-+]?(0|[1-9][0-9]*)(\.[0-9]*)?([eE][-+]?[0-9]+)?")
# 1.000 or 12.500: a thousands separator in much of Europe, a decimal point in English
_DOT_THOUSANDS = re.compile(r"[-+]?[1-9][0-9]{0,2}(\.[0-9]{3})+")


def _timestamp(loader: BoundedLoader, node: ScalarNode) -> Any:
    try:
        return loader.construct_yaml_timestamp(node)
    except ValueError:
        return loader.construct_scalar(node)


def _int(loader: BoundedLoader, node: ScalarNode) -> Any:
    text = loader.construct_scalar(node)
    return loader.construct_yaml_int(node) if _PLAIN_NUMBER.fullmatch(text) else text


def _float(loader: BoundedLoader, node: ScalarNode) -> Any:
    text = loader.construct_scalar(node)
    plain = _PLAIN_NUMBER.fullmatch(text) and not _DOT_THOUSANDS.fullmatch(text)
    return loader.construct_yaml_float(node) if plain else text


def _json_float(text: str) -> Any:
    """A JSON number with a fraction; 1.000 stays text (see _CatalogueLoader)."""
    return text if _DOT_THOUSANDS.fullmatch(text) else float(text)


def _bool(loader: BoundedLoader, node: ScalarNode) -> Any:
    text = loader.construct_scalar(node)
    return loader.construct_yaml_bool(node) if text.lower() in ("true", "false") else text


for _tag, _constructor in (("timestamp", _timestamp), ("int", _int), ("float", _float),
                           ("bool", _bool)):
    _CatalogueLoader.add_constructor(f"tag:yaml.org,2002:{_tag}", _constructor)


# A catalogue is a few hundred KB; these bounds stop a runaway file or a YAML alias bomb
# ("billion laughs": a few lines whose aliases expand to billions of values) before it
# exhausts memory.
MAX_BYTES = 20_000_000
MAX_VALUES = 1_000_000


def load_catalogue(path: Path) -> Catalogue:
    """Read and validate a catalogue; raises :class:`CatalogueError` listing every problem."""
    return read_catalogue(path)[0]


@dataclass(frozen=True)
class Located:
    """Where a catalogue's values are written, to report a finding on one at its line."""

    file: str
    data: dict[str, Any]
    lines: dict[tuple[Any, ...], int]

    def error(self, loc: tuple[str | int, ...], message: str, fix: str) -> RecordError:
        """``message`` at the line of ``loc`` (a place in the model), named as the file writes it."""
        return _problem_errors(self.file, [(loc, message, fix)], self.data, self.lines)[0]


def read_catalogue(path: Path) -> tuple[Catalogue, Located]:
    """:func:`load_catalogue`, with where each of its values is written."""
    file = str(path)
    data, lines, duplicates = _read(path)
    errors = _duplicate_errors(file, duplicates, data, lines)
    if not isinstance(data, dict):
        raise CatalogueError(errors or [_not_a_mapping(file, data)])
    inside = _keys_inside_keyed_maps(data)
    if inside:
        raise CatalogueError(errors + _problem_errors(file, inside, data, lines))
    ambiguous = _ambiguous_numbers(data)
    controls = _control_characters(_index_keys(data))
    try:
        catalogue = parse(Catalogue, _index_keys(data), context={"defer_references": True})
    except ValidationError as exc:
        errors += _validation_errors(file, exc, data, lines)
        raise CatalogueError(errors + _problem_errors(file, ambiguous + controls, data, lines)) from None
    read_twice = {loc[:2] for loc, _, _ in ambiguous}
    catalogue, logos = embed_logos(catalogue, path.parent)
    problems = ambiguous + controls + logos + reference_problems(catalogue) \
        + volume_problems(catalogue, read_twice) + same_but_case(catalogue) + listed_twice(catalogue) \
        + part_cycles(catalogue) \
        + unmakeable_types(catalogue) + claim_problems(catalogue) + esco_problems(catalogue)
    errors += _problem_errors(file, problems, data, lines)
    if errors:
        raise CatalogueError(errors)
    return catalogue, Located(file, data, lines)


Duplicate = tuple[tuple[Any, ...], int | None, int | None]  # (path of the key, its line, first line)


def _read(path: Path) -> tuple[Any, dict[tuple[Any, ...], int], list[Duplicate]]:
    """The file's data, the line of each value by its path, and the keys written twice."""
    file = str(path)
    if not path.is_file():
        raise InputFileError(file, "catalogue not found", "check the --catalogue path")
    if path.stat().st_size > MAX_BYTES:
        raise InputFileError(file, f"the catalogue is larger than {MAX_BYTES // 1_000_000} MB",
                             "check that this is the catalogue, not an export or an award file")
    try:
        text = path.read_text("utf-8-sig")
    except UnicodeDecodeError:
        raise InputFileError(file, "not UTF-8", "save the catalogue as UTF-8") from None
    try:
        if path.suffix.lower() == ".json":
            return _read_json(file, text)
        return _read_yaml(text)
    except TooLarge as exc:
        raise CatalogueError([FieldError(
            file, exc.line, None, None, f"the YAML expands to more than {MAX_VALUES} values "
            "through its aliases (*name), or an alias refers to itself",
            "write the values out instead of repeating an anchor (&name) inside another")]) from None
    except TooManyWritten as exc:
        raise CatalogueError([FieldError(
            file, exc.line, None, None, f"the file writes more than {MAX_WRITTEN:,} values; a "
            "catalogue of hundreds of specifications writes tens of thousands",
            "check that this is the catalogue, not an export or an award file")]) from None
    except YAMLError as exc:
        raise CatalogueError([_yaml_error(file, exc, text)]) from None
    except RecursionError:
        raise CatalogueError([FieldError(file, None, None, None, "the values are nested too deeply",
                                          "check the brackets and indentation")]) from None


def _read_yaml(text: str) -> tuple[Any, dict[tuple[Any, ...], int], list[Duplicate]]:
    parser = _CatalogueLoader(text, MAX_WRITTEN)
    try:
        node = parser.get_single_node()
        check_expansion(node, MAX_VALUES)
        lines, duplicates = node_lines(node), list(_duplicate_keys(node))
        data = parser.construct_document(node) if node is not None else None
    finally:
        parser.dispose()
    return data, lines, duplicates


def _read_json(file: str, text: str) -> tuple[Any, dict[tuple[Any, ...], int], list[Duplicate]]:
    """JSON, with the lines of its values found by reading it as YAML too (JSON is YAML)."""
    twice: list[Duplicate] = []

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        keys = [key for key, _ in items]
        twice.extend(((key,), None, None) for index, key in enumerate(keys) if key in keys[:index])
        return dict(items)

    try:
        data = json.loads(text, object_pairs_hook=pairs, parse_float=_json_float)
    except json.JSONDecodeError as exc:
        raise CatalogueError([_json_error(file, exc)]) from None
    except ValueError as exc:  # a number of more than 4,300 digits (int_max_str_digits)
        from edcbridge.output import unreadable_json

        raise CatalogueError([FieldError(file, None, None, None, unreadable_json(exc),
                                          "write the number out in fewer digits")]) from None
    try:
        node = compose(text.replace("\t", " "), max_written=MAX_WRITTEN)
        check_expansion(node, MAX_VALUES)
        return data, node_lines(node), list(_duplicate_keys(node)) or twice
    except YAMLError:
        return data, {}, twice


def _json_error(file: str, exc: json.JSONDecodeError) -> RecordError:
    """A JSON syntax error, with the fix for the slips JSON does not allow."""
    before = exc.doc[:exc.pos].rstrip()
    here = exc.doc[exc.pos:exc.pos + 2]
    message, fix = f"not JSON: {exc.msg} (column {exc.colno})", "fix the syntax at that line"
    if not exc.doc.strip():
        message, fix = "the catalogue is empty", _START
    elif here.startswith(("//", "/*", "#")):
        message, fix = f"JSON has no comments (column {exc.colno})", \
            "remove the comment, or save the catalogue as .yaml, where # starts a comment"
    elif before.endswith(",") and here[:1] in "}]":
        message, fix = f"a comma after the last item (column {exc.colno})", \
            f"remove the comma before {here[:1]!r}"
    elif here.startswith("'"):
        message, fix = f"JSON texts take double quotes (column {exc.colno})", 'write "text", not \'text\''
    return FieldError(file, exc.lineno, None, None, message, fix)


_START = "write the catalogue's keys: primary_language, issuer, organisations, specifications " \
    "(README.md, 'Input formats'; the catalogue.yaml of each fixture set edcbridge demo runs, " \
    "in the package's demo-fixtures folder, is a complete example)"


def _not_a_mapping(file: str, data: Any) -> RecordError:
    if data is None:
        return FieldError(file, 1, None, None, "the catalogue is empty (nothing but comments or blank "
                           "lines)", _START)
    shape = "a list" if isinstance(data, list) else f"a single value ({_short(data)!r})"
    return FieldError(file, 1, None, None, f"the catalogue is {shape}, not a mapping of keys", _START)


def _short(value: Any) -> str:
    text = str(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _duplicate_keys(root: Node | None) -> Iterator[Duplicate]:
    """Keys written twice in one mapping, by path (a key brought in by ``<<:`` may be
    written again: that is what merging is for)."""
    seen: set[int] = set()

    def walk(node: Node, path: tuple[Any, ...]) -> Iterator[Duplicate]:
        if id(node) in seen:
            return
        seen.add(id(node))
        if isinstance(node, MappingNode):
            first: dict[str, int] = {}
            for key, value in node.value:
                if isinstance(key, ScalarNode) and key.value != "<<":
                    line = key.start_mark.line + 1
                    if key.value in first:
                        yield (*path, key.value), line, first[key.value]
                    first.setdefault(key.value, line)
                    yield from walk(value, (*path, key.value))
        elif isinstance(node, SequenceNode):
            for index, item in enumerate(node.value):
                yield from walk(item, (*path, index))

    if root is not None:
        yield from walk(root, ())


def _duplicate_errors(file: str, duplicates: list[Duplicate], data: Any,
                      lines: dict[tuple[Any, ...], int]) -> list[RecordError]:
    return [FieldError(file, line if line is not None else nearest_line(path, lines),
                        _readable(path, data) if isinstance(data, dict) else str(path[-1]), None,
                        f"the key {path[-1]!r} is written twice in one mapping"
                        + (f" (first at line {first})" if first else ""),
                        "keep one of the two: YAML and JSON would read only the last")
            for path, line, first in duplicates]


def _validation_errors(file: str, exc: ValidationError, data: dict[str, Any],
                       lines: dict[tuple[Any, ...], int]) -> list[RecordError]:
    errors: list[RecordError] = []
    for detail, error in zip(exc.errors(), from_validation(exc, file, None), strict=True):
        loc = tuple(_loc_of(error.column or ""))
        readable = _readable(loc, data)
        message, fix = _explained(detail, loc, error.message, error.fix)
        if loc and loc[-1] == "eqf" and isinstance(detail.get("input"), str) \
                and _NATIONAL.search(detail["input"]):
            message, fix = _national_level(detail["input"])
        if loc and loc[-1] == "credit_system" and isinstance(detail.get("input"), str) \
                and _UK_CREDITS.search(detail["input"]):
            message, fix = _uk_credit_system(detail["input"], _spec_value(data, loc[:-1], "credits"))
        if detail["type"] == "missing":  # the field by its record's key, as the column says
            fix = f"fill in {readable}; it is required"
        line = nearest_line(_yaml_loc(loc, data), lines)
        if "is not a date" in message and isinstance(detail.get("input"), str):  # 30/06/2023, 2023-6-30
            fix = local_date_fix(detail["input"]) or fix
        if detail["type"] == "string_type" and type(detail.get("input")) in (int, float):
            message, fix = _read_as_number(file, line, loc, readable, detail["input"])
        errors.append(FieldError(file, line, readable, error.value, message, fix))
    return errors


def _read_as_number(file: str, line: int | None, loc: tuple[Any, ...], readable: str,
                    number: float) -> tuple[str, str]:
    """A code or key written unquoted that YAML or JSON read as a number, and how to quote it."""
    written = f'"{_number_written(file, line, number)}"'
    return (f"{readable.rsplit('.', 1)[-1]} is read as the number {number}, not as text",
            f"write it in quotes, as {f'{loc[-1]}: ' if isinstance(loc[-1], str) else ''}{written} "
            "(unquoted, a code that looks like a number is one, and 1.10 is 1.1)")


def _number_written(file: str, line: int | None, number: float) -> str:
    """How ``number`` is written on its line (1.10 for 1.1), else as read."""
    try:
        text = Path(file).read_text("utf-8-sig").splitlines()[line - 1] if line else ""
    except (OSError, UnicodeDecodeError, IndexError):
        text = ""
    for found in re.finditer(r"[-+]?[0-9][0-9.]*(?:[eE][-+]?[0-9]+)?", text):
        try:
            if float(found.group()) == number:
                return found.group()
        except ValueError:
            continue
    return str(number)


# a number and a unit in words: 150h, 150 hours, 5 ECTS, 7,5 cr.
_UNIT = re.compile(r"\s*([0-9]+(?:[.,][0-9]+)?)\s*([^\W\d_]+\.?(?:\s+[^\W\d_]+\.?)*)\s*")


def _explained(detail: Any, loc: tuple[Any, ...], message: str, fix: str) -> tuple[str, str]:
    """Say in the catalogue's words what a wrong shape or name is, and its fix."""
    kind, value = detail["type"], detail.get("input")
    if kind == "extra_forbidden" and loc:
        known = _field_names(loc[:-1])
        return (f"{loc[-1]!r} is not a field here",
                f"{suggest(str(loc[-1]), known, 'accepted fields')} (or remove it)")
    if kind in ("list_type", "tuple_type"):
        item = _record_at(loc)
        if item is not None and loc:  # a list of records: each its own item, not one text
            fields = [f"{name}: {{en: ...}}" if _is_text(info.annotation) else f"{name}: ..."
                      for name, info in item.model_fields.items() if info.is_required()]
            each = str(loc[-1]).replace("_", " ").removesuffix("s")
            return (f"a list is expected here, not {_kind_of(value)}",
                    f"write one item per {each}, each on its own line below {loc[-1]}: "
                    f"'- {', '.join(fields)}'")
        example = f"[{value}]" if isinstance(value, str | int) else "[first, second]"
        return f"a list is expected here, not {_kind_of(value)}", f"write a list, e.g. {example}"
    if kind in ("dict_type", "model_type", "model_attributes_type") or \
            (message.startswith("Input should be an object")):
        return f"a mapping of keys is expected here, not {_kind_of(value)}", \
            "write keys and values, e.g. {en: 'text'} for a text, or 'key: value' lines indented below"
    if kind == "literal_error" and loc and isinstance(value, str):
        accepted = _literals(loc)
        if accepted:
            quoted = [repr(text) for text in accepted]
            listed = " or ".join([", ".join(quoted[:-1]), quoted[-1]] if len(quoted) > 1 else quoted)
            return (f"{value!r} is not an accepted {loc[-1]}: {listed}",
                    _literal_fix(str(loc[-1]), value, accepted))
    if kind == "enum" and loc and loc[-1] in _ONE_VALUE:
        return _one_value(str(loc[-1]), value)
    if loc and loc[-1] in ("credits", "hours") and isinstance(value, str):
        written = _UNIT.fullmatch(value)
        if written:
            number, unit = written.groups()
            said = f"{value!r} is not a number: {loc[-1]} hold the number alone"
            if loc[-1] == "credits" and _UK_CREDITS.search(unit):
                return said, f"write {_in_ects(_decimal(number))}, with credit_system: ects"
            if loc[-1] == "credits" and re.match(r"ECVET\b", unit, re.I):
                return said, f"write credits: {number} and credit_system: ecvet (the unit goes in " \
                    "credit_system)"
            return said, f"write {loc[-1]}: {number} (credits count in credit_system, hours in hours)"
    if loc and loc[-1] in _COUNTS and isinstance(value, str):
        written = _UNIT.fullmatch(value)
        if written:
            return (f"{value!r} is not a number: {loc[-1]} holds the number alone",
                    f"write {loc[-1]}: {written.group(1)} (its name says the unit: {_COUNTS[loc[-1]]})")
    return message, fix


def _literals(loc: tuple[Any, ...]) -> list[str]:
    """The texts a field of fixed values (kind, claim) accepts."""
    model = _record_at(loc[:-1])
    field = model.model_fields.get(str(loc[-1])) if model else None

    def texts(annotation: Any) -> list[str]:
        if isinstance(annotation, str):
            return [annotation]
        return [text for arg in typing.get_args(annotation) for text in texts(arg)]

    return texts(field.annotation) if field else []


def _folded(text: str) -> str:
    """``text`` without case, spaces, hyphens or underscores: Micro credential is micro-credential."""
    return re.sub(r"[\W_]+", "", text.casefold())


def _literal_fix(field: str, written: str, accepted: list[str]) -> str:
    """The accepted value ``written`` is another way (or a slip) of writing, else all of them."""
    folded = {_folded(value): value for value in accepted}
    same = difflib.get_close_matches(_folded(written), list(folded), n=1, cutoff=0.85)
    if same:  # micro credential, Microcredentials, qualifcation
        return f"write {field}: {folded[same[0]]}"
    return f"write one of {', '.join(accepted)}"


# a field taking one concept of a vocabulary: its vocabulary, how to write one, its default
_ONE_VALUE: dict[str, tuple[str, str, str | None]] = {
    "eqf": ("eqf", "6 (a level from 1 to 8)", None),
    "credit_system": ("credit-system", "ects (or ecvet)", "ects"),
    "credential_type": ("credential-type", "generic (or qualification-award, learning-activity)", "generic"),
    "learning_setting": ("learning-setting", "formal (or non-formal)", None),
    "mode": ("mode", "online (or presential, blended)", None),
    "supervision": ("supervision", "supervised-with-id (or unsupervised-with-id, "
                                   "unsupervised-without-id)", None),
}


def _one_value(field: str, value: Any) -> tuple[str, str]:
    """A vocabulary field given nothing, a list or a mapping, where it takes one value (the
    model's message would list the vocabulary's IRIs, which nobody writes)."""
    scheme, example, default = _ONE_VALUE[field]
    given = list(value.values()) if isinstance(value, dict) else value if isinstance(value, list) else []
    known = [item for item in given if _in_scheme(scheme, item)]
    if value is None:
        left_out = f", or leave {field} out: {default} is the default" if default else ""
        return (f"{field} is empty (~, null or nothing after the colon)",
                f"write {field}: {example}{left_out}")
    if isinstance(value, list | dict):
        said = f"{field} takes one value, not {'a list' if isinstance(value, list) else 'a mapping'}"
        if len(given) == 1 and known:
            return said, f"write {field}: {known[0]}"
        if known:
            return said, f"keep one of them, e.g. {field}: {known[0]}"
        return said, f"write one value, e.g. {field}: {example}"
    return (f"{value!r} is not a value of the {scheme} list",
            f"write {field}: {example} ('edcbridge vocab {scheme}' lists them)")


def _in_scheme(scheme: str, value: Any) -> bool:
    """``value`` names a concept of ``scheme`` as the catalogue may write it (a number for EQF)."""
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        return False
    try:
        vocab.resolve(scheme, value)
    except vocab.UnknownConcept:
        return False
    return True


_COUNTS = {"max_duration_months": "months", "validity_years": "years", "credit_currency_years": "years"}

# UK credits (CATS, and Scotland's and Wales's, of 10 notional hours): 2 to the ECTS credit,
# and no credit system of the EU's list, which has ECTS and ECVET only
_UK_CREDITS = re.compile(r"\b(?:UK|CATS|SCQF|CQFW)\b|credit accumulation and transfer", re.I)


# the name of a national qualifications framework, whose levels are numbered in its own way
_NATIONAL = re.compile(r"\b(?:FHEQ|RQF|CQFW|QCF|SCQF|NFQ|NQF|DQR|NKR|(?!EQF\b)[A-Z]{1,6}QF)\b", re.I)


def _national_level(written: str) -> tuple[str, str]:
    """An eqf naming a national framework's level ('FHEQ 4', 'SCQF 7'): the EQF level it is
    referenced to (FHEQ level 4 is EQF 5), not its number, is the EQF level."""
    from edcbridge.validation.policy import SCQF_LEVEL_EQF, UK_LEVEL_EQF  # policies are validation data

    match = _NATIONAL.search(written)
    scale = match.group().upper() if match else ""
    found = re.search(r"\b(1[0-2]|[1-9])\b", written)
    number = int(found.group(1)) if found and not re.search(r"\bentry\b", written, re.I) else None
    said = f"{written!r} is a level of a national framework, not an EQF level"
    if number is not None and scale == "SCQF" and number in SCQF_LEVEL_EQF:
        name, eqf, nqf = f"SCQF level {number}", SCQF_LEVEL_EQF[number], f"SCQF Level {number}"
    elif number is not None and scale in ("FHEQ", "RQF", "CQFW", "QCF") and number in UK_LEVEL_EQF:
        name, eqf = f"FHEQ/RQF level {number}", UK_LEVEL_EQF[number]
        nqf = f"{'CQFW' if scale == 'CQFW' else 'RQF'} Level {number}"
    else:
        return said, ("write in eqf the EQF level the framework's level is referenced to (its number is "
                      "often another), and the national level in nqf ('edcbridge vocab nqf' lists them)")
    return said, (f"write eqf: {eqf} ({name} is referenced to EQF {eqf}), and the national level in nqf, "
                  f"e.g. {nqf}")


def _decimal(number: str) -> Decimal:
    return Decimal(number.replace(",", "."))


def _in_ects(uk: Decimal | None) -> str:
    """Credits in UK credits as the ECTS credits they are, for a fix."""
    if uk is None:
        return "credits in ECTS, half the UK credits (20 UK credits are 10 ECTS)"
    ects = format((uk / 2).normalize(), "f")
    written = format(uk.normalize(), "f")
    return f"credits: {ects} ({written} UK credits are {ects} ECTS, 2 UK credits to the ECTS credit)"


def _uk_credit_system(written: str, credits: Any) -> tuple[str, str]:
    """A credit_system naming UK credits: the credits are to be halved into ECTS, not kept as
    they are under the ECTS the suggestion would name."""
    uk = None
    if isinstance(credits, int | float | str) and not isinstance(credits, bool):
        try:
            uk = _decimal(str(credits).strip())
        except ArithmeticError:
            uk = None
    if uk is not None and not (uk.is_finite() and uk > 0):
        uk = None
    return (f"{written!r} is UK credits, which a credential cannot state: the credit systems are ECTS "
            "and ECVET", f"write credit_system: ects and {_in_ects(uk)}")


def _spec_value(data: dict[str, Any], loc: tuple[Any, ...], field: str) -> Any:
    """The value of ``field`` beside ``loc``'s in the catalogue as read (None if there is none)."""
    node: Any = _index_keys(data)
    for part in loc:
        if isinstance(part, int) and isinstance(node, list) and part < len(node):
            node = node[part]
        elif isinstance(part, str) and isinstance(node, dict):
            node = node.get(part)
        else:
            return None
    return node.get(field) if isinstance(node, dict) else None


def _kind_of(value: Any) -> str:
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return "nothing" if value is None else "a single value"


def _field_names(loc: tuple[Any, ...]) -> list[str]:
    """The field names of the record at ``loc`` in the catalogue model."""
    model = _record_at(loc)
    return list(model.model_fields) if model else []


def _record_at(loc: tuple[Any, ...]) -> type[BaseModel] | None:
    """The record type at ``loc`` in the catalogue model (of its items, for a list of records)."""
    model: type[BaseModel] | None = Catalogue
    for part in loc:
        if isinstance(part, int) or model is None:
            continue
        field = model.model_fields.get(part)
        model = _model_in(field.annotation) if field else None
    return model


def _is_text(annotation: Any) -> bool:
    """A language map (a text per language), maybe optional."""
    return annotation == dict[str, str] or any(_is_text(arg) for arg in typing.get_args(annotation))


def _model_in(annotation: Any) -> type[BaseModel] | None:
    """The record type inside ``X | None``, ``tuple[X, ...]`` or ``Annotated[X, ...]``."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in typing.get_args(annotation):
        found = _model_in(arg)
        if found:
            return found
    return None


def same_but_case(catalogue: Catalogue) -> list[Problem]:
    """Keys and codes that differ only in case, Unicode form or spacing (a no-break space, a
    space typed twice): an award file writing either cannot be told apart by the person reading it."""
    problems: list[Problem] = []
    for field, values, what in (
            ("organisations", [o.key for o in catalogue.organisations], "organisation key"),
            ("quality_assurance", [q.key for q in catalogue.quality_assurance], "quality_assurance key"),
            ("specifications", [s.code for s in catalogue.specifications], "specification code")):
        first: dict[str, str] = {}
        for index, value in enumerate(values):
            folded = " ".join(unicodedata.normalize("NFC", value).casefold().split())
            other = first.setdefault(folded, value)
            if other != value:
                problems.append(((field, index), f"{what} {value!r} differs from {other!r} only in case "
                                 "or spacing",
                                 f"give each its own {what.split()[-1]}, or write both the same way"))
    return problems


def unmakeable_types(catalogue: Catalogue) -> list[Problem]:
    """Credential types whose official shapes need what a catalogue entry does not give: a
    Diploma Supplement must carry the credits received, the awarding opportunity and evidence
    (EDC-diplomaSupplement.ttl), so its credentials would claim a profile they fail."""
    return [(("specifications", index, "credential_type"),
             f"{spec.code}: a Diploma Supplement must carry the credits received, the awarding "
             "opportunity and evidence of accreditation (the official EDC-diplomaSupplement shapes "
             "require them), which a catalogue entry does not give",
             "write credential_type: qualification-award for the degree itself")
            for index, spec in enumerate(catalogue.specifications)
            if spec.credential_type is CredentialType.DIPLOMA_SUPPLEMENT]


def claim_problems(catalogue: Catalogue) -> list[Problem]:
    """A credential type that says another claim than ``claim`` does, and an achievement stacked
    with an activity or an activity stacked at all: a qualification's parts and wholes are
    achievements."""
    activities = {spec.code for spec in catalogue.specifications if spec.is_activity}
    problems: list[Problem] = []
    for index, spec in enumerate(catalogue.specifications):
        where: tuple[str | int, ...] = ("specifications", index)
        if spec.is_activity and spec.credential_type is CredentialType.QUALIFICATION_AWARD:
            problems.append(((*where, "credential_type"), f"{spec.code}: a qualification award claims "
                             "an achievement, and the specification says claim: activity",
                             "write credential_type: generic (or learning-activity) for a certificate "
                             "of participation, or claim: achievement for a qualification"))
        if spec.claim == "achievement" and spec.credential_type is CredentialType.LEARNING_ACTIVITY:
            problems.append(((*where, "credential_type"), f"{spec.code}: a learning activity credential "
                             "claims an activity, and the specification claims an achievement",
                             "add claim: activity for a certificate of participation, or write "
                             "credential_type: generic"))
        if spec.credential_type is CredentialType.LEARNING_ENTITLEMENT:
            problems.append(((*where, "credential_type"), f"{spec.code}: a learning entitlement "
                             "credential claims an entitlement (a right to study or to work, such as "
                             "an admission), which a catalogue entry does not describe: its awards "
                             "claim achievements or activities",
                             "write credential_type: generic, or qualification-award for a "
                             "qualification"))
        if spec.claim == "achievement":
            problems += [((*where, field, pos), f"{field} names {code}, an activity (claim: activity): "
                          "a qualification's parts and wholes are achievements",
                          f"remove {code} from {field}")
                         for field in ("part_of", "has_part")
                         for pos, code in enumerate(getattr(spec, field)) if code in activities]
        else:
            problems += _activity_parts(spec, where)
    return problems


def _activity_parts(spec: Specification, where: tuple[str | int, ...]) -> list[Problem]:
    """An activity's ``part_of`` and ``has_part``: its credential would be stacked or listed as
    a part, and a certificate of participation is neither a programme's part nor made of parts."""
    return [((*where, field, pos), f"{spec.code} is an activity (claim: activity) and {field} names "
             f"{code}: a certificate of participation is not a programme's part, nor made of parts",
             f"remove {code} from {field}, or write claim: achievement")
            for field in ("part_of", "has_part") for pos, code in enumerate(getattr(spec, field))]


_LISTED = ("languages", "isced_f", "quality_assurance", "part_of", "has_part")


def listed_twice(catalogue: Catalogue) -> list[Problem]:
    """A value a specification's list gives twice, however written (cy and Welsh are one
    language): every credential would state it twice."""
    problems: list[Problem] = []
    for index, spec in enumerate(catalogue.specifications):
        for field in _LISTED:
            first: dict[str, int] = {}
            for number, value in enumerate(getattr(spec, field)):
                at = first.setdefault(value, number)
                if at != number:
                    problems.append((("specifications", index, field, number),
                                     f"the same as {field}[{at}], however written, listed again",
                                     "remove it: each credential would state it twice"))
    return problems


def part_cycles(catalogue: Catalogue) -> list[Problem]:
    """A specification that is its own part, or parts that contain their wholes (through
    ``part_of`` and ``has_part``): a stack has no bottom, and a credential no end of parts."""
    codes = {spec.code: index for index, spec in enumerate(catalogue.specifications)}
    wholes: dict[str, list[str]] = {code: [] for code in codes}  # part -> the wholes it is in
    problems: list[Problem] = []
    for index, spec in enumerate(catalogue.specifications):
        for field in ("part_of", "has_part"):
            for pos, code in enumerate(getattr(spec, field)):
                if code == spec.code:
                    problems.append((("specifications", index, field, pos),
                                     f"{spec.code!r} lists itself in {field}",
                                     f"remove {spec.code} from its own {field}"))
                elif code in codes:
                    part, whole = (spec.code, code) if field == "part_of" else (code, spec.code)
                    wholes[part].append(whole)
    for cycle in _cycles(wholes):
        start = min(cycle, key=codes.__getitem__)
        ring = cycle[cycle.index(start):] + cycle[:cycle.index(start)] + [start]
        problems.append((("specifications", codes[start]), "parts contain their wholes: "
                         + " is part of ".join(ring), "remove the link that points the wrong way "
                         "(part_of names the whole, has_part the parts)"))
    return problems


def _cycles(edges: dict[str, list[str]]) -> list[list[str]]:
    """Each cycle of a directed graph once (found by depth-first search, without recursion)."""
    state: dict[str, int] = {}  # 1 on the current path, 2 done
    found: list[list[str]] = []
    for root in edges:
        if root in state:
            continue
        path, stack = [root], [iter(edges[root])]
        state[root] = 1
        while stack:
            nxt = next(stack[-1], None)
            if nxt is None:
                state[path.pop()] = 2
                stack.pop()
            elif state.get(nxt) == 1:
                found.append(path[path.index(nxt):])
            elif nxt not in state:
                state[nxt] = 1
                path.append(nxt)
                stack.append(iter(edges[nxt]))
    return found


def _problem_errors(file: str, problems: list[Problem], data: dict[str, Any],
                    lines: dict[tuple[Any, ...], int]) -> list[RecordError]:
    return [FieldError(file, nearest_line(_yaml_loc(loc, data), lines), _readable(loc, data),
                        None, message, fix) for loc, message, fix in problems]


_KEPT_CONTROLS = frozenset("\t\n\r")


def _control_characters(value: Any, loc: tuple[Any, ...] = ()) -> list[Problem]:
    """Texts holding a control character other than a tab or line break, or a noncharacter: nobody
    sees one, and XML cannot carry it (the EDC XML and LOQ of the catalogue could not be written),
    nor JOSE verifiers a sealed payload holding a noncharacter."""
    if isinstance(value, dict):
        return [p for key, item in value.items() for p in _control_characters(item, (*loc, key))]
    if isinstance(value, list):
        return [p for index, item in enumerate(value) for p in _control_characters(item, (*loc, index))]
    if not isinstance(value, str) or value.isprintable():
        return []
    for position, character in enumerate(value, start=1):
        if character not in _KEPT_CONTROLS and unicodedata.category(character) == "Cc":
            kind = "a control character"
        elif noncharacter(character):
            kind = "a noncharacter"
        else:
            continue
        return [(loc, f"the text holds {kind}, U+{ord(character):04X}, at character {position}",
                 "delete it: type the text again rather than paste it (text copied from a web page, "
                 "a PDF or an e-mail brings such characters with it)")]
    return []


def _ambiguous_numbers(data: dict[str, Any]) -> list[Problem]:
    """Credits or hours written like 1.000, which the model would read as one."""
    specifications = data.get("specifications")
    problems: list[Problem] = []
    for index, spec in enumerate(specifications if isinstance(specifications, list) else []):
        for field in ("credits", "hours"):
            value = spec.get(field) if isinstance(spec, dict) else None
            if isinstance(value, str) and _DOT_THOUSANDS.fullmatch(value.strip()):
                text = value.strip()
                problems.append((("specifications", index, field), f"{text!r} is ambiguous: the dot "
                                 "may separate thousands or decimals", "write the number without a "
                                 f"thousands separator: {text.replace('.', '')} or "
                                 f"{_plain(Decimal(text))}"))
    return problems


# Hours per ECTS credit, far outside the 25 to 30 of the ECTS Users' Guide (20 in the UK, where
# an ECTS credit is two UK credits of 10 hours): below, UK credits or contact hours taken for the
# volume of learning; above, the hours of a whole programme or a slipped digit.
HOURS_PER_CREDIT = (Decimal(10), Decimal(60))


_NOTHING = {"credits": "leave credits out when the specification carries no credit, or write its "
                       "credits, e.g. 5",
            "hours": "leave hours out when they are not known, or write all the hours of learning, "
                     "e.g. 125"}


def volume_problems(catalogue: Catalogue, skip: Collection[tuple[Any, ...]] = ()) -> list[Problem]:
    """Credits or hours of 0, which a credential would state, and ECTS credits that cannot be
    the hours of learning given with them (an activity's credits are not stated: the catalogue's
    notes say so); ``skip``: specifications already reported."""
    problems: list[Problem] = []
    for index, spec in enumerate(catalogue.specifications):
        where: tuple[str | int, ...] = ("specifications", index)
        if where in skip:
            continue
        stated = (("credits", spec.credits),) if spec.claim == "achievement" else ()  # see activity_left_out
        for field, value in (*stated, ("hours", spec.hours)):
            if value == 0:
                problems.append(((*where, field), f"{field} is 0, which the credential would state",
                                 _NOTHING[field]))
        if stated and spec.credit_system is CreditSystem.ECTS and spec.credits and spec.hours:
            problems += _hours_per_credit(where, spec.credits, spec.hours)
    return problems


def _hours_per_credit(where: tuple[str | int, ...], credits: Decimal, hours: Decimal) -> list[Problem]:
    low, high = HOURS_PER_CREDIT
    per_credit = hours / credits
    if low <= per_credit <= high:
        return []
    return [((*where, "hours"), f"{_plain(hours)} hours for {_plain(credits)} ECTS credits is "
             f"{float(per_credit):.3g} hours per credit", "an ECTS credit is 25 to 30 hours of learning "
             f"(20 in the UK), so {_plain(credits)} credits take about {_plain(credits * 20)} to "
             f"{_plain(credits * 30)} hours: correct credits or hours (all the hours of learning, not "
             "just contact hours)")]


def _plain(number: Decimal) -> str:
    return f"{number.normalize():f}"


_YAML_FIXES = (
    ("'\\t'", "indent with spaces: YAML does not allow tabs there"),
    ("could not determine a constructor", "remove the tag (!name or !!type): write a plain value"),
    ("unhashable key", "write each key as a plain word, such as title"),
    ("another document", "keep one document: remove the '---' line and what follows it"),
    ("mapping for merging", "'<<:' takes a mapping, or the alias (*name) of one"),
    ("undefined alias", "define the anchor (&name) before its alias (*name), or quote a text "
                        "that starts with '*'"),
    ("expected <block end>", "indent the line as its neighbours: the keys of one mapping, and the "
                             "'-' of one list, start in the same column"),
)
_INDENT_OR_COLON = ("indent the line as its neighbours (the keys of one mapping start in the same "
                    "column), and quote a text containing ': '")


def _yaml_error(file: str, exc: YAMLError, text: str = "") -> RecordError:
    """Name the line (and column) where the broken construct starts as well as where parsing
    failed, with the fix for the usual slip there."""
    problem = getattr(exc, "problem", None) or str(exc).split("\n")[0]
    mark = getattr(exc, "problem_mark", None)
    context = getattr(exc, "context", None)
    context_mark = getattr(exc, "context_mark", None)
    row = mark.line + 1 if mark is not None else None
    message = f"YAML syntax: {problem}"
    if mark is not None:
        message += f" (column {mark.column + 1})"
    if context and context_mark is not None:
        message += f" ({context} that starts at line {context_mark.line + 1})"
        row = context_mark.line + 1
    return FieldError(file, row, None, None, message, _yaml_fix(problem, text, row))


def _yaml_fix(problem: str, text: str, row: int | None) -> str:
    for clue, fix in _YAML_FIXES:
        if clue in problem:
            return fix
    line = text.splitlines()[row - 1] if row and row <= len(text.splitlines()) else ""
    glued = re.search(r"^\s*-?\s*([\w-]+):(?=[^\s/:])(\S*)", line)
    if glued:
        return f"put a space after the colon: {glued.group(1)}: {glued.group(2)}"
    if "mapping values are not allowed" in problem or "expected ':'" in problem:
        return _INDENT_OR_COLON
    return "check quotes and brackets from that line on; quote texts containing ': ' or ','"


def _keys_inside_keyed_maps(data: dict[str, Any]) -> list[Problem]:
    """A ``key`` field in a mapping keyed by key: which of the two is meant cannot be told."""
    problems: list[Problem] = []
    for field in ("organisations", "quality_assurance"):
        value = data.get(field)
        for key, record in value.items() if isinstance(value, dict) else ():
            if isinstance(record, dict) and "key" in record:
                problems.append(((field, key, "key"), f"{field} is a mapping keyed by key, and {key!r} "
                                 f"has a key field too ({record['key']!r})",
                                 f"remove the key field: the mapping's key ({key}) is the key"))
    return problems


def _index_keys(data: dict[str, Any]) -> dict[str, Any]:
    """Accept organisations / quality_assurance as mappings keyed by their key."""
    out = dict(data)
    for field in ("organisations", "quality_assurance"):
        value = out.get(field)
        if isinstance(value, dict):
            out[field] = [{"key": k, **(v if isinstance(v, dict) else {})} for k, v in value.items()]
    return out


def _loc_of(column: str) -> list[Any]:
    return [int(p) if p.isdigit() else p for p in column.split(".")] if column else []


def _yaml_loc(loc: tuple[Any, ...], data: dict[str, Any]) -> tuple[Any, ...]:
    if len(loc) >= 2 and loc[0] in ("organisations", "quality_assurance") and \
            isinstance(data.get(loc[0]), dict) and isinstance(loc[1], int):
        keys = list(data[loc[0]])
        if loc[1] < len(keys):
            return (loc[0], keys[loc[1]], *loc[2:])
    return loc


def _readable(loc: tuple[Any, ...], data: dict[str, Any]) -> str:
    """``specifications[IMP-DS01].eqf`` rather than ``specifications.3.eqf``."""
    parts: list[str] = []
    node: Any = _index_keys(data)
    for part in loc:
        if isinstance(part, int) and isinstance(node, list) and part < len(node):
            item = node[part]
            label = item.get("code") or item.get("key") if isinstance(item, dict) else None
            parts[-1] += f"[{label}]" if label else f"[{part}]"
            node = item
        else:
            parts.append(str(part))
            node = node.get(part) if isinstance(node, dict) else None
    return ".".join(parts)
