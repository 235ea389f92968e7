"""UTF-16/32 without a byte order mark is refused before parsing; a schema store whose folders are
symlinks validates; a schema that cannot be loaded is one line and exit 2, not a traceback."""

from __future__ import annotations

import time
from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from lxml import etree

from edcbridge.schemas import SchemaStore
from edcbridge.xml import xsd
from edcbridge.xml.cli import register
from edcbridge.xml.importer import import_bytes
from edcbridge.xml.safe import XmlInputError, looks_like_xml, parse_bytes, parse_schema
from tests.conftest import FIXTURES
from tests.test_xml_safe import BILLION_LAUGHS

WIDE = ["utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be"]
VALID_EXAMPLE = "examples/edci-1.7.3-xml/xsdValidation/credential-generic-contactPoint-choice-OK.xml"


@click.group()
def main() -> None:
    """Stand-in for the edcbridge group."""


register(main)


def _without_bom(text: str, codec: str) -> bytes:
    """``text`` with its declaration naming ``codec``, encoded without a byte order mark."""
    name = codec.upper().removesuffix("-LE").removesuffix("-BE")
    declared = text.replace("encoding='UTF-8'", f"encoding='{name}'").replace(
        'encoding="UTF-8"', f'encoding="{name}"')
    return declared.encode(codec)


def _label(codec: str) -> str:
    return codec.upper().replace("-LE", "LE").replace("-BE", "BE")


@pytest.mark.parametrize("codec", WIDE)
def test_wide_encodings_without_bom_are_refused(codec: str) -> None:
    document = _without_bom('<?xml version="1.0" encoding="UTF-8"?><a>x</a>', codec)
    with pytest.raises(XmlInputError, match=f"^in.xml: the document is {_label(codec)}; .*UTF-8 only"):
        parse_bytes(document, source="in.xml")


