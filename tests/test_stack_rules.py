"""Rules files: every problem names the file, the line, the rule's field and the fix."""

from __future__ import annotations

import datetime as dt
import resource
import subprocess
import sys
import textwrap
from decimal import Decimal
from pathlib import Path

import pytest

from edcbridge.load import load_catalogue
from edcbridge.model import Catalogue
from edcbridge.stack import RuleError, load_rules
from tests.conftest import FIXTURES


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    return load_catalogue(FIXTURES / "imperial" / "catalogue.yaml")


def _problems(path: Path, catalogue: Catalogue) -> list[str]:
    with pytest.raises(RuleError) as caught:
        load_rules(path, catalogue)
    return str(caught.value).splitlines()


def test_field_errors_name_their_line(catalogue: Catalogue, tmp_path: Path) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text("rules:\n"
                    "  - target: IMP-PGCERT-DSH\n"          # line 2
                    "    allowed: [IMP-MC-MLH, IMP-MC-CRA]\n"
                    "    min_credits: -1\n"                 # line 4
                    "    currency_years: yes\n", "utf-8")   # line 5
    assert _problems(path, catalogue) == [
        f"{path}:4: rules[0].min_credits: Input should be greater than or equal to 0",
        f"{path}:5: rules[0].currency_years: Input should be a valid integer",
    ]


def test_unknown_codes_name_the_line_of_the_list_item(catalogue: Catalogue, tmp_path: Path) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text("rules:\n"
                    "  - target: IMP-PGCERT-DSH\n"
                    "    allowed:\n"
                    "      - IMP-MC-MLH\n"
                    "      - IMP-MC-MLX\n"                  # line 5
                    "    required: [IMP-MC-DLH]\n", "utf-8")  # line 6
    assert _problems(path, catalogue) == [
        f"{path}:5: rules[0].allowed[1]: specification 'IMP-MC-MLX' is not in the catalogue; did you mean "
        "IMP-MC-MLH or IMP-MC-DLH?",
        f"{path}:6: rules[0].required[0]: required IMP-MC-DLH not in allowed; add them to allowed",
    ]


def test_json_rules_files_name_lines_too(catalogue: Catalogue, tmp_path: Path) -> None:
    path = tmp_path / "rules.json"
    path.write_text('{"rules": [\n'
                    '  {"target": "IMP-PGCERT-DSH",\n'
                    '   "allowed": ["IMP-MC-MLH", "IMP-PGCERT-DSH"]}\n'
                    "]}\n", "utf-8")
    assert _problems(path, catalogue) == [
        f"{path}:3: rules[0].allowed[1]: IMP-PGCERT-DSH cannot count towards itself; remove it from allowed",
    ]


def test_min_credits_the_allowed_parts_cannot_reach_is_refused(catalogue: Catalogue, tmp_path: Path) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text("rules:\n"
                    "  - target: IMP-PGCERT-DSH\n"
                    "    allowed: [IMP-MC-MLH, IMP-MC-CRA]\n"
                    "    min_credits: 20\n", "utf-8")
    assert _problems(path, catalogue) == [
        f"{path}:4: rules[0].min_credits: min_credits 20 cannot be reached: the allowed specifications carry "
        "12.5 ECTS credits together (credits in another credit system count nothing); lower min_credits or "
        "allow more specifications",
    ]
    path.write_text("rules:\n  - target: IMP-PGCERT-DSH\n    allowed: [IMP-MC-MLH, IMP-MC-CRA]\n"
                    "    min_credits: 12.5\n", "utf-8")
    assert load_rules(path, catalogue)["IMP-PGCERT-DSH"].min_credits == 12.5


