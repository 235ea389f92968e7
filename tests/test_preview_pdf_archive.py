"""The --pdf output as a learner, an employer and an archive receive it: tagged, titled, with
bookmarks, fonts embedded, text extractable as written, links only to the web or mail, nothing
executable, and a reprint that leaves an unchanged file alone.

Read with a small PDF object reader (no PDF library is a dependency): Chromium's Skia writes
plain objects with a classic cross-reference table, which is all the reader handles.
"""

from __future__ import annotations

import base64
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from edcbridge.mapping.edc import to_edc
from edcbridge.output import serialise
from edcbridge.preview import PreviewOptions, preview_file
from edcbridge.preview.pdf import PdfPrinter
from edcbridge.preview.pdf_artifacts import artifacts_marked
from edcbridge.preview.pdf_finish import pdf_ua
from tests.conftest import need_tool
from tests.preview_support import first_award

_SPACE = b" \t\r\n\f\0"
_DELIMITERS = b"()<>[]{}/%"
_ESCAPES = {ord("n"): 10, ord("r"): 13, ord("t"): 9, ord("b"): 8, ord("f"): 12}

PROBE = """<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Probe page</title></head>
<body><h1>Probe heading</h1><h2>Second part</h2>
<p lang="pl">Zażółć gęślą jaźń, Łódź</p><p lang="el">Ελληνικά γράμματα</p>
<p lang="uk">Кириллица Щука</p><p>Certificate of office affluent flow</p>
<p><a href="https://example.org/">web</a> <a href="mailto:office@example.org">mail</a>
<a href="file:///etc/passwd">local file</a> <a href="javascript:alert(1)">script</a>
<a href="data:text/html,x">inline data</a> <a href="ftp://example.org/">old ftp</a></p>
</body></html>
"""


@dataclass(frozen=True)
class Ref:
    num: int


@dataclass(frozen=True)
class Stream:
    head: dict[str, Any]
    raw: bytes

    def data(self) -> bytes:
        return zlib.decompress(self.raw) if self.head.get("Filter") == "FlateDecode" else self.raw


class _Reader:
    """PDF values (dictionaries, arrays, names, strings, numbers, references) from ``data``."""

    def __init__(self, data: bytes, pos: int = 0) -> None:
        self.data, self.pos = data, pos

    def skip(self) -> None:
        while self.pos < len(self.data):
            if self.data[self.pos] in _SPACE:
                self.pos += 1
            elif self.data[self.pos] == ord("%"):
                while self.pos < len(self.data) and self.data[self.pos] not in b"\r\n":
                    self.pos += 1
            else:
                return

    def word(self) -> bytes:
        self.skip()
        start = self.pos
        while self.pos < len(self.data) and self.data[self.pos] not in _SPACE + _DELIMITERS:
            self.pos += 1
        return self.data[start:self.pos]

    def value(self) -> Any:
        self.skip()
        data, pos = self.data, self.pos
        if data.startswith(b"<<", pos):
            self.pos += 2
            items = self._until(b">>")
            return {str(items[i]): items[i + 1] for i in range(0, len(items), 2)}
        if data.startswith(b"[", pos):
            self.pos += 1
            return self._until(b"]")
        if data.startswith(b"/", pos):
            self.pos += 1
            name = re.sub(rb"#([0-9A-Fa-f]{2})", lambda m: bytes([int(m[1], 16)]), self.word())
            return name.decode("latin-1")
        if data.startswith(b"(", pos):
            return self._literal()
        if data.startswith(b"<", pos):
            end = data.index(b">", pos)
            self.pos = end + 1
            digits = re.sub(rb"\s", b"", data[pos + 1:end])
            return bytes.fromhex((digits + b"0" * (len(digits) % 2)).decode())
        return self._number_or_word()

    def _until(self, closing: bytes) -> list[Any]:
        items: list[Any] = []
        while True:
            self.skip()
            if self.data.startswith(closing, self.pos):
                self.pos += len(closing)
                return items
            items.append(self.value())

    def _number_or_word(self) -> Any:
        word = self.word()
        if re.fullmatch(rb"\d+", word):
            before = self.pos
            generation, r = self.word(), self.word()
            if re.fullmatch(rb"\d+", generation) and r == b"R":
                return Ref(int(word))
            self.pos = before
            return int(word)
        if re.fullmatch(rb"[+-]?(\d+\.?\d*|\.\d+)", word):
            return float(word)
        return {b"true": True, b"false": False, b"null": None}.get(word, word)

    def _literal(self) -> bytes:
        data, out, depth = self.data, bytearray(), 0
        while True:
            char = data[self.pos]
            self.pos += 1
            if char == ord("\\"):
                out += self._escape()
                continue
            depth += (char == ord("(")) - (char == ord(")"))
            if depth == 0:
                return bytes(out[1:])
            out.append(char)

    def _escape(self) -> bytes:
        char = self.data[self.pos]
        self.pos += 1
        if char in _ESCAPES:
            return bytes([_ESCAPES[char]])
        if ord("0") <= char <= ord("7"):
            match = re.match(rb"[0-7]{0,2}", self.data[self.pos:])
            assert match is not None
            self.pos += match.end()
            return bytes([int(bytes([char]) + match[0], 8) & 255])
        return b"" if char in b"\r\n" else bytes([char])


