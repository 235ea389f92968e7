"""An XLSX whose shared strings unpack a thousandfold (a zip bomb) is refused before openpyxl
holds them in memory."""

from __future__ import annotations

import csv
import zipfile
from pathlib import Path

import pytest
from openpyxl import Workbook

from edcbridge.load import InputFileError, iter_awards, load_catalogue
from tests.conftest import FIXTURES

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
