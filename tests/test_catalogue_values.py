"""Catalogue dates and numbers: an impossible or implausible value is a CatalogueError at its
line, never a traceback, and YAML 1.1 never silently turns text into another number."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from edcbridge.cli import main
from edcbridge.load import CatalogueError, load_catalogue
from edcbridge.load.errors import RecordError
from edcbridge.schemas import SchemaStore
from tests.conftest import FIXTURES

IMPERIAL = FIXTURES / "imperial" / "catalogue.yaml"
QA = "quality_assurance[qaa-review-2025]"
MLH = "specifications[IMP-MC-MLH]"


def _variant(tmp_path: Path, old: str, new: str) -> Path:
    text = IMPERIAL.read_text("utf-8")
    assert old in text, old
    path = tmp_path / "catalogue.yaml"
    path.write_text(text.replace(old, new, 1), "utf-8")
    return path


def _issued_on(tmp_path: Path, written: str) -> Path:
    """The catalogue with its quality assurance's ``issued`` date written as ``written``."""
    return _variant(tmp_path, "    issued: 2023-06-30\n", f"    issued: {written}\n")


def _errors(path: Path) -> list[RecordError]:
    with pytest.raises(CatalogueError) as caught:
        load_catalogue(path)
    return caught.value.errors


@pytest.mark.parametrize(("old", "new", "line", "column", "message", "fix"), [
    ("issued: 2023-06-30", "issued: 2023-06-31", 42, f"{QA}.issued",
     "'2023-06-31' is not a date", "write it as YYYY-MM-DD"),
    ("expires: 2029-06-30", "expires: 2029-02-30", 43, f"{QA}.expires",
     "'2029-02-30' is not a date", "write it as YYYY-MM-DD"),
    ("expires: 2029-06-30", "expires: 0000-01-01", 43, f"{QA}.expires",
     "'0000-01-01' is not a date", "write it as YYYY-MM-DD"),
    ("expires: 2029-06-30", "expires: 2029-06-30 12:00:00", 43, f"{QA}.expires",
     "'2029-06-30 12:00:00' is not a date: it holds a date and a time", "store just the date"),
    ("expires: 2029-06-30", "expires: 2023-06-29", 43, f"{QA}.expires",
     "expires (2023-06-29) is before issued (2023-06-30)", "check both dates"),
    ("    credits: 5\n", "    credits: 2023-06-31\n", 65, f"{MLH}.credits",
     "'2023-06-31' is not a number", "write a plain number such as 7.5"),
    ("    credits: 5\n", "    credits: .inf\n", 65, f"{MLH}.credits",
     "'.inf' is not a number", "write a plain number such as 7.5"),
    ("    credits: 5\n", "    credits: 12:30\n", 65, f"{MLH}.credits",
     "'12:30' is not a number", "write a plain number such as 7.5"),
    ("    credits: 5\n", "    credits: 0x10\n", 65, f"{MLH}.credits",
     "'0x10' is not a number", "write a plain number such as 7.5"),
    ("    credits: 5\n", "    credits: -5\n", 65, f"{MLH}.credits",
     "-5 credits is out of range", "write a number from 0 to 1000"),
    ("    credits: 5\n", "    credits: 1e99999999\n", 65, f"{MLH}.credits",
     "1E+99999999 credits is out of range", "write a number from 0 to 1000"),
    ("    hours: 125\n", "    hours: -3\n", 67, f"{MLH}.hours",
     "-3 hours is out of range", "write a number from 0 to 100000"),
    ("    eqf: 7\n", "    eqf: 7.5\n", 68, f"{MLH}.eqf",
     "'7.5' is not a known eqf value", "edcbridge vocab eqf"),
    ("    max_duration_months: 3\n", "    max_duration_months: 3.5\n", 86,
     f"{MLH}.max_duration_months", "Input should be a valid integer", "write a whole number such as 5"),
    ("    max_duration_months: 3\n", "    max_duration_months: -3\n", 86,
     f"{MLH}.max_duration_months", "-3 months is out of range", "write a number from 1 to 1200"),
    ("    credit_currency_years: 5\n", "    credit_currency_years: 2023-06-31\n", 87,
     f"{MLH}.credit_currency_years", "Input should be a valid integer", "write a whole number"),
    ("    credit_currency_years: 5\n", "    validity_years: 100000\n", 87,
     f"{MLH}.validity_years", "100000 years is out of range", "write a number from 1 to 100"),
    ("    credit_currency_years: 5\n", "    validity_years: 0\n", 87,
     f"{MLH}.validity_years", "0 years is out of range", "write a number from 1 to 100"),
])
def test_a_bad_date_or_number_is_an_error_at_its_line(
        tmp_path: Path, old: str, new: str, line: int, column: str, message: str, fix: str) -> None:
    errors = _errors(_variant(tmp_path, old, new))
    assert [(e.file, e.row, e.column) for e in errors] == [(str(tmp_path / "catalogue.yaml"), line, column)]
    assert message in errors[0].message and fix in errors[0].fix, errors[0].render()


