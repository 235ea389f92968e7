"""Inputs of ``push deqar``: the batch file, its reports as checked items, and the login
(a credentials file or the environment, never the command line).

Every problem names its place (``batch.yaml:12: field 'reports[1].valid_from'``, or a report
and a path of its JSON such as ``programmes[0].workload_ects``), the value, the cause and the fix;
all problems are listed at once.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, get_args

from pydantic import BaseModel, ValidationError

from edcbridge.deliver.deqar_delete import deletion
from edcbridge.deliver.deqar_map import report_problems
from edcbridge.deliver.deqar_model import Batch, reference_problems
from edcbridge.deliver.errors import DeliveryConfigError
from edcbridge.deliver.http import MASKER
from edcbridge.deliver.push import Item
from edcbridge.deliver.state import digest
from edcbridge.load.errors import FieldError, RecordError, fix_for
from edcbridge.model.records import Catalogue
from edcbridge.yaml_reading import BoundedLoader, YAMLError, load_as_text, load_with_lines, nearest_line

USERNAME_ENV = "EDCBRIDGE_DEQAR_USERNAME"
PASSWORD_ENV = "EDCBRIDGE_DEQAR_PASSWORD"
Loc = tuple[Any, ...]


MAX_VALUES = 1_000_000
"""Most values a batch file may expand to through its aliases (the bound of a catalogue)."""


class _BatchLoader(BoundedLoader):
    """Dates stay text, so the model (not the YAML parser) judges ``2025-13-01``, with its place."""


_BatchLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in BoundedLoader.yaml_implicit_resolvers.items()
}


def _path(loc: Loc) -> str:
    """``reports[1].programmes[0].workload_ects``, the index style of every edcbridge message."""
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _model_at(loc: Loc) -> type[BaseModel] | None:
    """The batch model that holds the last field of ``loc`` (to list its fields)."""
    model: Any = Batch
    for part in loc[:-1]:
        if not (isinstance(model, type) and issubclass(model, BaseModel)):
            return None
        if isinstance(part, str) and part in model.model_fields:
            pending = [model.model_fields[part].annotation]
            model = None
            while pending:
                kind = pending.pop()
                if isinstance(kind, type) and issubclass(kind, BaseModel):
                    model = kind
                    break
                pending.extend(get_args(kind))
    return model if isinstance(model, type) and issubclass(model, BaseModel) else None


_UNION_BRANCH = re.compile(r"^(str|constrained-str|function-\w+\[.*)$")


def _problem(error: Any, lines: dict[Loc, int], file: str) -> RecordError | None:
    """One pydantic error in the batch's words; ``None`` for the branch of a union that does not apply."""
    raw = tuple(error["loc"])
    loc = tuple(p for p in raw if not (isinstance(p, str) and _UNION_BRANCH.match(p)))
    value, kind = error.get("input"), error["type"]
    branch = [p for p in raw if isinstance(p, str) and _UNION_BRANCH.match(p)]
    if branch and branch[0].endswith("str") and isinstance(value, dict):
        return None  # an organisation given as an object: its own errors say what is wrong
    if branch and branch[0].startswith("function-") and kind == "model_type":
        return None  # an organisation given as a scalar: the str branch speaks
    where = _path(loc)
    field = str(loc[-1]) if loc else ""
    message = str(error["msg"]).removeprefix("Value error, ")
    fix = fix_for(dict(error), where)
    if kind == "missing":
        message, value = f"{field} is required but missing", None
        fix = f"add {field}"
    elif kind == "extra_forbidden":
        model = _model_at(loc)
        allowed = f": the fields here are {', '.join(model.model_fields)}" if model else ""
        message, fix = (
            f"{field} is not a field of the batch format",
            f"remove it or correct its name{allowed}",
        )
    elif kind == "string_type" and branch:
        message = "expected an organisation key (text) or an object"
        fix = "write a catalogue key, or {deqar_id: ...} / {eter_id: ...}"
    elif kind == "string_type":
        message, fix = "expected text", f'write it in quotes: "{value}"'
    elif kind in ("tuple_type", "list_type"):
        message, fix = "expected a list", f"write it as a list: [{value}]"
    elif message.startswith("Incorrect type. Expected a string"):
        fix = f'write it in quotes: "{value}"'
    elif kind == "literal_error":
        message, fix = "not an accepted value", f"use one of {error.get('ctx', {}).get('expected', '')}"
    elif kind == "too_short":
        fix = f"give at least one {field} entry"
    elif kind in ("model_type", "dict_type"):
        message, fix = "expected a mapping of fields", "write it as key: value pairs"
    elif "; " in message:  # our validators say "problem; remedy"
        message, fix = message.split("; ", 1)
    if isinstance(value, dict):
        value = None
    shown = value if value is None or isinstance(value, str) else json.dumps(value, default=str)
    return FieldError(file, nearest_line(loc, lines), where, shown, message, fix)


