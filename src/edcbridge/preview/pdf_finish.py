"""What PDF/UA-1 (ISO 14289-1) asks of a tagged PDF beyond what Chromium prints.

Chromium tags the page, but writes no XMP metadata (PDF/UA-1 5 and 7.1: the PDF/UA identifier
``pdfuaid:part`` and a ``dc:title``), no alternate description (``/Contents``) on its link
annotations (7.18.5), structure types of PDF 2.0 (``Strong``, ``Em``) that PDF 1.7 does not
know, with no role map to a standard type (7.1), list items whose content is not in a list body
(7.6, see ``pdf_lists``), and paints backgrounds neither tagged nor marked as artifacts (7.1, see
``pdf_artifacts``). All is mended in an incremental update (ISO 32000-1 7.5.6): Chromium's bytes
stay as printed, and new versions of the catalog, the structure tree root, the link annotations,
the list items and the page contents, and the new list bodies, follow them, with a
cross-reference section of their own.

The update holds no timestamps, and its file identifier is a digest of the printed page without
Chromium's, so a reprint of an unchanged page gives the same bytes as before but for those.
A PDF in a form this module does not read (a cross-reference stream, say) is left as printed:
no PDF/UA identifier is claimed for it.
"""

from __future__ import annotations

import hashlib
import re
import zlib
from dataclasses import dataclass
from xml.sax.saxutils import escape

from edcbridge.preview.pdf_artifacts import artifacts_marked
from edcbridge.preview.pdf_lists import with_list_bodies
from edcbridge.preview.pdf_values import literal_end, value_end

_OBJECT_HEAD = re.compile(rb"(\d+)\s+(\d+)\s+obj\s*")
_XREF_ENTRY = re.compile(rb"(\d{10}) (\d{5}) ([nf])")
_SUBSECTION = re.compile(rb"\s*(\d+) (\d+)\s*")
_LINK = re.compile(rb"/Subtype\s*/Link\b")
_URI = re.compile(rb"/URI\s*(?=\()")
_TIMESTAMPS = re.compile(rb"/(?:CreationDate|ModDate) *\(D:[0-9Z+\-']*\)")
_MAIL = b"(mailto:"
_STREAM = re.compile(rb"\s*stream\r?\n")
_PAGE = re.compile(rb"/Type\s*/Page\b(?!s)")
_CONTENTS = re.compile(rb"/Contents\s*(?:(\d+)\s+\d+\s+R|\[([\d\sR]*)\])")
_REFERENCE = re.compile(rb"(\d+)\s+\d+\s+R")
_LENGTH = re.compile(rb"/Length\s+(\d+)(?!\s+\d+\s+R)")
_STRUCT_TREE_ROOT = re.compile(rb"/Type\s*/StructTreeRoot\b")
# structure types of PDF 2.0 that Chromium writes, each with its nearest type of PDF 1.7
_ROLE_MAP = b"/RoleMap <</Strong /Span /Em /Span /Sub /Span /Title /P /Aside /Div /FENote /Note>>"
_NOT_IN_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")  # characters XML 1.0 does not allow


@dataclass(frozen=True)
class _Object:
    number: int
    generation: int
    value: bytes  # a dictionary, from "<<" to its ">>" (a stream's), or an array, from "[" to its "]"
    stream: bytes | None = None  # the stream's bytes as stored (filtered)


def pdf_ua(data: bytes, title: str) -> bytes:
    """``data`` (one PDF as Chromium prints it) with the PDF/UA identifier, ``title`` as its
    ``dc:title`` and a description on each link; unchanged when it cannot be read."""
    trailer = _trailer(data)
    if trailer is None:
        return data
    objects = _objects(data, trailer.xref)
    if objects is None or trailer.root not in objects:
        return data
    catalog = objects[trailer.root]
    if b"/Metadata" in catalog.value:
        return data
    metadata = trailer.size
    changed = {catalog.number: (catalog.generation, _with_entry(catalog.value,
                                                                b"/Metadata %d 0 R" % metadata))}
    changed.update(with_list_bodies({o.number: (o.generation, o.value) for o in objects.values()
                                     if o.stream is None}, metadata + 1))
    for found in objects.values():
        current = changed.get(found.number, (found.generation, found.value))[1]
        mended = _described_link(current) or _role_mapped(current) if current.startswith(b"<<") else None
        if mended is not None:
            changed[found.number] = (found.generation, mended)
    changed.update(_contents_with_artifacts(objects))
    return data + _update(data, trailer, changed, metadata, _xmp(title))


