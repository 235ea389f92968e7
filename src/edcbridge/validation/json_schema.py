"""JSON Schema validators, offline (the one module that imports jsonschema and referencing)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Any, Literal

from jsonschema import Draft201909Validator, Draft202012Validator, FormatChecker
from jsonschema.exceptions import ValidationError
from jsonschema.protocols import Validator
from jsonschema.validators import extend
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT201909, DRAFT202012

__all__ = ["Draft", "ValidationError", "Validator", "validator"]

Draft = Literal["2019-09", "2020-12"]
_DRAFTS: dict[Draft, Any] = {"2019-09": Draft201909Validator, "2020-12": Draft202012Validator}
_SPECIFICATIONS = {"2019-09": DRAFT201909, "2020-12": DRAFT202012}


# The formats the official EBSI and 1EdTech schemas use. jsonschema checks date-time, uri and
# duration only when optional packages are there (rfc3339-validator, rfc3986-validator,
# isoduration: edcbridge depends on them); without them it passes any string silently, so a
# validator without them must not be made.
NEEDED_FORMATS = frozenset({"date-time", "uri", "duration", "email"})


class FormatsNotCheckedError(RuntimeError):
    """jsonschema lacks the packages that check formats the official schemas use."""


# "email" is an RFC 5321 Mailbox (JSON Schema validation 7.3.2): ASCII, a dot-string or
# quoted local part, a host name or an address literal. jsonschema only looks for an "@".
_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_QUOTED = r'"(?:[ !#-\[\]-~]|\\[ -~])*"'
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
_MAILBOX = re.compile(rf"(?:{_ATOM}(?:\.{_ATOM})*|{_QUOTED})@(?:{_LABEL}(?:\.{_LABEL})*|\[[!-Z^-~]+\])")

# Keywords whose result depends on the path taken to a subschema, not on the subschema alone
# Keywords whose result depends on the path taken to a subschema, and those that make a path
# matter to a $dynamicRef elsewhere (the drafts' own meta-schemas use them)
_DYNAMIC_KEYWORDS = frozenset({"$dynamicRef", "$recursiveRef", "$dynamicAnchor", "$recursiveAnchor"})
_META_SCHEMA_HOSTS = ("https://json-schema.org/", "http://json-schema.org/")
MEMO_SIZE = 32768  # (subschema, node) pairs: a few hundred per catalogue entry


def is_email(instance: object) -> bool:
    return not isinstance(instance, str) or _MAILBOX.fullmatch(instance) is not None


def validator(schema: dict[str, Any], draft: Draft,
              resources: Iterable[tuple[str, dict[str, Any]]] = (),
              immutable: tuple[type, ...] = (), *, plain: bool = False) -> Validator:
    """A validator with formats checked; ``$ref`` resolves only to the given resources.

    Where each ``$ref`` leads is looked up once; with ``immutable`` types, a node of one of them
    found valid at a ``$ref`` is not checked there again (see :class:`ValidRefs`): callers pass
    types whose instances cannot change. ``plain`` gives jsonschema's own validator (the
    reference the tests hold these to). The errors are jsonschema's own, for schemas whose
    references all resolve (a reference to nowhere in an alternative of an ``anyOf`` that another
    alternative fits is not followed), but for the ``schema`` they carry: without the ``$schema``
    of a resource's root (see :func:`_own_draft_unnamed`).
    """
    checker = FormatChecker()
    missing = NEEDED_FORMATS - set(checker.checkers)
    if missing:
        raise FormatsNotCheckedError(
            f"jsonschema cannot check the formats {', '.join(sorted(missing))} here, which the "
            "official schemas use; install rfc3339-validator, rfc3986-validator and isoduration "
            "(edcbridge depends on them)")
    checker.checks("email")(is_email)
    resources = list(resources)
    cls = _DRAFTS[draft]
    if not plain and not any(_path_matters(s) for s in [schema, *(c for _, c in resources)]):
        dialect = cls.META_SCHEMA["$id"]
        cls = extend(cls, {"$ref": ValidRefs(cls.VALIDATORS["$ref"], immutable, MEMO_SIZE).check,
                           "anyOf": _first_fit(cls.VALIDATORS["anyOf"], one=False),
                           "oneOf": _first_fit(cls.VALIDATORS["oneOf"], one=True)})
        schema = _own_draft_unnamed(schema, dialect)
        resources = [(uri, _own_draft_unnamed(contents, dialect)) for uri, contents in resources]
    registry: Registry = Registry().with_resources(
        [(uri, Resource.from_contents(contents, default_specification=_SPECIFICATIONS[draft]))
         for uri, contents in resources])
    result: Validator = cls(schema, registry=registry, format_checker=checker)
    return result


def _first_fit(plain: Any, *, one: bool) -> Any:
    """``anyOf`` (or ``oneOf`` with ``one``) deciding a node that fits from the first error of
    each alternative that does not, rather than from all of them: jsonschema collects every
    error of every alternative tried, which it needs only when the node does not fit. Then,
    and only then, the keyword is jsonschema's own, with its errors as it gives them."""
    def check(validator: Any, alternatives: list[Any], instance: Any,
              schema: Any) -> Iterator[ValidationError]:
        fits = 0
        for index, alternative in enumerate(alternatives):
            if next(iter(validator.descend(instance, alternative, schema_path=index)), None) is None:
                fits += 1
                if not one or fits > 1:
                    break
        if fits == 1 or (fits and not one):
            return
        yield from plain(validator, alternatives, instance, schema)

    return check