class Pdf:
    """The objects, trailer and page texts of one PDF."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.objects: dict[int, Any] = {}
        for match in re.finditer(rb"(?m)^(\d+) \d+ obj\b", data):
            reader = _Reader(data, match.end())
            value = reader.value()
            reader.skip()
            if data.startswith(b"stream", reader.pos):
                start = reader.pos + (8 if data.startswith(b"stream\r\n", reader.pos) else 7)
                value = Stream(value, data[start:start + value["Length"]])
            self.objects[int(match[1])] = value
        self.trailer: dict[str, Any] = _Reader(data, data.rindex(b"trailer") + 7).value()

    def get(self, value: Any) -> Any:
        while isinstance(value, Ref):
            value = self.objects.get(value.num)
        return value

    @property
    def catalog(self) -> dict[str, Any]:
        return self.get(self.trailer["Root"])  # type: ignore[no-any-return]

    def dictionaries(self) -> Iterator[dict[str, Any]]:
        """Every dictionary, at any depth (stream dictionaries included)."""
        stack = [*self.objects.values(), self.trailer]
        while stack:
            value = stack.pop()
            if isinstance(value, Stream):
                value = value.head
            if isinstance(value, dict):
                yield value
                stack.extend(value.values())
            elif isinstance(value, list):
                stack.extend(value)

    def pages(self) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        pending = [self.catalog["Pages"]]
        while pending:
            node = self.get(pending.pop(0))
            if node.get("Type") == "Pages":
                pending[:0] = node["Kids"]
            else:
                found.append(node)
        return found

    def page_text(self, page: dict[str, Any]) -> str:
        """The page's characters in content order, through each font's ToUnicode map."""
        fonts = {name: _unicode_map(self, self.get(font))
                 for name, font in self.get(self.get(page["Resources"]).get("Font", {})).items()}
        contents = self.get(page["Contents"])
        streams = [self.get(c) for c in contents] if isinstance(contents, list) else [contents]
        reader, operands, out = _Reader(b"\n".join(s.data() for s in streams)), [], []
        codes: tuple[dict[int, str], int] = ({}, 1)
        while reader.pos < len(reader.data):
            reader.skip()
            if reader.pos >= len(reader.data):
                break
            if reader.data[reader.pos] in b"/[(<+-.0123456789":
                operands.append(reader.value())
                continue
            operator = reader.word()
            if not operator:  # a stray delimiter
                reader.pos += 1
            if operator == b"Tf":
                codes = fonts.get(operands[-2], ({}, 1))
            elif operator in (b"Tj", b"TJ"):
                shown = operands[-1] if isinstance(operands[-1], list) else [operands[-1]]
                out += [_decode(s, *codes) for s in shown if isinstance(s, bytes)]
            elif operator == b"ET":
                out.append(" ")
            operands = []
        return "".join(out)


def _unicode_map(pdf: Pdf, font: dict[str, Any]) -> tuple[dict[int, str], int]:
    """Code -> text of a font's ToUnicode CMap, and its code width in bytes."""
    cmap = pdf.get(font.get("ToUnicode"))
    mapping: dict[int, str] = {}
    data = cmap.data() if cmap else b""
    for block in re.findall(rb"beginbfchar(.*?)endbfchar", data, re.S):
        for code, text in re.findall(rb"<(\w+)>\s*<(\w+)>", block):
            mapping[int(code, 16)] = bytes.fromhex(text.decode()).decode("utf-16-be")
    for block in re.findall(rb"beginbfrange(.*?)endbfrange", data, re.S):
        for low, high, first in re.findall(rb"<(\w+)>\s*<(\w+)>\s*<(\w+)>", block):
            start = int(first, 16)
            for offset in range(int(high, 16) - int(low, 16) + 1):
                mapping[int(low, 16) + offset] = chr(start + offset)
    return mapping, 2 if font.get("Subtype") == "Type0" else 1


