"""A record's part of the catalogue: what of the catalogue its files are made from.

Its digest is part of the record's input hash, so it must change whenever the files would
(or a re-run would keep outdated credentials) and only then (or a re-run would redo, and
reseal, records whose files come out the same). A credential carries its specification and
those it names as parts or wholes, the issuer, their awarding bodies, their quality assurance
and its agencies (see ``mapping.edc`` and ``xml.edc12``); the catalogue's primary language,
issuer and policies decide its languages and checks. Organisations and quality assurance
that none of these names are not part of it: adding one redoes nothing.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from edcbridge.model import Catalogue, Specification


class CatalogueParts:
    """The digest of each record's part of a catalogue, by specification and issuer, each
    made once (a run has few of either)."""

    def __init__(self, catalogue: Catalogue) -> None:
        self._catalogue = catalogue
        self._by_code = {spec.code: spec for spec in reversed(catalogue.specifications)}
        self._common = catalogue.model_dump(
            mode="json", exclude={"specifications", "organisations", "quality_assurance"})
        self._digests: dict[tuple[str, str], str] = {}

    def digest(self, code: str, issuer: str | None) -> str:
        """Of an award of the specification ``code`` issued by ``issuer`` (None: the
        catalogue's issuer); empty for a code the catalogue lacks (such a row does not load)."""
        spec = self._by_code.get(code)
        if spec is None:
            return ""
        key = (code, issuer or self._catalogue.issuer)
        found = self._digests.get(key)
        if found is None:
            text = json.dumps(self._part(spec, key[1]), sort_keys=True, ensure_ascii=False,
                              separators=(",", ":"))
            found = self._digests[key] = hashlib.sha256(text.encode("utf-8")).hexdigest()
        return found

    def _part(self, spec: Specification, issuer: str) -> dict[str, Any]:
        """Laid out as the whole catalogue was before, so that a catalogue each of whose
        organisations and quality assurance a record names gives the digest it gave then."""
        catalogue = self._catalogue
        related = [self._by_code[code] for code in (*spec.part_of, *spec.has_part) if code in self._by_code]
        specs = (spec, *related)
        qa_keys = {key for each in specs for key in each.quality_assurance}
        qas = [qa for qa in catalogue.quality_assurance if qa.key in qa_keys]
        bodies = {each.awarding_body for each in specs if each.awarding_body}
        named = {catalogue.issuer, issuer, *bodies, *(qa.agency for qa in qas)}
        organisations = [org.model_dump(mode="json") for org in catalogue.organisations if org.key in named]
        common = {**self._common, "organisations": organisations,
                  "quality_assurance": [qa.model_dump(mode="json") for qa in qas]}
        return {"catalogue": common, "specifications": [each.model_dump(mode="json") for each in specs]}
