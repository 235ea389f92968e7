"""Content added inside a XAdES signature, where no reference covers it (a ds:Object of its own,
beside the QualifyingProperties, among the unsigned properties), leaves the seal intact, as the
EU DSS says too (XMLDSig signs only what SignedInfo references), but is not vouched for:
verify-xml names it, gives CHECK rather than a clean verdict, and inspect never shows it."""

from __future__ import annotations

import json
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from edcbridge.xml.cli import register as register_xml

SEALED = Path("examples", "edci-1.7.3-xml", "sealed", "sampleQSEAL.xml")
TITLE = b'<cred:title xmlns:cred="http://data.europa.eu/snb">Doctor of Medicine</cred:title>'


@click.group()
def main() -> None:
    """The XML commands."""


register_xml(main)


def _added(reference: Path, tmp_path: Path, before: bytes, content: bytes) -> Path:
    data = (reference / SEALED).read_bytes()
    at = data.index(before)
    path = tmp_path / "added.xml"
    path.write_bytes(data[:at] + content + data[at:])
    return path


PLACES = {
    "an Object of its own": (b"</ds:Signature>", b"<ds:Object>" + TITLE + b"</ds:Object>"),
    "beside the QualifyingProperties": (b"</ds:Object>", TITLE),
    "among the unsigned properties": (b"</xades:UnsignedSignatureProperties>", TITLE),
}


@pytest.mark.parametrize("place", PLACES)
def test_unsigned_content_in_the_signature_is_named_and_not_vouched_for(place: str, reference: Path,
                                                                       tmp_path: Path) -> None:
    added = _added(reference, tmp_path, *PLACES[place])
    result = CliRunner().invoke(main, ["verify-xml", str(added)])
    assert result.exit_code == 0, result.output
    first = result.stdout.splitlines()[0]
    assert first.startswith(f"{added}: CHECK (XAdES B-T): the seal is intact, but ")
    assert "not covered by the seal" in first and "title" in first
    seal = next(line for line in result.stdout.splitlines() if line.startswith("  SEAL"))
    assert " OK " in seal and "not covered by the seal" in seal
    as_json = json.loads(CliRunner().invoke(main, ["verify-xml", "--json", str(added)]).stdout)[0]
    assert as_json["verdict"] == "CHECK" and as_json["unsigned_content"]
    inspected = CliRunner().invoke(main, ["inspect", "--json", str(added)])
    assert inspected.exit_code == 0 and "Doctor of Medicine" not in inspected.stdout


def test_a_seal_without_added_content_names_none(reference: Path) -> None:
    result = CliRunner().invoke(main, ["verify-xml", "--json", str(reference / SEALED)])
    as_json = json.loads(result.stdout)[0]
    assert (as_json["verdict"], as_json["unsigned_content"]) == ("UNCONFIRMED", [])


def test_the_preview_page_says_so_too(reference: Path, tmp_path: Path) -> None:
    from edcbridge.preview import preview_file

    added = _added(reference, tmp_path, *PLACES["an Object of its own"])
    header = preview_file(added, tmp_path / "pages").html.read_text("utf-8").split("<h1", 1)[0]
    assert ">CHECK</span>" in header and "not covered by the seal" in header