def _decode(shown: bytes, mapping: dict[int, str], width: int) -> str:
    return "".join(mapping.get(int.from_bytes(shown[i:i + width], "big"), "\ufffd")
                   for i in range(0, len(shown), width))


def _text(value: Any) -> str:
    if isinstance(value, bytes):
        return value[2:].decode("utf-16-be") if value.startswith(b"\xfe\xff") else value.decode("latin-1")
    return str(value)


def _squeezed(text: str) -> str:
    return "".join(text.split())


@pytest.fixture(scope="module")
def printer() -> Iterator[PdfPrinter]:
    need_tool("chromium")
    with PdfPrinter() as chromium:
        yield chromium


@pytest.fixture(scope="module")
def probe(printer: PdfPrinter, tmp_path_factory: pytest.TempPathFactory) -> Pdf:
    folder = tmp_path_factory.mktemp("probe")
    (folder / "probe.html").write_text(PROBE, encoding="utf-8")
    printer.print(folder / "probe.html", folder / "probe.pdf")
    return Pdf((folder / "probe.pdf").read_bytes())


@pytest.fixture(scope="module")
def sample(reference: Path, printer: PdfPrinter, tmp_path_factory: pytest.TempPathFactory) -> Pdf:
    """The EC micro-credential sample (sealed, with an annex) as ``preview --pdf`` prints it."""
    source = reference / "examples" / "elm-repo-v3-jsonld" / "Sample-MC-Annex1-signed.jsonld"
    result = preview_file(source, tmp_path_factory.mktemp("sample"), PreviewOptions(pdf=True),
                          printer=printer)
    assert result.pdf is not None
    return Pdf(result.pdf.read_bytes())


def _structure_types(pdf: Pdf) -> list[str]:
    return [d["S"] for d in pdf.dictionaries() if d.get("Type") == "StructElem"]


def _bookmarks(pdf: Pdf) -> list[str]:
    titles, pending = [], [pdf.catalog.get("Outlines")]
    while pending:
        item = pdf.get(pending.pop())
        if item:
            if "Title" in item:
                titles.append(_text(item["Title"]))
            pending += [item.get("Next"), item.get("First")]
    return titles


def test_credential_pdf_is_tagged_in_english_with_its_title_shown(sample: Pdf) -> None:
    catalog = sample.catalog
    assert catalog["MarkInfo"]["Marked"] is True and "StructTreeRoot" in catalog
    assert _text(catalog["Lang"]) == "en"
    assert catalog["ViewerPreferences"]["DisplayDocTitle"] is True
    assert _text(sample.get(sample.trailer["Info"])["Title"]).startswith("Seal: UNCONFIRMED")
    kinds = _structure_types(sample)
    assert kinds.count("H1") == 1 and "H2" in kinds and "Table" in kinds and "L" in kinds
    headers = [d for d in sample.dictionaries() if d.get("S") == "TH"]
    assert headers and all(any("Scope" in a for a in h["A"]) for h in headers)
    figures = [d for d in sample.dictionaries() if d.get("S") == "Figure" and "Alt" in d]
    assert any(_text(f["Alt"]).startswith("QR code") for f in figures)