@dataclass(frozen=True)
class _Trailer:
    size: int
    root: int
    info: int | None
    xref: int  # the offset of the cross-reference table


def _trailer(data: bytes) -> _Trailer | None:
    """The last trailer of ``data``, when it has a classic one."""
    start = data.rfind(b"trailer")
    startxref = re.search(rb"startxref\s+(\d+)\s+%%EOF\s*$", data[-64:])
    if start < 0 or startxref is None:
        return None
    head = data[start:len(data) - 64 + startxref.start()]
    size, root = re.search(rb"/Size\s+(\d+)", head), re.search(rb"/Root\s+(\d+)\s+\d+\s+R", head)
    info = re.search(rb"/Info\s+(\d+)\s+\d+\s+R", head)
    if size is None or root is None or b"/Prev" in head or b"/Encrypt" in head:
        return None
    return _Trailer(int(size[1]), int(root[1]), int(info[1]) if info else None, int(startxref[1]))


def _objects(data: bytes, xref: int) -> dict[int, _Object] | None:
    """The objects of ``data`` whose value is a dictionary or an array, by number, as its table
    places them."""
    if not data.startswith(b"xref", xref):
        return None
    found: dict[int, _Object] = {}
    pos = xref + 4
    while (subsection := _SUBSECTION.match(data, pos)) is not None:
        first, count = int(subsection[1]), int(subsection[2])
        pos = subsection.end()
        for number in range(first, first + count):
            entry = _XREF_ENTRY.match(data, pos)
            if entry is None:
                return None
            pos += 20
            if entry[3] == b"n":
                read = _object_at(data, int(entry[1]), number)
                if read is not None:
                    found[number] = read
    return found


def _object_at(data: bytes, offset: int, number: int) -> _Object | None:
    head = _OBJECT_HEAD.match(data, offset)
    if head is None or int(head[1]) != number:
        return None
    if data.startswith(b"[", head.end()):
        return _array_object(data, head.end(), number, int(head[2]))
    if not data.startswith(b"<<", head.end()):
        return None
    end = _dictionary_end(data, head.end())
    if end is None:
        return None
    dictionary = data[head.end():end]
    stream, length = _STREAM.match(data, end), _LENGTH.search(dictionary)
    content = data[stream.end():stream.end() + int(length[1])] if stream and length else None
    return _Object(number, int(head[2]), dictionary, content)


def _array_object(data: bytes, start: int, number: int, generation: int) -> _Object | None:
    try:
        return _Object(number, generation, data[start:value_end(data, start)])
    except (ValueError, IndexError):  # an array that does not end
        return None


def _dictionary_end(data: bytes, start: int) -> int | None:
    """The offset just past the ``>>`` closing the dictionary that opens at ``start``."""
    depth, pos = 0, start
    while pos < len(data):
        if data.startswith(b"<<", pos):
            depth, pos = depth + 1, pos + 2
        elif data.startswith(b">>", pos):
            depth, pos = depth - 1, pos + 2
            if depth == 0:
                return pos
        elif data[pos] == ord("("):
            pos = literal_end(data, pos)
        elif data[pos] == ord("<"):
            pos = data.index(b">", pos) + 1
        else:
            pos += 1
    return None


def _with_entry(dictionary: bytes, entry: bytes) -> bytes:
    return b"<<" + entry + b"\n" + dictionary[2:]


def _described_link(dictionary: bytes) -> bytes | None:
    """A web or mail link annotation with its address as its ``/Contents`` (PDF/UA-1 7.18.5), or
    None for any other object and for a link that has a description already."""
    if not _LINK.search(dictionary) or b"/Contents" in dictionary:
        return None
    uri = _URI.search(dictionary)
    if uri is None:
        return None
    address = dictionary[uri.end():literal_end(dictionary, uri.end())]
    if address.startswith(_MAIL):
        address = b"(" + address[len(_MAIL):]
    return _with_entry(dictionary, b"/Contents " + address)


def _role_mapped(dictionary: bytes) -> bytes | None:
    """The structure tree root with a role map for Chromium's PDF 2.0 structure types (PDF/UA-1
    7.1: a type that is not standard is mapped to a standard one); None for any other object."""
    if not _STRUCT_TREE_ROOT.search(dictionary) or b"/RoleMap" in dictionary:
        return None
    return _with_entry(dictionary, _ROLE_MAP)


