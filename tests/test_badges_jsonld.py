"""Open Badges 3.0 and CLR 2.0 as JSON-LD: every term and every type the credentials use is
defined by their contexts, expanded with PyLD against the official context files."""

from __future__ import annotations

import copy
import json
import re
from collections import defaultdict
from pathlib import Path
from typing import Any

from pyld import jsonld

from edcbridge.badges import clr_credential, open_badge, validate_badge
from edcbridge.model import Award, Catalogue
from tests.preview_support import first_award, fixture_pairs

# The offline document loader map of the reference's SOURCES.md.
_IMS = "https://purl.imsglobal.org/spec"
_CONTEXT_FILES = {
    "https://www.w3.org/ns/credentials/v2": "w3c-vc-contexts/credentials-v2.jsonld",
    f"{_IMS}/ob/v3p0/context-3.0.3.json": "ob3-clr/contexts/ob-v3p0-context-3.0.3.json",
    f"{_IMS}/ob/v3p0/extensions.json": "ob3-clr/contexts/ob-v3p0-extensions.json",
    f"{_IMS}/clr/v2p0/context-2.0.1.json": "ob3-clr/contexts/clr-v2p0-context-2.0.1.json",
}
_UNDEFINED = "urn:undefined-by-contexts:"


def _undefined(doc: dict[str, Any], reference: Path) -> list[str]:
    """Names in ``doc`` (properties and type values) that its contexts leave undefined: a
    trailing ``@vocab`` catches exactly those, as the official contexts are protected."""
    def loader(url: str, options: Any = None) -> dict[str, Any]:
        document = json.loads((reference / _CONTEXT_FILES[url]).read_text("utf-8"))
        return {"contextUrl": None, "documentUrl": url, "document": document}

    probe = {**doc, "@context": [*doc["@context"], {"@vocab": _UNDEFINED}]}
    expanded = json.dumps(jsonld.expand(probe, {"documentLoader": loader}))
    return sorted(set(re.findall(re.escape(_UNDEFINED) + r"[^\"]+", expanded)))


def _records() -> list[list[tuple[Award, Catalogue]]]:
    learners: dict[tuple[str, str], list[tuple[Award, Catalogue]]] = defaultdict(list)
    for _, award, catalogue in fixture_pairs():
        learners[(award.issuer or catalogue.issuer, award.learner.id)].append((award, catalogue))
    return list(learners.values())


def test_the_probe_finds_a_name_no_context_defines(reference: Path) -> None:
    award, catalogue = first_award("wales")
    badge = copy.deepcopy(open_badge(award, catalogue))  # its achievement is shared: copied to change
    badge["credentialSubject"]["achievement"]["creditsAvailabel"] = 5
    assert f"{_UNDEFINED}creditsAvailabel" in _undefined(badge, reference)


def test_every_name_in_our_badges_is_defined_by_their_contexts(reference: Path) -> None:
    """Including the type of ``credentialSchema``, 1EdTechJsonSchemaValidator2019, which only the
    OB extensions context defines."""
    found = {name for _, award, catalogue in fixture_pairs()
             for name in _undefined(open_badge(award, catalogue), reference)}
    assert found == set()


def test_every_name_in_our_learner_records_is_defined_by_their_contexts(reference: Path) -> None:
    found = {name for record in _records() for name in _undefined(clr_credential(record), reference)}
    assert found == set()


def test_contexts_are_those_of_the_official_examples_that_name_a_schema(reference: Path) -> None:
    examples = reference / "ob3-clr" / "examples"
    badge_example = json.loads((examples / "ob-v3p0/spec/complete-openbadgecredential.json").read_bytes())
    record_example = json.loads((examples / "clr-v2p0" / "validator-fixtures" / "simple.json").read_bytes())
    award, catalogue = first_award("imperial")
    assert open_badge(award, catalogue)["@context"] == badge_example["@context"]
    assert clr_credential([(award, catalogue)])["@context"] == record_example["@context"]


def test_the_check_reports_a_type_the_contexts_do_not_define(reference: Path) -> None:
    award, catalogue = first_award("galway")
    badge = open_badge(award, catalogue)
    without = copy.deepcopy(badge)
    without["@context"] = without["@context"][:2]
    findings = validate_badge(without, reference / "ob3-clr")
    assert [(f.code, f.where) for f in findings] == [("ob3.undefined-type", "$.credentialSchema[0].type")]
    assert "extensions.json" in findings[0].fix
    renamed = copy.deepcopy(badge)
    renamed["credentialSubject"]["achievement"]["type"] = ["Achievment"]
    assert ("ob3.undefined-type", "$.credentialSubject.achievement.type") in {
        (f.code, f.where) for f in validate_badge(renamed, reference / "ob3-clr")}
    assert validate_badge(badge, reference / "ob3-clr") == []