def test_texts_in_other_languages_keep_their_language_in_the_pdf(printer: PdfPrinter,
                                                                 tmp_path: Path) -> None:
    """PDF/UA-1 7.2 (WCAG 3.1.2): the Bulgarian title, names and outcomes of a credential are
    marked Bulgarian in the PDF's structure, each as on the page, so a screen reader does not
    read them out as English."""
    plain = tmp_path / "sofia.jsonld"
    plain.write_bytes(serialise(to_edc(*first_award("sofia"))))
    result = preview_file(plain, tmp_path / "pages", PreviewOptions(pdf=True), printer=printer)
    assert result.pdf is not None
    pdf = Pdf(result.pdf.read_bytes())
    marked = [_text(d["Lang"]) for d in pdf.dictionaries()
              if d.get("Type") == "StructElem" and "Lang" in d and d.get("S") != "Figure"]
    page = result.html.read_text("utf-8").split("<body>", 1)[1]
    assert marked.count("bg") == page.count('<span lang="bg"') > 10
    assert set(marked) == {"en", "bg"}  # English, the document's language, is inherited


def test_every_figure_in_the_pdf_has_a_text_alternative(sample: Pdf) -> None:
    """PDF/UA-1 7.3: a Figure has an Alt. The QR code and the card picture have theirs; the
    HTML figure around each (with its caption) must not become a Figure without one."""
    figures = [d for d in sample.dictionaries() if d.get("Type") == "StructElem" and d.get("S") == "Figure"]
    assert figures and all("Alt" in figure for figure in figures), [f.get("Alt") for f in figures]


def test_credential_pdf_has_bookmarks_from_its_headings(sample: Pdf, probe: Pdf) -> None:
    assert _bookmarks(probe) == ["Probe heading", "Second part"]
    marks = _bookmarks(sample)
    assert marks[0] == "Micro-Credential" and len(marks) >= 5


def test_verdict_is_on_the_first_page(sample: Pdf) -> None:
    assert "Seal:UNCONFIRMED" in _squeezed(sample.page_text(sample.pages()[0]))


def test_fonts_are_embedded_with_a_unicode_map(sample: Pdf, probe: Pdf) -> None:
    for pdf in (sample, probe):
        fonts = [d for d in pdf.dictionaries() if d.get("Type") == "Font"]
        assert fonts
        for font in fonts:
            if font.get("Subtype") == "Type0":
                assert "ToUnicode" in font, font["BaseFont"]
            else:
                descriptor = pdf.get(font["FontDescriptor"])
                assert {"FontFile", "FontFile2", "FontFile3"} & set(descriptor), font["BaseFont"]


def test_text_extracts_as_the_letters_written(probe: Pdf) -> None:
    """Polish, Greek and Cyrillic letters come out as themselves, and "fi", "ffl" as letters,
    not as ligature glyphs, so the PDF can be searched and copied from."""
    text = _squeezed("".join(probe.page_text(page) for page in probe.pages()))
    for written in ("Zażółćgęśląjaźń,Łódź", "Ελληνικάγράμματα", "КириллицаЩука",
                    "Certificateofofficeaffluentflow"):
        assert written in text
    assert not re.search("[\ufb00-\ufb06\ufffd]", text)


def test_links_lead_only_to_web_or_mail_addresses(probe: Pdf) -> None:
    """Links to local files, scripts, inline data or other schemes are printed as plain text."""
    targets = sorted(_text(d["URI"]) for d in probe.dictionaries() if d.get("S") == "URI")
    assert targets == ["https://example.org/", "mailto:office@example.org"]
    text = _squeezed("".join(probe.page_text(page) for page in probe.pages()))
    assert "localfile" in text and "script" in text and "oldftp" in text


def test_nothing_executable_or_embedded(sample: Pdf, probe: Pdf) -> None:
    for pdf in (sample, probe):
        for entry in pdf.dictionaries():
            assert entry.get("S") not in ("JavaScript", "Launch", "ImportData", "SubmitForm", "GoToE")
            assert not {"JS", "AA", "OpenAction", "EmbeddedFiles", "EF", "AcroForm"} & set(entry)


def test_reprint_leaves_an_unchanged_pdf_alone(printer: PdfPrinter, tmp_path: Path) -> None:
    """Chromium stamps each print with the time: a reprint of the same page keeps the first file."""
    (tmp_path / "probe.html").write_text(PROBE, encoding="utf-8")
    target = tmp_path / "probe.pdf"
    printer.print(tmp_path / "probe.html", target)
    first = target.read_bytes()
    time.sleep(1.1)  # the timestamp counts seconds
    printer.print(tmp_path / "probe.html", target)
    assert target.read_bytes() == first
    (tmp_path / "probe.html").write_text(PROBE.replace("Second part", "Changed part"), encoding="utf-8")
    printer.print(tmp_path / "probe.html", target)
    assert target.read_bytes() != first


