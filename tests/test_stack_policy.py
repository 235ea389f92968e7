"""Stacking as the frameworks require: credit counts once, for what it records, while current."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner

from edcbridge.cli import main
from edcbridge.load import load_catalogue
from edcbridge.model import Award, Catalogue, parse
from edcbridge.stack import Held, NotSatisfied, StackRule, check_stack, derive_rules, stacked_credential
from tests.conftest import FIXTURES
from tests.test_official_conformance import _conforms

TARGET = "IMP-PGCERT-DSH"
PARTS = ("IMP-MC-MLH", "IMP-MC-CRA", "IMP-MC-DLH")
AS_OF = dt.date(2027, 3, 1)


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    return load_catalogue(FIXTURES / "imperial" / "catalogue.yaml")


def _held(catalogue: Catalogue, code: str, day: str, award_id: str) -> Held:
    award = parse(Award, {"award_id": award_id, "specification": code, "awarding_date": day,
                          "grade": {"en": "Merit"},
                          "learner": {"id": "02214587", "given_name": {"en": "Chloé"},
                                      "family_name": {"en": "Lefèvre-Dubois"}}})
    return Held(award, catalogue, award_id)


def _with_specs(catalogue: Catalogue, **changes: Mapping[str, object]) -> Catalogue:
    specs = tuple(s.model_copy(update=changes[s.code]) if s.code in changes else s
                  for s in catalogue.specifications)
    return catalogue.model_copy(update={"specifications": specs})


def _with_masters(catalogue: Catalogue) -> Catalogue:
    """The catalogue with an MSc built from the postgraduate certificate and its own parts."""
    pgcert = catalogue.specification(TARGET)
    assert pgcert is not None
    msc = pgcert.model_copy(update={"code": "IMP-MSC-HDS", "title": {"en": "MSc in Health Data Science"},
                                    "credits": Decimal(90), "has_part": (TARGET, *PARTS)})
    return catalogue.model_copy(update={"specifications": (*catalogue.specifications, msc)})


def _states(result: object) -> dict[str, str]:
    return {i.held.award.award_id: i.state for i in result.items}  # type: ignore[attr-defined]


def test_parts_inside_a_counted_larger_credential_count_once(catalogue: Catalogue) -> None:
    masters = _with_masters(catalogue)
    rule = StackRule(target="IMP-MSC-HDS", allowed=(TARGET, *PARTS), required=("IMP-MC-DLH",),
                     min_credits=Decimal(40))
    held = [_held(masters, TARGET, "2026-06-30", "PG"), _held(masters, "IMP-MC-MLH", "2025-07-14", "P1"),
            _held(masters, "IMP-MC-DLH", "2025-12-12", "P3")]
    result = check_stack(rule, held, masters, as_of=AS_OF)
    assert _states(result) == {"PG": "counted", "P1": "overlap", "P3": "overlap"}
    assert result.credits == 30 and not result.satisfied
    assert result.missing_required == []  # the certificate holds the required part
    reason = next(i.reason for i in result.items if i.held.award.award_id == "P1")
    assert reason == ("P1 (Machine Learning for Health Data) is a part of Postgraduate Certificate in Data "
                      "Science for Health (IMP-PGCERT-DSH), already counted with PG (awarded 2026-06-30); "
                      "credit counts once")
    assert "still open: Climate Risk Analytics" not in "\n".join(result.explanation)


def test_the_larger_award_lists_no_part_twice(reference: Path, catalogue: Catalogue) -> None:
    masters = _with_masters(catalogue)
    rule = StackRule(target="IMP-MSC-HDS", allowed=(TARGET, *PARTS), min_credits=Decimal(30))
    held = [_held(masters, TARGET, "2026-06-30", "PG"), _held(masters, "IMP-MC-MLH", "2025-07-14", "P1")]
    result = check_stack(rule, held, masters, as_of=AS_OF)
    doc = stacked_credential(result, masters, awarding_date=AS_OF, grade={"en": "Merit"})
    parts = doc["credentialSubject"]["hasClaim"]["hasPart"]
    assert [p["title"]["en"] for p in parts] == ["Postgraduate Certificate in Data Science for Health"]
    conforms, text = _conforms(doc)
    assert conforms, text


def test_a_rule_cannot_extend_a_parts_own_credit_currency(catalogue: Catalogue) -> None:
    longer = _with_specs(catalogue, **{TARGET: {"credit_currency_years": 10}})
    rule = derive_rules(longer)[TARGET]
    result = check_stack(rule, [_held(longer, "IMP-MC-MLH", "2021-01-10", "OLD")], longer, as_of=AS_OF)
    assert _states(result) == {"OLD": "needs-evidence"}  # its own 5 years ended on 2026-01-10
    assert result.items[0].reason.startswith("OLD (Machine Learning for Health Data) was awarded on "
                                             "2021-01-10; its credit currency of 5 years ended on 2026-01-10")
    shorter = StackRule(target=TARGET, allowed=PARTS, currency_years=3)  # a rules file may shorten it
    result = check_stack(shorter, [_held(catalogue, "IMP-MC-MLH", "2023-01-10", "MID")], catalogue,
                         as_of=AS_OF)
    assert _states(result) == {"MID": "needs-evidence"}  # the rule's 3 years are shorter than the part's 5


def test_the_targets_own_currency_does_not_shorten_its_parts(catalogue: Catalogue) -> None:
    """Imperial, section 3, 'Validity': 'For the purpose of stacking or transferring to a formal
    Imperial qualification, credit normally has a currency of 5 years': the currency is that of
    the credit stacked. The certificate's own credit_currency_years says how long it counts
    towards a larger award (an MSc), not how long its micro-credentials count towards it."""
    short = _with_specs(catalogue, **{TARGET: {"credit_currency_years": 3}})
    rule = derive_rules(short)[TARGET]
    assert rule.currency_years is None
    result = check_stack(rule, [_held(short, "IMP-MC-MLH", "2023-01-10", "MID")], short, as_of=AS_OF)
    assert _states(result) == {"MID": "counted"}  # within its own 5 years, until 2028-01-10
    assert result.items[0].reason.endswith("(current until 2028-01-10)")


def test_a_part_without_its_own_currency_counts_within_the_policys(catalogue: Catalogue) -> None:
    """Imperial, 'Validity': 'For the purpose of stacking [...] credit normally has a currency of
    5 years': a catalogue under that policy whose parts publish no currency still stacks within it."""
    bare = _with_specs(catalogue, **{code: {"credit_currency_years": None} for code in PARTS})
    rule = derive_rules(bare)[TARGET]
    held = [_held(bare, "IMP-MC-MLH", "2022-03-01", "EDGE"), _held(bare, "IMP-MC-CRA", "2022-02-28", "OLD")]
    result = check_stack(rule, held, bare, as_of=AS_OF)
    assert _states(result) == {"EDGE": "counted", "OLD": "needs-evidence"}  # 2027-03-01 is its last day
    assert "(current until 2027-03-01)" in result.items[0].reason
    assert result.items[1].reason.startswith("OLD (Climate Risk Analytics) was awarded on 2022-02-28; its "
                                             "credit currency of 5 years ended on 2027-02-28")
    without = bare.model_copy(update={"policies": ("eu-council",)})  # no policy: no currency
    assert _states(check_stack(rule, held, without, as_of=AS_OF)) == {"EDGE": "counted", "OLD": "counted"}


