"""The catalogue: organisations, quality assurance and credential specifications (YAML/JSON)."""

from __future__ import annotations

import json
import re
from collections.abc import Collection
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from edcbridge.load.errors import InputFileError, RecordError, from_validation
from edcbridge.model import Catalogue, parse
from edcbridge.model.records import Problem, reference_problems
from edcbridge.vocab import CreditSystem


class CatalogueError(ValueError):
    """The catalogue has errors; all of them are in ``errors``."""

    def __init__(self, errors: list[RecordError]) -> None:
        self.errors = errors
        super().__init__("\n".join(e.render() for e in errors))


class _CatalogueLoader(yaml.SafeLoader):
    """SafeLoader that leaves as text what YAML 1.1 would crash on or silently misread.

    An impossible date (2023-06-31) stays text, so the model reports it at its line instead
    of PyYAML raising; 1:30 (sexagesimal), 010 (octal), 0x1A, .inf and NO (Norway) do not
    become 90, 8, 26, infinity and False; 1.000 stays text, to be refused as ambiguous where a
    number is wanted (a thousand with a dot as thousands separator, or one). A key written twice
    in one mapping is noted in ``duplicates`` (YAML would keep the last value and drop the first
    silently).
    """

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.duplicates: list[tuple[str, int, int]] = []  # (key, its line, the first one's line)

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        first: dict[str, int] = {}
        for key, _ in node.value:
            if not isinstance(key, yaml.ScalarNode) or key.value == "<<":
                continue
            line = key.start_mark.line + 1
            if key.value in first:
                self.duplicates.append((key.value, line, first[key.value]))
            first.setdefault(key.value, line)
        return super().construct_mapping(node, deep)


_PLAIN_NUMBER = re.compile(r"[-+]?(0|[1-9][0-9]*)(\.[0-9]*)?([eE][-+]?[0-9]+)?")
# 1.000 or 12.500: a thousands separator in much of Europe, a decimal point in English
_DOT_THOUSANDS = re.compile(r"[-+]?[1-9][0-9]{0,2}(\.[0-9]{3})+")