def test_file_size_stays_modest(sample: Pdf) -> None:
    """Fonts are subset: a dozen pages of text stay well under a megabyte."""
    assert len(sample.data) < 1_000_000


def _qpdf_objects(pdf: Pdf) -> dict[str, Any]:
    """The objects of ``pdf`` as qpdf reads them (JSON v2: ``obj:N G R`` and ``trailer``), after
    ``qpdf --check`` found the file sound."""
    qpdf = need_tool("qpdf")
    with tempfile.TemporaryDirectory() as folder:
        file = Path(folder) / "read.pdf"
        file.write_bytes(pdf.data)
        check = subprocess.run([qpdf, "--check", file], capture_output=True, text=True, check=False)
        assert check.returncode == 0, check.stdout + check.stderr
        shown = subprocess.run([qpdf, "--json=2", "--json-key=qpdf", "--json-stream-data=inline",
                                "--decode-level=generalized", file], capture_output=True, check=True)
    objects: dict[str, Any] = json.loads(shown.stdout)["qpdf"][1]
    return objects


def _nested(value: Any) -> Iterator[dict[str, Any]]:
    """Every dictionary in a qpdf JSON value, at any depth."""
    if isinstance(value, dict):
        yield value
        for item in value.values():
            yield from _nested(item)
    elif isinstance(value, list):
        for item in value:
            yield from _nested(item)


def test_every_link_is_described_and_tagged_as_a_link(sample: Pdf, probe: Pdf) -> None:
    """PDF/UA-1 7.18.5: a link annotation has an alternate description (``/Contents``: the address
    it leads to, a mail address without ``mailto:``) and is the object of a ``Link`` element of
    the structure tree."""
    for pdf in (sample, probe):
        objects = _qpdf_objects(pdf)
        links = {ref.removeprefix("obj:"): entry["value"] for ref, entry in objects.items()
                 if isinstance(entry.get("value"), dict) and entry["value"].get("/Subtype") == "/Link"}
        assert links
        for link in links.values():
            address = link["/A"]["/URI"].removeprefix("u:")
            assert link.get("/Contents") == "u:" + address.removeprefix("mailto:"), link
            assert isinstance(link.get("/StructParent"), int)
        tagged = {kid["/Obj"] for entry in objects.values() for element in _nested(entry)
                  if element.get("/S") == "/Link" for kid in _nested(element.get("/K"))
                  if kid.get("/Type") == "/OBJR"}
        assert tagged == set(links)


def test_pdf_names_its_title_and_pdf_ua_part_in_xmp_metadata(sample: Pdf) -> None:
    """PDF/UA-1 5 and 7.1: the catalog's metadata stream (XMP) says the file conforms to PDF/UA
    part 1 and holds the document's title, the one the viewer shows in its window."""
    objects = _qpdf_objects(sample)
    catalog = objects["obj:" + objects["trailer"]["value"]["/Root"]]["value"]
    assert catalog["/ViewerPreferences"]["/DisplayDocTitle"] is True
    stream = objects["obj:" + catalog["/Metadata"]]["stream"]
    assert stream["dict"]["/Type"] == "/Metadata" and stream["dict"]["/Subtype"] == "/XML"
    xmp = etree.fromstring(base64.b64decode(stream["data"]))
    names = {"dc": "http://purl.org/dc/elements/1.1/", "pdfuaid": "http://www.aiim.org/pdfua/ns/id/",
             "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#"}
    assert xmp.xpath("//pdfuaid:part/text()", namespaces=names) == ["1"]
    title = xmp.xpath("//dc:title/rdf:Alt/rdf:li[@xml:lang='x-default']/text()", namespaces=names)
    assert title == [_text(sample.get(sample.trailer["Info"])["Title"])]
    assert title[0].startswith("Seal: UNCONFIRMED")


def test_pdf_has_a_file_identifier(sample: Pdf) -> None:
    """ISO 32000-1 14.4 (required by PDF/A): the trailer identifies the file."""
    identifier = _qpdf_objects(sample)["trailer"]["value"]["/ID"]
    assert len(identifier) == 2 and all(len(part) > 10 for part in identifier)


