"""The one place that parses untrusted XML.

The parser never loads a DTD, never resolves an entity, never touches the network and keeps
libxml2's limits on (no ``huge_tree``). Documents with a DOCTYPE are refused before parsing,
which rejects the billion-laughs and XXE classics outright, and documents above a size limit
are refused before they are read, so a 200 MB upload costs a ``stat`` call, not 200 MB.
Only UTF-8 (or its ASCII subset) is accepted, as every EDC and LOQ document is UTF-8.
"""

from __future__ import annotations

import re
from pathlib import Path

from lxml import etree

MAX_BYTES = 20 * 1024 * 1024
"""Largest document accepted by default (the EC's biggest sealed sample is under 1 MB)."""

_PROLOG_ITEM = re.compile(rb"\s*(<\?.*?\?>|<!--.*?-->)", re.DOTALL)
_ENCODING = re.compile(rb"""^<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._-]+)["']""")
_UTF8_NAMES = {"utf-8", "utf8", "us-ascii", "ascii"}
_BOM_UTF8 = b"\xef\xbb\xbf"
_BOMS_OTHER = (b"\xff\xfe", b"\xfe\xff", b"\x00\x00\xfe\xff", b"\xff\xfe\x00\x00")


class XmlInputError(ValueError):
    """The input is not a readable XML document (too large, not UTF-8, not well-formed)."""


class UnsafeXml(XmlInputError):
    """The document declares a DTD or entities, which edcbridge never processes."""


def _parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=False,
        remove_pis=False,
    )


def _check_prolog(data: bytes, source: str) -> None:
    """Refuse a DOCTYPE (and so any entity declaration) and any encoding other than UTF-8."""
    if data.startswith(_BOMS_OTHER):
        raise XmlInputError(f"{source}: the document is UTF-16 or UTF-32; save it as UTF-8")
    body = data[len(_BOM_UTF8):] if data.startswith(_BOM_UTF8) else data
    declared = _ENCODING.match(body.lstrip())
    if declared and declared.group(1).decode("ascii").lower() not in _UTF8_NAMES:
        raise XmlInputError(f"{source}: the document is encoded as {declared.group(1).decode()}; "
                            "edcbridge reads UTF-8 only: convert it, e.g. with iconv -t UTF-8")
    position = 0
    while True:
        item = _PROLOG_ITEM.match(body, position)
        if item is None:
            break
        position = item.end()
    rest = body[position:].lstrip()
    if rest[:9].upper() == b"<!DOCTYPE" or rest[:8] == b"<!ENTITY":
        raise UnsafeXml(f"{source}: the document has a DOCTYPE; DTDs and entity declarations "
                        "(the XXE and billion-laughs attacks use them) are refused: remove the "
                        "DOCTYPE, EDC and LOQ documents never need one")


def parse_bytes(data: bytes, *, source: str = "<document>", max_bytes: int = MAX_BYTES) -> etree._ElementTree:
    """Parse an untrusted document; raises :class:`XmlInputError` with a remedy on any problem."""
    if len(data) > max_bytes:
        raise XmlInputError(f"{source}: {len(data):,} bytes is above the {max_bytes:,}-byte limit for "
                            "XML documents; a credential is far smaller: check that this is the right file")
    if not data.strip():
        raise XmlInputError(f"{source}: the file is empty")
    _check_prolog(data, source)
    try:
        root = etree.fromstring(data, parser=_parser())
    except etree.XMLSyntaxError as exc:
        message = str(exc.msg or exc)
        if "UTF-8" in message or "encoding" in message.lower():
            raise XmlInputError(f"{source}: not UTF-8 text ({message}); save the file as UTF-8") from None
        raise XmlInputError(f"{source}: not well-formed XML: {message}") from None
    tree = root.getroottree()
    info = tree.docinfo
    if getattr(info, "doctype", "") or info.internalDTD is not None:  # defence in depth
        raise UnsafeXml(f"{source}: the document has a DTD, which edcbridge refuses")
    for _ in root.iter(etree.Entity):
        raise UnsafeXml(f"{source}: the document uses entity references, which edcbridge refuses")
    return tree


def parse_file(path: Path, *, max_bytes: int = MAX_BYTES) -> etree._ElementTree:
    """Parse an untrusted file, checking its size before reading it."""
    source = str(path)
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise XmlInputError(f"{source}: cannot read the file ({exc.strerror})") from None
    if size > max_bytes:
        raise XmlInputError(f"{source}: {size:,} bytes is above the {max_bytes:,}-byte limit for XML "
                            "documents; a credential is far smaller: check that this is the right file")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise XmlInputError(f"{source}: cannot read the file ({exc.strerror})") from None
    return parse_bytes(data, source=source, max_bytes=max_bytes)


def looks_like_xml(data: bytes) -> bool:
    """True when the first non-blank character is ``<`` (BOM allowed)."""
    head = data[:64].lstrip(_BOM_UTF8).lstrip()
    return head.startswith(b"<")


class _StoreResolver(etree.Resolver):
    """Loads schema imports only from inside one folder; everything else is refused."""

    def __init__(self, root: Path) -> None:
        super().__init__()
        self.root = root.resolve()

    def resolve(self, system_url: str, public_id: str, context: object) -> object:  # type: ignore[override]
        path = Path(system_url.removeprefix("file://")).resolve()
        if path.is_relative_to(self.root) and path.is_file():
            resolved: object = self.resolve_filename(str(path), context)  # type: ignore[attr-defined]
            return resolved
        raise XmlInputError(f"schema import {system_url!r} is outside the schema store {self.root}; "
                            "edcbridge never follows remote or foreign schema locations")


def parse_schema(path: Path, store_root: Path) -> etree._ElementTree:
    """Parse a pinned schema file from the schema store (imports confined to the store)."""
    parser = _parser()
    parser.resolvers.add(_StoreResolver(store_root))
    return etree.parse(str(path), parser=parser)