def _read_text(path: Path, what: str, fix: str) -> str:
    try:
        return path.read_text("utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc)
        raise DeliveryConfigError(f"{path}: cannot read {what} ({reason}); {fix}") from None


def load_batch(path: Path) -> Batch:
    """Read a DEQAR batch file (YAML or JSON); all its problems are listed, each with its line."""
    text = _read_text(path, "the batch file", "check the path, and save it as UTF-8")
    try:
        data, lines = load_with_lines(text, _BatchLoader, max_values=MAX_VALUES)
    except YAMLError as exc:
        raise DeliveryConfigError(f"{path}: not valid YAML: {exc}; fix the syntax there") from None
    if not isinstance(data, dict):
        raise DeliveryConfigError(
            f"{path}: the batch is not a mapping; start it with agency, activities and reports"
        )
    try:
        return Batch.model_validate_json(json.dumps(data, default=str, ensure_ascii=False))
    except ValidationError as exc:
        errors = [_problem(e, lines, str(path)) for e in exc.errors() if e["loc"]]
        references = reference_problems(data)
        if not references:  # the batch's own check; when the raw data show problems, those say it
            references = [
                ("", str(e["msg"]).removeprefix("Value error, ")) for e in exc.errors() if not e["loc"]
            ]
        for where, message in references:
            loc = tuple(int(p) if p.isdigit() else p for p in re.findall(r"[^.\[\]]+", where))
            cause, _, fix = message.partition("; ")
            errors.append(FieldError(str(path), nearest_line(loc, lines), where or None, None, cause, fix))
        found = [e for e in errors if e is not None]
        found.sort(key=lambda e: e.row or 0)
        raise DeliveryConfigError(
            f"{path}: the batch file has {len(found)} problem(s):\n" + "\n".join(e.render() for e in found)
        ) from None


def batch_items(batch: Batch, catalogue: Catalogue | None, base_dir: Path) -> list[Item]:
    """The batch's reports as payloads, each with all its problems (mapping and the register's rules)."""
    items = []
    for report in batch.reports:
        payload, problems = report_problems(report, batch, catalogue, base_dir)
        items.append(Item(report.local_identifier, payload, digest(payload), tuple(problems)))
    for local_identifier in batch.delete_reports:
        content, content_digest = deletion(local_identifier)
        items.append(Item(local_identifier, content, content_digest))
    return items


# ------------------------------------------------------------------------------- credentials


@dataclass(frozen=True)
class Credentials:
    username: str
    password: str = field(repr=False)


CREDENTIAL_FORMATS = (
    f"KEY=VALUE lines (username=... and password=..., or {USERNAME_ENV}=... and {PASSWORD_ENV}=...), "
    "YAML (username: ... and password: ...) or a JSON object with username and password"
)
_KEY_VALUE = re.compile(r"^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=(.*)$")


def _credential_values(path: Path) -> dict[str, str]:
    text = _read_text(path, "the credentials file", "check the path")
    lines = [line for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    if lines and all(_KEY_VALUE.match(line) for line in lines):
        pairs = (_KEY_VALUE.match(line).groups() for line in lines)  # type: ignore[union-attr]
        return {key: value.strip().strip("'\"") for key, value in pairs}
    try:
        data = load_as_text(text)  # every value as text; JSON is YAML too
    except YAMLError as exc:  # its message would quote the file: a password, maybe
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise DeliveryConfigError(
            f"{path}: neither KEY=VALUE lines nor valid YAML or JSON{where}; write the "
            f"credentials as {CREDENTIAL_FORMATS}") from None
    if not isinstance(data, dict):
        return {}
    return {str(k): str(v) for k, v in data.items() if v is not None}


def deqar_credentials(file: Path | None, environ: Mapping[str, str] = os.environ) -> Credentials:
    """From ``file`` (see :data:`CREDENTIAL_FORMATS`), else the environment."""
    if file is None:
        username, password = environ.get(USERNAME_ENV), environ.get(PASSWORD_ENV)
        where, accepted = (
            f"in the environment ({USERNAME_ENV}, {PASSWORD_ENV})",
            f"set {USERNAME_ENV} and {PASSWORD_ENV}",
        )
    else:
        values = {key.lower(): value for key, value in _credential_values(file).items()}
        username = values.get("username") or values.get(USERNAME_ENV.lower())
        password = values.get("password") or values.get(PASSWORD_ENV.lower())
        keys = ", ".join(sorted(values)) or "none"
        where, accepted = f"in {file} (keys found: {keys})", f"write them as {CREDENTIAL_FORMATS}"
    if not username or not password:
        missing = " and ".join(n for n, v in (("username", username), ("password", password)) if not v)
        raise DeliveryConfigError(
            f"no DEQAR {missing} {where}; {accepted} "
            "(the agency account's user name is its acronym in lower case)"
        )
    MASKER.add(password)
    return Credentials(username, password)
