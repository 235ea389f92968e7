"""Rebuild ``src/edcbridge/vocab/snapshot.json`` from the official ELM 3.2 code-list XSDs.

Usage: python scripts/build_vocab.py [REFERENCE_DIR]

The code lists ship with the ELM 3.2 QDR schemas (``elm3-qdr-xsd/3.2/loq/cv``): each
enumeration value is a concept IRI with an English label. Two- and three-letter language and
country codes come from ISO tables (pycountry, a development dependency); only languages that
have an ISO 639-1 code are kept, to keep the snapshot small.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

import pycountry
from lxml import etree

XS = "{http://www.w3.org/2001/XMLSchema}"
SNAPSHOT_VERSION = "elm-3.2-cv-2023-09-12"

# scheme key -> (xsd file, how to derive the short code)
SCHEMES: dict[str, str] = {
    "eqf": "eqf.xsd",
    "credit-system": "credit-points.xsd",
    "credential-type": "europass-credential-types.xsd",
    "isced-f": "isced-f.xsd",
    "nqf": "nqf.xsd",
    "learning-setting": "europass-learning-setting-types.xsd",
    "mode": "europass-modes.xsd",
    "encoding": "europass-content-encoding-types.xsd",
    "accreditation-type": "europass-accreditation-types.xsd",
    "assessment-type": "europass-learning-assessment-types.xsd",
    "learning-opportunity-type": "europass-learning-opportunity-types.xsd",
    "learning-activity-type": "europass-learning-activity-types.xsd",
    "skill-reuse-level": "skill-reuse-levels.xsd",
    "skill-type": "skill-types.xsd",
    "country": "country.xsd",
    "language": "language.xsd",
    "file-type": "file-type.xsd",
}

# Not shipped as an XSD code list; concepts as used in the official EDC samples.
SUPERVISION = {
    "scheme": "http://data.europa.eu/snb/supervision-verification/25831c2",
    "concepts": [
        ("http://data.europa.eu/snb/supervision-verification/70be69aaf9",
         "Supervised with ID Verification", ["supervised-with-id"]),
        ("http://data.europa.eu/snb/supervision-verification/44314532f9",
         "ID Verification", ["id-verification"]),
        ("http://data.europa.eu/snb/supervision-verification/df2880c5cb",
         "Unsupervised with ID Verification", ["unsupervised-with-id"]),
        ("http://data.europa.eu/snb/supervision-verification/c598449d64",
         "Unsupervised without ID Verification", ["unsupervised-without-id"]),
    ],
}


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def read_enumeration(path: Path) -> tuple[str, list[tuple[str, str]]]:
    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    root = etree.parse(str(path), parser).getroot()
    scheme = root.get("targetNamespace") or ""
    values = []
    for enum in root.iter(f"{XS}enumeration"):
        doc = enum.find(f"{XS}annotation/{XS}documentation")
        label = " ".join((doc.text or "").split()) if doc is not None else ""
        values.append((enum.get("value") or "", label))
    return scheme, values


def aliases_for(key: str, iri: str, label: str) -> list[str]:
    local = iri.rsplit("/", 1)[-1]
    out = [local, slug(label)]
    if key == "language":
        lang = pycountry.languages.get(alpha_3=local.lower())
        if lang is not None and hasattr(lang, "alpha_2"):
            out.insert(0, lang.alpha_2)
        if lang is not None and hasattr(lang, "bibliographic"):
            out.append(lang.bibliographic)  # ISO 639-2/B, e.g. "wel" for Welsh
    if key == "country":
        country = pycountry.countries.get(alpha_3=local)
        if country is not None:
            out.insert(0, country.alpha_2)
    if key == "credit-system" and local == "6fcec5c5af":
        out.insert(0, "ects")
    if key == "credit-system" and local == "60b314e826":
        out.insert(0, "ecvet")
    if key == "learning-setting":
        out.insert(0, label.split()[0])  # "formal", "non-formal"
    return list(dict.fromkeys(a.lower() for a in out if a))


def build(reference: Path) -> dict[str, Any]:
    cv = reference / "elm3-qdr-xsd" / "3.2" / "loq" / "cv"
    schemes: dict[str, Any] = {}
    for key, filename in SCHEMES.items():
        scheme, values = read_enumeration(cv / filename)
        concepts = []
        for iri, label in values:
            if not label and key in ("language", "country"):
                table = pycountry.languages if key == "language" else pycountry.countries
                found = table.get(alpha_3=iri.rsplit("/", 1)[-1].lower()
                                  if key == "language" else iri.rsplit("/", 1)[-1])
                label = found.name if found is not None else ""
            aliases = aliases_for(key, iri, label)
            if key == "language" and not (len(aliases[0]) == 2 or iri.endswith("/MUL")):
                continue
            concepts.append({"iri": iri, "label": label, "codes": aliases})
        schemes[key] = {"scheme": scheme, "source": f"elm3-qdr-xsd/3.2/loq/cv/{filename}",
                        "concepts": concepts}
    schemes["supervision"] = {
        "scheme": SUPERVISION["scheme"],
        "source": "concepts used in the official EDC samples",
        "concepts": [{"iri": iri, "label": label, "codes": [*codes, iri.rsplit("/", 1)[-1]]}
                     for iri, label, codes in SUPERVISION["concepts"]],
    }
    return {"version": SNAPSHOT_VERSION, "schemes": schemes}


def main() -> int:
    reference = Path(sys.argv[1] if len(sys.argv) > 1 else "../shared/reference").resolve()
    out = Path(__file__).resolve().parent.parent / "src" / "edcbridge" / "vocab" / "snapshot.json"
    data = build(reference)
    lines = ['{"version": ' + json.dumps(data["version"]) + ', "schemes": {']
    keys = list(data["schemes"])
    for i, key in enumerate(keys):
        scheme = data["schemes"][key]
        lines.append(f'{json.dumps(key)}: {{"scheme": {json.dumps(scheme["scheme"])}, '
                     f'"source": {json.dumps(scheme["source"])}, "concepts": [')
        concepts = scheme["concepts"]
        for j, concept in enumerate(concepts):
            sep = "," if j < len(concepts) - 1 else ""
            lines.append(json.dumps(concept, ensure_ascii=False) + sep)
        lines.append("]}" + ("," if i < len(keys) - 1 else ""))
    lines.append("}}")
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    total = sum(len(s["concepts"]) for s in data["schemes"].values())
    print(f"wrote {out} ({len(keys)} schemes, {total} concepts)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
