"""Rows a student-system export holds that must not become credentials as they are: a failed
attempt (its grade says so), a row given twice, an awarding date after today."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import pytest

from edcbridge.load import iter_awards, load_catalogue
from tests.conftest import FIXTURES

CATALOGUE = FIXTURES / "imperial" / "catalogue.yaml"


def _rows(path: Path, changes: list[dict[str, str]]) -> Path:
    """The first fixture row once per change, each with its own award id unless the change sets one."""
    with (FIXTURES / "imperial" / "awards.csv").open(encoding="utf-8-sig") as source:
        row = next(csv.DictReader(source))
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(row))
        writer.writeheader()
        for index, change in enumerate(changes):
            writer.writerow({**row, "award_id": f"ROW-{index}", **change})
    return path


@pytest.mark.parametrize("grade", ["Fail", " FAILED ", "fail", "Fail.", "F", "Fx", "Not passed", "Échec",
                                   "nicht bestanden", "Niezaliczone", "Hylätty", "Слаб (2)", "Απέτυχε",
                                   "neišlaikyta", "nav nokārtots", "mitte arvestatud",
                                   # the usual local fails, often written after or before the mark
                                   "nicht ausreichend", "5,0 (nicht ausreichend)", "5,0 nicht bestanden",
                                   "8/20 (ajourné)", "niedostateczny (2)", "Ανεπαρκώς", "Απορρίπτεται",
                                   "4 (Ανεπιτυχώς)"])
def test_a_failing_grade_is_refused_with_the_fix(tmp_path: Path, grade: str) -> None:
    (row,) = iter_awards(_rows(tmp_path / "awards.csv", [{"grade": grade}]), load_catalogue(CATALOGUE))
    assert row.award is None
    (error,) = [e for e in row.errors if e.column == "grade"]
    assert "did not pass" in error.message and "leave failed attempts out" in error.fix


@pytest.mark.parametrize("grade", ["Pass", "Merit", "Distinction", "A", "E", "72/100", "Fair",
                                   "Failed to attend, passed on resit", "4,0 (ausreichend)",
                                   "12/20 (admis)", "8,5 (Λίαν Καλώς)", "2:1", "First"])
def test_a_passing_grade_loads(tmp_path: Path, grade: str) -> None:
    (row,) = iter_awards(_rows(tmp_path / "awards.csv", [{"grade": grade}]), load_catalogue(CATALOGUE))
    assert row.award is not None, row.errors


def test_a_row_given_twice_says_to_delete_it_if_it_is_the_same_award(tmp_path: Path) -> None:
    rows = list(iter_awards(_rows(tmp_path / "awards.csv", [{"award_id": "SAME"}, {"award_id": "SAME"}]),
                            load_catalogue(CATALOGUE)))
    assert rows[0].award is not None and rows[1].award is None
    (error,) = rows[1].errors
    assert error.message == "duplicate of row 2"
    assert "delete this row" in error.fix and "its own award_id" in error.fix


def test_an_awarding_date_after_today_is_said_not_yet_valid(tmp_path: Path) -> None:
    tomorrow = dt.datetime.now(dt.UTC).date() + dt.timedelta(days=1)
    (row,) = iter_awards(_rows(tmp_path / "awards.csv", [{"awarding_date": tomorrow.isoformat()}]),
                         load_catalogue(CATALOGUE))
    assert row.award is not None
    (warning,) = row.warnings
    assert warning.column == "awarding_date" and "not yet valid" in warning.fix


@pytest.mark.parametrize(("column", "text", "language", "warned"), [
    ("given_name", "Σοφία", "en", True),  # Greek read as English: the row's language is en
    ("family_name", "Иванова", "en", True),
    ("given_name", "Zoë", "en", False),
    ("family_name", "李", "en", True),  # said as CJK script, not "Cjk"
])
def test_a_name_in_another_script_than_its_language_is_a_warning(tmp_path: Path, column: str, text: str,
                                                                  language: str, warned: bool) -> None:
    with (FIXTURES / "imperial" / "awards.csv").open(encoding="utf-8-sig") as source:
        first = next(csv.DictReader(source))
    path = tmp_path / "awards.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=[*first, "language"])
        writer.writeheader()
        writer.writerow({**first, column: text, "language": language})
    (row,) = iter_awards(path, load_catalogue(CATALOGUE))
    assert row.award is not None, row.errors
    found = [w for w in row.warnings if "script" in w.message]
    assert bool(found) == warned, found
    if warned:
        assert found[0].column == column and f"read as '{language}'" in found[0].message
        assert f"'{column}@xx' column" in found[0].fix
        example = {"Σοφία": f"{column}@el for Greek", "李": f"{column}@zh, {column}@ja or {column}@ko for CJK"
                   }.get(text, f"{column}@bg, {column}@ru or {column}@uk for Cyrillic")
        assert f"in {example.rsplit(' for ', 1)[1]} script" in found[0].message
        assert f"({example})" in found[0].fix and "given_name@el" not in found[0].fix.replace(example, "")


@pytest.mark.parametrize(("language", "text", "foreign"), [
    ("el", "Σοφία", set()), ("el", "Sofia", set()),  # a transliteration is fine in any language
    ("uk", "Олена", set()), ("sr", "Јована", set()), ("sr", "Jovana", set()),
    ("en", "Σοφία", {"GREEK"}), ("de", "Олена", {"CYRILLIC"}), ("en", "李", {"CJK"}),
    ("el", "Олена", {"CYRILLIC"}), ("fr", "Chloé Lefèvre-Dubois", set()),
])
def test_the_scripts_a_language_is_not_written_in(language: str, text: str, foreign: set[str]) -> None:
    from edcbridge.load.award_checks import foreign_scripts

    assert foreign_scripts(language, text) == foreign


@pytest.mark.parametrize(("language", "text"), [
    ("ar", "محمد العلي"), ("fa", "مینا"), ("he", "שָׁלוֹם כהן"), ("zh", "李明 𠮷"),
    ("ja", "山田はなこ ヤマダ ｶﾀｶﾅ"), ("ko", "김민준"), ("hi", "क्\u200dषमा"),
    ("ka", "ნინო"), ("hy", "Անի"), ("th", "สมชาย"),
    ("am", "ትግርኛ"), ("ta", "தமிழ்"), ("kk", "Айгүл"),
])
def test_a_text_in_the_script_of_its_language_is_in_no_foreign_script(language: str, text: str) -> None:
    """An Arabic name read as Arabic was warned of as 'in Arabic script but read as 'ar'', its fix
    being to set the row's language to the one it had."""
    from edcbridge.load.award_checks import foreign_scripts

    assert foreign_scripts(language, text) == set()
    assert foreign_scripts("en", text) != set()


