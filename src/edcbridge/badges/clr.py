"""A learner's awards -> CLR 2.0 ``ClrCredential`` (Comprehensive Learner Record).

The record embeds each award's ``OpenBadgeCredential``, lists the achievements once, and
states how they stack: an ``isChildOf`` / ``isParentOf`` association for every pair of
achievements that the catalogue links with ``part_of`` / ``has_part``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from edcbridge import vocab
from edcbridge.badges.ob3 import OB_CONTEXT, SCHEMA_TYPE, VC_V2, achievement_id, open_badge, profile, urn
from edcbridge.mapping.edc import languages_of
from edcbridge.model import Award, Catalogue, pick

Doc = dict[str, Any]
CLR_CONTEXT = "https://purl.imsglobal.org/spec/clr/v2p0/context-2.0.1.json"
CLR_SCHEMA = "https://purl.imsglobal.org/spec/clr/v2p0/schema/json/clr_v2p0_clrcredential_schema.json"


def learner_key(award: Award, catalogue: Catalogue) -> tuple[str, str]:
    """Whose record an award belongs to: (issuer, student number)."""
    return award.issuer or catalogue.issuer, award.learner.id


def clr_credential(awards: Sequence[tuple[Award, Catalogue]]) -> Doc:
    """The CLR of one learner at one issuer; ``awards`` must share issuer and student number."""
    if not awards:
        raise ValueError("a CLR needs at least one award")
    keys = {learner_key(a, c) for a, c in awards}
    if len(keys) != 1:
        raise ValueError(f"a CLR covers one learner at one issuer, got {sorted(keys)}; "
                         "group the awards by issuer and student number first")
    ordered = sorted(awards, key=lambda pair: (pair[0].awarding_date, pair[0].award_id))
    first_award, catalogue = ordered[-1]
    issuer_key, student = next(iter(keys))
    spec = catalogue.specification(first_award.specification)
    language = languages_of(first_award, spec, catalogue)[0] if spec else \
        vocab.concept("language", catalogue.primary_language).code
    badges = [open_badge(a, c) for a, c in ordered]
    achievements: list[Doc] = []
    for badge in badges:
        achieved = badge["credentialSubject"]["achievement"]
        if all(a["id"] != achieved["id"] for a in achievements):
            achievements.append(achieved)
    held = {a["id"] for a in achievements}
    associations = []
    codes = {achievement_id(issuer_key, a.specification): (a, c) for a, c in ordered}
    for ach_id, (award, cat) in codes.items():
        held_spec = cat.specification(award.specification)
        if held_spec is None:
            continue
        for parent in held_spec.part_of:
            if achievement_id(issuer_key, parent) not in held:
                continue  # only achievements this record holds are associated
            associations.append({"type": "Association", "associationType": "isChildOf",
                                 "sourceId": ach_id, "targetId": achievement_id(issuer_key, parent)})
        for child in held_spec.has_part:
            if achievement_id(issuer_key, child) not in held:
                continue
            associations.append({"type": "Association", "associationType": "isParentOf",
                                 "sourceId": ach_id, "targetId": achievement_id(issuer_key, child)})
    learner = first_award.learner
    name = pick(learner.full_name, language) if learner.full_name else \
        f"{pick(learner.given_name, language)} {pick(learner.family_name, language)}"
    subject: Doc = {"type": ["ClrSubject"], "identifier": badges[-1]["credentialSubject"]["identifier"],
                    "achievement": achievements, "verifiableCredential": badges}
    if associations:
        subject["association"] = associations
    issuer = profile(catalogue.organisation(issuer_key), language)
    return {
        "@context": [VC_V2, CLR_CONTEXT, OB_CONTEXT],
        "id": urn("clr", issuer_key, student, *[a.award_id for a, _ in ordered]),
        "type": ["VerifiableCredential", "ClrCredential"],
        "name": f"Comprehensive Learner Record: {name}",
        "description": f"{len(badges)} award(s) from {issuer['name']}",
        "issuer": issuer,
        "validFrom": max(b["validFrom"] for b in badges),
        "awardedDate": max(b["awardedDate"] for b in badges),
        "partial": False,
        "credentialSubject": subject,
        "credentialSchema": [{"id": CLR_SCHEMA, "type": SCHEMA_TYPE}],
    }