def test_a_pdf_without_a_classic_trailer_is_left_as_printed() -> None:
    """No PDF/UA identifier is claimed for a file whose structure was not read."""
    data = b"%PDF-1.5\n1 0 obj\n<</Type /Catalog>>\nendobj\nstartxref\n9\n%%EOF\n"
    assert pdf_ua(data, "Title") == data


# the structure types of ISO 32000-1 (PDF 1.7) 14.8.4
_STANDARD_TYPES = frozenset((
    "Document", "Part", "Art", "Sect", "Div", "BlockQuote", "Caption", "TOC", "TOCI", "Index",
    "NonStruct", "Private", "P", "H", "H1", "H2", "H3", "H4", "H5", "H6", "L", "LI", "Lbl", "LBody",
    "Table", "TR", "TH", "TD", "THead", "TBody", "TFoot", "Span", "Quote", "Note", "Reference",
    "BibEntry", "Code", "Link", "Annot", "Ruby", "RB", "RT", "RP", "Warichu", "WT", "WP", "Figure",
    "Formula", "Form"))


def test_every_structure_type_is_standard_or_mapped_to_a_standard_one(sample: Pdf, probe: Pdf) -> None:
    """PDF/UA-1 7.1: ``Strong`` and ``Em`` (PDF 2.0 types Chromium writes for <strong> and <em>)
    are mapped to a type of PDF 1.7 in the structure tree root's role map."""
    for pdf in (sample, probe):
        objects = _qpdf_objects(pdf)
        root = objects["obj:" + objects["obj:" + objects["trailer"]["value"]["/Root"]]["value"]
                       ["/StructTreeRoot"]]["value"]
        roles = {name.removeprefix("/"): mapped.removeprefix("/")
                 for name, mapped in root.get("/RoleMap", {}).items()}
        used = {element["/S"].removeprefix("/") for entry in objects.values() for element in _nested(entry)
                if element.get("/Type") == "/StructElem"}
        assert "Strong" in used or pdf is probe
        assert {roles.get(kind, kind) for kind in used} <= _STANDARD_TYPES, roles
        assert not set(roles) & _STANDARD_TYPES  # a standard type keeps its meaning


_PAINTING = {b"S", b"s", b"f", b"F", b"f*", b"B", b"B*", b"b", b"b*", b"Tj", b"TJ", b"'", b'"', b"sh"}


def _untagged_paintings(pdf: Pdf, page: dict[str, Any]) -> list[bytes]:
    """The painting operators of ``page`` outside any marked-content sequence."""
    contents = pdf.get(page["Contents"])
    streams = [pdf.get(c) for c in contents] if isinstance(contents, list) else [contents]
    reader, depth, found = _Reader(b"\n".join(s.data() for s in streams)), 0, []
    while reader.pos < len(reader.data):
        reader.skip()
        if reader.pos < len(reader.data) and reader.data[reader.pos] in b"/[(<+-.0123456789":
            reader.value()
            continue
        operator = reader.word()
        if not operator:
            reader.pos += 1
        depth += (operator in (b"BDC", b"BMC")) - (operator == b"EMC")
        if depth == 0 and operator in _PAINTING:
            found.append(operator)
    return found


def test_everything_painted_is_tagged_or_an_artifact(sample: Pdf) -> None:
    """PDF/UA-1 7.1: the page background and the boxes behind statuses and table cells, which
    Chromium paints outside the tagged content, are marked as artifacts."""
    assert all(_untagged_paintings(sample, page) == [] for page in sample.pages())
    assert b"/Artifact BMC" in b"".join(sample.get(page["Contents"]).data() for page in sample.pages())


def test_marking_the_pdf_for_pdf_ua_changes_nothing_it_shows(sample: Pdf, tmp_path: Path) -> None:
    """The pages as Chromium printed them (the file up to its first end) and as written render
    to the same pixels (poppler)."""
    pdftoppm = need_tool("pdftoppm")
    printed = sample.data[:sample.data.index(b"%%EOF") + 5] + b"\n"
    assert len(printed) < len(sample.data)
    (tmp_path / "printed.pdf").write_bytes(printed)
    (tmp_path / "written.pdf").write_bytes(sample.data)
    for name in ("printed", "written"):
        subprocess.run([pdftoppm, "-r", "30", "-png", tmp_path / f"{name}.pdf", tmp_path / name], check=True)
    printed_pages = sorted(tmp_path.glob("printed-*.png"))
    assert len(printed_pages) == len(sample.pages())
    for page in printed_pages:
        written = tmp_path / page.name.replace("printed", "written")
        assert page.read_bytes() == written.read_bytes(), page.name


