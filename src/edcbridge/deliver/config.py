"""Inputs of a push: the DEQAR batch file and credentials (environment or a file, never argv)."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from pydantic import ValidationError

from edcbridge.deliver.deqar_model import Batch
from edcbridge.deliver.errors import DeliveryConfigError
from edcbridge.deliver.http import MASKER

USERNAME_ENV = "EDCBRIDGE_DEQAR_USERNAME"
PASSWORD_ENV = "EDCBRIDGE_DEQAR_PASSWORD"


def load_batch(path: Path) -> Batch:
    """Read a DEQAR batch file (YAML or JSON); every problem is listed with its place."""
    try:
        data = yaml.safe_load(path.read_text("utf-8-sig"))
    except OSError as exc:
        raise DeliveryConfigError(f"{path}: cannot read the batch file: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        raise DeliveryConfigError(f"{path}: not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise DeliveryConfigError(f"{path}: the batch must be a mapping with agency, activities, reports")
    try:
        return Batch.model_validate_json(json.dumps(data, default=str, ensure_ascii=False))
    except ValidationError as exc:
        lines = []
        for error in exc.errors():
            where = ".".join(str(part) for part in error["loc"] if not str(part).startswith("function-"))
            lines.append(f"  {where or '(top)'}: {error['msg'].removeprefix('Value error, ')}")
        raise DeliveryConfigError(
            f"{path}: the batch file has {len(lines)} problem(s):\n" + "\n".join(lines)
        ) from None


@dataclass(frozen=True)
class Credentials:
    username: str
    password: str = field(repr=False)


def _read_file(path: Path) -> dict[str, str]:
    try:
        text = path.read_text("utf-8")
    except OSError as exc:
        raise DeliveryConfigError(f"{path}: cannot read the credentials file: {exc.strerror}") from None
    if path.suffix.lower() in (".json", ".yaml", ".yml"):
        data = json.loads(text) if path.suffix.lower() == ".json" else yaml.safe_load(text)
        if not isinstance(data, dict):
            raise DeliveryConfigError(f"{path}: expected a mapping with username and password")
        return {str(k): str(v) for k, v in data.items()}
    values = {}
    for line in text.splitlines():
        if "=" in line and not line.lstrip().startswith("#"):
            key, _, value = line.partition("=")
            values[key.strip()] = value.strip().strip("'\"")
    return values


def deqar_credentials(file: Path | None, environ: Mapping[str, str] = os.environ) -> Credentials:
    """From ``file`` (YAML/JSON ``username``/``password``, or ``KEY=VALUE`` lines), else the
    environment (``EDCBRIDGE_DEQAR_USERNAME`` / ``EDCBRIDGE_DEQAR_PASSWORD``)."""
    values = dict(environ) if file is None else _read_file(file)
    username = values.get("username") or values.get(USERNAME_ENV)
    password = values.get("password") or values.get(PASSWORD_ENV)
    if not username or not password:
        where = f"in {file}" if file else f"in the environment ({USERNAME_ENV}, {PASSWORD_ENV})"
        raise DeliveryConfigError(
            f"no DEQAR username and password {where}; set them there "
            "(the agency account's user name is its acronym in lower case)"
        )
    MASKER.add(password)
    return Credentials(username, password)
