"""The safe parser: DTDs, entities, size limits, encodings, and schema imports confined to the store."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from lxml import etree

from edcbridge.schemas import SchemaStore
from edcbridge.xml import xsd
from edcbridge.xml.safe import MAX_BYTES, UnsafeXml, XmlInputError, parse_bytes, parse_file, parse_schema

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<europassCredential xmlns="http://data.europa.eu/snb">&lol9;</europassCredential>
"""


def _xxe(target: Path) -> bytes:
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<!-- a comment first -->\n'
            f'<!DOCTYPE c [<!ENTITY xxe SYSTEM "file://{target}">]>\n'
            '<europassCredential xmlns="http://data.europa.eu/snb"><title>&xxe;</title>'
            "</europassCredential>").encode()


def test_billion_laughs_is_refused_quickly() -> None:
    start = time.perf_counter()
    with pytest.raises(UnsafeXml, match="DOCTYPE"):
        parse_bytes(BILLION_LAUGHS, source="laughs.xml")
    assert time.perf_counter() - start < 0.5


def test_xxe_is_refused_and_the_file_never_read(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET", encoding="utf-8")
    with pytest.raises(UnsafeXml, match="XXE") as caught:
        parse_bytes(_xxe(secret), source="xxe.xml")
    assert "TOP-SECRET" not in str(caught.value)
    assert "xxe.xml" in str(caught.value)


def test_external_dtd_and_parameter_entities_are_refused() -> None:
    external = b'<!DOCTYPE x SYSTEM "http://example.invalid/x.dtd"><x/>'
    parameter = b'<!DOCTYPE x [<!ENTITY % p SYSTEM "http://example.invalid/p">%p;]><x/>'
    for document in (external, parameter, b"\xef\xbb\xbf<?xml version='1.0'?>" + external):
        with pytest.raises(UnsafeXml):
            parse_bytes(document)


def test_a_doctype_inside_cdata_text_is_not_mistaken_for_one() -> None:
    tree = parse_bytes(b"<a><html><![CDATA[<!DOCTYPE html><p>x</p>]]></html></a>")
    assert tree.getroot().findtext("html") == "<!DOCTYPE html><p>x</p>"


def test_a_200_mb_file_is_refused_before_reading(tmp_path: Path) -> None:
    big = tmp_path / "big.xml"
    with big.open("wb") as handle:  # sparse: no 200 MB written, the size is what counts
        handle.write(b"<a>")
        handle.truncate(200 * 1024 * 1024)
    start = time.perf_counter()
    with pytest.raises(XmlInputError, match=r"above the .*-byte limit"):
        parse_file(big)
    assert time.perf_counter() - start < 0.5
    with pytest.raises(XmlInputError, match="limit"):
        parse_bytes(b"<a>" + b" " * (MAX_BYTES + 1) + b"</a>")


@pytest.mark.parametrize(("data", "message"), [
    ('<?xml version="1.0" encoding="ISO-8859-1"?><a>é</a>'.encode("latin-1"), "ISO-8859-1"),
    ("<a>café</a>".encode("latin-1"), "not UTF-8"),
    ("<a>x</a>".encode("utf-16"), "UTF-16"),
    (b"", "empty"),
    (b"<a><b></a>", "not well-formed"),
])
def test_unreadable_input_gets_a_clear_error(data: bytes, message: str) -> None:
    with pytest.raises(XmlInputError, match=message):
        parse_bytes(data, source="in.xml")


def test_utf8_with_bom_and_declaration_is_read() -> None:
    tree = parse_bytes(b'\xef\xbb\xbf<?xml version="1.0" encoding="utf-8"?><a>\xc3\xa9</a>')
    assert tree.getroot().text == "é"


def _importing(store_root: Path, location: str) -> Path:
    main = store_root / "main.xsd"
    main.write_text('<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">'
                    f'<xs:import namespace="urn:x" schemaLocation="{location}"/></xs:schema>',
                    encoding="utf-8")
    return main


def test_schema_imports_load_from_the_store_only(tmp_path: Path) -> None:
    store_root = tmp_path / "store"
    store_root.mkdir()
    schema = '<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" targetNamespace="urn:x"/>'
    (store_root / "inside.xsd").write_text(schema, encoding="utf-8")
    (tmp_path / "outside.xsd").write_text(schema, encoding="utf-8")
    etree.XMLSchema(parse_schema(_importing(store_root, "inside.xsd"), store_root))  # loads
    for location in ("http://example.invalid/remote.xsd", str(tmp_path / "outside.xsd")):
        with pytest.raises(etree.XMLSchemaParseError, match="Failed to parse"):
            etree.XMLSchema(parse_schema(_importing(store_root, location), store_root))


def test_instance_schema_location_is_never_followed(store: SchemaStore, tmp_path: Path) -> None:
    planted = tmp_path / "genericschema_1.2.xsd"  # a permissive schema under the official name
    planted.write_text('<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" '
                       'targetNamespace="http://data.europa.eu/snb">'
                       '<xs:element name="europassCredential"/></xs:schema>', encoding="utf-8")
    document = ('<europassCredential xmlns="http://data.europa.eu/snb" '
                'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
                f'xsi:schemaLocation="http://data.europa.eu/snb file://{planted}"/>').encode()
    tree = parse_bytes(document)
    assert xsd.schema_for(tree.getroot()) == xsd.GENERIC_12
    engines: tuple[xsd.Engine, ...] = ("lxml", "xmlschema")
    for engine in engines:
        assert xsd.errors(tree, store, engine), f"{engine} used the planted schema"