def test_credits_needed_at_the_targets_level(catalogue: Catalogue, tmp_path: Path) -> None:
    from edcbridge.stack import check_stack
    from tests.test_stack_check import held

    path = tmp_path / "rules.yaml"
    path.write_text("rules:\n  - target: IMP-PGCERT-DSH\n    allowed: [IMP-MC-MLH, IMP-MC-CRA, IMP-MC-DLH]\n"
                    "    min_credits: 12.5\n    level_credits: 12.5\n", "utf-8")
    rule = load_rules(path, catalogue)["IMP-PGCERT-DSH"]
    day = dt.date(2027, 3, 1)
    result = check_stack(rule, [held(catalogue, "IMP-MC-MLH", "2025-01-10", "A1"),
                                held(catalogue, "IMP-MC-CRA", "2025-05-01", "A2")], catalogue, as_of=day)
    assert result.credits == Decimal("12.5") and result.at_level == 5 and not result.satisfied
    assert result.items[0].reason.endswith("; it is at EQF level 6, below the level 7 of IMP-PGCERT-DSH")
    assert result.explanation[-1] == ("  missing: 7.5 more credits at EQF level 7 or above (5 of the 12.5 "
                                      "needed count)")
    enough = check_stack(rule, [held(catalogue, "IMP-MC-DLH", "2025-06-01", "A3")], catalogue, as_of=day)
    assert enough.satisfied and enough.at_level == 15
    unlevelled = catalogue.model_copy(update={"specifications": tuple(
        s.model_copy(update={"eqf": None, "nqf": None}) if s.code == "IMP-PGCERT-DSH" else s
        for s in catalogue.specifications)})
    assert _problems(path, unlevelled) == [
        f"{path}:5: rules[0].level_credits: IMP-PGCERT-DSH has no EQF level to count level_credits at; give "
        "it eqf in the catalogue or remove level_credits",
    ]


def test_credits_at_the_targets_level_read_an_fheq_level_alone(catalogue: Catalogue, tmp_path: Path) -> None:
    """Imperial counts in FHEQ levels ('Level 4-7'): a micro-credential at RQF Level 7 without an
    EQF level is at EQF 7, as the UK references its levels, and so is a target stated so."""
    from edcbridge.stack import check_stack
    from tests.test_stack_check import held

    uk_only = catalogue.model_copy(update={"specifications": tuple(
        s.model_copy(update={"eqf": None}) if s.code in ("IMP-MC-DLH", "IMP-MC-CRA", "IMP-PGCERT-DSH") else s
        for s in catalogue.specifications)})
    path = tmp_path / "rules.yaml"
    path.write_text("rules:\n  - target: IMP-PGCERT-DSH\n    allowed: [IMP-MC-MLH, IMP-MC-CRA, IMP-MC-DLH]\n"
                    "    min_credits: 20\n    level_credits: 15\n", "utf-8")
    rule = load_rules(path, uk_only)["IMP-PGCERT-DSH"]  # before: 'has no EQF level to count level_credits at'
    result = check_stack(rule, [held(uk_only, "IMP-MC-DLH", "2025-06-01", "A3"),
                                held(uk_only, "IMP-MC-CRA", "2025-05-01", "A2")], uk_only,
                         as_of=dt.date(2027, 3, 1))
    assert result.at_level == 15 and result.satisfied
    [cra] = [i for i in result.items if i.held.award.award_id == "A2"]
    assert cra.reason.endswith("; it is at EQF level 6, below the level 7 of IMP-PGCERT-DSH")


@pytest.mark.parametrize(("name", "text"), [
    ("rules.json", '{"rules": ' + "[" * 100_000 + "]" * 100_000 + "}"),
    ("rules.yaml", "rules: " + "[" * 100_000 + "]" * 100_000 + "\n"),
])
def test_a_rules_file_nested_too_deeply_is_refused_by_name(catalogue: Catalogue, tmp_path: Path,
                                                            name: str, text: str) -> None:
    rules = tmp_path / name
    rules.write_text(text, encoding="utf-8")
    with pytest.raises(RuleError, match=f"{name}: the values are nested too deeply to be rules"):
        load_rules(rules, catalogue)


def _limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (512 * 1024 * 1024, 512 * 1024 * 1024))


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="needs /dev/zero")
def test_a_rules_file_is_read_no_further_than_its_limit() -> None:
    program = textwrap.dedent(f"""
        from pathlib import Path
        from edcbridge.load import load_catalogue
        from edcbridge.stack import RuleError, load_rules
        catalogue = load_catalogue(Path({str(FIXTURES / "imperial" / "catalogue.yaml")!r}))
        try:
            load_rules(Path("/dev/zero"), catalogue)
        except RuleError as exc:
            print(exc)
    """)
    done = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True,
                          preexec_fn=_limit_memory, check=False)
    assert done.returncode == 0, done.stderr[-500:]
    assert done.stdout.startswith("/dev/zero: more than 1,048,576 bytes, far more than rules take")


