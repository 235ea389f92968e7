"""The official XML examples and test vectors, validated with both engines against the store's XSDs."""

from __future__ import annotations

from pathlib import Path

import pytest

from edcbridge.schemas import SchemaStore
from edcbridge.xml import xsd
from edcbridge.xml.safe import parse_file

NEGATIVES = {"credential-generic-contactPoint-choice-KO.xml", "credential-generic-profile-xsd-ko.xml"}


def _examples(reference: Path) -> list[Path]:
    roots = [reference / "examples", reference / "elm3-qdr-xsd" / "3.2"]
    return sorted(p for root in roots for p in root.rglob("*.xml"))


def test_example_verdicts_match_the_documented_ones(store: SchemaStore, reference: Path) -> None:
    """formats.md 4.4: 22 example files valid, the 2 intentional negatives invalid, both engines agreeing."""
    verdicts: dict[str, tuple[bool, bool]] = {}
    for path in _examples(reference):
        tree = parse_file(path)
        verdicts[path.name] = (not xsd.errors(tree, store, "lxml"), not xsd.errors(tree, store, "xmlschema"))
    invalid = {name for name, (lxml_ok, _) in verdicts.items() if not lxml_ok}
    assert invalid == NEGATIVES
    assert all(a == b for a, b in verdicts.values()), verdicts
    assert len(verdicts) - len(invalid) == 22


@pytest.mark.parametrize(("location", "expected"), [
    ("http://publications.europa.eu/resource/schema/credential/genericschema_1.2.xsd", xsd.GENERIC_12),
    ("http://publications.europa.eu/resource/schema/credential/diplomasupplementschema_1.2.xsd",
     "elm-xsd-v1/diplomasupplementschema_1.2.xsd"),
    ("http://publications.europa.eu/resource/schema/presentation/mandatedschema_dp_1.2.xsd",
     "elm-xsd-v1/mandatedschema_dp_1.2.xsd"),
    ("loq.xsd", xsd.LOQ_XSD),
])
def test_schema_is_chosen_by_the_location_file_name(location: str, expected: str) -> None:
    from lxml import etree

    root = etree.Element("{http://data.europa.eu/snb}europassCredential")
    root.set(f"{{{xsd.XSI}}}schemaLocation", f"http://data.europa.eu/snb {location}")
    assert xsd.schema_for(root) == expected


def test_an_unknown_schema_location_is_an_error_not_a_download() -> None:
    from lxml import etree

    root = etree.Element("{http://data.europa.eu/snb}europassCredential")
    root.set(f"{{{xsd.XSI}}}schemaLocation", "http://data.europa.eu/snb https://evil.example/generic.xsd")
    with pytest.raises(xsd.UnknownSchema, match="names no schema"):
        xsd.schema_for(root)
