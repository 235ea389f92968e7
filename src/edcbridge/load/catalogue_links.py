"""The addresses a catalogue gives: ESCO skills in ESCO's own form, web pages over https."""

from __future__ import annotations

import re

from edcbridge.model import Catalogue
from edcbridge.model.records import Problem

ESCO = "http://data.europa.eu/esco/"
# A skill or knowledge concept is named by a UUID; the groups of ESCO's skills pillar by their
# code (S1.2.3 skills, T1 transversal skills, L language skills).
_ESCO_SKILL = re.compile(r"http://data\.europa\.eu/esco/skill/(?:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-"
                         r"[0-9a-f]{4}-[0-9a-f]{12}|[STL](?:[0-9]+(?:\.[0-9]+)*)?)")
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_FORM = "http://data.europa.eu/esco/skill/ followed by the skill's UUID, as ESCO's page of the skill gives it"


def esco_problems(catalogue: Catalogue) -> list[Problem]:
    """ESCO skills not written as ESCO names them: every credential would link to nothing."""
    problems: list[Problem] = []
    for index, spec in enumerate(catalogue.specifications):
        for number, outcome in enumerate(spec.learning_outcomes):
            for pos, skill in enumerate(outcome.esco_skills):
                iri = str(skill.iri)
                where = ("specifications", index, "learning_outcomes", number, "esco_skills", pos)
                if not _ESCO_SKILL.fullmatch(iri):
                    problems.append((where, f"{iri!r} is not an ESCO skill IRI: {_why_not(iri)}",
                                     f"write {_likely(iri) or _FORM}"))
    return problems


def _why_not(iri: str) -> str:
    if iri.startswith("https://data.europa.eu/esco/"):
        return "ESCO names its concepts with http://, and an https:// IRI is another name, in no ESCO scheme"
    if iri.startswith(f"{ESCO}occupation/"):
        return "it names an ESCO occupation, and esco_skills holds skills"
    if not iri.startswith(ESCO):
        return "it is not in ESCO (http://data.europa.eu/esco/)"
    if iri.startswith(f"{ESCO}skill/"):
        return "what follows skill/ is not the UUID of a skill (8-4-4-4-12 hexadecimal digits)"
    return "an ESCO skill is under http://data.europa.eu/esco/skill/"


def _likely(iri: str) -> str | None:
    """The ESCO skill IRI that ``iri`` was meant to be, when its UUID is whole."""
    found = _UUID.search(iri)
    if found is None or iri.startswith(f"{ESCO}occupation/"):
        return None
    return f"{ESCO}skill/{found.group().lower()}"


def plain_http_problems(catalogue: Catalogue) -> list[Problem]:
    """Web addresses given as http://: each credential carries the address for as long as it is
    kept, and a reader's browser warns on a page sent unencrypted (or cannot reach one whose site
    has moved to https)."""
    found: list[tuple[tuple[str | int, ...], str]] = []
    for index, org in enumerate(catalogue.organisations):
        found += [(("organisations", index, "homepage"), str(org.homepage or ""))]
    for index, qa in enumerate(catalogue.quality_assurance):
        found += [(("quality_assurance", index, "report_url"), str(qa.report_url or ""))]
    for index, spec in enumerate(catalogue.specifications):
        found += [(("specifications", index, "homepage"), str(spec.homepage or ""))]
    return [(where, f"{address!r} is a plain http:// address, which every credential would carry: "
             "browsers and wallets warn on a page sent unencrypted",
             f"write https://{address.removeprefix('http://')} if the site answers there")
            for where, address in found if address.lower().startswith("http://")]