def test_a_rules_file_with_windows_line_breaks_names_its_lines(catalogue: Catalogue, tmp_path: Path) -> None:
    rules = tmp_path / "rules.yaml"
    rules.write_bytes(b"rules:\r\n  - target: IMP-MC-MLH\r\n    allowed: [NO-SUCH-CODE]\r\n")
    with pytest.raises(RuleError, match=r"rules.yaml:3: "):
        load_rules(rules, catalogue)


# The UK's referencing of its frameworks to the EQF, one row per level: RQF/CQFW (FHEQ levels
# 4-8 share the numbering) and SCQF. Entry Levels 1 and 2 and SCQF 1 and 2 lie below EQF 1.
@pytest.mark.parametrize(("nqf", "eqf"), [
    ("rqf-entry-levels-1-2", None), ("cqfw-entry-1-3", None), ("rqf-entry-level-3", 1),
    ("rqf-level-1", 2), ("rqf-level-2", 3), ("rqf-level-3", 4), ("rqf-level-4", 5), ("rqf-level-5", 5),
    ("rqf-level-6", 6), ("rqf-level-7", 7), ("rqf-level-8", 8),
    ("cqfw-level-1", 2), ("cqfw-level-2", 3), ("cqfw-level-3", 4),
    ("scqf-level-1", None), ("scqf-level-2", None), ("scqf-level-3", 1), ("scqf-level-4", 2),
    ("scqf-level-5", 3), ("scqf-level-6", 4), ("scqf-level-7", 5), ("scqf-level-8", 5), ("scqf-level-9", 6),
    ("scqf-level-10", 6), ("scqf-level-11", 7), ("scqf-level-12", 8),
])
def test_a_uk_level_alone_is_at_the_eqf_level_the_uk_references_it_to(catalogue: Catalogue, nqf: str,
                                                                       eqf: int | None) -> None:
    from edcbridge.stack.rules import spec_eqf

    spec = catalogue.specifications[0].model_copy(update={"eqf": None, "nqf": nqf})
    assert spec_eqf(spec) == eqf


def test_credits_at_the_targets_level_count_a_part_at_rqf_level_3(catalogue: Catalogue,
                                                                   tmp_path: Path) -> None:
    """A part at RQF Level 3 is at EQF 4: its credits count at a target of RQF Level 3."""
    from edcbridge.stack import check_stack
    from tests.test_stack_check import held

    levelled = catalogue.model_copy(update={"specifications": tuple(
        s.model_copy(update={"eqf": None, "nqf": "rqf-level-3"})
        if s.code in ("IMP-MC-DLH", "IMP-PGCERT-DSH") else s for s in catalogue.specifications)})
    path = tmp_path / "rules.yaml"
    path.write_text("rules:\n  - target: IMP-PGCERT-DSH\n    allowed: [IMP-MC-DLH]\n"
                    "    min_credits: 15\n    level_credits: 15\n", "utf-8")
    rule = load_rules(path, levelled)["IMP-PGCERT-DSH"]  # before: no EQF level to count at
    result = check_stack(rule, [held(levelled, "IMP-MC-DLH", "2025-06-01", "A3")], levelled,
                         as_of=dt.date(2027, 3, 1))
    assert result.at_level == 15 and result.satisfied


def test_numbers_past_what_any_award_takes_are_refused_at_their_line(catalogue: Catalogue,
                                                                    tmp_path: Path) -> None:
    """A currency of thousands of years (a typo for a date, say) would run the currency's end past
    the calendar; credits past the model's 1000 are no award's. Both are said at their line, with
    the bound, as the catalogue's own fields are."""
    path = tmp_path / "rules.yaml"
    path.write_text("rules:\n"
                    "  - target: IMP-PGCERT-DSH\n"
                    "    allowed: [IMP-MC-MLH, IMP-MC-CRA, IMP-MC-DLH]\n"
                    "    min_credits: 1e400\n"              # line 4
                    "    level_credits: 5000\n"             # line 5
                    "    currency_years: 8000\n", "utf-8")  # line 6
    assert _problems(path, catalogue) == [
        f"{path}:4: rules[0].min_credits: Input should be less than or equal to 1000",
        f"{path}:5: rules[0].level_credits: Input should be less than or equal to 1000",
        f"{path}:6: rules[0].currency_years: Input should be less than or equal to 100",
    ]