def _own_draft_unnamed(schema: dict[str, Any], dialect: str) -> dict[str, Any]:
    """``schema`` without a ``$schema`` that names the validator's own draft. jsonschema checks
    a (sub)schema that names its draft with that draft's own validator class, so a class
    extended here (see :class:`ValidRefs`) would not be used inside a referenced schema; the
    draft, and so every check, is the same."""
    named = schema.get("$schema")
    if isinstance(named, str) and named.rstrip("#") == dialect.rstrip("#"):
        return {key: value for key, value in schema.items() if key != "$schema"}
    return schema


class ValidRefs:
    """The ``$ref`` keyword, remembering which nodes it found valid where.

    Shared nodes (in credentials, the issuer or the qualification) are the same objects in every
    credential, and each is checked at several ``$ref`` of the schema, again inside each
    ``anyOf`` alternative tried. A (``$ref`` subschema, node) pair found valid stays valid:
    the subschema fixes where the reference resolves (no ``$dynamicRef``), the validator its
    format checks, and the node cannot change. Only valid pairs are kept, so every error is
    still found and reported as before. An entry holds the node and the subschema, so their
    ids cannot be reused by other objects while it is kept. Where each reference leads is
    looked up once (see :meth:`_descend`).
    """

    def __init__(self, plain: Any, immutable: tuple[type, ...], size: int) -> None:
        self._plain = plain
        self._immutable = immutable
        self._size = size
        self._valid: dict[tuple[int, int], tuple[object, object]] = {}
        # (base URI, reference) -> where it leads, and the format if it leads to a text leaf
        self._resolved: dict[tuple[str, str], tuple[Any, str | None]] = {}

    def check(self, validator: Any, ref: str, instance: Any, schema: Any) -> Iterator[ValidationError]:
        if not isinstance(instance, self._immutable):
            yield from self._descend(validator, ref, instance, schema)
            return
        key = (id(schema), id(instance))
        if key in self._valid:
            return
        errors = list(self._descend(validator, ref, instance, schema) or ())
        if errors:
            yield from errors
            return
        if len(self._valid) >= self._size:
            self._valid.clear()  # all at once: no order to keep, safe if threads share it
        self._valid[key] = (schema, instance)

    def _descend(self, validator: Any, ref: str, instance: Any, schema: Any) -> Iterator[ValidationError]:
        """The ``$ref`` keyword with its target looked up once. Where a reference leads depends
        only on the base URI it is read against: the registry is fixed and holds every resource,
        and no ``$dynamicRef`` looks at the path taken. jsonschema looks it up again at every
        node it checks there (a third of the EBSI check's time, with the bench's credentials)."""
        plain: Iterator[ValidationError]
        resolver = getattr(validator, "_resolver", None)
        base = getattr(resolver, "_base_uri", None)
        if getattr(validator, "_ref_resolver", None) is not None or not isinstance(base, str):
            plain = self._plain(validator, ref, instance, schema)  # a jsonschema that resolves otherwise
            return plain
        target = self._resolved.get((base, ref))
        if target is None:
            try:
                resolved = resolver.lookup(ref)  # type: ignore[union-attr]
                target = self._resolved[(base, ref)] = (resolved, _text_leaf(resolved))
            except Exception:  # not found: jsonschema says so in its own words
                plain = self._plain(validator, ref, instance, schema)
                return plain
        resolved, leaf = target
        if leaf is not None and isinstance(instance, str) and _conforms(validator, instance, leaf):
            return iter(())
        found: Iterator[ValidationError] = validator.descend(instance, resolved.contents,
                                                             resolver=resolved.resolver)
        return found

    def __len__(self) -> int:
        return len(self._valid)


_NO_FORMAT = ""  # a text leaf without a format
_SAYS_NOTHING = frozenset({"title", "description", "$comment", "examples"})


def _text_leaf(resolved: Any, depth: int = 0) -> str | None:
    """The format of a subschema that asks of a node only that it be a text, in that format
    (``{"type": "string", "format": "uri"}``, or a ``$ref`` alone to such a subschema):
    :data:`_NO_FORMAT` without one, None for any other subschema. A text that fits it has no
    error there, so it need not be walked through jsonschema's machinery (the ids and dates of
    an EBSI credential are most of the references it follows)."""
    contents = resolved.contents
    if not isinstance(contents, dict) or depth > 8:
        return None
    if set(contents) == {"$ref"} and isinstance(contents["$ref"], str):
        try:
            return _text_leaf(resolved.resolver.lookup(contents["$ref"]), depth + 1)
        except Exception:  # not found: the full check says so
            return None
    if contents.get("type") != "string" or not set(contents) <= {"type", "format", *_SAYS_NOTHING}:
        return None
    found = contents.get("format", _NO_FORMAT)
    return found if isinstance(found, str) else None


def _conforms(validator: Any, text: str, leaf: str) -> bool:
    """Whether a text meets a text leaf's format, as jsonschema's ``format`` keyword checks it."""
    checker = getattr(validator, "format_checker", None)
    return leaf == _NO_FORMAT or checker is None or bool(checker.conforms(text, leaf))


def _path_matters(schema: Any) -> bool:
    """Whether where a subschema is reached from can change what it finds: a dynamic keyword,
    or a reference to a draft's meta-schema (which uses them)."""
    return _uses(_DYNAMIC_KEYWORDS, schema) or any(
        ref.startswith(_META_SCHEMA_HOSTS) for ref in _refs(schema))


def _refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        if isinstance(node.get("$ref"), str):
            yield node["$ref"]
        for value in node.values():
            yield from _refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _refs(value)


def _uses(keywords: frozenset[str], node: Any) -> bool:
    if isinstance(node, dict):
        return any(k in keywords for k in node) or any(_uses(keywords, v) for v in node.values())
    if isinstance(node, list):
        return any(_uses(keywords, v) for v in node)
    return False
