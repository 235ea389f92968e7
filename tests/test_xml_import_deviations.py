"""EDC XML credentials as archives hold them, not quite as the samples are written: other namespace
prefixes, another element order, other scripts, long transcripts, other XML versions and encodings,
a signature around the credential, or no credential at all. Each is read, or refused with a message
naming the file and the element, never a traceback."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from lxml import etree

from edcbridge.cli import main
from edcbridge.validation.document import NotACredential
from edcbridge.xml.importer import Imported, import_bytes, import_file
from edcbridge.xml.importer.edc_xml import CRED, SNB

DEGREE = Path("examples/elm-repo-xml-v1.2-unsigned/EDC_SampleDegree_AA.xml")
DS = "http://www.w3.org/2000/09/xmldsig#"


def _degree(reference: Path) -> bytes:
    return (reference / DEGREE).read_bytes()


def _essentials(imported: Imported) -> tuple[object, ...]:
    """What a reader sees; the notes as their pieces, since titles are listed as they come."""
    spec = imported.catalogue.specification(imported.award.specification)
    assert spec is not None
    return (imported.award.learner, imported.award.grade, imported.award.awarding_date, spec.title,
            spec.credits, imported.catalogue.issuer, sorted(sorted(n.split("'")) for n in imported.notes))


def _with_prefixes(data: bytes) -> bytes:
    """The same credential, every element under a prefix of its own (``e:`` and ``c:``)."""
    root = etree.fromstring(data)
    renamed = etree.Element(root.tag, nsmap={"e": SNB, "c": CRED,
                                             "xsi": "http://www.w3.org/2001/XMLSchema-instance"})
    renamed.attrib.update(root.attrib)
    renamed[:] = root[:]
    text = etree.tostring(renamed, xml_declaration=True, encoding="UTF-8")
    assert b"<e:credentialSubject" in text and b"<credentialSubject" not in text
    return text


def test_other_namespace_prefixes_read_the_same(reference: Path) -> None:
    data = _degree(reference)
    assert _essentials(import_bytes(_with_prefixes(data))) == _essentials(import_bytes(data))


def _shuffled(element: etree._Element) -> None:
    """Children of different names in reverse name order; those of one name keep their order,
    which is meaningful (the first achievement is the one read)."""
    element[:] = sorted(element, key=lambda child: str(child.tag), reverse=True)


def test_elements_in_another_order_read_the_same(reference: Path) -> None:
    data = _degree(reference)
    root = etree.fromstring(data)
    before = [child.tag for child in root]
    _shuffled(root)
    assert [child.tag for child in root] != before
    subject = root.find(f"{{{SNB}}}credentialSubject")
    assert subject is not None
    _shuffled(subject)
    assert _essentials(import_bytes(etree.tostring(root))) == _essentials(import_bytes(data))


def test_xml_1_1_reads_the_same(reference: Path) -> None:
    data = _degree(reference)
    newer = data.replace(b'<?xml version="1.0"', b'<?xml version="1.1"', 1)
    assert newer != data
    assert _essentials(import_bytes(newer)) == _essentials(import_bytes(data))


@pytest.mark.parametrize("name", ["Софийски университет „Св. Климент Охридски“", "東京大学",
                                  "Πανεπιστήμιο Κρήτης"])
def test_an_issuer_named_in_another_script_only_is_read(name: str, reference: Path) -> None:
    text = _degree(reference).decode()
    issuer = re.search(r'<organization id="urn:epass:org:1">.*?</organization>', text, re.S)
    assert issuer is not None and 'idref="urn:epass:org:1"' in text
    renamed = re.sub(r"<prefLabel>.*?</prefLabel>",
                     f'<prefLabel><text content-type="text/plain" lang="bg">{name}</text></prefLabel>',
                     issuer.group(0), count=1, flags=re.S)
    renamed = re.sub(r"<(registration|identifier)[^>]*>[^<]*</\1>", "", renamed)
    imported = import_bytes(text.replace(issuer.group(0), renamed).encode())
    assert imported.catalogue.organisation(imported.catalogue.issuer).legal_name == {"bg": name}


def test_a_long_transcript_is_named_in_part_with_the_count_of_the_rest(reference: Path) -> None:
    text = _degree(reference).decode()
    activities = "".join(f'<activity id="urn:epass:activity:extra-{i}"><title><text '
                         f'content-type="text/plain" lang="en">Seminar {i}</text></title></activity>'
                         for i in range(2000))
    longer = text.replace("<activities>", f"<activities>{activities}", 1)
    assert longer != text
    imported = import_bytes(longer.encode())
    note = next(n for n in imported.notes if n.startswith("left out") and "learning activities" in n)
    assert note.endswith(" more") and "'Seminar 0'" in note and "'Seminar 1999'" not in note
    shown = note.count("'Seminar ") + note.count(" course'") + note.count(" visit'")
    assert f"and {2000 + 6 - shown} more" in note
    assert len(note) < 1000


def test_an_enveloping_signature_is_refused_naming_the_element(reference: Path) -> None:
    credential = etree.fromstring(_degree(reference))
    signature = etree.Element(f"{{{DS}}}Signature", nsmap={"ds": DS})
    etree.SubElement(signature, f"{{{DS}}}Object").append(credential)
    refused = r"enveloping signature \(root element ds:Signature\).*enveloped"
    with pytest.raises(NotACredential, match=refused):
        import_bytes(etree.tostring(signature))


def test_the_credential_inside_an_enveloped_seal_is_read_as_sealed(reference: Path) -> None:
    imported = import_file(reference / "examples/edci-1.7.3-xml/sealed/sewing_course.xml")
    assert imported.sealed and imported.form == "xades"


def _inspect(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["inspect", *args])
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.parametrize(("content", "expected"), [
    (b'<?xml version="1.0"?><html><body>a page</body></html>',
     "root element html is not an EDC XML credential (europassCredential)"),
    (b'<?xml version="1.0"?><europassCredential xmlns="http://example.org/snb"/>',
     "root element {http://example.org/snb}europassCredential is not an EDC XML credential"),
    (b'<?xml version="1.0" encoding="ISO-8859-1"?><europassCredential xmlns="http://data.europa.eu/snb">'
     b"<title>Dipl\xf4me</title></europassCredential>",
     "encoded as ISO-8859-1; edcbridge reads UTF-8 only"),
    (b'<?xml version="1.0"?><europassCredential xmlns="http://data.europa.eu/snb"><title>',
     "not well-formed XML"),
])
def test_a_file_that_is_not_an_edc_xml_credential_is_named_without_a_traceback(
    content: bytes, expected: str, tmp_path: Path,
) -> None:
    path = tmp_path / "archive-0042.xml"
    path.write_bytes(content)
    code, _, err = _inspect(str(path))
    assert code == 1
    assert err.startswith(f"error: {path}: ") and expected in err, err
    assert "Traceback" not in err