def _timestamp(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> Any:
    try:
        return loader.construct_yaml_timestamp(node)
    except ValueError:
        return loader.construct_scalar(node)


def _int(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> Any:
    text = loader.construct_scalar(node)
    return loader.construct_yaml_int(node) if _PLAIN_NUMBER.fullmatch(text) else text


def _float(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> Any:
    text = loader.construct_scalar(node)
    plain = _PLAIN_NUMBER.fullmatch(text) and not _DOT_THOUSANDS.fullmatch(text)
    return loader.construct_yaml_float(node) if plain else text


def _json_float(text: str) -> Any:
    """A JSON number with a fraction; 1.000 stays text (see _CatalogueLoader)."""
    return text if _DOT_THOUSANDS.fullmatch(text) else float(text)


def _bool(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> Any:
    text = loader.construct_scalar(node)
    return loader.construct_yaml_bool(node) if text.lower() in ("true", "false") else text


for _tag, _constructor in (("timestamp", _timestamp), ("int", _int), ("float", _float),
                           ("bool", _bool)):
    _CatalogueLoader.add_constructor(f"tag:yaml.org,2002:{_tag}", _constructor)


class DuplicateKeys(ValueError):
    """Keys written twice in one mapping: (key, its line, the first one's line)."""

    def __init__(self, duplicates: list[tuple[str, int | None, int | None]]) -> None:
        self.duplicates = duplicates
        super().__init__(", ".join(key for key, _, _ in duplicates))


def load_with_lines(text: str, loader: type[yaml.SafeLoader]) -> tuple[Any, dict[tuple[Any, ...], int]]:
    """YAML parsed once: the data, and the line of each value (and key) by its path."""
    parser = loader(text)
    try:
        node = parser.get_single_node()
        data = parser.construct_document(node) if node is not None else None
    finally:
        parser.dispose()
    duplicates = getattr(parser, "duplicates", None)
    if duplicates:
        raise DuplicateKeys(duplicates)
    return data, _node_lines(node)


def _json_object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object; a key written twice is refused, not read as its last value."""
    keys = [key for key, _ in pairs]
    twice = [key for index, key in enumerate(keys) if key in keys[:index]]
    if twice:
        raise DuplicateKeys([(key, None, None) for key in twice])
    return dict(pairs)


def _duplicate_errors(file: str, exc: DuplicateKeys) -> list[RecordError]:
    return [RecordError(file, line, key, None, f"the key {key!r} is written twice in one mapping"
                        + (f" (first at line {first})" if first else ""),
                        "keep one of the two: only the last would be read")
            for key, line, first in exc.duplicates]


def _node_lines(root: yaml.Node | None) -> dict[tuple[Any, ...], int]:
    """The line of each value (and key) of a composed YAML document, by its path."""
    lines: dict[tuple[Any, ...], int] = {}

    def walk(node: yaml.Node, path: tuple[Any, ...]) -> None:
        lines[path] = node.start_mark.line + 1
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                walk(value, (*path, key.value))
                lines[(*path, key.value)] = key.start_mark.line + 1
        elif isinstance(node, yaml.SequenceNode):
            for index, item in enumerate(node.value):
                walk(item, (*path, index))

    if root is not None:
        walk(root, ())
    return lines


def nearest_line(loc: tuple[Any, ...], lines: dict[tuple[Any, ...], int]) -> int | None:
    """The line of ``loc``, or of the nearest value that holds it."""
    for end in range(len(loc), -1, -1):
        if loc[:end] in lines:
            return lines[loc[:end]]
    return None


def load_catalogue(path: Path) -> Catalogue:
    """Read and validate a catalogue; raises :class:`CatalogueError` listing every problem."""
    file = str(path)
    if not path.is_file():
        raise InputFileError(file, "catalogue not found", "check the --catalogue path")
    try:
        text = path.read_text("utf-8-sig")
    except UnicodeDecodeError:
        raise InputFileError(file, "not UTF-8", "save the catalogue as UTF-8") from None
    try:
        if path.suffix.lower() == ".json":
            data = json.loads(text, object_pairs_hook=_json_object, parse_float=_json_float)
            lines: dict[tuple[Any, ...], int] = {}
        else:
            data, lines = load_with_lines(text, _CatalogueLoader)
    except json.JSONDecodeError as exc:
        raise CatalogueError([RecordError(file, exc.lineno, None, None, f"not JSON: {exc.msg}",
                                          "fix the syntax at that line")]) from None
    except yaml.YAMLError as exc:
        raise CatalogueError([_yaml_error(file, exc)]) from None
    except DuplicateKeys as exc:
        raise CatalogueError(_duplicate_errors(file, exc)) from None
    if not isinstance(data, dict):
        raise CatalogueError([RecordError(file, 1, None, None, "the catalogue must be a mapping",
                                          "start with keys such as primary_language, issuer")])
    inside = _keys_inside_keyed_maps(data)
    if inside:
        raise CatalogueError(_problem_errors(file, inside, data, lines))
    ambiguous = _ambiguous_numbers(data)
    try:
        catalogue = parse(Catalogue, _index_keys(data), context={"defer_references": True})
    except ValidationError as exc:
        errors = []
        for error in from_validation(exc, file, None):
            loc = tuple(_loc_of(error.column or ""))
            errors.append(RecordError(file, nearest_line(_yaml_loc(loc, data), lines),
                                      _readable(loc, data), error.value, error.message, error.fix))
        raise CatalogueError(errors + _problem_errors(file, ambiguous, data, lines)) from None
    read_twice = {loc[:2] for loc, _, _ in ambiguous}
    problems = ambiguous + reference_problems(catalogue) + volume_problems(catalogue, read_twice)
    if problems:
        raise CatalogueError(_problem_errors(file, problems, data, lines))
    return catalogue


def _problem_errors(file: str, problems: list[Problem], data: dict[str, Any],
                    lines: dict[tuple[Any, ...], int]) -> list[RecordError]:
    return [RecordError(file, nearest_line(_yaml_loc(loc, data), lines), _readable(loc, data),
                        None, message, fix) for loc, message, fix in problems]


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
    the hours of learning given with them; ``skip``: specifications already reported."""
    problems: list[Problem] = []
    for index, spec in enumerate(catalogue.specifications):
        where: tuple[str | int, ...] = ("specifications", index)
        if where in skip:
            continue
        for field, value in (("credits", spec.credits), ("hours", spec.hours)):
            if value == 0:
                problems.append(((*where, field), f"{field} is 0, which the credential would state",
                                 _NOTHING[field]))
        if spec.credit_system is CreditSystem.ECTS and spec.credits and spec.hours:
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


def _yaml_error(file: str, exc: yaml.YAMLError) -> RecordError:
    """Name the line where the broken construct starts as well as where parsing failed."""
    problem = getattr(exc, "problem", None) or str(exc).split("\n")[0]
    mark = getattr(exc, "problem_mark", None)
    context = getattr(exc, "context", None)
    context_mark = getattr(exc, "context_mark", None)
    row = mark.line + 1 if mark is not None else None
    message = f"YAML syntax: {problem}"
    if context and context_mark is not None:
        message += f" ({context} that starts at line {context_mark.line + 1})"
        row = context_mark.line + 1
    return RecordError(file, row, None, None, message,
                       "check quotes and brackets from that line on; quote texts containing ': ' or ','")


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
