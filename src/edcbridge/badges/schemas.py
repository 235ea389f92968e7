"""Check OB 3.0 / CLR 2.0 credentials offline: the 1EdTech JSON Schemas and JSON-LD contexts.

The official files are read from ``ob3-clr/`` in the schema store (``schemas/``, ``contexts/``)
with the W3C VC 2.0 context in ``../w3c-vc-contexts/``. Each
credential is checked against the schema its ``credentialSchema`` names (current form) and,
for Open Badges, also the stricter 2024 form; embedded credentials against their own. Every
``@context`` must be one of the official files, and every property and every ``type`` value
must be a term those contexts define (JSON-LD would otherwise drop the property without a
word, or read the type as a relative IRI).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Protocol

from edcbridge.schemas.store import SchemaStoreError, install_remedy
from edcbridge.validation.document import walk
from edcbridge.validation.findings import Finding
from edcbridge.validation.json_schema import Validator

ENV = "EDCBRIDGE_OB3_SCHEMAS"
_OB = "https://purl.imsglobal.org/spec/ob/v3p0/schema/json/"
_CLR = "https://purl.imsglobal.org/spec/clr/v2p0/schema/json/"
SCHEMAS: dict[str, tuple[str, ...]] = {
    f"{_OB}ob_v3p0_achievementcredential_schema.json":
        ("schemas/ob-v3p0/ob_v3p0_achievementcredential_schema.json",
         "schemas/ob-v3p0-formal-2024/achievementcredential.json"),
    f"{_CLR}clr_v2p0_clrcredential_schema.json": ("schemas/clr-v2p0/clr_v2p0_clrcredential_schema.json",),
    f"{_CLR}clr_v2p0_achievementcredential_schema.json":
        ("schemas/clr-v2p0/clr_v2p0_achievementcredential_schema.json",),
}
CONTEXTS: dict[str, str] = {
    "https://www.w3.org/ns/credentials/v2": "../w3c-vc-contexts/credentials-v2.jsonld",
    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json": "contexts/ob-v3p0-context-3.0.3.json",
    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.2.json": "contexts/ob-v3p0-context-3.0.2.json",
    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.1.json": "contexts/ob-v3p0-context-3.0.1.json",
    "https://purl.imsglobal.org/spec/ob/v3p0/extensions.json": "contexts/ob-v3p0-extensions.json",
    "https://purl.imsglobal.org/spec/clr/v2p0/context-2.0.1.json": "contexts/clr-v2p0-context-2.0.1.json",
    "https://purl.imsglobal.org/spec/clr/v2p0/context.json": "contexts/clr-v2p0-context.json",
}
_EXTENSIONS = "https://purl.imsglobal.org/spec/ob/v3p0/extensions.json"
_KEYWORDS = {"@context", "@id", "@type", "@value", "@language", "@direction", "@list", "@set", "@graph"}


class SchemasMissing(SchemaStoreError, FileNotFoundError):
    """The 1EdTech files are not where we looked; the message says how to point at them. A
    schema store error, so that every command stops on it with its message (exit 2), as on
    any other pinned file missing."""


def default_root() -> Path:
    """``$EDCBRIDGE_OB3_SCHEMAS``, else ``ob3-clr`` in the schema store (pinned in the manifest)."""
    if os.environ.get(ENV):
        return Path(os.environ[ENV]).expanduser()
    from edcbridge.schemas import default_store

    store = default_store()
    if store.missing("ob3"):
        raise SchemasMissing(f"the 1EdTech OB 3.0 / CLR 2.0 schemas are not in {store.where()}; "
                             f"{install_remedy()}")
    states = store.check("ob3")
    unreadable = [path for path, state in states if state == "unreadable"]
    if unreadable:  # installed by another user with umask 077: its fix is the permissions
        try:
            store.path(unreadable[0])
        except SchemaStoreError as exc:
            raise SchemasMissing(str(exc)) from None
    changed = [path for path, state in states if state == "modified"]
    if changed:  # a schema emptied or loosened would pass any badge
        raise SchemasMissing(f"{store.root / changed[0]} does not match its pinned sha256 "
                             f"({len(changed)} file(s) of the OB 3.0 / CLR 2.0 group changed); "
                             f"installing replaces modified files: {install_remedy()}")
    return store.root / "ob3-clr"


def _where_to_point() -> str:
    """The fix for a 1EdTech file not found: a complete copy, or the schema store installed."""
    copy = (f"point {ENV} at a complete copy of the 1EdTech schemas and contexts (schemas/, contexts/, "
            "../w3c-vc-contexts/)")
    if os.environ.get(ENV):
        return f"{copy}, or unset {ENV} to use the schema store (where it lacks them: {install_remedy()})"
    return f"install them in the schema store: {install_remedy()}; or {copy}"


@dataclass(frozen=True)
class OfficialFiles:
    root: Path

    def path(self, relative: str) -> Path:
        path = (self.root / relative).resolve()
        if not path.is_file():
            raise SchemasMissing(f"{path} is missing: {_where_to_point()}")
        return path

    def validator(self, relative: str) -> Validator:
        return _validator(self.path(relative))

    def terms(self, url: str) -> frozenset[str]:
        return _terms(self.path(CONTEXTS[url]))


class TermSource(Protocol):
    def terms(self, url: str) -> frozenset[str]: ...


@dataclass(frozen=True)
class ContextFiles:
    """The terms of context files already found (URL -> local file), as a proof step has them."""

    files: dict[str, Path]

    def terms(self, url: str) -> frozenset[str]:
        if url not in self.files:
            raise SchemasMissing(f"the context {url} is not among the local files: {_where_to_point()}")
        return _terms(self.files[url])


@cache
def _validator(path: Path) -> Validator:
    from edcbridge.mapping.nodes import Frozen
    from edcbridge.validation.json_schema import validator

    # the nodes badges share (achievement, issuer) are checked once at each $ref they stand at
    return validator(json.loads(path.read_text("utf-8")), "2019-09", immutable=(Frozen,))


def _collect(ctx: Any, terms: set[str]) -> None:
    if isinstance(ctx, list):
        for item in ctx:
            _collect(item, terms)
    elif isinstance(ctx, dict):
        for key, value in ctx.items():
            if key.startswith("@"):
                continue
            terms.add(key)
            if isinstance(value, dict) and "@context" in value:
                _collect(value["@context"], terms)


@cache
def _terms(path: Path) -> frozenset[str]:
    terms: set[str] = set()
    _collect(json.loads(path.read_text("utf-8")).get("@context"), terms)
    return frozenset(terms)


def _where(path: Any) -> str:
    return "$" + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path)


def check_schema(doc: dict[str, Any], files: OfficialFiles, where: str = "$") -> list[Finding]:
    """The schemas named in ``credentialSchema`` (and the strict OB form), recursively for
    embedded credentials."""
    findings: list[Finding] = []
    named = [s.get("id") for s in (doc.get("credentialSchema") or []) if isinstance(s, dict)] \
        if isinstance(doc.get("credentialSchema"), list) else []
    known = [url for url in named if url in SCHEMAS]
    if not known:
        findings.append(Finding("ob3.schema-unknown", "error", f"{where}.credentialSchema",
                                f"no 1EdTech schema named (got {named or 'none'})",
                                f"name one of {', '.join(SCHEMAS)} with type 1EdTechJsonSchemaValidator2019"))
    for url in known:
        for relative in SCHEMAS[url]:
            validator = files.validator(relative)
            for error in sorted(validator.iter_errors(doc), key=lambda e: list(e.absolute_path)):
                best = error
                if error.context:
                    best = max(error.context, key=lambda e: len(list(e.absolute_path)))
                message = best.message if len(best.message) < 300 else best.message[:297] + "..."
                findings.append(Finding(f"ob3.schema.{error.validator}", "error",
                                        where + _where(error.absolute_path)[1:],
                                        f"{message} (schema {Path(relative).name})",
                                        "follow the 1EdTech schema for this property"))
    subject = doc.get("credentialSubject")
    embedded = subject.get("verifiableCredential") if isinstance(subject, dict) else None
    for index, inner in enumerate(embedded if isinstance(embedded, list) else []):
        if isinstance(inner, dict):
            findings += check_schema(inner, files, f"{where}.credentialSubject.verifiableCredential[{index}]")
    return findings


def check_context(doc: dict[str, Any], files: TermSource) -> list[Finding]:
    """Every context available offline, every property a term of those contexts."""
    findings: list[Finding] = []
    terms: set[str] = set()
    for path, node in walk(doc):
        contexts = node.get("@context")
        for url in contexts if isinstance(contexts, list) else [contexts] if contexts else []:
            if not isinstance(url, str) or url not in CONTEXTS:
                findings.append(Finding("ob3.context-unknown", "error", f"{path}.@context",
                                        f"context {url!r} is not one of the official 1EdTech / W3C files",
                                        f"use {', '.join(CONTEXTS)}"))
                continue
            terms |= files.terms(url)
    for path, node in walk(doc):
        for key in node:
            if key not in terms and key not in _KEYWORDS and ":" not in key:
                findings.append(Finding("ob3.dropped-term", "error", f"{path}.{key}",
                                        f"{key!r} is not defined by the credential's contexts, so JSON-LD "
                                        "processing drops it", "use a term of the OB 3.0 / CLR 2.0 context"))
        findings += _undefined_types(path, node, terms)
    return findings


def _undefined_types(path: str, node: dict[str, Any], terms: set[str]) -> list[Finding]:
    """A ``type`` value no context defines expands to a relative IRI: a signer in JSON-LD safe
    mode refuses it and RDF drops it (``1EdTechJsonSchemaValidator2019`` needs extensions.json)."""
    value = node.get("type", node.get("@type"))
    names = [v for v in (value if isinstance(value, list) else [value]) if isinstance(v, str)]
    return [Finding("ob3.undefined-type", "error", f"{path}.type",
                    f"type {name!r} is not defined by the credential's contexts, so JSON-LD reads it as a "
                    "relative IRI",
                    f"add the context that defines it (for 1EdTech* types: {_EXTENSIONS})")
            for name in names if name not in terms and ":" not in name]


def context_files(root: Path) -> dict[str, Path]:
    """The official contexts found under ``root``, by URL (what a JSON-LD processor may load)."""
    found = {url: (root / relative).resolve() for url, relative in CONTEXTS.items()}
    return {url: path for url, path in found.items() if path.is_file()}


def validate_badge(doc: dict[str, Any], root: Path | None = None) -> list[Finding]:
    """Every finding for one OpenBadgeCredential or ClrCredential (empty: valid)."""
    files = OfficialFiles(root or default_root())
    return check_schema(doc, files) + check_context(doc, files)