@pytest.mark.parametrize("text", [
    "Chloé", "µ-Team", "ªº", "Zoë Σοφία Олена", "李 Lee", "Adébáyọ̀", "O'Connor 2", "Ann\u200bLee",
    "ﬁona", "Ⅻ", "😀 Ann", "Σ", "𝔄nn", "ǅ", "ßÆŒ", "\u00a0Ann",
])
@pytest.mark.parametrize("language", ["en", "el", "sr", "uk"])
def test_the_scripts_are_those_of_every_letter_of_the_text(language: str, text: str) -> None:
    """Only the letters past ASCII are named (an ASCII letter is Latin): the same scripts as
    naming every letter of the text."""
    import unicodedata

    from edcbridge.load.award_checks import _SCRIPTS, foreign_scripts

    every = {unicodedata.name(c, "").split(" ", 1)[0] for c in text if c.isalpha()} - {"LATIN"}
    assert foreign_scripts(language, text) == every - _SCRIPTS.get(language, set())


def test_an_organisation_is_found_by_its_key() -> None:
    catalogue = load_catalogue(CATALOGUE)
    first = catalogue.organisations[0]
    twice = catalogue.model_copy(update={"organisations": (*catalogue.organisations,
                                                            first.model_copy(update={"country": "x"}))})
    assert twice.find_organisation(first.key) is first
    assert catalogue.find_organisation(first.key) is first
    assert catalogue.find_organisation("nobody") is None