def test_a_credential_counts_no_more_credits_than_it_records(catalogue: Catalogue) -> None:
    earlier = _with_specs(catalogue, **{"IMP-MC-MLH": {"credits": Decimal("2.5")}})
    rule = derive_rules(catalogue)[TARGET]
    result = check_stack(rule, [_held(earlier, "IMP-MC-MLH", "2025-01-10", "A1"),
                                _held(catalogue, "IMP-MC-CRA", "2025-05-01", "A2"),
                                _held(catalogue, "IMP-MC-DLH", "2025-06-01", "A3")], catalogue, as_of=AS_OF)
    assert result.credits == 25 and not result.satisfied
    reason = next(i.reason for i in result.items if i.held.award.award_id == "A1")
    assert reason.startswith("A1 (Machine Learning for Health Data) counts 2.5 credits")
    assert reason.endswith("it records 2.5 ECTS credits, fewer than the 5 of IMP-MC-MLH in the catalogue, "
                           "so it counts 2.5")


def test_current_until_is_the_earlier_of_currency_and_validity(catalogue: Catalogue) -> None:
    lapsing = _with_specs(catalogue, **{"IMP-MC-MLH": {"validity_years": 1}})
    rule = derive_rules(lapsing)[TARGET]
    result = check_stack(rule, [_held(lapsing, "IMP-MC-MLH", "2026-06-01", "A1")], lapsing, as_of=AS_OF)
    assert result.items[0].reason.endswith("(current until 2027-05-31)")  # validUntil 2027-06-01
    lasting = check_stack(derive_rules(catalogue)[TARGET],
                          [_held(catalogue, "IMP-MC-MLH", "2026-06-01", "A1")], catalogue, as_of=AS_OF)
    assert lasting.items[0].reason.endswith("(current until 2031-06-01)")


