"""How catalogue entries map onto Open Badges 3.0 terms whose meaning the specification fixes."""

from __future__ import annotations

import uuid
from pathlib import Path

from edcbridge.badges import clr_credential, open_badge, validate_badge
from tests.preview_support import fixture_pairs


def test_stacking_is_not_stated_as_related_achievements(reference: Path) -> None:
    """OB 3.0 ``related`` names an achievement to be considered the same (another language
    edition or version); a part and the larger award are not that. The CLR carries stacking."""
    stacked = []
    for name, award, catalogue in fixture_pairs():
        spec = catalogue.specification(award.specification)
        if name == "imperial" and spec is not None and (spec.part_of or spec.has_part):
            stacked.append((award, catalogue))
    assert stacked
    for award, catalogue in stacked:
        achievement = open_badge(award, catalogue)["credentialSubject"]["achievement"]
        editions = achievement.get("related", [])
        assert all(r["inLanguage"] != achievement["inLanguage"] for r in editions)  # language editions only
    learner = stacked[0][0].learner.id
    mine = [(a, c) for a, c in stacked if a.learner.id == learner]
    record = clr_credential(mine)
    assert validate_badge(record, reference / "ob3-clr") == []


def test_result_descriptions_have_valid_uuid_urns() -> None:
    for _, award, catalogue in fixture_pairs():
        subject = open_badge(award, catalogue)["credentialSubject"]
        for description in subject["achievement"].get("resultDescription", []):
            scheme, nid, value = description["id"].split(":", 2)
            assert (scheme, nid) == ("urn", "uuid") and str(uuid.UUID(value)) == value
            assert all(r["resultDescription"] == description["id"] for r in subject.get("result", []))
