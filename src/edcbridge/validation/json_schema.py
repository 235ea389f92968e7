"""JSON Schema validators, offline (the one module that imports jsonschema and referencing)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any, Literal

from jsonschema import Draft201909Validator, Draft202012Validator, FormatChecker
from jsonschema.exceptions import ValidationError
from jsonschema.protocols import Validator
from referencing import Registry, Resource

__all__ = ["Draft", "ValidationError", "Validator", "validator"]

Draft = Literal["2019-09", "2020-12"]
_DRAFTS: dict[Draft, Any] = {"2019-09": Draft201909Validator, "2020-12": Draft202012Validator}


# The formats the official EBSI and 1EdTech schemas use. jsonschema checks date-time, uri and
# duration only when optional packages are there (its format-nongpl extra); without them it
# passes any string silently, so a validator without them must not be made.
NEEDED_FORMATS = frozenset({"date-time", "uri", "duration", "email"})


class FormatsNotCheckedError(RuntimeError):
    """jsonschema lacks the packages that check formats the official schemas use."""


# "email" is an RFC 5321 Mailbox (JSON Schema validation 7.3.2): ASCII, a dot-string or
# quoted local part, a host name or an address literal. jsonschema only looks for an "@".
_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_QUOTED = r'"(?:[ !#-\[\]-~]|\\[ -~])*"'
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
_MAILBOX = re.compile(rf"(?:{_ATOM}(?:\.{_ATOM})*|{_QUOTED})@(?:{_LABEL}(?:\.{_LABEL})*|\[[!-Z^-~]+\])")


def is_email(instance: object) -> bool:
    return not isinstance(instance, str) or _MAILBOX.fullmatch(instance) is not None


def validator(schema: dict[str, Any], draft: Draft,
              resources: Iterable[tuple[str, dict[str, Any]]] = ()) -> Validator:
    """A validator with formats checked; ``$ref`` resolves only to the given resources."""
    checker = FormatChecker()
    missing = NEEDED_FORMATS - set(checker.checkers)
    if missing:
        raise FormatsNotCheckedError(
            f"jsonschema cannot check the formats {', '.join(sorted(missing))} here, which the "
            "official schemas use; install 'jsonschema[format-nongpl]' (edcbridge depends on it)")
    checker.checks("email")(is_email)
    registry: Registry = Registry().with_resources(
        [(uri, Resource.from_contents(contents)) for uri, contents in resources])
    result: Validator = _DRAFTS[draft](schema, registry=registry, format_checker=checker)
    return result
