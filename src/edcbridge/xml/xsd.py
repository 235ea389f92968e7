"""XSD validation of EDC XML 1.x, LOQ and AMS documents, offline, with two engines.

The schema is chosen by the *file name* in the instance's ``xsi:schemaLocation`` (the version
lives there: every 1.x schema says ``xsdVersion="0.10.0"``) and loaded from the schema store;
the location itself is never followed. lxml (libxml2) is the fast engine; xmlschema is the
independent second one, run with ``allow="sandbox"`` on absolute store paths. Schemas are
loaded once per process and cached. Store paths are taken as the store names them, symlinks not
followed (see :func:`edcbridge.xml.safe.store_path`), so a store whose folder is a symlink to a
shared copy validates as ``edcbridge schemas status`` accepts it.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Literal, cast

import xmlschema
from lxml import etree

from edcbridge.schemas import SchemaStore, SchemaStoreError
from edcbridge.validation.findings import Finding
from edcbridge.xml.safe import XmlInputError, parse_schema, store_path

Engine = Literal["lxml", "xmlschema"]
XSI = "http://www.w3.org/2001/XMLSchema-instance"
SNB = "http://data.europa.eu/snb"
VP = "http://data.europa.eu/snb/vp"
LOQ = "http://data.europa.eu/snb/model/ap/loq-constraints/"
AMS = "http://data.europa.eu/snb/model/ap/ams-constraints/"

LOQ_XSD = "elm3-qdr-xsd/3.2/loq/loq.xsd"
AMS_XSD = "elm3-qdr-xsd/3.2/ams/ams.xsd"
GENERIC_12 = "elm-xsd-v1/genericschema_1.2.xsd"
_V1_FILES = (
    "genericschema.xsd", "genericschema_1.1.xsd", "genericschema_1.2.xsd",
    "diplomasupplementschema_1.2.xsd", "accreditationschema_1.2.xsd",
    "mandatedschema_1.0.xsd", "mandatedschema_1.1.xsd", "mandatedschema_generic_1.2.xsd",
    "mandatedschema_dp_1.2.xsd", "mandatedschema_accred_1.2.xsd",
    "sharedschema_1.0.xsd", "sharedschema_1.1.xsd", "sharedschema_generic_1.2.xsd",
    "sharedschema_dp_1.2.xsd", "sharedschema_accred_1.2.xsd",
)
SCHEMA_FILES: dict[str, str] = {name: f"elm-xsd-v1/{name}" for name in _V1_FILES}
SCHEMA_FILES |= {"loq.xsd": LOQ_XSD, "ams.xsd": AMS_XSD}
_DEFAULT_BY_ROOT = {
    f"{{{SNB}}}europassCredential": GENERIC_12,
    f"{{{VP}}}verifiablePresentation": "elm-xsd-v1/mandatedschema_generic_1.2.xsd",
    f"{{{LOQ}}}Courses": LOQ_XSD,
    f"{{{AMS}}}Accreditations": AMS_XSD,
}


class UnknownSchema(ValueError):
    """The document names no schema edcbridge knows."""


class SchemaLoadError(SchemaStoreError):
    """A schema in the store cannot be loaded (unreadable, broken, or importing from outside)."""


def schema_for(root: etree._Element) -> str:
    """The store path of the schema for this document (from the schemaLocation file name)."""
    hint = root.get(f"{{{XSI}}}schemaLocation") or root.get(f"{{{XSI}}}noNamespaceSchemaLocation") or ""
    locations = hint.split()[1::2] if len(hint.split()) > 1 else hint.split()
    for location in locations:
        name = location.rstrip("/").rsplit("/", 1)[-1]
        if name in SCHEMA_FILES:
            return SCHEMA_FILES[name]
    if locations:
        raise UnknownSchema(f"schemaLocation {locations[0]!r} names no schema edcbridge knows; "
                            f"known files: {', '.join(sorted(SCHEMA_FILES))}")
    if root.tag == f"{{{SNB}}}europassCredential" and root.find(f"{{{SNB}}}primaryLanguage") is None:
        return "elm-xsd-v1/genericschema.xsd"  # 1.0 had no primaryLanguage (1.1 made it mandatory)
    default = _DEFAULT_BY_ROOT.get(root.tag)
    if default is None:
        raise UnknownSchema(f"root element {root.tag} is not an EDC XML credential, presentation, "
                            "LOQ or AMS document")
    return default


XMLSCHEMA_MAX_ELEMENTS = 10_000
"""Largest document (in elements) the xmlschema engine validates: it takes time that grows with
the square of the unexpected children of one element (20,000 take a minute). The EC's largest
sample has under 5,000 elements; lxml has no such limit."""

_LOAD_ERRORS = (OSError, XmlInputError, etree.XMLSyntaxError, etree.XMLSchemaParseError,
                xmlschema.XMLSchemaException)


@lru_cache(maxsize=32)
def _lxml_schema(path: Path, store_root: Path) -> etree.XMLSchema:
    return etree.XMLSchema(parse_schema(path, store_root))


@lru_cache(maxsize=32)
def _xmlschema_schema(path: Path) -> xmlschema.XMLSchema10:
    return xmlschema.XMLSchema10(str(path), allow="sandbox")


def _absolute(store: SchemaStore, relative: str) -> Path:
    return store_path(store.path(relative))


def _schema(store: SchemaStore, relative: str, engine: Engine) -> etree.XMLSchema | xmlschema.XMLSchema10:
    """The (cached) schema for one engine; a schema that cannot be loaded is a store problem, said
    in one line with the remedy, not the document's fault."""
    path = _absolute(store, relative)
    try:
        return _lxml_schema(path, store_path(store.root)) if engine == "lxml" else _xmlschema_schema(path)
    except _LOAD_ERRORS as exc:
        reason = next((line.strip() for line in str(exc).splitlines() if line.strip()), type(exc).__name__)
        raise SchemaLoadError(f"cannot load {relative} from the schema store {store.root} ({engine}): "
                              f"{reason}; reinstall the store with 'edcbridge schemas install --from DIR' "
                              "(or --download)") from None