@pytest.mark.parametrize("codec", WIDE)
def test_a_doctype_in_wide_encodings_is_refused_before_libxml2_reads_it(codec: str, tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET", encoding="utf-8")
    xxe = (f'<?xml version="1.0" encoding="UTF-8"?><!DOCTYPE c [<!ENTITY x SYSTEM "file://{secret}">]>'
           '<c>&x;</c>')
    laughs = BILLION_LAUGHS.decode("ascii").replace('version="1.0"', 'version="1.0" encoding="UTF-8"')
    for document in (xxe, laughs):
        start = time.perf_counter()
        with pytest.raises(XmlInputError, match=f"the document is {_label(codec)}") as caught:
            parse_bytes(_without_bom(document, codec), source="attack.xml")
        assert time.perf_counter() - start < 0.5
        assert "TOP-SECRET" not in str(caught.value)


@pytest.mark.parametrize(("data", "message"), [
    ("\n<a>x</a>".encode("utf-16-le"), "UTF-16 or UTF-32"),  # no declaration, no signature: NUL bytes
    ("<!-- c --><a/>".encode("utf-32-be"), "UTF-32BE"),
    ('<?xml version="1.0" encoding="IBM037"?><a/>'.encode("cp037"), "EBCDIC"),
    (b'<?xml version="1.0"?>\n<a>\n\xff</a>', r"byte 0xff on line 3 is not UTF-8"),
])
def test_other_encodings_are_named(data: bytes, message: str) -> None:
    with pytest.raises(XmlInputError, match=message):
        parse_bytes(data, source="in.xml")


def test_utf16_big_endian_is_recognised_as_xml_and_named() -> None:
    """inspect, preview and stack route by looks_like_xml: UTF-16/32 XML must reach the parser's refusal."""
    document = _without_bom('<?xml version="1.0" encoding="UTF-8"?><a/>', "utf-16-be")
    assert looks_like_xml(document) and looks_like_xml(" <a/>".encode("utf-32"))
    json_text = '{"a": 1}'
    assert not looks_like_xml(json_text.encode("utf-16-be"))
    assert not looks_like_xml(json_text.encode("utf-16"))
    with pytest.raises(XmlInputError, match="UTF-16BE"):
        import_bytes(document, "in.xml")


def test_the_commands_refuse_a_sealed_document_in_utf16(store: SchemaStore, reference: Path, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EDCBRIDGE_SCHEMAS", str(store.root))
    text = (reference / VALID_EXAMPLE).read_text("utf-8")
    wide = tmp_path / "wide.xml"
    wide.write_bytes(_without_bom(text, "utf-16-le"))
    runner = CliRunner()
    validated = runner.invoke(main, ["validate-xml", str(wide)])
    assert validated.exit_code == 1 and "INVALID" in validated.stdout, validated.output
    assert "the document is UTF-16LE" in validated.stdout
    inspected = runner.invoke(main, ["inspect", str(wide)])
    assert inspected.exit_code == 1 and "UTF-16LE" in inspected.stderr, inspected.output
    verified = runner.invoke(main, ["verify-xml", str(wide)])
    assert verified.exit_code == 1 and "UTF-16LE" in verified.stdout, verified.output


def _linked_store(store: SchemaStore, reference: Path, root: Path) -> SchemaStore:
    """A store whose elm-xsd-v1 is a symlink to the shared reference copy, the rest links to ``store``."""
    root.mkdir()
    for folder in store.root.iterdir():
        target = reference / folder.name if folder.name == "elm-xsd-v1" else folder
        (root / folder.name).symlink_to(target, target_is_directory=True)
    return SchemaStore(root)


def test_a_store_with_a_symlinked_folder_validates(store: SchemaStore, reference: Path, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    linked = _linked_store(store, reference, tmp_path / "store")
    assert {state for _, state in linked.check("xml")} == {"ok"}  # what 'schemas status' accepts
    tree = etree.parse(str(reference / VALID_EXAMPLE))
    engines: tuple[xsd.Engine, ...] = ("lxml", "xmlschema")
    for engine in engines:
        assert xsd.errors(tree, linked, engine) == [], engine
    monkeypatch.setenv("EDCBRIDGE_SCHEMAS", str(linked.root))
    runner = CliRunner()
    result = runner.invoke(main, ["validate-xml", "--engine", "both", str(reference / VALID_EXAMPLE)])
    assert result.exit_code == 0, result.output
    exported = runner.invoke(main, ["export-xml", str(FIXTURES / "warsaw" / "awards.csv"), "-c",
                                    str(FIXTURES / "warsaw" / "catalogue.yaml"), "-o", str(tmp_path / "out")])
    assert exported.exit_code == 0, exported.output


def test_imports_out_of_the_store_stay_refused_through_symlinks(tmp_path: Path) -> None:
    schema = '<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" targetNamespace="urn:x"/>'
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "inside.xsd").write_text(schema, encoding="utf-8")
    (tmp_path / "outside.xsd").write_text(schema, encoding="utf-8")
    store_root = tmp_path / "store"
    store_root.mkdir()
    (store_root / "link").symlink_to(elsewhere, target_is_directory=True)

    def importing(location: str) -> Path:
        main_xsd = store_root / "main.xsd"
        main_xsd.write_text('<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">'
                            f'<xs:import namespace="urn:x" schemaLocation="{location}"/></xs:schema>',
                            encoding="utf-8")
        return main_xsd

    etree.XMLSchema(parse_schema(importing("link/inside.xsd"), store_root))  # the store's own folder
    etree.XMLSchema(parse_schema(store_root / "link" / "inside.xsd", store_root))
    deep = "../" * 12 + str(tmp_path / "outside.xsd").lstrip("/")  # a valid schema, climbed to
    for location in ("../outside.xsd", "link/../../outside.xsd", "link/../outside.xsd",
                     f"file://{tmp_path / 'outside.xsd'}", deep):
        with pytest.raises(etree.XMLSchemaParseError, match="Failed to parse"):
            etree.XMLSchema(parse_schema(importing(location), store_root))


def _store_with_a_broken_import(store: SchemaStore, root: Path) -> SchemaStore:
    """Every file linked from ``store`` but one that genericschema_1.2.xsd imports, which is broken
    (imports are not checked against their pins, only the schema named is)."""
    for entry in store.root.rglob("*"):
        if entry.is_file():
            target = root / entry.relative_to(store.root)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.symlink_to(entry)
    broken = root / "elm-xsd-v1" / "w3c_verifiableCredentials.xsd"
    broken.unlink()
    broken.write_text("<xs:schema xmlns:xs='http://www.w3.org/2001/XMLSchema'>", encoding="utf-8")
    return SchemaStore(root)


def test_a_schema_that_cannot_be_loaded_is_one_line_and_exit_2(store: SchemaStore, reference: Path,
                                                                tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    broken = _store_with_a_broken_import(store, tmp_path / "store")
    monkeypatch.setenv("EDCBRIDGE_SCHEMAS", str(broken.root))
    runner = CliRunner()
    commands = [["validate-xml", str(reference / VALID_EXAMPLE)],
                ["export-xml", str(FIXTURES / "warsaw" / "awards.csv"), "-c",
                 str(FIXTURES / "warsaw" / "catalogue.yaml"), "-o", str(tmp_path / "out")]]
    for command in commands:
        result = runner.invoke(main, command)
        assert result.exit_code == 2, (command[0], result.output, result.exception)
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and "Traceback" not in result.output, result.output
        assert lines[0].startswith("error: cannot load elm-xsd-v1/genericschema_1.2.xsd from the schema")
        assert "edcbridge schemas install" in lines[0]
    assert not (tmp_path / "out" / "edc-xml").exists()