def test_an_impossible_date_exits_2_without_a_traceback(tmp_path: Path, store: SchemaStore,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EDCBRIDGE_SCHEMAS", str(store.root))
    catalogue = _variant(tmp_path, "issued: 2023-06-30", "issued: 2023-06-31")
    result = CliRunner().invoke(main, ["export", str(FIXTURES / "imperial" / "awards.csv"),
                                       "-c", str(catalogue), "-o", str(tmp_path / "out")])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.stderr and "day is out of range" not in result.stderr
    assert f"{catalogue}:42: field '{QA}.issued' = '2023-06-31': '2023-06-31' is not a date" \
        in result.stderr
    assert "fix: write it as YYYY-MM-DD" in result.stderr


def test_yaml_1_1_number_and_boolean_forms_stay_text(tmp_path: Path) -> None:
    path = _variant(tmp_path, 'isced_f: ["0688", "0912"]', "isced_f: [0688, 0412]")
    path.write_text(path.read_text("utf-8").replace("country: GB", "country: NO", 1), "utf-8")
    catalogue = load_catalogue(path)
    assert catalogue.specifications[0].isced_f == ("http://data.europa.eu/snb/isced-f/0688",
                                                   "http://data.europa.eu/snb/isced-f/0412")
    assert catalogue.organisations[0].country == \
        "http://publications.europa.eu/resource/authority/country/NOR"


def test_valid_dates_and_numbers_still_load() -> None:
    catalogue = load_catalogue(IMPERIAL)
    qa = catalogue.qa("qaa-review-2025")
    assert (str(qa.issued), str(qa.expires)) == ("2023-06-30", "2029-06-30")
    spec = catalogue.specifications[1]
    assert (str(spec.credits), spec.max_duration_months, spec.credit_currency_years) == ("7.5", 4, 5)


def test_a_json_catalogue_with_nan_credits_is_an_error(tmp_path: Path) -> None:
    data = yaml.safe_load(IMPERIAL.read_text("utf-8"))
    data["specifications"][0]["credits"] = float("nan")
    path = tmp_path / "catalogue.json"
    path.write_text(json.dumps(data, default=str), "utf-8")
    [error] = _errors(path)
    assert (error.column, error.message, error.fix) == (
        f"{MLH}.credits", "nan is not a finite number", "write a plain number such as 7.5")


@pytest.mark.parametrize(("old", "new", "line", "column", "message"), [
    ("    hours: 125\n", "    hours: 1,250\n", 67, f"{MLH}.hours", "'1,250' is ambiguous"),
    ("    credits: 5\n", "    credits: '5,000'\n", 65, f"{MLH}.credits", "'5,000' is ambiguous"),
    ("issued: 2023-06-30", "issued: 0023-06-30", 42, f"{QA}.issued",
     "'0023-06-30' is not a plausible date (before 1900)"),
])
def test_an_ambiguous_number_or_implausible_date_is_an_error(
        tmp_path: Path, old: str, new: str, line: int, column: str, message: str) -> None:
    [error] = _errors(_variant(tmp_path, old, new))
    assert (error.row, error.column) == (line, column)
    assert error.message.startswith(message), error.render()


def test_a_decimal_comma_is_still_a_decimal_comma(tmp_path: Path) -> None:
    catalogue = load_catalogue(_variant(tmp_path, "    credits: 5\n", "    credits: 7,5\n"))
    assert str(catalogue.specifications[0].credits) == "7.5"


def test_a_key_written_twice_in_yaml_is_an_error_at_both_lines(tmp_path: Path) -> None:
    path = _variant(tmp_path, "    credits: 5\n", "    credits: 5\n    credits: 50\n")
    error = _errors(path)[0]
    assert (error.row, error.column) == (66, f"{MLH}.credits")
    assert error.message == "the key 'credits' is written twice in one mapping (first at line 65)"
    assert error.fix == "keep one of the two: YAML and JSON would read only the last"


def test_an_organisation_written_twice_is_an_error(tmp_path: Path) -> None:
    text = IMPERIAL.read_text("utf-8")
    data = yaml.safe_load(text)
    assert isinstance(data["organisations"], dict), "the fixture keys organisations by key"
    key = next(iter(data["organisations"]))
    start = text.index(f"\n  {key}:") + 1
    end = text.index("\n  ", start + 1)
    while text[end + 3] == " ":  # the rest of the organisation's lines
        end = text.index("\n  ", end + 1)
    path = tmp_path / "catalogue.yaml"
    path.write_text(text[:end + 1] + text[start:end + 1] + text[end + 1:], "utf-8")
    errors = _errors(path)
    assert [(e.column, e.message.split(" (")[0]) for e in errors] == [
        (f"organisations.{key}", f"the key {key!r} is written twice in one mapping")]


def test_a_key_written_twice_in_json_is_an_error(tmp_path: Path) -> None:
    data = yaml.safe_load(IMPERIAL.read_text("utf-8"))
    text = json.dumps(data, default=str)
    path = tmp_path / "catalogue.json"
    path.write_text(text.replace('"primary_language": "en"', '"primary_language": "en", '
                                 '"primary_language": "cy"', 1), "utf-8")
    [error] = _errors(path)
    assert (error.row, error.column, error.message) == (
        1, "primary_language", "the key 'primary_language' is written twice in one mapping (first at "
        "line 1)")


def test_codes_in_decomposed_unicode_match_awards_in_composed_unicode(tmp_path: Path) -> None:
    import unicodedata

    from edcbridge.load import iter_awards

    code = "IMP-MC-MLH-\u00e9"
    decomposed = unicodedata.normalize("NFD", code)
    path = tmp_path / "catalogue.yaml"
    path.write_text(IMPERIAL.read_text("utf-8").replace("IMP-MC-MLH", decomposed), "utf-8")
    catalogue = load_catalogue(path)
    awards = tmp_path / "awards.csv"
    awards.write_text("award_id,specification,learner_id,given_name,family_name,awarding_date,grade\n"
                      f"A1,{code},02214587,Ann,Lee,2025-07-14,Merit\n", "utf-8")
    [row] = iter_awards(awards, catalogue)
    assert row.errors == () and row.award is not None
    assert row.award.specification == decomposed  # as the catalogue writes it


def test_uk_is_the_united_kingdom_not_a_near_miss_for_ukraine(tmp_path: Path) -> None:
    catalogue = load_catalogue(_variant(tmp_path, "country: GB", "country: UK"))
    assert catalogue.organisations[0].country == "http://publications.europa.eu/resource/authority/country/GBR"


# credits and hours a registry office did not mean

@pytest.mark.parametrize(("old", "new", "line", "column", "message", "fix"), [
    ("    credits: 5\n", "    credits: 0\n", 65, f"{MLH}.credits",
     "credits is 0, which the credential would state",
     "leave credits out when the specification carries no credit, or write its credits, e.g. 5"),
    ("    hours: 125\n", "    hours: 0\n", 67, f"{MLH}.hours", "hours is 0, which the credential would state",
     "leave hours out when they are not known, or write all the hours of learning, e.g. 125"),
    ("    hours: 125\n", "    hours: 10\n", 67, f"{MLH}.hours",
     "10 hours for 5 ECTS credits is 2 hours per credit",
     "an ECTS credit is 25 to 30 hours of learning (20 in the UK), so 5 credits take about 100 to "
     "150 hours: correct credits or hours (all the hours of learning, not just contact hours)"),
    ("    hours: 125\n", "    hours: 1250\n", 67, f"{MLH}.hours",
     "1250 hours for 5 ECTS credits is 250 hours per credit", "so 5 credits take about 100 to 150 hours"),
    ("    credits: 5\n", "    credits: 50\n", 67, f"{MLH}.hours",
     "125 hours for 50 ECTS credits is 2.5 hours per credit", "so 50 credits take about 1000 to 1500 hours"),
    ("    hours: 125\n", "    hours: 1.000\n", 67, f"{MLH}.hours",
     "'1.000' is ambiguous: the dot may separate thousands or decimals",
     "write the number without a thousands separator: 1000 or 1"),
    ("    hours: 125\n", "    hours: '1.250'\n", 67, f"{MLH}.hours", "'1.250' is ambiguous",
     "write the number without a thousands separator: 1250 or 1.25"),
    ("    credits: 5\n", "    credits: 7.500\n", 65, f"{MLH}.credits", "'7.500' is ambiguous",
     "7500 or 7.5"),
])
def test_credits_and_hours_no_registry_means_are_an_error_at_their_line(
        tmp_path: Path, old: str, new: str, line: int, column: str, message: str, fix: str) -> None:
    [error] = _errors(_variant(tmp_path, old, new))
    assert (error.row, error.column) == (line, column)
    assert error.message.startswith(message) and fix in error.fix, error.render()


def test_a_thousands_dot_in_a_json_catalogue_is_ambiguous(tmp_path: Path) -> None:
    text = json.dumps(yaml.safe_load(IMPERIAL.read_text("utf-8")), default=str)
    assert '"hours": 125,' in text
    path = tmp_path / "catalogue.json"
    path.write_text(text.replace('"hours": 125,', '"hours": 1.000,', 1), "utf-8")
    [error] = _errors(path)
    assert (error.column, error.message) == (f"{MLH}.hours", "'1.000' is ambiguous: the dot may "
                                                             "separate thousands or decimals")


@pytest.mark.parametrize(("credits", "hours"), [("5", "100"), ("5", "150"), ("2.5", "62.5"),
                                                ("10", "200"), ("5", "50"), ("5", "300"), ("7.5", "187.5")])
def test_credits_and_hours_of_any_real_framework_load(tmp_path: Path, credits: str, hours: str) -> None:
    path = _variant(tmp_path, "    credits: 5\n", f"    credits: {credits}\n")
    path.write_text(path.read_text("utf-8").replace("    hours: 125\n", f"    hours: {hours}\n", 1), "utf-8")
    spec = load_catalogue(path).specifications[0]
    assert (str(spec.credits), float(spec.hours or 0)) == (credits, float(hours))


def test_ecvet_points_are_not_held_to_ects_hours(tmp_path: Path) -> None:
    path = _variant(tmp_path, "    credit_system: ects\n    hours: 125\n",
                    "    credit_system: ecvet\n    hours: 10\n")
    assert load_catalogue(path).specifications[0].hours == 10


@pytest.mark.parametrize(("written", "fix"), [
    ("30/06/2023", "write it as YYYY-MM-DD: 2023-06-30"),
    ("2023-6-30", "write it as YYYY-MM-DD: 2023-06-30"),
    ("30.06.2023", "write it as YYYY-MM-DD: 2023-06-30"),
    ("01/02/2023", "write it as YYYY-MM-DD: 2023-02-01 if it is day/month/year, 2023-01-02 if "
                   "month/day/year"),
    ("15 March 2024", "write it as YYYY-MM-DD: 2024-03-15"),
    ("March 15, 2024", "write it as YYYY-MM-DD: 2024-03-15"),
    ("15 Mar 2024", "write it as YYYY-MM-DD: 2024-03-15"),
    ("15-Mar-2024", "write it as YYYY-MM-DD: 2024-03-15"),
    ("15th March 2024", "write it as YYYY-MM-DD: 2024-03-15"),
    ("Sept 1 2024", "write it as YYYY-MM-DD: 2024-09-01"),
    ("1 september 2024", "write it as YYYY-MM-DD: 2024-09-01"),
    ("15-Mar-24", "write it as YYYY-MM-DD, with the four digits of the year (2024 is the likely one): "
                  "2024-03-15"),
])
def test_a_date_written_the_local_way_names_the_date_to_write(tmp_path: Path, written: str, fix: str) -> None:
    [error] = _errors(_issued_on(tmp_path, written))
    assert error.column == "quality_assurance[qaa-review-2025].issued", error.render()
    assert error.fix.startswith(fix), error.render()


@pytest.mark.parametrize("written", ["March 2024", "30 February 2024", "15 Marc 2024", "Mar 15 24",
                                     "15 March"])
def test_a_month_named_date_naming_no_one_day_gets_no_date_in_its_fix(tmp_path: Path, written: str) -> None:
    [error] = _errors(_issued_on(tmp_path, written))
    assert error.fix == "write it as YYYY-MM-DD", error.render()
