"""Rebuild ``src/edcbridge/schemas/manifest.json`` from a folder of official files.

Usage: python scripts/build_manifest.py [REFERENCE_DIR]

Each entry pins one official file: where it lives in the store, the upstream URL at a fixed
commit (or, where the publisher gives none, its official URL and a ``copy`` at a fixed commit),
its version, licence and sha256. The store layout mirrors the reference folder.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

GH = "https://raw.githubusercontent.com"
ELM = f"{GH}/european-commission-empl/European-Learning-Model"
ELM_32 = f"{ELM}/22dcce7b414ff13b5e653e1935321c30dc6a6a42"
EDCI = (f"{GH}/european-commission-empl/european-digital-credentials/"
        "a26bb3466fc90c16353091e4ec6b7a0b11f3d5f4/edci-commons/src/main/resources")
IMP = f"{GH}/impierce/credential-converter/51978f1861de9dd0e50266db6978196055231b30/json/ebsi-elm"
W3C = f"{GH}/w3c/vc-data-model"

# (store path or folder, url builder, version, licence, group)
SETS: list[tuple[str, str, str, str, str]] = [
    ("w3c-vc-contexts/credentials-v1.jsonld",
     f"{W3C}/17329f486737cdbc655aef8f133e63a9c3ef134f/contexts/credentials/v1",
     "VC 1.1", "W3C-20150513", "jsonld"),
    ("w3c-vc-contexts/credentials-v2.jsonld",
     f"{W3C}/979c4af1cfe2224ed7b0ee5ec4d7a009a465812b/contexts/credentials/v2",
     "VC 2.0", "W3C-20150513", "jsonld"),
    ("elm3-rdf/3.2/rdf/ap/edc/", f"{ELM_32}/rdf/ap/edc/", "ELM 3.2.0 / EDC AP 1.2.0",
     "EUPL-1.2", "jsonld"),
    ("ebsi-edc-schema/vcdm2.0-attestation-schema/schema.json",
     f"{IMP}/vcdm2.0-attestation-schema/schema.json", "1.2.0", "EUPL-1.2", "ebsi"),
    ("ebsi-edc-schema/vcdm2.0-europass-edc-schema/schema.json", "", "2.1.0", "EUPL-1.2", "ebsi"),
    ("elm-xsd-v1/", f"{EDCI}/", "EDCI XML 1.0-1.2", "EUPL-1.2", "xml"),
    ("elm3-qdr-xsd/3.2/loq/", f"{ELM_32}/xsd/loq/", "ELM 3.2 QDR (xsdVersion 3.1.0)",
     "EUPL-1.2", "xml"),
    ("elm3-qdr-xsd/3.2/ams/", f"{ELM_32}/xsd/ams/", "ELM 3.2 QDR (xsdVersion 3.1.0)",
     "EUPL-1.2", "xml"),
]
PURL = "https://purl.imsglobal.org/spec"
OB_PAGES = ("https://raw.githubusercontent.com/1EdTech/openbadges-specification/"
            "c73e9663afcdbe009a224f7be061ac895168a5b8/docs/schema/")
SETS += [
    ("ob3-clr/contexts/ob-v3p0-context-3.0.3.json", f"{PURL}/ob/v3p0/context-3.0.3.json", "OB 3.0",
     "1EdTech-specification", "ob3"),
    ("ob3-clr/contexts/ob-v3p0-context-3.0.2.json", f"{PURL}/ob/v3p0/context-3.0.2.json", "OB 3.0",
     "1EdTech-specification", "ob3"),
    ("ob3-clr/contexts/ob-v3p0-context-3.0.1.json", f"{PURL}/ob/v3p0/context-3.0.1.json", "OB 3.0",
     "1EdTech-specification", "ob3"),
    ("ob3-clr/contexts/ob-v3p0-context.json", f"{PURL}/ob/v3p0/context.json", "OB 3.0",
     "1EdTech-specification", "ob3"),
    ("ob3-clr/contexts/ob-v3p0-extensions.json", f"{PURL}/ob/v3p0/extensions.json", "OB 3.0",
     "1EdTech-specification", "ob3"),
    ("ob3-clr/contexts/clr-v2p0-context-2.0.1.json", f"{PURL}/clr/v2p0/context-2.0.1.json", "CLR 2.0",
     "1EdTech-specification", "ob3"),
    ("ob3-clr/contexts/clr-v2p0-context.json", f"{PURL}/clr/v2p0/context.json", "CLR 2.0",
     "1EdTech-specification", "ob3"),
    ("ob3-clr/schemas/ob-v3p0/", f"{PURL}/ob/v3p0/schema/json/", "OB 3.0", "1EdTech-specification", "ob3"),
    ("ob3-clr/schemas/clr-v2p0/", f"{PURL}/clr/v2p0/schema/json/", "CLR 2.0", "1EdTech-specification",
     "ob3"),
    ("ob3-clr/schemas/ob-v3p0-formal-2024/", OB_PAGES, "OB 3.0 (strict form, 2024-07-30)",
     "1EdTech-specification", "ob3"),
]
# Pinned copies of the files whose official URLs (purl.imsglobal.org) carry no commit: the same
# bytes in a Git repository at a fixed commit (see the reference folder's ob3-clr/SOURCES.md).
# A download falls back on the copy when the official URL serves another version.
OB_SPEC = f"{GH}/1EdTech/openbadges-specification/1af145ff2dc6e22627e79eb5d0f9afca06ea2489/ob_v3p0"
OB_VAL = (f"{GH}/1EdTech/digital-credentials-public-validator/38254719cf0a490a403c9c812b01e6ab0678f2f3/"
          "inspector-vc/src/main/resources/contexts")
CFE = f"{GH}/conform-ed/conform-ed"
COPIES = {
    "ob3-clr/contexts/ob-v3p0-context-3.0.3.json": f"{OB_SPEC}/context-3.0.3.json",
    "ob3-clr/contexts/ob-v3p0-context-3.0.2.json": f"{OB_SPEC}/context-3.0.2.json",
    "ob3-clr/contexts/ob-v3p0-context-3.0.1.json": f"{OB_SPEC}/context-3.0.1.json",
    "ob3-clr/contexts/ob-v3p0-context.json": f"{OB_SPEC}/context.json",
    "ob3-clr/contexts/ob-v3p0-extensions.json": f"{OB_VAL}/ob-v3p0-extensions.json",
    "ob3-clr/contexts/clr-v2p0-context-2.0.1.json": f"{OB_VAL}/clr-v2p0-2.0.1.json",
    "ob3-clr/contexts/clr-v2p0-context.json": (
        f"{CFE}/73f2d586d2e78a60c83c1a5a8995deb1aa241851/packages/credential-verification/vendor/"
        "contexts/clr-v2p0.context.json"),
    "ob3-clr/schemas/ob-v3p0/": (f"{CFE}/dfaddb0e1284e3c50d246b3fab17f8ed018ae2ad/packages/coverage/"
                                 "vendor/open-badges/v3_0/"),
    "ob3-clr/schemas/clr-v2p0/": (f"{CFE}/b379d26bf5841ef0f6008e5f63eaf8966b865769/packages/coverage/"
                                  "vendor/clr/v2_0/"),
}
SUFFIXES = {".xsd", ".ttl", ".jsonld", ".json"}
NOTES = {
    "ebsi-edc-schema/vcdm2.0-europass-edc-schema/schema.json": (
        "Not on a public registry. Restored from the JSON block of the package README "
        "(@cef-ebsi/vcdm2.0-europass-edc-schema 2.1.0, EBSI registry id "
        "z6CZj2KLNFkFqeDrJ9h27Rgc2RhszhFRHJ5QTJ3W8p6B1); install with --from DIR, or with "
        "--download --mirror URL from a mirror that holds it."
    ),
}


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def main() -> int:
    reference = Path(sys.argv[1] if len(sys.argv) > 1 else "../shared/reference").resolve()
    out = Path(__file__).resolve().parent.parent / "src" / "edcbridge" / "schemas" / "manifest.json"
    files = []
    for store_path, url, version, licence, group in SETS:
        if store_path.endswith("/"):
            members = sorted(p for p in (reference / store_path).rglob("*")
                             if p.is_file() and p.suffix in SUFFIXES)
        else:
            members = [reference / store_path]
        for member in members:
            rel = member.relative_to(reference).as_posix()
            entry = {
                "path": rel,
                "url": (url + rel[len(store_path):]) if store_path.endswith("/") else (url or None),
                "version": version,
                "licence": licence,
                "group": group,
                "sha256": sha256(member),
            }
            if rel in NOTES:
                entry["note"] = NOTES[rel]
            copy = COPIES.get(rel) or (COPIES[store_path] + rel[len(store_path):]
                                       if store_path in COPIES else None)
            if copy:
                entry["copy"] = copy
            files.append(entry)
    manifest = {"manifest_version": 1, "files": files}
    out.write_text(json.dumps(manifest, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {out}: {len(files)} files")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
