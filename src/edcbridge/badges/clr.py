"""A learner's awards -> CLR 2.0 ``ClrCredential`` (Comprehensive Learner Record).

The record embeds each award's ``OpenBadgeCredential``, lists the achievements once, and
states how they stack: an ``isChildOf`` / ``isParentOf`` association for every pair of
achievements that the catalogue links with ``part_of`` / ``has_part``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from edcbridge.badges.ob3 import (
    OB_CONTEXT,
    OB_EXTENSIONS,
    SCHEMA_TYPE,
    VC_V2,
    issuer_profile,
    learner_id,
    open_badge,
    urn,
)
from edcbridge.mapping.person_names import joined_name
from edcbridge.model import Award, Catalogue, pick

Doc = dict[str, Any]
CLR_CONTEXT = "https://purl.imsglobal.org/spec/clr/v2p0/context-2.0.1.json"
CLR_SCHEMA = "https://purl.imsglobal.org/spec/clr/v2p0/schema/json/clr_v2p0_clrcredential_schema.json"


def learner_key(award: Award, catalogue: Catalogue) -> tuple[str, str]:
    """Whose record an award belongs to: (issuer, student number)."""
    return award.issuer or catalogue.issuer, award.learner.id


def learner_name(award: Award, language: str) -> str:
    learner = award.learner
    if learner.full_name:
        return pick(learner.full_name, language)
    return joined_name(language, pick(learner.given_name, language), pick(learner.family_name, language))


def associations(ordered: Sequence[tuple[Award, Catalogue]], achievements: list[Doc]) -> list[Doc]:
    """isChildOf / isParentOf between the held achievements that the catalogue stacks."""
    held = {a["humanCode"]: a["id"] for a in achievements}
    found = []
    for award, catalogue in ordered:
        spec = catalogue.specification(award.specification)
        if spec is None or spec.code not in held:
            continue
        for kind, others in (("isChildOf", spec.part_of), ("isParentOf", spec.has_part)):
            for other in others:
                if other not in held:
                    continue  # only achievements this record holds are associated
                link = {"type": "Association", "associationType": kind, "sourceId": held[spec.code],
                        "targetId": held[other]}
                if link not in found:
                    found.append(link)
    return found


def clr_credential(awards: Sequence[tuple[Award, Catalogue]],
                   secure: Callable[[Doc], Doc] | None = None, issuer_did: str | None = None) -> Doc:
    """The CLR of one learner at one issuer; ``awards`` must share issuer and student number.
    ``secure`` adds its proof to each embedded Open Badge; ``issuer_did``: the issuer's id in
    the record and its badges, a DID that controls the key of their proofs."""
    if not awards:
        raise ValueError("a CLR needs at least one award")
    keys = {learner_key(a, c) for a, c in awards}
    if len(keys) != 1:
        raise ValueError(f"a CLR covers one learner at one issuer, got {sorted(keys)}; "
                         "group the awards by issuer and student number first")
    ordered = sorted(awards, key=lambda pair: (pair[0].awarding_date, pair[0].award_id))
    last_award, catalogue = ordered[-1]
    issuer_key, student = next(iter(keys))
    badges = [open_badge(a, c, issuer_did) for a, c in ordered]
    if secure is not None:
        badges = [secure(badge) for badge in badges]
    achievements: list[Doc] = []
    for badge in badges:
        achieved = badge["credentialSubject"]["achievement"]
        if all(a["id"] != achieved["id"] for a in achievements):
            achievements.append(achieved)
    subject: Doc = {"id": learner_id(issuer_key, student), "type": ["ClrSubject"],
                    "identifier": badges[-1]["credentialSubject"]["identifier"],
                    "achievement": achievements, "verifiableCredential": badges}
    links = associations(ordered, achievements)
    if links:
        subject["association"] = links
    language = badges[-1]["credentialSubject"]["achievement"]["inLanguage"]
    issuer = issuer_profile(catalogue, issuer_key, language, issuer_did)
    return {
        "@context": [VC_V2, CLR_CONTEXT, OB_CONTEXT, OB_EXTENSIONS],
        "id": urn("clr", issuer_key, student, *[a.award_id for a, _ in ordered]),
        "type": ["VerifiableCredential", "ClrCredential"],
        "name": f"{learner_name(last_award, language)}, {issuer['name']}",
        "description": "\n".join(dict.fromkeys(a["name"] for a in achievements)),
        "issuer": issuer,
        "validFrom": max(b["validFrom"] for b in badges),
        "awardedDate": max(b["awardedDate"] for b in badges),
        "partial": False,
        "credentialSubject": subject,
        "credentialSchema": [{"id": CLR_SCHEMA, "type": SCHEMA_TYPE}],
    }
