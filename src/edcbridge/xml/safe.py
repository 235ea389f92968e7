"""The one place that parses untrusted XML.

The parser never loads a DTD, never resolves an entity, never touches the network and keeps
libxml2's limits on (no ``huge_tree``). Documents with a DOCTYPE are refused before parsing,
which rejects the billion-laughs and XXE classics outright, and documents above a size limit
are refused before they are read, so a 200 MB upload costs a ``stat`` call, not 200 MB. Counts
of tags, attributes and namespace declarations are bounded on the bytes before parsing too, as a
small file of empty elements can cost gigabytes as a tree.
Only UTF-8 (or its ASCII subset) is accepted, as every EDC and LOQ document is UTF-8: the
encoding is detected from the first bytes as XML 1.0 Appendix F does (so UTF-16 or UTF-32
without a byte order mark is caught too), the whole document must decode as UTF-8, and libxml2
is told to read UTF-8 whatever the declaration says. So the DOCTYPE check before parsing sees
the same text libxml2 does.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

from lxml import etree

from edcbridge import bounded_file
from edcbridge.bounded_file import TooLarge, read_bounded, too_large_problem
from edcbridge.cut_json import CUT_CHARACTER, bytes_stop_line, incomplete

MAX_BYTES = bounded_file.MAX_BYTES
"""Largest document accepted by default (the EC's biggest sealed sample is under 1 MB)."""
MAX_MARKUP = 200_000
"""Most tags (start and end tags, comments, processing instructions: each opens with ``<``): the
EC's largest sample has under 10,000. A few megabytes of ``<x/>`` would otherwise cost gigabytes
as a tree."""
MAX_ATTRIBUTES = 200_000
"""Most attributes (counted as ``=`` signs): the EC's largest sample has under 3,000; 14 MB of
``a=''`` would otherwise cost half a gigabyte as a tree."""
MAX_NAMESPACE_DECLARATIONS = 1_000
"""Most ``xmlns`` declarations: the EC's samples have under 40. Every element carries each one
in scope, which canonicalisation and XPath walk element by element."""


@dataclass(frozen=True)
class Limits:
    """The counts checked on the bytes before parsing, and what kind of document they fit (said
    in the refusal: "a credential has far fewer")."""

    markup: int = MAX_MARKUP
    attributes: int = MAX_ATTRIBUTES
    namespace_declarations: int = MAX_NAMESPACE_DECLARATIONS
    kind: str = "a credential"
    namespaces_in_scope: int | None = None
    """Most declarations on an element and its ancestors, checked after parsing (None: not
    checked, *namespace_declarations* being small enough). Canonicalisation walks them for every
    element, so a few hundred on the root of a large document cost minutes."""


CREDENTIAL_LIMITS = Limits()

_PROLOG_ITEM = re.compile(rb"\s*(<\?.*?\?>|<!--.*?-->)", re.DOTALL)
_ENCODING = re.compile(rb"""^<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._-]+)["']""")
_UTF8_NAMES = {"utf-8", "utf8", "us-ascii", "ascii"}
_BOM_UTF8 = b"\xef\xbb\xbf"
_SIGNATURES = (  # XML 1.0 Appendix F: byte order marks first (the UTF-32 LE one before UTF-16 LE)
    (b"\x00\x00\xfe\xff", "UTF-32BE"), (b"\xff\xfe\x00\x00", "UTF-32LE"),
    (b"\x00\x00\xff\xfe", "UCS-4 (2143 byte order)"), (b"\xfe\xff\x00\x00", "UCS-4 (3412 byte order)"),
    (b"\xfe\xff", "UTF-16BE"), (b"\xff\xfe", "UTF-16LE"),
    (b"\x00\x00\x00<", "UTF-32BE"), (b"<\x00\x00\x00", "UTF-32LE"),
    (b"\x00\x00<\x00", "UCS-4 (2143 byte order)"), (b"\x00<\x00\x00", "UCS-4 (3412 byte order)"),
    (b"\x00<\x00?", "UTF-16BE"), (b"<\x00?\x00", "UTF-16LE"),
    (b"\x4c\x6f\xa7\x94", "EBCDIC"),
)


class XmlInputError(ValueError):
    """The input is not a readable XML document (too large, not UTF-8, not well-formed)."""


class UnsafeXml(XmlInputError):
    """The document declares a DTD or entities, which edcbridge never processes."""


class IncompleteXml(XmlInputError):
    """The document stops before it is closed, on line *line*: a file cut short in transfer."""

    def __init__(self, message: str, line: int) -> None:
        super().__init__(message)
        self.line = line


def _parser(encoding: str | None = None) -> etree.XMLParser:
    """The one parser configuration; ``encoding`` overrides the document's declaration."""
    return etree.XMLParser(
        encoding=encoding,
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=False,
        remove_pis=False,
    )


def _foreign_encoding(data: bytes) -> str | None:
    """The encoding the first bytes reveal when it is not UTF-8 (XML 1.0 Appendix F), else None.

    A NUL byte anywhere counts as UTF-16 or UTF-32: XML never allows U+0000, and those encodings
    write one in every ASCII character (a document starting with a blank or a comment escapes
    the signatures above)."""
    for signature, name in _SIGNATURES:
        if data.startswith(signature):
            return name
    return "UTF-16 or UTF-32 (it has NUL bytes)" if b"\x00" in data else None


def _not_utf8(source: str, encoding: str, *, declared: bool = False) -> XmlInputError:
    """The one message for every encoding but UTF-8, with the conversion command when it is known."""
    known = " " not in encoding and encoding != "EBCDIC"
    convert = f"iconv -f {encoding} -t UTF-8" if known else "iconv -t UTF-8"
    what = f"encoded as {encoding}" if declared else encoding
    return XmlInputError(f"{source}: the document is {what}; edcbridge reads UTF-8 only: save it as "
                         f"UTF-8, e.g. with {convert}")


def _check_encoding(data: bytes, source: str) -> bytes:
    """Refuse anything but UTF-8 (before libxml2 sees a byte); the document without its UTF-8 BOM."""
    foreign = _foreign_encoding(data)
    if foreign is not None:
        raise _not_utf8(source, foreign)
    body = data[len(_BOM_UTF8):] if data.startswith(_BOM_UTF8) else data
    declared = _ENCODING.match(body.lstrip())
    if declared and declared.group(1).decode("ascii").lower() not in _UTF8_NAMES:
        raise _not_utf8(source, declared.group(1).decode("ascii"), declared=True)
    try:
        body.decode("utf-8")
    except UnicodeDecodeError as exc:
        stop = bytes_stop_line(body, exc)  # the last character begun, not ended
        if stop is not None:
            raise _incomplete(source, stop, CUT_CHARACTER) from None
        line = body.count(b"\n", 0, exc.start) + 1
        raise XmlInputError(f"{source}: not UTF-8 text (byte 0x{body[exc.start]:02x} on line {line} is "
                            "not UTF-8); save the file as UTF-8, e.g. with iconv -t UTF-8") from None
    return body


def _check_counts(data: bytes, source: str, limits: Limits) -> None:
    """Refuse more tags, attributes or namespace declarations than *limits* allow, before parsing.

    Counted on the bytes, so an upper bound (a ``<`` in a comment or CDATA counts too)."""
    markup = data.count(b"<")
    if markup > limits.markup:
        raise XmlInputError(f"{source}: {markup:,} tags are above the limit of {limits.markup:,}; "
                            f"{limits.kind} has far fewer: check that this is the right file")
    attributes = data.count(b"=")
    if attributes > limits.attributes:
        raise XmlInputError(f"{source}: {attributes:,} attributes are above the limit of "
                            f"{limits.attributes:,}; {limits.kind} has far fewer: check that this is "
                            "the right file")
    declarations = data.count(b"xmlns")
    if declarations > limits.namespace_declarations:
        raise XmlInputError(f"{source}: {declarations:,} namespace declarations are above the limit of "
                            f"{limits.namespace_declarations:,}; {limits.kind} declares far fewer")


def _check_prolog(data: bytes, source: str) -> None:
    """Refuse a DOCTYPE (and so any entity declaration) and any encoding other than UTF-8."""
    body = _check_encoding(data, source)
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


def parse_bytes(data: bytes, *, source: str = "<document>", max_bytes: int = MAX_BYTES,
                limits: Limits = CREDENTIAL_LIMITS) -> etree._ElementTree:
    """Parse an untrusted document; raises :class:`XmlInputError` with a remedy on any problem.
    *max_bytes* and *limits* fit credentials unless a reader of larger documents gives its own."""
    if len(data) > max_bytes:
        raise XmlInputError(f"{source}: {len(data):,} bytes is above the {max_bytes:,}-byte limit for "
                            f"XML documents; {limits.kind} is far smaller: check that this is the right file")
    if not data.strip():
        raise XmlInputError(f"{source}: the file is empty")
    _check_prolog(data, source)
    _check_counts(data, source, limits)
    try:
        root = etree.fromstring(data, parser=_parser("utf-8"))  # as _check_prolog read it
    except etree.XMLSyntaxError as exc:
        message = str(exc.msg or exc)
        if "UTF-8" in message or "encoding" in message.lower():
            raise XmlInputError(f"{source}: not UTF-8 text ({message}); save the file as UTF-8") from None
        if _stops_early(data, exc):
            raise _incomplete(source, exc.position[0], message) from None
        raise XmlInputError(f"{source}: not well-formed XML: {message}") from None
    tree = root.getroottree()
    info = tree.docinfo
    if getattr(info, "doctype", "") or info.internalDTD is not None:  # defence in depth
        raise UnsafeXml(f"{source}: the document has a DTD, which edcbridge refuses")
    for _ in root.iter(etree.Entity):
        raise UnsafeXml(f"{source}: the document uses entity references, which edcbridge refuses")
    if limits.namespaces_in_scope is not None:
        _check_in_scope(root, source, limits.namespaces_in_scope, limits.kind)
    return tree


def _check_in_scope(root: etree._Element, source: str, limit: int, kind: str) -> None:
    """Refuse an element under more than *limit* namespace declarations (its own and its ancestors')."""
    depth = deepest = 0
    for event, _ in etree.iterwalk(root, events=("start-ns", "end-ns")):
        depth += 1 if event == "start-ns" else -1
        deepest = max(deepest, depth)
    if deepest > limit:
        raise XmlInputError(f"{source}: an element is under {deepest:,} namespace declarations, above "
                            f"the limit of {limit:,}; {kind} declares far fewer")


def _incomplete(source: str, line: int, detail: str) -> IncompleteXml:
    return IncompleteXml(f"{source}: not well-formed XML: {incomplete('the document', line, detail)}", line)


def _stops_early(data: bytes, exc: etree.XMLSyntaxError) -> bool:
    """Whether libxml2 failed at the end of the text (trailing blanks aside): the document was
    cut short, not broken in the middle. Its column counts characters from 1, so it passes the
    last one."""
    text = data.decode("utf-8", "replace").rstrip()
    lines = text.count("\n") + 1
    line, column = exc.position
    return line > lines or (line == lines and column > len(text) - (text.rfind("\n") + 1))


def parse_file(path: Path, *, max_bytes: int = MAX_BYTES) -> etree._ElementTree:
    """Parse an untrusted file, read at most *max_bytes* (a larger file is refused unread)."""
    source = str(path)
    try:
        data = read_bounded(path, max_bytes)
    except OSError as exc:
        raise XmlInputError(f"{source}: cannot read the file ({exc.strerror})") from None
    except TooLarge as exc:
        raise XmlInputError(too_large_problem(source, exc)) from None
    return parse_bytes(data, source=source, max_bytes=max_bytes)


def looks_like_xml(data: bytes) -> bool:
    """True when the first character is ``<`` (BOM and blanks allowed), in UTF-8 or in an encoding
    the first bytes reveal, so that UTF-16 or UTF-32 XML reaches the parser and its clear refusal."""
    foreign = _foreign_encoding(data[:4])
    if foreign == "EBCDIC":
        return True
    head = data[:64].removeprefix(_BOM_UTF8) if foreign is None else \
        data[:64].replace(b"\x00", b"").lstrip(b"\xfe\xff")  # the ASCII of UTF-16/32, BOM dropped
    return head.lstrip().startswith(b"<")


def store_path(path: Path) -> Path:
    """An absolute path with ``.`` and ``..`` removed, symlinks *not* followed.

    Schema store containment is decided on the path as the store names it: a store folder that is
    a symlink (to a shared read-only copy, say) holds what the store says it holds, and the file
    opened is the one at that normalised path, so ``..`` cannot step out through a symlink."""
    return Path(os.path.normpath(path.absolute()))


def _local_path(system_url: str) -> Path | None:
    """The file a schema location names, or None for a remote URL (http:, ftp:, ...)."""
    parts = urlsplit(system_url)
    if parts.scheme == "file":
        return Path(unquote(parts.path)) if parts.netloc in ("", "localhost") else None
    if parts.scheme and len(parts.scheme) > 1:  # one letter: a Windows drive, not a scheme
        return None
    return Path(system_url)


class _StoreResolver(etree.Resolver):
    """Loads schema imports only from inside one folder; everything else is refused."""

    def __init__(self, root: Path) -> None:
        super().__init__()
        self.root = store_path(root)

    def resolve(self, system_url: str, public_id: str, context: object) -> object:  # type: ignore[override]
        local = _local_path(system_url)
        path = store_path(local) if local is not None else None
        if path is not None and path.is_relative_to(self.root) and path.is_file():
            resolved: object = self.resolve_filename(str(path), context)  # type: ignore[attr-defined]
            return resolved
        raise XmlInputError(f"schema import {system_url!r} is outside the schema store {self.root}; "
                            "edcbridge never follows remote or foreign schema locations")


def parse_schema(path: Path, store_root: Path) -> etree._ElementTree:
    """Parse a pinned schema file from the schema store (imports confined to the store)."""
    parser = _parser()
    parser.resolvers.add(_StoreResolver(store_root))
    return etree.parse(str(store_path(path)), parser=parser)
