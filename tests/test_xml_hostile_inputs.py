"""Hostile XML through every command that reads it (inspect, verify-xml, validate-xml, preview,
stack --held): nothing is fetched from a local listener, and documents built to exhaust memory or
CPU are refused in a second with one line naming the file and the limit."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from edcbridge.cli import main
from edcbridge.schemas import SchemaStore
from edcbridge.seal import devpki, keys
from edcbridge.xml import edc12, xsd
from edcbridge.xml.safe import MAX_ATTRIBUTES, MAX_MARKUP, MAX_NAMESPACE_DECLARATIONS, parse_bytes
from edcbridge.xml.xades import MAX_XPATH_NODES, RefusedSignature, XadesSealer, check_signature, signatures
from tests.conftest import FIXTURES, fixture_awards

ENVELOPED = '<ds:Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"/>'
XPATH_ENVELOPED = ('<ds:Transform Algorithm="http://www.w3.org/TR/1999/REC-xpath-19991116"><ds:XPath '
                   'xmlns:ds="http://www.w3.org/2000/09/xmldsig#">not(ancestor-or-self::ds:Signature)'
                   "</ds:XPath></ds:Transform>")
GALWAY = FIXTURES / "galway" / "catalogue.yaml"


class Listener:
    """A TCP listener on 127.0.0.1 that records every connection made to it."""

    def __init__(self) -> None:
        self.server = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.server.getsockname()[1]}"
        self.connections = 0
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                connection, _ = self.server.accept()
            except OSError:
                return
            self.connections += 1
            connection.close()


@pytest.fixture
def listener() -> Iterator[Listener]:
    server = Listener()
    yield server
    server.server.close()


@pytest.fixture(scope="module")
def plain() -> str:
    _, award, catalogue = fixture_awards()[0]
    return edc12.serialise(edc12.to_edc_xml(award, catalogue)).decode("utf-8")


@pytest.fixture(scope="module")
def sealed(plain: str) -> str:
    pki = devpki.generate(now=datetime.now(UTC) - timedelta(days=30))
    seal = keys.SealKey(pki.seal.key, pki.seal.certificate, (pki.root.certificate,))
    return XadesSealer(seal).seal_bytes(plain.encode()).decode("utf-8")


def _inside_root(document: str, markup: str) -> str:
    """*markup* as the first content of the credential (before primaryLanguage)."""
    return document.replace("<primaryLanguage>", markup + "<primaryLanguage>", 1)


def _commands(path: Path, out: Path) -> dict[str, list[str]]:
    return {"inspect": ["inspect", str(path)], "verify-xml": ["verify-xml", str(path)],
            "validate-xml": ["validate-xml", "--engine", "both", str(path)],
            "preview": ["preview", "-o", str(out), str(path)],
            "stack": ["stack", "GAL-PGCERT-DA", "-c", str(GALWAY), "--held", str(path)]}


def _run(args: list[str]) -> tuple[int, str, float]:
    start = time.perf_counter()
    result = CliRunner().invoke(main, args)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result.exit_code, result.output, time.perf_counter() - start


def _fetching_documents(plain: str, sealed: str, url: str, secret: Path) -> dict[str, str]:
    location = "http://publications.europa.eu/resource/schema/credential/genericschema_1.2.xsd"
    include = '<xi:include xmlns:xi="http://www.w3.org/2001/XInclude" '
    xinclude = f'{include}href="{url}/xi"/>{include}href="file://{secret}" parse="text"/>'
    return {
        "external-entity": f'<!DOCTYPE c [<!ENTITY x SYSTEM "{url}/e">]><c>&x;</c>',
        "parameter-entity": f'<!DOCTYPE c [<!ENTITY % p SYSTEM "{url}/p"> %p;]><c/>',
        "external-dtd": f'<!DOCTYPE c SYSTEM "{url}/dtd"><c/>',
        "file-entity": f'<!DOCTYPE c [<!ENTITY x SYSTEM "file://{secret}">]><c>&x;</c>',
        "xinclude": _inside_root(plain, xinclude),
        "schema-location": plain.replace(location, f"{url}/genericschema_1.2.xsd"),
        "xslt-transform": sealed.replace(ENVELOPED, (
            '<ds:Transform Algorithm="http://www.w3.org/TR/1999/REC-xslt-19991116"><xsl:stylesheet '
            'xmlns:xsl="http://www.w3.org/1999/XSL/Transform" version="1.0"><xsl:template match="/">'
            f"<xsl:copy-of select=\"document('{url}/xslt')\"/></xsl:template></xsl:stylesheet>"
            "</ds:Transform>") + ENVELOPED, 1),
        "reference-url": sealed.replace('URI=""', f'URI="{url}/ref"', 1),
        "retrieval-method": sealed.replace("<ds:KeyInfo>", f'<ds:KeyInfo><ds:RetrievalMethod URI="{url}/rm" '
                                           'Type="http://www.w3.org/2000/09/xmldsig#X509Data"/>', 1),
    }


@pytest.mark.parametrize("case", ["external-entity", "parameter-entity", "external-dtd", "file-entity",
                                  "xinclude", "schema-location", "xslt-transform", "reference-url",
                                  "retrieval-method"])
def test_no_command_fetches_what_a_document_points_to(plain: str, sealed: str, listener: Listener,
                                                      store: SchemaStore, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch, case: str) -> None:
    monkeypatch.setenv("EDCBRIDGE_SCHEMAS", str(store.root))
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET", encoding="utf-8")
    path = tmp_path / f"{case}.xml"
    path.write_text(_fetching_documents(plain, sealed, listener.url, secret)[case], encoding="utf-8")
    for name, args in _commands(path, tmp_path / "out").items():
        _, output, seconds = _run(args)
        assert "TOP-SECRET" not in output, name
        assert "Traceback" not in output and seconds < 10, name
    assert listener.connections == 0


def test_a_document_of_too_many_tags_is_refused_before_parsing(plain: str, tmp_path: Path) -> None:
    path = tmp_path / "tags.xml"
    path.write_text(_inside_root(plain, "<x/>" * MAX_MARKUP), encoding="utf-8")
    for name, args in _commands(path, tmp_path / "out").items():
        if name == "validate-xml":
            continue  # needs the schema store; it reads through the same parser
        code, output, seconds = _run(args)
        assert code != 0 and f"{path}: " in output and "tags are above the limit" in output, name
        assert seconds < 5, name


def test_a_document_of_too_many_attributes_is_refused_before_parsing(plain: str, tmp_path: Path) -> None:
    element = "<x " + " ".join(f"a{i}=''" for i in range(100)) + "/>"
    path = tmp_path / "attributes.xml"
    path.write_text(_inside_root(plain, element * (MAX_ATTRIBUTES // 100)), encoding="utf-8")
    code, output, seconds = _run(["verify-xml", str(path)])
    assert code == 1 and f"{path}: " in output and "attributes are above the limit" in output
    assert seconds < 5


def test_a_document_of_too_many_namespace_declarations_is_refused(plain: str, tmp_path: Path) -> None:
    declarations = " ".join(f'xmlns:n{i}="urn:n{i}"' for i in range(MAX_NAMESPACE_DECLARATIONS))
    path = tmp_path / "namespaces.xml"
    path.write_text(plain.replace("<europassCredential ", f"<europassCredential {declarations} ", 1),
                    encoding="utf-8")
    code, output, _ = _run(["inspect", str(path)])
    assert code == 1 and f"{path}: " in output and "namespace declarations are above the limit" in output


def test_an_xpath_transform_over_a_large_document_is_refused_before_libxmlsec1(sealed: str) -> None:
    crafted = _inside_root(sealed.replace(ENVELOPED, XPATH_ENVELOPED, 1), "<x/>" * (MAX_XPATH_NODES // 2))
    tree = parse_bytes(crafted.encode())
    with pytest.raises(RefusedSignature, match="XPath transform is refused on a document of more than"):
        check_signature(tree, signatures(tree)[0])


def test_verify_xml_answers_quickly_on_an_xpath_transform_over_many_nodes(sealed: str,
                                                                           tmp_path: Path) -> None:
    path = tmp_path / "xpath.xml"
    path.write_text(_inside_root(sealed.replace(ENVELOPED, XPATH_ENVELOPED, 1), "<x/>" * 30_000),
                    encoding="utf-8")
    code, output, seconds = _run(["verify-xml", str(path)])
    assert code == 1 and "XPath transform is refused" in output and seconds < 5


def test_an_xpath_transform_over_a_credential_sized_document_still_reaches_libxmlsec1(sealed: str) -> None:
    tree = parse_bytes(_inside_root(sealed.replace(ENVELOPED, XPATH_ENVELOPED, 1), "<x/>" * 1_000).encode())
    check_signature(tree, signatures(tree)[0])  # not refused: the digest then fails in libxmlsec1


def test_the_xmlschema_engine_refuses_documents_too_large_for_it(plain: str, store: SchemaStore) -> None:
    tree = parse_bytes(_inside_root(plain, "<x/>" * (xsd.XMLSCHEMA_MAX_ELEMENTS + 2_000)).encode())
    start = time.perf_counter()
    found = xsd.errors(tree, store, "xmlschema")
    assert time.perf_counter() - start < 2
    assert len(found) == 1 and "validate this document with --engine lxml" in found[0].message
    assert xsd.errors(tree, store, "lxml")  # lxml still validates it (and finds the stray elements)