def _without_comments(tree: etree._ElementTree) -> etree._Element:
    """A copy without comments and processing instructions (their neighbouring text joined, line
    numbers kept): xmlschema takes them for child elements of simple content, XSD ignores them."""
    root = copy.deepcopy(tree.getroot())
    etree.strip_elements(root, etree.Comment, etree.ProcessingInstruction, with_tail=False)
    return root


@dataclass(frozen=True, slots=True)
class XsdError:
    line: int | None
    path: str
    message: str

    def render(self) -> str:
        where = f"line {self.line}" if self.line else self.path
        return f"{where}: {self.message}"


def errors(tree: etree._ElementTree, store: SchemaStore, engine: Engine = "lxml",
           schema: str | None = None) -> list[XsdError]:
    """Every XSD error of the document with one engine; schema from the schemaLocation by default."""
    relative = schema or schema_for(tree.getroot())
    validator = _schema(store, relative, engine)
    if isinstance(validator, etree.XMLSchema):
        validator.validate(tree)
        log = cast(Iterable[etree._LogEntry], validator.error_log)
        return [XsdError(e.line or None, e.path or "", e.message) for e in log]
    size = sum(1 for _ in tree.getroot().iter())
    if size > XMLSCHEMA_MAX_ELEMENTS:
        return [XsdError(None, "/", f"{size:,} elements are above the xmlschema engine's limit of "
                         f"{XMLSCHEMA_MAX_ELEMENTS:,}; validate this document with --engine lxml")]
    found = []
    resource = xmlschema.XMLResource(_without_comments(tree), allow="none")  # in memory: nothing to load
    for error in validator.iter_errors(resource, use_location_hints=False):
        line = getattr(error.sourceline, "real", None) if error.sourceline is not None else None
        found.append(XsdError(line, error.path or "", error.reason or str(error.message)))
    return found


def findings(tree: etree._ElementTree, store: SchemaStore, engines: tuple[Engine, ...] = ("lxml",),
             schema: str | None = None) -> list[Finding]:
    """XSD errors as validation findings (code ``xsd``), one engine after the other."""
    try:
        relative = schema or schema_for(tree.getroot())
    except UnknownSchema as exc:
        return [Finding("xsd-schema", "error", "/", str(exc),
                        "add an xsi:schemaLocation naming an official schema file, e.g. "
                        "genericschema_1.2.xsd or loq.xsd")]
    result: list[Finding] = []
    for engine in engines:
        for error in errors(tree, store, engine, relative):
            result.append(Finding(f"xsd-{engine}", "error", error.path or f"line {error.line}",
                                  f"{Path(relative).name}: {error.message}",
                                  "fix the element named here so that it matches the official schema"))
    return result
