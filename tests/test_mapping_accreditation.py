"""An accreditation names the organisation it accredits (ELM 3.2 ``elm:organisation``), as the
EC's Diploma Supplement sample does and as the EDC XML and LOQ exports do: the awarding body of
the specification it is given for. Checked with pyshacl and the official shapes too."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from edcbridge.load import iter_awards, load_catalogue
from edcbridge.mapping.edc import to_edc
from tests.conftest import FIXTURES
from tests.test_official_conformance import _conforms

GALWAY = FIXTURES / "galway"


def _credentials(catalogue_path: Path) -> list[dict[str, Any]]:
    catalogue = load_catalogue(catalogue_path)
    return [to_edc(r.award, catalogue) for r in iter_awards(GALWAY / "awards.jsonl", catalogue)
            if r.award is not None]


def _accreditations(node: Any) -> list[dict[str, Any]]:
    if isinstance(node, list):
        return [found for item in node for found in _accreditations(item)]
    if not isinstance(node, dict):
        return []
    own = [node] if node.get("type") == "Accreditation" else []
    return own + [found for value in node.values() for found in _accreditations(value)]


def _accredited(node: Any) -> set[str]:
    return {found["organisation"]["legalName"]["en"] for found in _accreditations(node)}


def test_every_accreditation_names_the_awarding_body_it_accredits() -> None:
    docs = _credentials(GALWAY / "catalogue.yaml")
    for doc in docs:
        body = doc["credentialSubject"]["hasClaim"]["awardedBy"]["awardingBody"]
        found = _accreditations(doc["credentialSubject"]["hasClaim"]["specifiedBy"])
        assert found
        for accreditation in found:
            assert accreditation["organisation"] == body  # a full copy: same id, same content
            assert accreditation["accreditingAgent"]["id"] != body["id"]
    assert _conforms(docs[0])[0]


def test_a_related_specification_names_its_own_awarding_body(tmp_path: Path) -> None:
    text = (GALWAY / "catalogue.yaml").read_text("utf-8")
    text = text.replace("  qqi:\n", "  atu:\n    legal_name:\n      en: Atlantic Technological University\n"
                        "    eidas_identifier: VATIE-0000001A\n    country: IE\n  qqi:\n", 1)
    text = text.replace("  - code: GAL-PGCERT-DA\n", "  - code: GAL-PGCERT-DA\n    awarding_body: atu\n", 1)
    catalogue = tmp_path / "catalogue.yaml"
    catalogue.write_text(text, "utf-8")
    module = next(d for d in _credentials(catalogue)
                  if d["credentialSubject"]["hasClaim"]["specifiedBy"].get("isPartOf"))
    claim = module["credentialSubject"]["hasClaim"]
    [parent] = claim["specifiedBy"]["isPartOf"]
    assert claim["awardedBy"]["awardingBody"]["legalName"]["en"] == "University of Galway"
    assert _accredited(claim["specifiedBy"]["accreditation"]) == {"University of Galway"}
    assert _accredited(parent["accreditation"]) == {"Atlantic Technological University"}
    conforms, report = _conforms(module)
    assert conforms, report
