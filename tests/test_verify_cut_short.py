"""A sealed credential cut short in transfer (an e-mail attachment, a download) is said to be
incomplete, where it stops and what to do, by every command that reads it: it was not changed
after sealing, it cannot be read at all."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner

from edcbridge.xml.cli import register as register_xml

SEALED = Path("examples", "edci-1.7.3-xml", "sealed", "sampleQSEAL.xml")


@click.group()
def main() -> None:
    """The XML commands."""


register_xml(main)


def _cut(reference: Path, tmp_path: Path, size: int = 3000) -> Path:
    cut = tmp_path / "cut.xml"
    cut.write_bytes((reference / SEALED).read_bytes()[:size])  # stops on line 60
    return cut


def test_verify_xml_says_a_cut_file_is_incomplete_not_changed(reference: Path, tmp_path: Path) -> None:
    cut = _cut(reference, tmp_path)
    result = CliRunner().invoke(main, ["verify-xml", str(cut)])
    assert result.exit_code == 1
    line = result.stdout.splitlines()[0]
    assert line.startswith(f"{cut}: UNREADABLE: ")
    assert "changed after sealing" not in result.stdout
    assert "incomplete" in line and "line 60" in line and "ask the sender for the file again" in line
    as_json = json.loads(CliRunner().invoke(main, ["verify-xml", "--json", str(cut)]).stdout)[0]
    assert (as_json["verdict"], as_json["ok"]) == ("UNREADABLE", False)
    assert "incomplete" in as_json["checks"]["SEAL"]["reason"]


def test_a_file_cut_at_a_line_end_is_incomplete_too(reference: Path, tmp_path: Path) -> None:
    data = (reference / SEALED).read_bytes()
    cut = tmp_path / "cut.xml"
    cut.write_bytes(data[:data.index(b"\n", 5000) + 1] + b"\n\n")
    result = CliRunner().invoke(main, ["verify-xml", str(cut)])
    assert ": UNREADABLE: " in result.stdout and "incomplete" in result.stdout, result.output


def test_inspect_and_validate_xml_say_a_cut_file_is_incomplete(reference: Path, tmp_path: Path) -> None:
    cut = _cut(reference, tmp_path)
    for command, stream in (("inspect", "stderr"), ("validate-xml", "stdout")):
        result = CliRunner().invoke(main, [command, str(cut)])
        said = getattr(result, stream)
        assert result.exit_code == 1
        assert "incomplete" in said and "line 60" in said, (command, result.output)


def test_a_document_broken_elsewhere_is_unreadable_not_changed(reference: Path, tmp_path: Path) -> None:
    broken = tmp_path / "broken.xml"
    broken.write_bytes((reference / SEALED).read_bytes().replace(b"</cred:", b"</cred :", 1))
    result = CliRunner().invoke(main, ["verify-xml", str(broken)])
    assert result.exit_code == 1
    assert f"{broken}: UNREADABLE: " in result.stdout and "not well-formed" in result.stdout, result.output
    assert "incomplete" not in result.stdout and "changed after sealing" not in result.stdout


SEALED_JSON = Path("examples", "elm-repo-v3-jsonld", "Sample-MC-Annex1-signed.jsonld")


@pytest.mark.parametrize("size", [3000, -20, -3])
def test_verify_says_a_cut_jades_file_is_incomplete(size: int, reference: Path, tmp_path: Path) -> None:
    from edcbridge.seal.cli import register as register_seal

    group = click.Group()
    register_seal(group)
    cut = tmp_path / "cut.jsonld"
    cut.write_bytes((reference / SEALED_JSON).read_bytes()[:size])  # the sample is one line
    result = CliRunner().invoke(group, ["verify", str(cut)])
    assert result.exit_code == 1
    line = result.stdout.splitlines()[0]
    assert line.startswith(f"{cut}: UNREADABLE: the file is incomplete: it stops at line 1"), line
    assert "ask the sender for the file again" in line and "printout" not in line
    assert "the JSON is incomplete" in result.stdout


def _cut_inside_a_character(data: bytes, after: int) -> bytes:
    """*data* cut after the first byte of its first multi-byte UTF-8 character past *after*."""
    start = next(at for at in range(after, len(data)) if data[at] >= 0xC0)
    return data[:start + 1]


def test_a_file_cut_inside_a_character_is_incomplete_not_another_encoding(reference: Path,
                                                                          tmp_path: Path) -> None:
    from edcbridge.seal.cli import register as register_seal

    group = click.Group()
    register_seal(group)
    register_xml(group)
    xml = tmp_path / "cut.xml"
    sealed_vp = reference / "examples" / "elm-repo-xml-v1.2-signed-vp" / "EDC_DiplomaSupplement_AA.xml"
    xml.write_bytes(_cut_inside_a_character(sealed_vp.read_bytes(), 2000))
    cut_json = tmp_path / "cut.jsonld"
    cut_json.write_bytes(_cut_inside_a_character((reference / SEALED_JSON).read_bytes(), 2000))
    for command, path in (("verify-xml", xml), ("verify", cut_json)):
        result = CliRunner().invoke(group, [command, str(path)])
        first = result.stdout.splitlines()[0]
        assert first.startswith(f"{path}: UNREADABLE: the file is incomplete: it stops at line "), first
        assert "iconv" not in result.stdout and "save the file as UTF-8" not in result.stdout
    inspected = CliRunner().invoke(group, ["inspect", str(xml)])
    assert "incomplete" in inspected.stderr and "iconv" not in inspected.stderr, inspected.output


@pytest.mark.parametrize("inside_a_character", [False, True])
def test_inspect_and_validate_say_a_cut_json_file_is_incomplete(inside_a_character: bool, reference: Path,
                                                                store: Any, tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    from edcbridge.cli import main as edcbridge

    data = (reference / SEALED_JSON).read_bytes()
    cut = tmp_path / "cut.jsonld"
    cut.write_bytes(_cut_inside_a_character(data, 2000) if inside_a_character else data[:3000])
    monkeypatch.setenv("EDCBRIDGE_SCHEMAS", str(store.root))
    for command in ("inspect", "validate"):
        result = CliRunner().invoke(edcbridge, [command, str(cut)])
        assert result.exit_code == 1, result.output
        assert "the JSON is incomplete, it stops at line 1" in result.output, (command, result.output)
        assert "ask the sender for the file again" in result.output
        assert "neither XML nor JSON" not in result.output and "save" not in result.output


def test_the_preview_says_a_cut_json_file_is_incomplete(reference: Path, tmp_path: Path) -> None:
    from edcbridge.preview import preview_file
    from edcbridge.validation.document import NotACredential

    cut = tmp_path / "cut.jsonld"
    cut.write_bytes((reference / SEALED_JSON).read_bytes()[:3000])
    with pytest.raises(NotACredential, match="the JSON is incomplete, it stops at line 1"):
        preview_file(cut, tmp_path / "pages")