def test_satisfied_explanation_names_the_credits_left_to_assess(catalogue: Catalogue) -> None:
    galway = load_catalogue(FIXTURES / "galway" / "catalogue.yaml")
    result = check_stack(derive_rules(galway)["GAL-PGCERT-DA"],
                         [_held(galway, "GAL-MC-PYDA", "2025-01-10", "G1")], galway, as_of=AS_OF)
    assert result.satisfied
    assert result.explanation[-1] == (
        "  to assess: 55 of the 60 ECTS credits of Postgraduate Certificate in Data Analytics "
        "(GAL-PGCERT-DA) come from no credential counted here; the award claims all 60, so assess those 55 "
        "credits (such as a capstone or other modules) before it is made")
    full = check_stack(derive_rules(catalogue)[TARGET],
                       [_held(catalogue, code, "2025-06-01", code) for code in PARTS], catalogue, as_of=AS_OF)
    assert full.explanation[-1].startswith("  to assess: 2.5 of the 30 ECTS credits of Postgraduate")


def test_the_larger_award_is_dated_between_its_latest_part_and_the_judging_day(catalogue: Catalogue) -> None:
    held = [_held(catalogue, code, day, code) for code, day in zip(PARTS, ("2025-01-10", "2025-05-01",
                                                                            "2026-06-01"), strict=True)]
    result = check_stack(derive_rules(catalogue)[TARGET], held, catalogue, as_of=AS_OF)
    assert result.satisfied
    for day in (dt.date(2026, 5, 31), AS_OF + dt.timedelta(days=1)):
        with pytest.raises(NotSatisfied, match=f"cannot be dated {day}: its latest part was awarded on "
                                               "2026-06-01 and the parts were judged on 2027-03-01"):
            stacked_credential(result, catalogue, awarding_date=day, grade={"en": "Merit"})
    doc = stacked_credential(result, catalogue, awarding_date=dt.date(2026, 6, 1), grade={"en": "Merit"})
    assert doc["credentialSubject"]["hasClaim"]["awardedBy"]["awardingDate"].startswith("2026-06-01")


