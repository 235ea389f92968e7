"""The parts of an XLSX file (a zip of XML) checked before openpyxl reads any: a part that
unpacks too far for the way openpyxl reads it (a zip bomb), or that declares a DTD."""

from __future__ import annotations

import re
import zipfile
import zlib
from pathlib import Path
from typing import Any

from edcbridge.load.errors import InputFileError

# An XLSX file is a zip, and openpyxl holds all its shared strings in memory: 212 KB of
# repeated <si> (a thousandfold compression) took 84 s and 545 MB. Workbooks compress about
# tenfold; the shared strings of 100,000 awards are a few tens of MB.
MAX_XLSX_RATIO = 200
MAX_SHARED_STRINGS = 64 * 1024 * 1024
# openpyxl parses the other XML parts whole (styles, workbook, relationships, properties, charts),
# as trees and then objects: 62 MB of cell formats, 1 MB zipped, took more than 1.5 GB. Excel
# keeps at most 64,000 cell formats, a few MB; the sheets are read as a stream, and pivot caches
# are not read at all.
MAX_XLSX_PART = 16 * 1024 * 1024
# a part is streamed where Excel puts sheets and pivot caches (their relationships, in _rels/
# below, are read whole), unless [Content_Types].xml declares it as another part: openpyxl finds
# the shared strings and the workbook by their declared type, wherever they are
_STREAMED_PARTS = re.compile(r"xl/(worksheets|pivotcache)/[^/]+")
_SPREADSHEETML = "application/vnd.openxmlformats-officedocument.spreadsheetml."
_STREAMED_TYPES = frozenset(_SPREADSHEETML + kind for kind in (
    "worksheet+xml", "pivotCacheRecords+xml", "pivotCacheDefinition+xml"))
_SHARED_STRINGS_TYPE = _SPREADSHEETML + "sharedStrings+xml"


def _part_too_large(member: zipfile.ZipInfo, types: dict[str, str]) -> bool:
    """Whether a zip member unpacks to more than openpyxl should be given to read; ``types``:
    the content type [Content_Types].xml declares for a part, by its name in lower case."""
    name, inflated = member.filename.lower(), member.file_size
    if inflated > 1024 * 1024 and inflated > MAX_XLSX_RATIO * max(member.compress_size, 1):
        return True
    declared = types.get(name)
    if name.endswith("sharedstrings.xml") or declared == _SHARED_STRINGS_TYPE:
        return inflated > MAX_SHARED_STRINGS
    streamed = _STREAMED_PARTS.fullmatch(name) is not None and declared in (None, *_STREAMED_TYPES)
    return _xml(name, types) and not streamed and inflated > MAX_XLSX_PART


def _xml(name: str, types: dict[str, str]) -> bool:
    """Whether a part (``name`` in lower case) is XML: by its name, or by the type declared."""
    return name.endswith((".xml", ".rels")) or types.get(name, "").endswith(("+xml", "/xml"))


def _content_types(archive: zipfile.ZipFile) -> dict[str, str]:
    """The content type of each part [Content_Types].xml declares one for, by the part's name in
    lower case; none when it cannot be read here (too large, a DTD, not XML: said by the checks
    of every part, or by openpyxl)."""
    from xml.etree import ElementTree

    try:
        member = archive.getinfo("[Content_Types].xml")
    except KeyError:
        return {}
    if member.file_size > MAX_XLSX_PART or _prolog_problem(archive, member, {}) is not None:
        return {}
    try:
        root = ElementTree.fromstring(archive.read(member))  # no DTD: no entity to expand
    except ElementTree.ParseError:
        return {}
    return {(item.get("PartName") or "").lstrip("/").lower(): item.get("ContentType") or ""
            for item in root if item.tag.endswith("}Override")}


_SAVE_AGAIN = "save it again from Excel or LibreOffice as .xlsx, or export it as CSV"


def check_zip(path: Path) -> None:
    """InputFileError when the workbook is not to be given to openpyxl (see :func:`_zip_problem`)."""
    problem = _zip_problem(path)
    if problem is not None:
        raise InputFileError(str(path), problem, _SAVE_AGAIN)


def _zip_problem(path: Path) -> str | None:
    """Why the workbook is not given to openpyxl: a part that unpacks too far, or declares a DTD."""
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
            types = _content_types(archive)
            for member in members:
                if _part_too_large(member, types):
                    return (f"{member.filename} unpacks to {member.file_size:,} bytes from "
                            f"{member.compress_size:,}: not a workbook edcbridge reads (a zip bomb?)")
            for member in members:
                prolog = _prolog_problem(archive, member, types)
                if prolog is not None:
                    return f"{member.filename} {prolog}"
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, zlib.error,
            RuntimeError, NotImplementedError):  # (an encrypted part, a compression such as Deflate64)
        pass  # load_workbook names what is wrong
    return None


_PROLOG = 64 * 1024  # an XML declaration and comments; Excel writes the root element at once


class _Root(Exception):
    """The root element began: no DTD can follow."""


def _prolog_problem(archive: zipfile.ZipFile, member: zipfile.ZipInfo, types: dict[str, str]) -> str | None:
    """What an XML part declares before its root element that no spreadsheet writes: a DTD (the
    Open Packaging Conventions forbid one; openpyxl's stream parser, expat, would expand the
    entities it declares into cells Excel and LibreOffice never show), or 64 KB of anything."""
    from xml.parsers import expat

    if not _xml(member.filename.lower(), types):
        return None
    parser = expat.ParserCreate()
    found: list[bool] = []

    def doctype(*_: Any) -> None:
        found.append(True)
        raise _Root

    def root(*_: Any) -> None:
        raise _Root

    parser.StartDoctypeDeclHandler = doctype
    parser.StartElementHandler = root
    with archive.open(member) as part:
        data = part.read(_PROLOG)
    try:
        parser.Parse(data, len(data) < _PROLOG)
    except _Root:
        return ("declares a DTD (<!DOCTYPE>), which no spreadsheet writes: the entities it may "
                "declare would give cells values no spreadsheet shows") if found else None
    except expat.ExpatError:
        return None  # not XML: load_workbook names the damage
    if len(data) < _PROLOG:
        return None
    return f"holds no element in its first {_PROLOG // 1024} KB, as no spreadsheet writes it"
