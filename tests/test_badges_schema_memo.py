"""The 1EdTech schema check of Open Badges and learner records remembers the shared nodes it
found valid (each badge of a specification holds the same achievement, each badge of an issuer
the same profile) and where each reference leads: its errors are exactly those of jsonschema's
own validator on the same schema, on every fixture badge and record and on mutants of them."""

from __future__ import annotations

import json
from typing import Any

import pytest

from edcbridge.badges import clr_credential, open_badge
from edcbridge.badges.schemas import OfficialFiles, validate_badge
from edcbridge.mapping.nodes import Frozen
from edcbridge.validation import json_schema
from edcbridge.validation.json_schema import Validator
from tests.conftest import REFERENCE
from tests.mutant_support import REMOVED, Change, mutant
from tests.preview_support import fixture_pairs

OB3 = "schemas/ob-v3p0/ob_v3p0_achievementcredential_schema.json"
OB3_STRICT = "schemas/ob-v3p0-formal-2024/achievementcredential.json"
CLR = "schemas/clr-v2p0/clr_v2p0_clrcredential_schema.json"

if not (REFERENCE / "ob3-clr").is_dir():
    pytest.skip(f"official reference files not found at {REFERENCE}", allow_module_level=True)

BADGES = [(f"{name}:{award.award_id}", open_badge(award, catalogue))
          for name, award, catalogue in fixture_pairs()]


def _plain(relative: str) -> Validator:
    schema = json.loads((REFERENCE / "ob3-clr" / relative).read_text("utf-8"))
    return json_schema.validator(schema, "2019-09", plain=True)


def _tree(errors: Any) -> list[Any]:
    return sorted(((e.validator, list(e.absolute_path), list(e.absolute_schema_path), e.message,
                    _tree(e.context or ())) for e in errors), key=repr)


def _same_as_plain(doc: dict[str, Any], relatives: tuple[str, ...]) -> int:
    """The remembering validator's errors, checked against the plain one's; their number."""
    found = 0
    for relative in relatives:
        ours = OfficialFiles(REFERENCE / "ob3-clr").validator(relative)
        errors = _tree(ours.iter_errors(doc))
        assert errors == _tree(_plain(relative).iter_errors(doc)), relative
        found += len(errors)
    return found


MUTANTS: list[tuple[str, tuple[str | int, ...], Change]] = [
    ("achievement without its name", ("credentialSubject", "achievement", "name"), lambda _: REMOVED),
    ("achievement without criteria", ("credentialSubject", "achievement", "criteria"), lambda _: REMOVED),
    ("achievement criteria as a text", ("credentialSubject", "achievement", "criteria"), lambda _: "text"),
    ("achievement type unknown", ("credentialSubject", "achievement", "type"), lambda _: ["Badge"]),
    ("achievement id as a number", ("credentialSubject", "achievement", "id"), lambda _: 42),
    ("creator without its type", ("credentialSubject", "achievement", "creator", "type"), lambda _: REMOVED),
    ("issuer id as a number", ("issuer", "id"), lambda _: 42),
    ("issuer without its type", ("issuer", "type"), lambda _: REMOVED),
    ("subject identifier hashed as a text", ("credentialSubject", "identifier", 0, "hashed"), lambda _: "no"),
    ("subject without its achievement", ("credentialSubject", "achievement"), lambda _: REMOVED),
    ("valid from no date", ("validFrom",), lambda _: "14/07/2025"),
]


@pytest.mark.parametrize(("name", "doc"), BADGES, ids=[name for name, _ in BADGES])
def test_every_fixture_badge_has_the_errors_of_the_plain_validator(name: str, doc: dict[str, Any]) -> None:
    assert _same_as_plain(doc, (OB3, OB3_STRICT)) == 0
    assert validate_badge(doc, REFERENCE / "ob3-clr") == []


@pytest.mark.parametrize(("what", "where", "change"), MUTANTS, ids=[m[0] for m in MUTANTS])
def test_a_mutant_has_the_errors_of_the_plain_validator(what: str, where: tuple[str | int, ...],
                                                        change: Change) -> None:
    for _, doc in BADGES:  # first the badges that share its nodes, found valid and remembered
        _same_as_plain(doc, (OB3, OB3_STRICT))
    assert _same_as_plain(mutant(BADGES[0][1], where, change), (OB3, OB3_STRICT)) > 0


def test_every_learner_record_has_the_errors_of_the_plain_validator() -> None:
    pairs = list(fixture_pairs())
    for _, award, catalogue in pairs:
        record = clr_credential([(award, catalogue)])
        assert _same_as_plain(record, (CLR,)) == 0
    broken = clr_credential([(pairs[0][1], pairs[0][2])])
    inner = ("credentialSubject", "achievement", 0, "type")  # a badge's shared achievement
    assert _same_as_plain(mutant(broken, inner, lambda _: 42), (CLR,)) > 0


def test_badges_of_a_specification_share_its_achievement_and_their_issuer() -> None:
    pairs = list(fixture_pairs())
    (_, award, catalogue), (_, other, _) = next(
        (a, b) for a in pairs for b in pairs
        if a[1] is not b[1] and a[2] is b[2] and a[1].specification == b[1].specification)
    first, second = open_badge(award, catalogue), open_badge(other, catalogue)
    assert first["credentialSubject"]["achievement"] is second["credentialSubject"]["achievement"]
    assert first["issuer"] is second["issuer"] and isinstance(first["issuer"], Frozen)
    assert first["credentialSubject"] is not second["credentialSubject"]
    with pytest.raises(TypeError, match="shared"):
        first["credentialSubject"]["achievement"]["name"] = "changed"