def test_a_learner_holding_the_larger_award_is_not_awarded_it_again(catalogue: Catalogue) -> None:
    held = [_held(catalogue, code, "2025-06-01", code) for code in PARTS]
    held.append(_held(catalogue, TARGET, "2026-06-30", "PG"))
    result = check_stack(derive_rules(catalogue)[TARGET], held, catalogue, as_of=AS_OF)
    assert not result.satisfied and result.credits == Decimal("27.5")
    assert _states(result)["PG"] == "already-awarded"
    assert result.explanation[0] == ("NOT SATISFIED: Postgraduate Certificate in Data Science for Health "
                                     "(IMP-PGCERT-DSH) was awarded to this learner already (PG, 2026-06-30); "
                                     "it is not awarded twice.")
    with pytest.raises(NotSatisfied):
        stacked_credential(result, catalogue, awarding_date=AS_OF, grade={"en": "Merit"})


def test_the_same_credential_given_twice_is_named_as_such(catalogue: Catalogue) -> None:
    row = _held(catalogue, "IMP-MC-MLH", "2025-01-10", "A1")
    file = Held(row.award, catalogue, "held/A1.jsonld")
    result = check_stack(derive_rules(catalogue)[TARGET], [Held(row.award, catalogue, "awards.csv:2"), file],
                         catalogue, as_of=AS_OF)
    assert [i.state for i in result.items] == ["counted", "duplicate"] and result.credits == 5
    assert result.items[1].reason == ("A1 (Machine Learning for Health Data) (held/A1.jsonld) is the same "
                                      "credential as the one counted (awards.csv:2), given twice; it counts "
                                      "once")


def test_a_part_past_its_currency_may_count_with_further_evidence(catalogue: Catalogue) -> None:
    """Imperial, 'Validity': credit 'normally has a currency of 5 years, after which further
    evidence of current knowledge/skills/competencies may be required'. Past it, a part is not
    counted on its record alone, and not expired either: it may count once such evidence is given."""
    rule = derive_rules(catalogue)[TARGET]
    held = [_held(catalogue, "IMP-MC-MLH", "2021-02-01", "OLD"),
            _held(catalogue, "IMP-MC-CRA", "2025-05-01", "A2"),
            _held(catalogue, "IMP-MC-DLH", "2025-06-01", "A3")]
    result = check_stack(rule, held, catalogue, as_of=AS_OF)
    assert _states(result)["OLD"] == "needs-evidence"
    assert result.credits == Decimal("22.5") and not result.satisfied  # unverified credit is not counted
    [old] = [i for i in result.items if i.held.award.award_id == "OLD"]
    assert old.credits == 0 and old.pending == 5
    assert old.reason == (
        "OLD (Machine Learning for Health Data) was awarded on 2021-02-01; its credit currency of 5 years "
        "ended on 2026-02-01, before 2027-03-01: it is not counted on its record alone, but may count its 5 "
        "credits with further evidence of current knowledge, skills and competences, if the institution "
        "asks for and accepts it")
    assert "expired" not in "\n".join(result.explanation)
    [missing] = [line for line in result.explanation if line.startswith("  missing:")]
    assert missing.endswith("; OLD may bring them with further evidence of current knowledge, skills and "
                            "competences")
    assert old.as_dict()["may_count_with_evidence"] == "5"


def test_a_rule_met_only_with_evidence_is_told_from_one_not_met(catalogue: Catalogue) -> None:
    """A part past its credit currency is not counted, so the rule is not met; whether accepting
    the further evidence would meet it is said apart, for the institution to ask for it."""
    rule = derive_rules(catalogue)[TARGET]
    current = [_held(catalogue, "IMP-MC-CRA", "2025-05-01", "A2"),
               _held(catalogue, "IMP-MC-DLH", "2025-06-01", "A3")]
    result = check_stack(rule, [_held(catalogue, "IMP-MC-MLH", "2021-02-01", "OLD"), *current], catalogue,
                         as_of=AS_OF)
    assert not result.satisfied and result.met_with_evidence
    assert result.as_dict()["met_with_evidence"] is True and result.as_dict()["satisfied"] is False
    assert ("  met with evidence: the rule is met, 27.5 credits counting, if the institution accepts "
            "further evidence of current knowledge, skills and competences for OLD") in result.explanation
    short = check_stack(rule, [_held(catalogue, "IMP-MC-MLH", "2021-02-01", "OLD"), current[0]], catalogue,
                        as_of=AS_OF)
    assert not short.satisfied and not short.met_with_evidence  # 12.5 of 27.5 even with it
    assert not any(line.startswith("  met with evidence") for line in short.explanation)
    met = check_stack(rule, [_held(catalogue, "IMP-MC-MLH", "2024-02-01", "NEW"), *current], catalogue,
                      as_of=AS_OF)
    assert met.satisfied and met.as_dict()["met_with_evidence"] is False  # no evidence is needed


