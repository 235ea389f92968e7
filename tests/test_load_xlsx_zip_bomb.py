"""An XLSX whose shared strings unpack a thousandfold (a zip bomb) is refused before openpyxl
holds them in memory."""

from __future__ import annotations

import contextlib
import csv
import re
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from openpyxl import Workbook

from edcbridge.load import InputFileError, iter_awards, load_catalogue
from edcbridge.load.tabular import read_rows
from tests.conftest import FIXTURES
from tests.memory_limited import printed_within

CATALOGUE = FIXTURES / "imperial" / "catalogue.yaml"
SHARED = ("application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml",
          "http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings")


def _bomb(tmp_path: Path, strings: int) -> Path:
    with (FIXTURES / "imperial" / "awards.csv").open(encoding="utf-8-sig") as source:
        rows = list(csv.reader(source))[:2]
    book = Workbook()
    book.active.title = "awards"
    for row in rows:
        book.active.append(row)
    plain = tmp_path / "plain.xlsx"
    book.save(plain)
    bomb = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(plain) as src, zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as out:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "[Content_Types].xml":
                data = data.replace(b"</Types>", f'<Override PartName="/xl/sharedStrings.xml" '
                                    f'ContentType="{SHARED[0]}"/></Types>'.encode())
            if item.filename == "xl/_rels/workbook.xml.rels":
                data = data.replace(b"</Relationships>", f'<Relationship Id="rIdSS" Type="{SHARED[1]}" '
                                    'Target="sharedStrings.xml"/></Relationships>'.encode())
            out.writestr(item.filename, data)
        with out.open("xl/sharedStrings.xml", "w") as handle:
            handle.write(b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">')
            for _ in range(strings // 100_000):
                handle.write(b"<si><t>a</t></si>" * 100_000)
            handle.write(b"</sst>")
    return bomb


def test_a_shared_strings_bomb_is_refused_at_once(tmp_path: Path) -> None:
    bomb = _bomb(tmp_path, 1_000_000)  # 17 MB of XML in about 40 KB
    assert bomb.stat().st_size < 100_000
    with pytest.raises(InputFileError, match="unpacks"):
        list(iter_awards(bomb, load_catalogue(CATALOGUE)))


STYLES = "xl/styles.xml"
MEMORY_LIMIT_MB = 1024


def _with_many_cell_formats(tmp_path: Path, formats: int) -> Path:
    """A workbook whose styles list ``formats`` cell formats: moderately compressible (well under
    the 200-fold ratio), as a program writing formats of its own would make them."""
    styled = tmp_path / "styled.xlsx"
    with _rewritten(tmp_path, styled) as (src, out):
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == STYLES:
                head, rest = data.split(b"<cellXfs", 1)
                tail = rest.split(b"</cellXfs>", 1)[1]
                xfs = b"".join(b'<xf numFmtId="%d" fontId="0" fillId="0" borderId="0" xfId="0"/>'
                               % (index * 7919 % 164) for index in range(formats))
                data = head + b'<cellXfs count="%d">' % formats + xfs + b"</cellXfs>" + tail
            out.writestr(item.filename, data)
    return styled


@contextlib.contextmanager
def _rewritten(tmp_path: Path, target: Path) -> Iterator[tuple[zipfile.ZipFile, zipfile.ZipFile]]:
    """A plain workbook of one header row to read from, and ``target`` to write its parts to."""
    book = Workbook()
    book.active.title = "awards"
    book.active.append(["award_id", "learner_id"])
    plain = tmp_path / "plain.xlsx"
    book.save(plain)
    with zipfile.ZipFile(plain) as src, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as out:
        yield src, out


def test_styles_that_unpack_past_the_part_limit_are_refused_unread(tmp_path: Path) -> None:
    workbook = _with_many_cell_formats(tmp_path, 300_000)  # 19 MB of formats
    with zipfile.ZipFile(workbook) as archive:
        styles = archive.getinfo(STYLES)
    assert styles.file_size > 16 * 1024 * 1024
    assert styles.file_size < 200 * styles.compress_size  # no zip bomb by the ratio
    printed = printed_within(MEMORY_LIMIT_MB, f"""
        from pathlib import Path
        from edcbridge.load import InputFileError
        from edcbridge.load.tabular import read_rows
        try:
            read_rows(Path({str(workbook)!r}))
        except InputFileError as exc:
            print(exc)
    """)
    assert f"styled.xlsx: xl/styles.xml unpacks to {styles.file_size:,} bytes" in printed


def test_a_workbook_of_thousands_of_cell_formats_is_read(tmp_path: Path) -> None:
    workbook = _with_many_cell_formats(tmp_path, 64_000)  # Excel's most
    assert read_rows(workbook).header == ["award_id", "learner_id"]


# the parts openpyxl reads whole are bounded wherever the workbook puts them

def _with_part(tmp_path: Path, part: str, content_type: str | None, relationship: str | None,
               size: int) -> Path:
    """A workbook with a part of about ``size`` bytes at ``part``, moderately compressible
    (well under the 200-fold ratio), declared with ``content_type`` and, from the workbook,
    related as ``relationship``; or, with neither, a sheet's relationships."""
    path = tmp_path / "parts.xlsx"
    with _rewritten(tmp_path, path) as (src, out):
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "[Content_Types].xml" and content_type is not None:
                data = data.replace(b"</Types>", f'<Override PartName="/{part}" '
                                    f'ContentType="{content_type}"/></Types>'.encode())
            if item.filename == "xl/_rels/workbook.xml.rels" and relationship is not None:
                data = data.replace(b"</Relationships>", f'<Relationship Id="rIdX" Type="{relationship}" '
                                    f'Target="/{part}"/></Relationships>'.encode())
            out.writestr(item.filename, data)
        if relationship is None:
            head, tail = (b'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
                          b'relationships">', b"</Relationships>")
            item = b'<Relationship Id="r%d" Type="http://example.org/%08d" Target="x.xml"/>'
        else:
            head, tail = b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">', b"</sst>"
            item = b"<si><t>%d %08d</t></si>"
        body = b"".join(item % (n, n * 7919 % 99999989) for n in range(size // len(item)))
        out.writestr(part, head + body + tail)
    return path


@pytest.mark.parametrize("part", ["xl/worksheets/strings.xml", "xl/strings.dat"])
def test_shared_strings_put_anywhere_are_bounded_as_shared_strings(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, part: str) -> None:
    from edcbridge.load.tabular import xlsx_parts
    monkeypatch.setattr(xlsx_parts, "MAX_SHARED_STRINGS", 2 * 1024 * 1024)
    path = _with_part(tmp_path, part, SHARED[0], SHARED[1], 3 * 1024 * 1024)
    with pytest.raises(InputFileError, match=f"{re.escape(part)} unpacks to"):
        read_rows(path)


def test_the_relationships_of_a_sheet_are_bounded_as_parts_read_whole(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from edcbridge.load.tabular import xlsx_parts
    monkeypatch.setattr(xlsx_parts, "MAX_XLSX_PART", 2 * 1024 * 1024)
    path = _with_part(tmp_path, "xl/worksheets/_rels/sheet1.xml.rels", None, None, 3 * 1024 * 1024)
    with pytest.raises(InputFileError, match=r"xl/worksheets/_rels/sheet1\.xml\.rels unpacks to"):
        read_rows(path)
