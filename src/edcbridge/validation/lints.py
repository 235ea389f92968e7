"""Checks the official shapes cannot make, because JSON-LD hides the problem from RDF.

* a key unknown to the contexts is silently dropped on expansion;
* one node id used for two different objects merges them in RDF;
* text in a language the credential does not declare is never displayed.
"""

from __future__ import annotations

from typing import Any

from edcbridge import vocab
from edcbridge.schemas import SchemaStore
from edcbridge.validation.document import as_list, walk
from edcbridge.validation.findings import Finding
from edcbridge.validation.jsonld import context_terms

_KEYWORDS = {"@context", "@id", "@type", "@value", "@language", "@list", "@set", "@graph"}
_PERSON_NAMES = {"givenName", "familyName", "fullName", "patronymicName", "birthName"}
_LANGUAGE_MAPS = {"title", "description", "legalName", "altLabel", "givenName", "familyName",
                  "fullName", "prefLabel", "noteLiteral", "patronymicName", "birthName",
                  "definition", "schemeAgency", "name"}


def dropped_terms(doc: dict[str, Any], store: SchemaStore) -> list[Finding]:
    terms = context_terms(doc, store)
    findings = []
    for path, node in walk(doc):
        if path.rsplit(".", 1)[-1] in _LANGUAGE_MAPS:
            continue  # language maps: keys are language tags, not terms
        for key in node:
            if key not in terms and key not in _KEYWORDS and ":" not in key:
                findings.append(Finding(
                    "lint.dropped-term", "error", f"{path}.{key}",
                    f"{key!r} is not defined by the document's contexts, so JSON-LD processing "
                    "drops it and no verifier sees it",
                    "check the spelling against the EDC context (terms are case-sensitive)"))
    return findings


def node_id_reuse(doc: dict[str, Any]) -> list[Finding]:
    seen: dict[str, tuple[str, dict[str, Any]]] = {}
    findings = []
    for path, node in walk(doc):
        node_id = node.get("id")
        if not isinstance(node_id, str) or len(node) <= 1 or node.get("type") in ("Concept", "ConceptScheme"):
            continue
        first = seen.get(node_id)
        if first is None:
            seen[node_id] = (path, node)
        elif first[1] is not node and first[1] != node:  # deep equality of the two copies
            findings.append(Finding(
                "lint.node-id-reuse", "error", path,
                f"id {node_id} is also used for a different object at {first[0]}; "
                "RDF merges both into one node",
                "give each distinct object its own id, or embed identical copies"))
    return findings


def undeclared_languages(doc: dict[str, Any]) -> list[Finding]:
    display = doc.get("displayParameter")
    if not isinstance(display, dict):
        return []
    declared: set[str] = set()
    for lang in as_list(display.get("language")):
        iri = lang.get("id") if isinstance(lang, dict) else lang
        try:
            declared.add(vocab.resolve("language", str(iri)).code)
        except vocab.UnknownConcept:
            continue
    if not declared:
        return []
    findings = []
    for path, node in walk(doc):
        for key in _LANGUAGE_MAPS & set(node):
            value = node[key]
            if key in _PERSON_NAMES or key == "prefLabel" or not isinstance(value, dict):
                continue
            extra = sorted(k for k in value if k.split("-")[0].lower() not in declared)
            if extra:
                findings.append(Finding(
                    "lint.language-undeclared", "warning", f"{path}.{key}",
                    f"text in {', '.join(extra)} but the credential declares "
                    f"{', '.join(sorted(declared))}",
                    "add the language to displayParameter.language or drop the text"))
    return findings
