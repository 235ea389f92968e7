"""Stacking: which held credentials count towards a larger award, and why not."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path

import pytest

from edcbridge.load import load_catalogue
from edcbridge.model import Award, Catalogue, parse
from edcbridge.stack import Held, RuleError, StackRule, check_stack, derive_rules, load_rules, rule_for
from tests.conftest import FIXTURES

TARGET = "IMP-PGCERT-DSH"
AS_OF = dt.date(2027, 3, 1)


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    return load_catalogue(FIXTURES / "imperial" / "catalogue.yaml")


def held(catalogue: Catalogue, code: str, day: str, award_id: str, learner: str = "02214587") -> Held:
    award = parse(Award, {"award_id": award_id, "specification": code, "awarding_date": day,
                          "grade": {"en": "Merit"},
                          "learner": {"id": learner, "given_name": {"en": "Chloé"},
                                      "family_name": {"en": "Lefèvre-Dubois"}}})
    return Held(award, catalogue, award_id)


def states(result: object) -> dict[str, str]:
    return {i.held.award.award_id: i.state for i in result.items}  # type: ignore[attr-defined]


def test_rule_derived_from_has_part(catalogue: Catalogue) -> None:
    rule = derive_rules(catalogue)[TARGET]
    assert rule.allowed == ("IMP-MC-MLH", "IMP-MC-CRA", "IMP-MC-DLH")
    assert rule.min_credits == Decimal("27.5")  # the parts' total; the 30 ECTS include a capstone
    sofia = derive_rules(load_catalogue(FIXTURES / "sofia" / "catalogue.yaml"))["SU-SLP-DH"]
    assert sofia.min_credits == 15 and sofia.currency_years is None  # each module's own 3 years count


def test_enough_credits(catalogue: Catalogue) -> None:
    rule = derive_rules(catalogue)[TARGET]
    result = check_stack(rule, [held(catalogue, "IMP-MC-MLH", "2024-01-10", "A1"),
                                held(catalogue, "IMP-MC-CRA", "2025-05-01", "A2"),
                                held(catalogue, "IMP-MC-DLH", "2025-06-01", "A3")], catalogue, as_of=AS_OF)
    assert result.satisfied and result.credits == Decimal("27.5")
    assert set(states(result).values()) == {"counted"}
    assert result.explanation[0].startswith("SATISFIED: 27.5 of 27.5 credits")
    assert "A1 (Machine Learning for Health Data) counts 5 credits" in "\n".join(result.explanation)
    assert "current until 2029-01-10" in "\n".join(result.explanation)


def test_too_few_credits_names_what_is_still_open(catalogue: Catalogue) -> None:
    rule = derive_rules(catalogue)[TARGET]
    result = check_stack(rule, [held(catalogue, "IMP-MC-MLH", "2024-01-10", "A1"),
                                held(catalogue, "IMP-MC-CRA", "2025-05-01", "A2")], catalogue, as_of=AS_OF)
    assert not result.satisfied and result.credits == Decimal("12.5")
    text = "\n".join(result.explanation)
    assert result.explanation[0] == ("NOT SATISFIED: Postgraduate Certificate in Data Science for Health "
                                     "(IMP-PGCERT-DSH) needs 27.5 credits; 12.5 count.")
    assert "missing: 15 more credits; still open: Leading Digital Transformation in Healthcare " \
           "(IMP-MC-DLH), 15 credits" in text


def test_credential_past_its_currency(catalogue: Catalogue) -> None:
    rule = derive_rules(catalogue)[TARGET]
    result = check_stack(rule, [held(catalogue, "IMP-MC-MLH", "2021-02-01", "OLD"),
                                held(catalogue, "IMP-MC-CRA", "2025-05-01", "A2"),
                                held(catalogue, "IMP-MC-DLH", "2025-06-01", "A3")], catalogue, as_of=AS_OF)
    assert not result.satisfied and states(result)["OLD"] == "needs-evidence"
    assert result.credits == Decimal("22.5")
    reason = next(i.reason for i in result.items if i.state == "needs-evidence")
    assert reason.startswith("OLD (Machine Learning for Health Data) was awarded on 2021-02-01; its credit "
                             "currency of 5 years ended on 2026-02-01, before 2027-03-01")
    # the same credential still counts the day its currency ends
    on_time = check_stack(rule, [held(catalogue, "IMP-MC-MLH", "2021-02-01", "OLD")], catalogue,
                          as_of=dt.date(2026, 2, 1))
    assert states(on_time)["OLD"] == "counted"


def test_credential_not_in_the_rule(catalogue: Catalogue) -> None:
    rule = StackRule(target=TARGET, allowed=("IMP-MC-MLH", "IMP-MC-CRA"), min_credits=Decimal(5))
    result = check_stack(rule, [held(catalogue, "IMP-MC-MLH", "2024-01-10", "A1"),
                                held(catalogue, "IMP-MC-DLH", "2025-01-01", "A3")], catalogue,
                         as_of=AS_OF)
    assert states(result) == {"A1": "counted", "A3": "not-allowed"}
    reason = next(i.reason for i in result.items if i.state == "not-allowed")
    assert reason == ("A3 (Leading Digital Transformation in Healthcare) does not count towards "
                      "Postgraduate Certificate in Data Science for Health (IMP-PGCERT-DSH): only Machine "
                      "Learning for Health Data (IMP-MC-MLH), Climate Risk Analytics (IMP-MC-CRA) do")


def test_duplicate_counts_once_keeping_the_newest(catalogue: Catalogue) -> None:
    rule = derive_rules(catalogue)[TARGET]
    result = check_stack(rule, [held(catalogue, "IMP-MC-MLH", "2023-01-10", "FIRST"),
                                held(catalogue, "IMP-MC-MLH", "2025-01-10", "AGAIN")], catalogue, as_of=AS_OF)
    assert states(result) == {"AGAIN": "counted", "FIRST": "duplicate"}
    assert result.credits == 5
    reason = next(i.reason for i in result.items if i.state == "duplicate")
    assert "already counted with AGAIN (awarded 2025-01-10); credit counts once" in reason


def test_another_learners_credential_is_refused(catalogue: Catalogue) -> None:
    rule = derive_rules(catalogue)[TARGET]
    result = check_stack(rule, [held(catalogue, "IMP-MC-MLH", "2024-01-10", "A1"),
                                held(catalogue, "IMP-MC-CRA", "2025-01-10", "B1", learner="999")], catalogue,
                         as_of=AS_OF)
    assert states(result)["B1"] == "other-learner"


def test_rules_file_overrides_and_required(catalogue: Catalogue, tmp_path: Path) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text("rules:\n  - target: IMP-PGCERT-DSH\n    allowed: [IMP-MC-MLH, IMP-MC-CRA, IMP-MC-DLH]\n"
                    "    required: [IMP-MC-DLH]\n    min_credits: 12.5\n    currency_years: 2\n", "utf-8")
    rule = load_rules(path, catalogue)[TARGET]
    assert rule == StackRule(target=TARGET, allowed=("IMP-MC-MLH", "IMP-MC-CRA", "IMP-MC-DLH"),
                             required=("IMP-MC-DLH",), min_credits=Decimal("12.5"), currency_years=2,
                             source="rules.yaml rules[0]")
    result = check_stack(rule, [held(catalogue, "IMP-MC-MLH", "2026-01-10", "A1"),
                                held(catalogue, "IMP-MC-CRA", "2026-05-01", "A2")], catalogue, as_of=AS_OF)
    assert result.credits == Decimal("12.5") and not result.satisfied
    assert result.explanation[-1] == ("  missing: Leading Digital Transformation in Healthcare (IMP-MC-DLH) "
                                      "is required")


def test_bad_rules_are_explained(catalogue: Catalogue, tmp_path: Path) -> None:
    path = tmp_path / "rules.yaml"
    head = "rules:\n  - target: IMP-PGCERT-DSH\n    allowed: [IMP-MC-MLX]\n    required: [IMP-MC-DLH]\n"
    path.write_text(head + "    min_credit: 5\n", "utf-8")
    with pytest.raises(RuleError) as caught:
        load_rules(path, catalogue)
    message = str(caught.value)
    assert "min_credit" in message and "Extra inputs are not permitted" in message
    path.write_text(head, "utf-8")
    with pytest.raises(RuleError) as caught:
        load_rules(path, catalogue)
    assert "'IMP-MC-MLX' is not in the catalogue; did you mean IMP-MC-MLH" in str(caught.value)
    assert "required IMP-MC-DLH not in allowed" in str(caught.value)
    with pytest.raises(RuleError, match="no stacking rule for 'IMP-MC-MLH'"):
        rule_for("IMP-MC-MLH", derive_rules(catalogue), catalogue)


def _with_specs(catalogue: Catalogue, **changes: Mapping[str, object]) -> Catalogue:
    """The catalogue with some specifications changed (keyed by code)."""
    specs = tuple(s.model_copy(update=changes[s.code]) if s.code in changes else s
                  for s in catalogue.specifications)
    return catalogue.model_copy(update={"specifications": specs})


def test_a_credential_awarded_after_the_judging_date_does_not_count(catalogue: Catalogue) -> None:
    rule = derive_rules(catalogue)[TARGET]
    day = dt.date(2026, 1, 1)
    result = check_stack(rule, [held(catalogue, "IMP-MC-MLH", "2025-06-01", "A1"),
                                held(catalogue, "IMP-MC-MLH", "2026-06-01", "LATER"),
                                held(catalogue, "IMP-MC-CRA", "2026-06-01", "A2"),
                                held(catalogue, "IMP-MC-DLH", "2026-06-01", "A3")], catalogue, as_of=day)
    assert states(result) == {"A1": "counted", "LATER": "not-yet-awarded", "A2": "not-yet-awarded",
                              "A3": "not-yet-awarded"}
    assert not result.satisfied and result.credits == 5
    reason = next(i.reason for i in result.items if i.held.award.award_id == "LATER")
    assert reason.startswith("LATER (Machine Learning for Health Data) was awarded on 2026-06-01, after "
                             "2026-01-01, the date the rule is judged on: it cannot count yet")
    on_the_day = check_stack(rule, [held(catalogue, "IMP-MC-MLH", "2026-01-01", "A1")], catalogue, as_of=day)
    assert states(on_the_day) == {"A1": "counted"}


def test_nothing_counted_never_satisfies(catalogue: Catalogue) -> None:
    rule = StackRule(target=TARGET, allowed=("IMP-MC-MLH", "IMP-MC-CRA"))  # no credits, none required
    result = check_stack(rule, [held(catalogue, "IMP-PGCERT-DSH", "2025-01-01", "PG")], catalogue,
                         as_of=AS_OF)
    assert not result.satisfied
    assert result.explanation[0].startswith("NOT SATISFIED")
    assert result.explanation[-1].startswith("  missing: no credential counts towards Postgraduate")
    assert check_stack(rule, [held(catalogue, "IMP-MC-CRA", "2025-01-01", "A2")], catalogue,
                       as_of=AS_OF).satisfied


def test_parts_without_credits_are_all_required(catalogue: Catalogue) -> None:
    parts = ("IMP-MC-MLH", "IMP-MC-CRA", "IMP-MC-DLH")
    bare = _with_specs(catalogue, **{code: {"credits": None} for code in parts})
    rule = derive_rules(bare)[TARGET]
    assert rule.min_credits == 0 and rule.required == parts
    result = check_stack(rule, [held(bare, "IMP-MC-MLH", "2025-01-10", "A1")], bare, as_of=AS_OF)
    assert not result.satisfied and result.missing_required == ["IMP-MC-CRA", "IMP-MC-DLH"]


def test_credits_in_another_credit_system_add_nothing(catalogue: Catalogue) -> None:
    from edcbridge.vocab import CreditSystem

    mixed = _with_specs(catalogue, **{"IMP-MC-DLH": {"credit_system": CreditSystem.ECVET}})
    rule = derive_rules(mixed)[TARGET]
    assert rule.min_credits == Decimal("12.5")  # 5 + 7.5 ECTS; the 15 ECVET points are not ECTS
    result = check_stack(rule, [held(mixed, "IMP-MC-MLH", "2025-01-10", "A1"),
                                held(mixed, "IMP-MC-DLH", "2025-06-01", "A3")], mixed, as_of=AS_OF)
    assert result.credits == 5 and not result.satisfied
    reason = next(i.reason for i in result.items if i.held.award.award_id == "A3")
    assert reason.startswith("A3 (Leading Digital Transformation in Healthcare) counts 0 credits")
    assert reason.endswith("its 15 ECVET credits are not in ECTS, the credit system of IMP-PGCERT-DSH, so "
                           "they add nothing")


def test_odd_rules_files_are_explained(catalogue: Catalogue, tmp_path: Path) -> None:
    path = tmp_path / "rules.yaml"
    path.write_bytes("rules:\n  - target: IMP-PGCERT-DSH  # Anmerkung für später\n".encode("latin-1"))
    with pytest.raises(RuleError, match=r"rules.yaml: not UTF-8 text \(byte 48\); save the rules file as"):
        load_rules(path, catalogue)
    path.write_text("rules:\n  - [IMP-MC-MLH]\n  - target: IMP-PGCERT-DSH\n    allowed: IMP-MC-MLH\n"
                    "  - target: IMP-PGCERT-DSH\n    allowed: [IMP-MC-MLH, IMP-PGCERT-DSH]\n"
                    "    currency_years: yes\n", "utf-8")
    with pytest.raises(RuleError) as caught:
        load_rules(path, catalogue)
    lines = str(caught.value).splitlines()
    assert lines[0].endswith("rules[0]: Input should be a valid dictionary or instance of StackRule; each "
                             "rule is a mapping, e.g. {target: CODE, allowed: [CODE, ...], min_credits: 15}")
    assert lines[1].endswith("rules[1].allowed: Input should be a valid tuple; give a list of specification "
                             "codes, e.g. [CODE, ...]")
    assert lines[2].endswith("rules[2].currency_years: Input should be a valid integer")
    path.write_text("rules:\n  - target: IMP-PGCERT-DSH\n    allowed: [IMP-MC-MLH, IMP-PGCERT-DSH]\n",
                    "utf-8")
    with pytest.raises(RuleError, match="IMP-PGCERT-DSH cannot count towards itself; remove it from allowed"):
        load_rules(path, catalogue)


def test_a_credential_past_its_own_validity_does_not_count(catalogue: Catalogue) -> None:
    rule = derive_rules(catalogue)[TARGET]
    lapsing = _with_specs(catalogue, **{"IMP-MC-CRA": {"validity_years": 1}})
    part = held(lapsing, "IMP-MC-CRA", "2025-05-01", "A2")
    day = dt.date(2026, 5, 1)  # validUntil 2026-05-01T00:00:00Z: no longer valid that day
    assert states(check_stack(rule, [part], lapsing, as_of=day - dt.timedelta(days=1))) == {"A2": "counted"}
    result = check_stack(rule, [part], lapsing, as_of=day)
    assert states(result) == {"A2": "expired"} and result.credits == 0
    assert result.items[0].reason == ("A2 (Climate Risk Analytics) is no longer valid on 2026-05-01: its "
                                      "validity ended by the start of 2026-05-01 (UTC); a renewed "
                                      "credential may count instead")
    renewed = parse(Award, {**part.award.model_dump(mode="json", exclude_none=True), "award_id": "A2R",
                            "valid_until": "2027-05-01"})
    again = check_stack(rule, [Held(renewed, lapsing, "A2R")], lapsing, as_of=day)
    assert states(again) == {"A2R": "counted"}


def test_two_rules_for_one_target_are_refused(catalogue: Catalogue, tmp_path: Path) -> None:
    path = tmp_path / "rules.yaml"
    rule = "  - target: IMP-PGCERT-DSH\n    allowed: [IMP-MC-MLH, IMP-MC-CRA]\n    min_credits: {}\n"
    path.write_text("rules:\n" + rule.format(5) + rule.format(12.5), "utf-8")
    second = r"rules.yaml:5: rules\[1\].target: a second rule for IMP-PGCERT-DSH \(rules\[0\]"
    with pytest.raises(RuleError, match=second):
        load_rules(path, catalogue)