def _contents_with_artifacts(objects: dict[int, _Object]) -> dict[int, tuple[int, bytes]]:
    """The content streams of the pages that paint outside tagged content, with that painting
    marked as artifacts, as whole objects (dictionary and stream)."""
    changed = {}
    for page in objects.values():
        contents = _CONTENTS.search(page.value) if _PAGE.search(page.value) else None
        if contents is None:
            continue
        numbers = [int(contents[1])] if contents[1] else \
            [int(ref[1]) for ref in _REFERENCE.finditer(contents[2])]
        for number in numbers:
            stream = objects.get(number)
            marked = _stream_with_artifacts(stream) if stream is not None else None
            if stream is not None and marked is not None:
                changed[number] = (stream.generation, marked)
    return changed


def _stream_with_artifacts(stream: _Object) -> bytes | None:
    dictionary, stored = stream.value, stream.stream
    flate = re.search(rb"/Filter\s*/FlateDecode\b", dictionary) is not None
    if stored is None or b"/DecodeParms" in dictionary or \
            (b"/Filter" in dictionary and not flate):
        return None
    try:
        content = zlib.decompress(stored) if flate else stored
    except zlib.error:
        return None
    marked = artifacts_marked(content)
    if marked is None:
        return None
    encoded = zlib.compress(marked, 9) if flate else marked
    dictionary = _LENGTH.sub(b"/Length %d" % len(encoded), dictionary, count=1)
    return dictionary + b"\nstream\n" + encoded + b"\nendstream"


def _xmp(title: str) -> bytes:
    """XMP metadata naming the document and the part of PDF/UA it conforms to."""
    return (
        '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>\n'
        '<x:xmpmeta xmlns:x="adobe:ns:meta/">\n'
        '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">\n'
        '<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/" '
        'xmlns:pdfuaid="http://www.aiim.org/pdfua/ns/id/">\n'
        f'<dc:title><rdf:Alt><rdf:li xml:lang="x-default">{escape(_NOT_IN_XML.sub("", title))}'
        "</rdf:li></rdf:Alt></dc:title>\n"
        "<pdfuaid:part>1</pdfuaid:part>\n"
        "</rdf:Description>\n</rdf:RDF>\n</x:xmpmeta>\n"
        '<?xpacket end="r"?>'
    ).encode()


def _update(data: bytes, trailer: _Trailer, changed: dict[int, tuple[int, bytes]], metadata: int,
            xmp: bytes) -> bytes:
    """The incremental update: ``changed`` objects, the metadata stream, their table and trailer."""
    body = bytearray(b"\n" if not data.endswith(b"\n") else b"")
    offsets: dict[int, tuple[int, int]] = {}
    for number, (generation, dictionary) in sorted(changed.items()):
        offsets[number] = (len(data) + len(body), generation)
        body += b"%d %d obj\n%s\nendobj\n" % (number, generation, dictionary)
    offsets[metadata] = (len(data) + len(body), 0)
    body += (b"%d 0 obj\n<</Type /Metadata /Subtype /XML /Length %d>>\nstream\n%s\nendstream\nendobj\n"
             % (metadata, len(xmp), xmp))
    xref = len(data) + len(body)
    body += b"xref\n" + _xref_table(offsets)
    identifier = hashlib.md5(_TIMESTAMPS.sub(b"", data), usedforsecurity=False).hexdigest().encode()
    info = b"/Info %d 0 R " % trailer.info if trailer.info is not None else b""
    body += (b"trailer\n<</Size %d /Root %d 0 R %s/Prev %d /ID [<%s> <%s>]>>\nstartxref\n%d\n%%%%EOF\n"
             % (max(offsets) + 1, trailer.root, info, trailer.xref, identifier, identifier, xref))
    return bytes(body)


def _xref_table(offsets: dict[int, tuple[int, int]]) -> bytes:
    """Cross-reference subsections, one per run of consecutive object numbers."""
    table, run = bytearray(), list[int]()
    for number in sorted(offsets):
        if run and number != run[-1] + 1:
            table += _subsection(run, offsets)
            run = []
        run.append(number)
    if run:
        table += _subsection(run, offsets)
    return bytes(table)


def _subsection(numbers: list[int], offsets: dict[int, tuple[int, int]]) -> bytes:
    entries = b"".join(b"%010d %05d n\r\n" % offsets[number] for number in numbers)
    return b"%d %d\n" % (numbers[0], len(numbers)) + entries