def test_only_untagged_painting_becomes_an_artifact() -> None:
    """A path is wrapped whole (from its first point to its fill), text shown outside tags is
    wrapped inside its text object, a clip and tagged content are left alone, and a string that
    reads like an operator is not one."""
    content = (b"q 0 0 10 10 re W n 1 1 1 rg 0 0 5 5 re f Q "
               b"/P <</MCID 0>> BDC BT (f \\) S) Tj ET EMC BT (x) Tj ET")
    assert artifacts_marked(content) == (
        b"q 0 0 10 10 re W n 1 1 1 rg\n/Artifact BMC\n 0 0 5 5 re f\nEMC\n Q "
        b"/P <</MCID 0>> BDC BT (f \\) S) Tj ET EMC BT\n/Artifact BMC\n (x) Tj\nEMC\n ET")
    assert artifacts_marked(b"/P <</MCID 0>> BDC 0 0 5 5 re f EMC") is None
    assert artifacts_marked(b"BI /W 1 /H 1 ID x EI 0 0 1 1 re f") is None  # inline images: not read


def _element_kids(objects: dict[str, Any], element: dict[str, Any]) -> list[Any]:
    kids = element.get("/K", [])
    return kids if isinstance(kids, list) else [kids]


def _structure_elements(objects: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The structure elements of a qpdf JSON reading, by reference (``N G R``)."""
    return {ref.removeprefix("obj:"): entry["value"] for ref, entry in objects.items()
            if isinstance(entry.get("value"), dict) and entry["value"].get("/Type") == "/StructElem"}


def test_every_list_item_holds_a_label_and_a_list_body(sample: Pdf) -> None:
    """PDF/UA-1 7.6 (ISO 32000-1 14.8.4.3.3): an LI holds Lbl and LBody elements only, and the
    item's content (its text, its links) is in the LBody, each element naming its parent."""
    elements = _structure_elements(_qpdf_objects(sample))
    items = {ref: element for ref, element in elements.items() if element["/S"] == "/LI"}
    assert len(items) > 10
    for ref, item in items.items():
        kinds = [elements[kid]["/S"] for kid in _element_kids(elements, item)]
        assert set(kinds) == {"/Lbl", "/LBody"} and kinds.count("/LBody") == 1, (ref, kinds)
    bodies = [(ref, element) for ref, element in elements.items() if element["/S"] == "/LBody"]
    assert len(bodies) == len(items)
    for ref, body in bodies:
        assert elements[body["/P"]]["/S"] == "/LI"
        kids = [kid for kid in _element_kids(elements, body) if kid in elements]
        assert kids and all(elements[kid]["/P"] == ref for kid in kids)
    assert any(elements[kid]["/S"] == "/Link" for _, body in bodies for kid in _element_kids(elements, body)
               if kid in elements)


def _classic_pdf(objects: list[bytes]) -> bytes:
    """A PDF of ``objects`` (numbered from 1; the first the catalog) with a classic table."""
    data, offsets = bytearray(b"%PDF-1.7\n"), []
    for number, value in enumerate(objects, start=1):
        offsets.append(len(data))
        data += b"%d 0 obj\n%s\nendobj\n" % (number, value)
    xref = len(data)
    data += b"xref\n0 %d\n0000000000 65535 f\r\n" % (len(objects) + 1)
    data += b"".join(b"%010d 00000 n\r\n" % offset for offset in offsets)
    data += b"trailer\n<</Size %d /Root 1 0 R>>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(data)


_CONTENT = b"/Lbl <</MCID 0>> BDC EMC /LI <</MCID 1>> BDC EMC"
_ITEM_OWNING_CONTENT = [
    b"<</Type /Catalog /Pages 2 0 R /StructTreeRoot 5 0 R /MarkInfo <</Marked true>>>>",
    b"<</Type /Pages /Kids [3 0 R] /Count 1>>",
    b"<</Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] /Contents 4 0 R /StructParents 0 "
    b"/Annots [10 0 R] /Tabs /S>>",
    b"<</Length %d>>\nstream\n%s\nendstream" % (len(_CONTENT), _CONTENT),
    b"<</Type /StructTreeRoot /K 6 0 R /ParentTree 9 0 R /ParentTreeNextKey 2>>",
    b"<</Type /StructElem /S /L /P 5 0 R /K 7 0 R>>",
    b"<</Type /StructElem /S /LI /P 6 0 R /Pg 3 0 R /K [8 0 R 1 <</Type /OBJR /Obj 10 0 R>>]>>",
    b"<</Type /StructElem /S /Lbl /P 7 0 R /Pg 3 0 R /K 0>>",
    b"<</Nums [0 11 0 R 1 7 0 R]>>",
    b"<</Type /Annot /Subtype /Link /Rect [0 0 10 10] /A <</S /URI /URI (https://example.org/)>> "
    b"/StructParent 1>>",
    b"[8 0 R 7 0 R]",
]


def test_content_a_list_item_owns_itself_moves_to_its_body_in_the_parent_tree() -> None:
    """Marked content and a link annotation an LI owns directly go to its LBody, and the parent
    tree names the LBody as their owner (ISO 32000-1 14.7.4.4)."""
    objects = _qpdf_objects(Pdf(pdf_ua(_classic_pdf(_ITEM_OWNING_CONTENT), "Title")))
    elements = _structure_elements(objects)
    body_ref, body = next((ref, e) for ref, e in elements.items() if e["/S"] == "/LBody")
    assert elements["7 0 R"]["/K"] == ["8 0 R", body_ref]
    assert body["/P"] == "7 0 R" and body["/Pg"] == "3 0 R"
    assert body["/K"][0] == 1 and body["/K"][1]["/Obj"] == "10 0 R"
    assert objects["obj:11 0 R"]["value"] == ["8 0 R", body_ref]
    assert objects["obj:9 0 R"]["value"]["/Nums"] == [0, "11 0 R", 1, body_ref]


def test_a_list_item_is_left_as_it_is_when_the_parent_tree_cannot_follow() -> None:
    """Without a parent tree to say so, content the LI owns is not moved from it."""
    without_tree = [value.replace(b" /ParentTree 9 0 R", b"") for value in _ITEM_OWNING_CONTENT]
    elements = _structure_elements(_qpdf_objects(Pdf(pdf_ua(_classic_pdf(without_tree), "Title"))))
    assert "/LBody" not in {e["/S"] for e in elements.values()}
    assert elements["7 0 R"]["/K"][0] == "8 0 R" and elements["7 0 R"]["/K"][1] == 1


def test_a_parent_tree_in_another_form_leaves_the_lists_as_printed() -> None:
    """A parent tree whose ``/Nums`` is not an array is not read: the PDF is still marked, its
    list items left as Chromium wrote them."""
    odd = [value.replace(b"<</Nums [0 11 0 R 1 7 0 R]>>", b"<</Nums 11 0 R>>")
           for value in _ITEM_OWNING_CONTENT]
    marked = pdf_ua(_classic_pdf(odd), "Title")
    elements = _structure_elements(_qpdf_objects(Pdf(marked)))
    assert b"pdfuaid:part" in marked and "/LBody" not in {e["/S"] for e in elements.values()}


def test_a_named_pipe_where_the_pdf_goes_is_replaced_not_read(tmp_path: Path) -> None:
    """The PDF already in place is read to leave an unchanged one alone: a named pipe there (no
    writer ever comes) is replaced by the PDF instead."""
    need_tool("chromium")
    plain = tmp_path / "sofia.jsonld"
    plain.write_bytes(serialise(to_edc(*first_award("sofia"))))
    pages = tmp_path / "pages"
    pages.mkdir()
    os.mkfifo(pages / "sofia.pdf")
    run = subprocess.run([sys.executable, "-m", "edcbridge", "preview", "-q", "--pdf", "--no-format-check",
                          "--out", str(pages), str(plain)], capture_output=True, text=True, timeout=90)
    assert run.returncode == 0, run.stderr
    assert (pages / "sofia.pdf").is_file() and (pages / "sofia.pdf").read_bytes().startswith(b"%PDF-")