def test_evidence_brings_each_parts_credit_once(catalogue: Catalogue) -> None:
    """Two old credentials for one part bring its credit once, with evidence as without."""
    rule = derive_rules(catalogue)[TARGET]
    held = [_held(catalogue, "IMP-MC-DLH", "2020-06-01", "OLD1"),
            _held(catalogue, "IMP-MC-DLH", "2021-01-10", "OLD2"),
            _held(catalogue, "IMP-MC-MLH", "2025-05-01", "A1")]
    result = check_stack(rule, held, catalogue, as_of=AS_OF)
    assert _states(result) == {"OLD1": "needs-evidence", "OLD2": "needs-evidence", "A1": "counted"}
    assert not result.met_with_evidence  # 5 + 15 = 20 of 27.5, not 5 + 15 + 15
    held.append(_held(catalogue, "IMP-MC-CRA", "2025-05-01", "A2"))
    result = check_stack(rule, held, catalogue, as_of=AS_OF)
    assert result.met_with_evidence
    assert result.explanation[-1].endswith("27.5 credits counting, if the institution accepts further "
                                           "evidence of current knowledge, skills and competences for OLD2")


def test_evidence_does_not_award_the_larger_credential_twice(catalogue: Catalogue) -> None:
    rule = derive_rules(catalogue)[TARGET]
    held = [_held(catalogue, "IMP-MC-MLH", "2021-02-01", "OLD"),
            _held(catalogue, "IMP-MC-CRA", "2025-05-01", "A2"),
            _held(catalogue, "IMP-MC-DLH", "2025-06-01", "A3"), _held(catalogue, TARGET, "2025-07-01", "PG")]
    assert not check_stack(rule, held, catalogue, as_of=AS_OF).met_with_evidence


def test_the_command_says_a_rule_met_with_evidence_and_exits_1(tmp_path: Path) -> None:
    """Exit 1 keeps meaning 'not met on the credits counted'; --json's met_with_evidence tells a
    script whether to ask for the evidence."""
    source = (FIXTURES / "imperial" / "awards.csv").read_text("utf-8-sig").splitlines()
    blank = [""] * 6
    rows = [",".join([award, code, "02214587", "Chloé", "Lefèvre-Dubois", *blank, day, "Pass", ""])
            for award, code, day in (("OLD", "IMP-MC-MLH", "2021-02-01"), ("A2", "IMP-MC-CRA", "2025-05-01"),
                                     ("A3", "IMP-MC-DLH", "2025-06-01"))]
    awards = tmp_path / "awards.csv"
    awards.write_text("\n".join([source[0], *rows]) + "\n", "utf-8")
    args = ["stack", TARGET, "-c", str(FIXTURES / "imperial" / "catalogue.yaml"), "--records", str(awards),
            "--as-of", "2027-03-01"]
    done = CliRunner().invoke(main, [*args, "--json"])
    assert done.exit_code == 1, done.output
    data = json.loads(done.stdout)
    assert data["satisfied"] is False and data["met_with_evidence"] is True
    text = CliRunner().invoke(main, args)
    assert text.exit_code == 1 and "  met with evidence: the rule is met" in text.stdout
    assert text.stdout.startswith("NOT SATISFIED:")
