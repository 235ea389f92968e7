"""A catalogue's usual slips (YAML and JSON syntax, misspelt keys, near vocabulary values, parts
that loop) are each an error at its line with its fix, all of a file in one run."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
import yaml

from edcbridge.load import CatalogueError, load_catalogue
from edcbridge.load import catalogue as catalogue_module
from edcbridge.load.errors import InputFileError, RecordError
from tests.conftest import FIXTURES

IMPERIAL = FIXTURES / "imperial" / "catalogue.yaml"
MLH = "specifications[IMP-MC-MLH]"


def _write(tmp_path: Path, text: str, name: str = "catalogue.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, "utf-8")
    return path


def _variant(tmp_path: Path, *edits: tuple[str, str]) -> Path:
    text = IMPERIAL.read_text("utf-8")
    for old, new in edits:
        assert old in text, old
        text = text.replace(old, new, 1)
    return _write(tmp_path, text)


def _errors(path: Path) -> list[RecordError]:
    with pytest.raises(CatalogueError) as caught:
        load_catalogue(path)
    return caught.value.errors


def _json(tmp_path: Path, edit: tuple[str, str] = ("", "")) -> Path:
    text = json.dumps(yaml.safe_load(IMPERIAL.read_text("utf-8")), default=str, indent=2)
    assert edit[0] in text, edit[0]
    return _write(tmp_path, text.replace(edit[0], edit[1], 1), "catalogue.json")


@pytest.mark.parametrize(("old", "new", "line", "fix"), [
    ("    kind: micro-credential\n", "\tkind: micro-credential\n", 47, "indent with spaces"),
    ("    hours: 125\n", "    hours:125\n", 67, "put a space after the colon: hours: 125"),
    ("    hours: 125\n", "     hours: 125\n", 67, "indent the line as its neighbours"),
    ("    eqf: 7\n", "    eqf: !level 7\n", 68, "remove the tag"),
    ("    hours: 125\n", "    ? [a]\n    : 125\n", 46, "write each key as a plain word"),
])
def test_a_yaml_slip_is_named_by_line_column_and_its_fix(
        tmp_path: Path, old: str, new: str, line: int, fix: str) -> None:
    [error] = _errors(_variant(tmp_path, (old, new)))
    assert error.row == line and "(column " in error.message, error.render()
    assert fix in error.fix, error.render()


def test_a_key_written_twice_is_named_by_its_path_with_the_other_errors(tmp_path: Path) -> None:
    path = _variant(tmp_path, ("    hours: 125\n", "    hours: 125\n    hours: 126\n"),
                    ("    eqf: 7\n", "    eqf: 9\n"))
    assert [(e.row, e.column) for e in _errors(path)] == [(68, f"{MLH}.hours"), (69, f"{MLH}.eqf")]


def test_errors_name_the_catalogue_s_fields_not_columns(tmp_path: Path) -> None:
    path = _variant(tmp_path, ("    hours: 125\n", "    hours: 125\n    hours: 126\n"),
                    ("    eqf: 7\n", "    eqf: 9\n"), ("    agency: qaa\n", ""))
    with pytest.raises(CatalogueError) as caught:
        load_catalogue(path)
    said = str(caught.value)
    for error in caught.value.errors:
        assert f"{path}:{error.row}: field {error.column!r}" in error.render()
    assert f"field '{MLH}.hours'" in said and f"field '{MLH}.eqf' = '9'" in said
    assert "field 'quality_assurance[qaa-review-2025].agency'" in said and "column" not in said


def test_a_merged_key_written_again_is_not_a_duplicate(tmp_path: Path) -> None:
    path = _variant(tmp_path, ("  - code: IMP-MC-CRA\n    kind: micro-credential\n",
                               "  - <<: {kind: course}\n    code: IMP-MC-CRA\n    kind: micro-credential\n"))
    assert load_catalogue(path).specification("IMP-MC-CRA").kind == "micro-credential"


@pytest.mark.parametrize("bomb", [
    "a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n" + "".join(
        f"a{i + 1}: &a{i + 1} [{', '.join([f'*a{i}'] * 10)}]\n" for i in range(8)),
    "loop: &loop [*loop]\n",
])
def test_aliases_that_expand_without_end_are_refused_at_once(tmp_path: Path, bomb: str) -> None:
    text = IMPERIAL.read_text("utf-8").replace("primary_language: en\n", "primary_language: en\n" + bomb)
    started = time.monotonic()
    [error] = _errors(_write(tmp_path, text))
    assert time.monotonic() - started < 10
    assert error.row is not None and "aliases" in error.message, error.render()


def test_a_file_too_large_to_be_a_catalogue_is_refused_before_reading(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(catalogue_module, "MAX_BYTES", 1000)
    with pytest.raises(InputFileError, match="larger than"):
        load_catalogue(_variant(tmp_path))


@pytest.mark.parametrize(("edit", "line", "message", "fix"), [
    (("{", "// the catalogue\n{"), 1, "JSON has no comments", "save the catalogue as .yaml"),
    (('"primary_language": "en"', '"primary_language": "en", "issuer": "imperial",}, "x": {'), 3,
     "a comma after the last item", "remove the comma before '}'"),
    (('"primary_language"', "'primary_language'"), 3, "JSON texts take double quotes", 'write "text"'),
])
def test_json_comments_trailing_commas_and_single_quotes_name_their_fix(
        tmp_path: Path, edit: tuple[str, str], line: int, message: str, fix: str) -> None:
    [error] = _errors(_json(tmp_path, edit))
    assert error.row == line and message in error.message and fix in error.fix, error.render()


def test_a_json_catalogue_names_the_line_of_each_error(tmp_path: Path) -> None:
    path = _json(tmp_path, ('"eqf": 7', '"eqf": 9'))
    [error] = _errors(path)
    assert error.column == f"{MLH}.eqf"
    assert '"eqf": 9' in path.read_text("utf-8").splitlines()[error.row - 1]


@pytest.mark.parametrize(("text", "name", "message"), [
    ("", "catalogue.yaml", "the catalogue is empty"),
    ("# registry catalogue\n# to do\n", "catalogue.yaml", "the catalogue is empty"),
    ("", "catalogue.json", "the catalogue is empty"),
    ("- primary_language: en\n", "catalogue.yaml", "the catalogue is a list"),
])
def test_an_empty_catalogue_says_so_and_what_to_write(
        tmp_path: Path, text: str, name: str, message: str) -> None:
    [error] = _errors(_write(tmp_path, text, name))
    assert error.message.startswith(message) and "primary_language" in error.fix, error.render()


@pytest.mark.parametrize(("old", "new", "column", "fix"), [
    ("    hours: 125\n", "    hour: 125\n", f"{MLH}.hour", "did you mean 'hours'?"),
    ("    eidas_identifier: NTRGB-RC000631\n", "    eidas_identifer: NTRGB-RC000631\n",
     "organisations[imperial].eidas_identifer", "did you mean 'eidas_identifier'"),
    ("    languages: [en]\n", "    languages: en\n", f"{MLH}.languages", "write a list, e.g. [en]"),
    ("title: {en: Machine Learning for Health Data}", "title: [Machine Learning for Health Data]",
     f"{MLH}.title", "write keys and values"),
    ("    hours: 125\n", "    hours: 150h\n", f"{MLH}.hours", "write hours: 150"),
    ("    credits: 5\n", "    credits: 5 ECTS\n", f"{MLH}.credits", "write credits: 5"),
])
def test_a_wrong_name_or_shape_names_the_fix(
        tmp_path: Path, old: str, new: str, column: str, fix: str) -> None:
    [error] = _errors(_variant(tmp_path, (old, new)))
    assert error.column == column and fix in error.fix, error.render()


@pytest.mark.parametrize(("old", "new", "column", "message", "fix"), [
    ("    eqf: 7\n", "    eqf: [6]\n", f"{MLH}.eqf", "eqf takes one value, not a list", "write eqf: 6"),
    ("    eqf: 7\n", "    eqf: [6, 7]\n", f"{MLH}.eqf", "eqf takes one value, not a list",
     "keep one of them, e.g. eqf: 6"),
    ("    eqf: 7\n", "    eqf: {level: 6}\n", f"{MLH}.eqf", "eqf takes one value, not a mapping",
     "write eqf: 6"),
    ("    credit_system: ects\n", "    credit_system: ~\n", f"{MLH}.credit_system",
     "credit_system is empty", "write credit_system: ects (or ecvet), or leave credit_system out: "
     "ects is the default"),
    ("    credit_system: ects\n", "    credit_system:\n", f"{MLH}.credit_system",
     "credit_system is empty", "write credit_system: ects (or ecvet)"),
    ("    credit_system: ects\n", "    credit_system: [ects]\n", f"{MLH}.credit_system",
     "credit_system takes one value, not a list", "write credit_system: ects"),
])
def test_a_vocabulary_field_given_a_list_or_nothing_names_the_value_to_write(
        tmp_path: Path, old: str, new: str, column: str, message: str, fix: str) -> None:
    [error] = _errors(_variant(tmp_path, (old, new)))
    assert error.column == column and error.message.startswith(message), error.render()
    assert "http://" not in error.message and error.fix.startswith(fix), error.render()


@pytest.mark.parametrize(("written", "fix"), [
    ("Micro-credential", "write kind: micro-credential"),
    ("micro credential", "write kind: micro-credential"),
    ("Microcredential", "write kind: micro-credential"),
    ("MICRO_CREDENTIAL", "write kind: micro-credential"),
    ("Qualification", "write kind: qualification"),
    ("Microcredentials", "write kind: micro-credential"),
    ("qualifcation", "write kind: qualification"),
    ("badge", "write one of micro-credential, qualification, course"),
])
def test_a_kind_written_another_way_names_the_accepted_value(tmp_path: Path, written: str, fix: str) -> None:
    [error] = _errors(_variant(tmp_path, ("    kind: micro-credential\n", f"    kind: {written}\n")))
    assert error.column == f"{MLH}.kind" and error.row == 47, error.render()
    assert error.message.startswith(f"{written!r} is not an accepted kind") and error.fix == fix, \
        error.render()


@pytest.mark.parametrize(("new", "fix"), [
    ("    credits: 10 UK credits\n", "write credits: 5 (10 UK credits are 5 ECTS"),
    ("    credits: 15 CATS\n", "write credits: 7.5 (15 UK credits are 7.5 ECTS"),
    ("    credits: 10 CATS points\n", "write credits: 5 (10 UK credits are 5 ECTS"),
    ("    credits: 10 SCQF credits\n", "write credits: 5 (10 UK credits are 5 ECTS"),
    ("    credits: 10 CQFW credits\n", "write credits: 5 (10 UK credits are 5 ECTS"),
    ("    credits: 5 ECVET\n", "write credits: 5 and credit_system: ecvet"),
    ("    credits: 5 ECVET points\n", "write credits: 5 and credit_system: ecvet"),
])
def test_credits_written_in_another_unit_are_converted_in_the_fix_not_copied(
        tmp_path: Path, new: str, fix: str) -> None:
    """Copied as written into an ECTS field, 10 UK credits would be stated as 10 ECTS, twice the
    learning, and 5 ECVET points as 5 ECTS."""
    [error] = _errors(_variant(tmp_path, ("    credits: 5\n", new)))
    assert error.column == f"{MLH}.credits" and error.fix.startswith(fix), error.render()


@pytest.mark.parametrize("written", ["UK credits", "CATS", "SCQF", "CQFW credits"])
def test_a_uk_credit_system_says_to_write_ects_at_half_not_that_it_is_ects(
        tmp_path: Path, written: str) -> None:
    [error] = _errors(_variant(tmp_path, ("    credit_system: ects\n", f"    credit_system: {written}\n")))
    assert error.column == f"{MLH}.credit_system", error.render()
    assert "UK credits" in error.message, error.render()
    assert error.fix.startswith("write credit_system: ects and credits: 2.5 (5 UK credits are 2.5 ECTS"), \
        error.render()


@pytest.mark.parametrize("framework", [
    "Regulated Qualifications Framework (RQF) for England and Northern Ireland",
    "http://data.europa.eu/snb/qdr/c_36ff4631",  # Credit and Qualifications Framework for Wales
    "Irish National Framework of Qualifications",
])
def test_an_nqf_naming_a_framework_rather_than_a_level_of_it_is_an_error(
        tmp_path: Path, framework: str) -> None:
    """The NQF list holds each framework beside its levels: the framework itself states no
    level, yet as nqfLevel it passed for one (the level 'any level' uk-qaa asks for)."""
    [error] = _errors(_variant(tmp_path, ("    nqf: RQF Level 7\n", f"    nqf: {framework}\n")))
    assert (error.row, error.column) == (69, f"{MLH}.nqf"), error.render()
    assert "is a qualifications framework, not a level of it" in error.message, error.render()
    assert "write the level" in error.fix and "edcbridge vocab nqf" in error.fix, error.render()


@pytest.mark.parametrize(("written", "fix"), [
    ("FHEQ 4", "write eqf: 5 (FHEQ/RQF level 4 is referenced to EQF 5)"),
    ("RQF Level 4", "write eqf: 5 (FHEQ/RQF level 4 is referenced to EQF 5)"),
    ("Level 5 (FHEQ)", "write eqf: 5 (FHEQ/RQF level 5 is referenced to EQF 5)"),
    ("SCQF 7", "write eqf: 5 (SCQF level 7 is referenced to EQF 5)"),
    ("CQFW Level 6", "write eqf: 6 (FHEQ/RQF level 6 is referenced to EQF 6)"),
    ("NFQ 8", "write in eqf the EQF level"),
])
def test_a_national_level_written_as_the_eqf_level_is_not_given_its_number_as_the_eqf_level(
        tmp_path: Path, written: str, fix: str) -> None:
    """FHEQ level 4 is EQF 5, SCQF level 7 EQF 5: the number alone, which the suggestion took,
    states another level."""
    [error] = _errors(_variant(tmp_path, ("    eqf: 7\n", f"    eqf: {written}\n")))
    assert error.column == f"{MLH}.eqf" and "not an EQF level" in error.message, error.render()
    assert error.fix.startswith(fix) and "nqf" in error.fix, error.render()


@pytest.mark.parametrize(("written", "fix"), [
    ("FHEQ Level 7", "use one of RQF Level 7, CQFW Level 7 ("),
    ("FHEQ 6", "use one of RQF Level 6, CQFW Level 6 ("),
    ("NFQ Level 8", "use one of IE NQF Level 8 ("),
    ("RQF 6", "use one of RQF Level 6 ("),
    ("Level 6", "use a code, IRI or English label from the nqf code list"),
    ("NQF Level 8", "use a code, IRI or English label from the nqf code list"),
    ("NQF VPET 6", "use one of NQF VPET Level 6 ("),
])
def test_an_nqf_near_a_level_suggests_that_framework_s_level_not_another_country_s(
        tmp_path: Path, written: str, fix: str) -> None:
    """'FHEQ Level 7' was near 'HQF Level 7' (Greece's), 'SEQF Level 7' (Sweden's) in spelling: a
    UK credential following the suggestion would state a Greek level."""
    [error] = _errors(_variant(tmp_path, ("    nqf: RQF Level 7\n", f"    nqf: {written}\n")))
    assert error.column == f"{MLH}.nqf" and error.fix.startswith(fix), error.render()


@pytest.mark.parametrize(("old", "new", "suggested"), [
    ('isced_f: ["0688", "0912"]', 'isced_f: ["0613 Software"]', "0613"),
    ("    eqf: 7\n", "    eqf: EQF 7\n", "7"),
    ("    languages: [en]\n", "    languages: [en-GB]\n", "en"),
    ("    country: GB\n", "    country: England\n", "gb"),
])
def test_a_value_near_a_code_suggests_that_code_first(
        tmp_path: Path, old: str, new: str, suggested: str) -> None:
    [error] = _errors(_variant(tmp_path, (old, new)))
    assert error.fix.startswith(f"use one of {suggested} ("), error.render()


@pytest.mark.parametrize(("old", "new", "column", "message"), [
    ("    part_of: [IMP-PGCERT-DSH]\n", "    part_of: [IMP-PGCERT-DSH, IMP-MC-MLH]\n",
     f"{MLH}.part_of[1]", "'IMP-MC-MLH' lists itself in part_of"),
    ("    part_of: [IMP-PGCERT-DSH]\n", "    part_of: [IMP-PGCERT-DSH]\n    has_part: [IMP-MC-MLH]\n",
     f"{MLH}.has_part[0]", "'IMP-MC-MLH' lists itself in has_part"),
    ("    part_of: [IMP-PGCERT-DSH]\n", "    part_of: [IMP-PGCERT-DSH]\n    has_part: [IMP-PGCERT-DSH]\n",
     MLH, "parts contain their wholes: IMP-MC-MLH is part of IMP-PGCERT-DSH is part of IMP-MC-MLH"),
])
def test_a_specification_that_contains_itself_is_an_error(
        tmp_path: Path, old: str, new: str, column: str, message: str) -> None:
    [error] = _errors(_variant(tmp_path, (old, new)))
    assert (error.column, error.message) == (column, message), error.render()


def test_codes_that_differ_only_in_case_are_an_error(tmp_path: Path) -> None:
    path = _variant(tmp_path, ("  - code: IMP-MC-CRA\n", "  - code: imp-mc-mlh\n"),
                    ("has_part: [IMP-MC-MLH, IMP-MC-CRA", "has_part: [IMP-MC-MLH, imp-mc-mlh"))
    [error] = _errors(path)
    assert error.column == "specifications[imp-mc-mlh]"
    assert error.message == ("specification code 'imp-mc-mlh' differs from 'IMP-MC-MLH' only in case or "
                             "spacing")


@pytest.mark.parametrize("other", ["IMP MC\u00a0MLH", "IMP  MC MLH", "IMP MC\tMLH"])
def test_codes_that_differ_only_in_spacing_are_an_error(tmp_path: Path, other: str) -> None:
    """A no-break space pasted from a spreadsheet, or a space typed twice, is not seen: an award
    file naming the code as it reads would name the other specification, or none."""
    path = _variant(tmp_path, ("  - code: IMP-MC-MLH\n", '  - code: "IMP MC MLH"\n'),
                    ("  - code: IMP-MC-CRA\n", f"  - code: {json.dumps(other)}\n"),
                    ("has_part: [IMP-MC-MLH, IMP-MC-CRA", f"has_part: [IMP MC MLH, {json.dumps(other)}"))
    [error] = _errors(path)
    assert error.column == f"specifications[{other}]", error.render()
    said = f"specification code {other!r} differs from 'IMP MC MLH' only in case or spacing"
    assert error.message == said, error.render()


@pytest.mark.parametrize(("old", "new", "column", "first"), [
    ("    languages: [en]\n", "    languages: [en, English]\n", f"{MLH}.languages[1]", "languages[0]"),
    ("    languages: [en]\n", "    languages: [en, cy, EN]\n", f"{MLH}.languages[2]", "languages[0]"),
    ('isced_f: ["0688", "0912"]', 'isced_f: ["0688", "0912", "0688 "]', f"{MLH}.isced_f[2]", "isced_f[0]"),
    ("    quality_assurance: [qaa-review-2025]\n",
     "    quality_assurance: [qaa-review-2025, qaa-review-2025]\n", f"{MLH}.quality_assurance[1]",
     "quality_assurance[0]"),
    ("    part_of: [IMP-PGCERT-DSH]\n", "    part_of: [IMP-PGCERT-DSH, IMP-PGCERT-DSH]\n",
     f"{MLH}.part_of[1]", "part_of[0]"),
])
def test_a_value_listed_twice_in_one_field_is_an_error(
        tmp_path: Path, old: str, new: str, column: str, first: str) -> None:
    """A language written as its code and its name is one language: every credential stated it
    twice ('Welsh, Welsh'), and an ISCED-F field or a stack twice."""
    [error] = _errors(_variant(tmp_path, (old, new)))
    assert error.column == column, error.render()
    assert f"the same as {first}" in error.message and error.fix.startswith("remove it"), error.render()


def test_a_code_given_twice_is_suggested_once_for_a_reference_to_nothing(tmp_path: Path) -> None:
    errors = _errors(_variant(tmp_path, ("  - code: IMP-MC-CRA\n", "  - code: IMP-MC-MLH\n")))
    unknown = [e for e in errors if "IMP-MC-CRA" in e.message]
    assert unknown, [e.render() for e in errors]
    for error in unknown:
        assert error.fix.count("'IMP-MC-MLH'") <= 1, error.render()


@pytest.mark.parametrize(("old", "new", "line", "column", "character"), [
    ("title: {en: Machine Learning for Health Data}", 'title: {en: "Machine Learning\\x01 for Health Data"}',
     48, f"{MLH}.title.en", "U+0001"),
    ("title: {en: QAA Quality Review of Imperial College London}",
     'title: {en: "QAA Quality Review\\x1b[31m of Imperial College London"}',
     37, "quality_assurance[qaa-review-2025].title.en", "U+001B"),
    ("title: {en: Machine Learning for Health Data}", 'title: {en: "Machine Learning \\x7f for Health Data"}',
     48, f"{MLH}.title.en", "U+007F"),
])
def test_a_control_character_in_a_text_is_named_where_it_is(
        tmp_path: Path, old: str, new: str, line: int, column: str, character: str) -> None:
    """A control character pasted into a text (XML cannot carry one, so every XML export of the
    catalogue failed on it) is refused at its line, as it is in an awards file."""
    [error] = _errors(_variant(tmp_path, (old, new)))
    assert (error.row, error.column) == (line, column), error.render()
    assert character in error.message and error.fix.startswith("delete it"), error.render()


@pytest.mark.parametrize(("new", "character"), [
    ('title: {en: "Machine Learning for Health Data\\uFFFE"}', "U+FFFE"),
    ('title: {en: "Machine Learning \\uFDD0for Health Data"}', "U+FDD0"),
    ('title: {en: "Machine Learning for Health Data \\U0010FFFF"}', "U+10FFFF"),
])
def test_a_noncharacter_in_a_text_is_named_where_it_is(tmp_path: Path, new: str, character: str) -> None:
    """A noncharacter is no text: XML cannot carry U+FFFE or U+FFFF (the catalogue's LOQ ended in a
    traceback, its EDC XML credentials failed), and JOSE verifiers refuse a sealed payload holding
    any of them, which edcbridge sealed."""
    [error] = _errors(_variant(tmp_path, ("title: {en: Machine Learning for Health Data}", new)))
    assert (error.row, error.column) == (48, f"{MLH}.title.en"), error.render()
    assert character in error.message and error.fix.startswith("delete it"), error.render()


def test_tabs_and_line_breaks_in_a_text_are_no_control_characters(tmp_path: Path) -> None:
    path = _variant(tmp_path, ("title: {en: Machine Learning for Health Data}",
                               'title: {en: "Machine\\tLearning\\nfor Health Data\\r"}'))
    assert load_catalogue(path).specification("IMP-MC-MLH") is not None


def test_learning_outcomes_written_as_one_paragraph_name_the_form_of_each_outcome(tmp_path: Path) -> None:
    text = IMPERIAL.read_text("utf-8")
    start = text.index("    learning_outcomes:\n")
    block = text[start:text.index("    learning_outcome_summary:", start)]
    paragraph = "    learning_outcomes: Students can clean data. Students can train models.\n"
    [error] = _errors(_write(tmp_path, text.replace(block, paragraph, 1)))
    assert (error.row, error.column) == (54, f"{MLH}.learning_outcomes"), error.render()
    assert "- title: {en: " in error.fix and "one item per learning outcome" in error.fix, error.render()
    assert "[Students can" not in error.fix


def test_a_missing_field_names_it_by_the_key_of_its_record(tmp_path: Path) -> None:
    [error] = _errors(_variant(tmp_path, ("    agency: qaa\n", "")))
    assert error.column == "quality_assurance[qaa-review-2025].agency", error.render()
    assert error.fix.startswith("fill in quality_assurance[qaa-review-2025].agency"), error.render()


@pytest.mark.parametrize(("old", "field", "written"), [
    ("    max_duration_months: 3\n", "max_duration_months", "6 months"),
    ("    credit_currency_years: 5\n", "validity_years", "5 years"),
    ("    credit_currency_years: 5\n", "credit_currency_years", "5 yrs"),
])
def test_a_count_written_with_its_unit_names_the_number_to_write(
        tmp_path: Path, old: str, field: str, written: str) -> None:
    [error] = _errors(_variant(tmp_path, (old, f"    {field}: {written}\n")))
    assert error.column == f"{MLH}.{field}", error.render()
    assert error.fix.startswith(f"write {field}: {written.split()[0]} "), error.render()


def test_a_code_yaml_reads_as_a_number_says_so_and_how_to_quote_it(tmp_path: Path) -> None:
    [error] = _errors(_variant(tmp_path, ('    registration: "03344784"\n', "    registration: 2023.10\n")))
    assert error.column == "organisations[qaa].registration", error.render()
    assert "read as the number 2023.1" in error.message, error.render()
    assert 'registration: "2023.10"' in error.fix and "in quotes" in error.fix, error.render()
