"""Checks of an award as read, beyond its model: what a row says that must not become a
credential as it is (a failed attempt) or is likely a slip (an awarding date years ahead, dates
out of order, a name in a script its language is not written in)."""

from __future__ import annotations

import datetime as dt
import re
import time
import unicodedata
from functools import lru_cache

from edcbridge.load.errors import RecordError
from edcbridge.model import Award, Catalogue

# Grades that say a learner did not pass, as student systems export them (compared without case,
# accents or surrounding spaces): the ECTS grading scale's F and FX, and "fail" in the EU's
# languages. A row with one is a failed attempt, not an award.
FAILING_GRADES = frozenset({
    "f", "fx", "fail", "failed", "not passed", "did not pass", "unsuccessful",  # en, ECTS scale
    "nicht bestanden", "ungenugend", "nicht ausreichend", "mangelhaft",  # de
    "echec", "echoue", "ajourne", "non admis", "insuffisant",  # fr
    "suspenso", "insuficiente", "reprovado",  # es, pt
    "non superato", "insufficiente", "respinto",  # it
    "niet geslaagd", "onvoldoende", "gezakt",  # nl
    "niezaliczone", "niedostateczny",  # pl
    "neprospel", "nevyhovel",  # cs
    "hylatty", "underkand", "ikke bestaet", "ikke bestatt",  # fi, sv, da, no
    "elegtelen", "nem felelt meg", "respins", "nedovoljan", "nezadostno",  # hu, ro, hr, sl
    "слаб", "слаб 2", "слаб (2)", "не издържал",  # bg
    "απετυχε", "αποτυχια", "ανεπαρκως", "ανεπιτυχως", "απορριπτεται",  # el
    "neislaikyta", "neiskaityta", "nav nokartots", "neieskaitits",  # lt, lv
    "mittearvestatud", "mitte arvestatud", "mitterahuldav", "puudulik",  # et
})


def _plain(text: str) -> str:
    """Without case, accents, surrounding spaces and a final full stop ("Fail." is "fail")."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return " ".join("".join(c for c in decomposed if not unicodedata.combining(c)).split()).rstrip(".!")


# the list as _plain writes what it is compared with: casefold() makes the final sigma of
# "ανεπαρκως" a σ, so the list's own spelling never matched
_FAILING_PLAIN = frozenset(_plain(word) for word in FAILING_GRADES)
# a mark before or after the words, as registries export them: "5,0 (nicht ausreichend)",
# "8/20 (ajourné)", "niedostateczny (2)", "ajourné - 8/20"
_MARK = re.compile(r"[\d.,/%\s]*[-–:(]?\s*(?P<words>[^\d()]+?)\s*\)?\s*[-–:(]?[\d.,/%\s]*\)?")
# _MARK backtracks with the square of the text's length (a 40 KB grade cell took a minute, the
# 16 MB a CSV cell may hold would take days): a failing grade with its mark is far shorter
_LONGEST_MARKED = 64


def failing_grade(grade: dict[str, str] | None) -> str | None:
    """The grade text that says the learner failed, or None."""
    for text in (grade or {}).values():
        if _says_failed(text) if len(text) <= _KEPT_LENGTH else _failed(text):
            return text
    return None


# A file's grades are a few texts (Pass, Merit, 72/100) met again and again: each is judged once,
# the verdicts of the last 1,024 short ones kept (a cell may hold 16 MB: long ones are not kept).
_KEPT_LENGTH = 256


def _failed(text: str) -> bool:
    plain = _plain(text)
    marked = _MARK.fullmatch(plain) if len(plain) <= _LONGEST_MARKED else None
    return plain in _FAILING_PLAIN or (marked is not None and marked["words"] in _FAILING_PLAIN)


_says_failed = lru_cache(maxsize=1024)(_failed)


YEARS_AHEAD = 5  # how far after today an awarding date (or issued) may be
_EPOCH = dt.date(1970, 1, 1)


def _furthest_date() -> dt.date:
    return _furthest_after(int(time.time() // 86_400))  # today in UTC, read without a datetime per row


def _today() -> dt.date:
    """Today in UTC, read without a datetime per row."""
    return _day(int(time.time() // 86_400))


@lru_cache(maxsize=1)
def _day(day: int) -> dt.date:
    return _EPOCH + dt.timedelta(days=day)


@lru_cache(maxsize=1)
def _furthest_after(day: int) -> dt.date:
    today = _EPOCH + dt.timedelta(days=day)
    try:
        return today.replace(year=today.year + YEARS_AHEAD)
    except ValueError:  # 29 February
        return today.replace(year=today.year + YEARS_AHEAD, day=28)


def too_far_ahead(file: str, number: int, award: Award, names: dict[str, str],
                   bad: frozenset[str], furthest: dt.date) -> list[RecordError]:
    """An awarding date or issue date years ahead: a typing error in the year (2205 for 2025).

    A date a little ahead passes, for a file prepared before the award is conferred."""
    errors = []
    if award.awarding_date > furthest and "awarding_date" not in bad:
        errors.append(RecordError(file, number, names["awarding_date"], award.awarding_date.isoformat(),
                                  _ahead("awarding_date", furthest), "check the year: write the date "
                                  "the award is conferred, as YYYY-MM-DD"))
    if award.issued is not None and award.issued_at().date() > furthest:
        errors.append(RecordError(file, number, names["issued"],
                                  award.issued.isoformat().replace("+00:00", "Z"),
                                  _ahead("issued", furthest), "check the year, or leave issued empty "
                                  "to issue on awarding_date"))
    return errors


WARN_DAYS_AHEAD = 366  # an awarding date further ahead than this is likely a year mistyped


def grade_left_out(file: str, number: int, award: Award, catalogue: Catalogue,
                   names: dict[str, str]) -> list[RecordError]:
    """A grade for a specification the catalogue gives no assessment (or an activity, whose
    assessment is not carried): a credential holds a grade only as the result of an assessment,
    so it would be left out without a word (an Open Badge keeps it, the EDC credential cannot)."""
    if not award.grade:
        return []
    spec = catalogue.specification(award.specification)
    if spec is None or (spec.assessment is not None and spec.claim == "achievement"):
        return []
    shown = next(iter(award.grade.values()))
    if spec.is_activity:
        return [RecordError(file, number, names["grade"], shown,
                            f"{spec.code} is an activity (claim: activity): its certificate of "
                            "participation carries no grade, so the grade is left out",
                            "leave the grade empty; to publish grades, write claim: achievement with "
                            "an assessment in the catalogue")]
    return [RecordError(file, number, names["grade"], shown,
                        f"{spec.code} has no assessment in the catalogue, so the credential "
                        "carries no grade: the grade is left out",
                        "to publish grades, add an assessment (its title and grading scheme) to "
                        "the specification in the catalogue; else leave the grade empty")]


def ahead_of_today(file: str, number: int, award: Award, names: dict[str, str]) -> list[RecordError]:
    """An awarding date after today, but not so far as to be refused: the credential is valid
    only from that date, so wallets and verifiers call it not yet valid until then. A file may
    be prepared before the ceremony; over a year ahead, 2027 is more likely a typing error."""
    days = (award.awarding_date - _today()).days
    if days <= 0:
        return []
    if days <= WARN_DAYS_AHEAD:
        fix = ("right for a file prepared before the ceremony; otherwise correct the date: "
               "verifiers call the credential not yet valid until then")
    else:
        fix = "check the year; the credential will state this date and is not valid before it"
    return [RecordError(file, number, names["awarding_date"], award.awarding_date.isoformat(),
                        f"awarding_date is {days} days after today", fix)]


def _ahead(column: str, furthest: dt.date) -> str:
    return f"{column} is more than {YEARS_AHEAD} years after today (after {furthest})"


def date_order(file: str, number: int, award: Award, names: dict[str, str],
                bad: frozenset[str]) -> list[RecordError]:
    """Dates that cannot both be right: born on or after the award, issued before it, years
    ahead of today. (An optional date in ``bad`` is None in ``award``: see :func:`.awards._salvage`.)"""
    awarded = award.awarding_date
    furthest = _furthest_date()
    errors = too_far_ahead(file, number, award, names, bad, furthest)
    if "awarding_date" in bad or awarded > furthest:  # a year mistyped: the others follow from it
        return errors
    birth = award.learner.date_of_birth
    if birth is not None and birth >= awarded:
        errors.append(RecordError(file, number, names["date_of_birth"], birth.isoformat(),
                                  f"date_of_birth is not before awarding_date ({awarded})",
                                  "correct date_of_birth or awarding_date (YYYY-MM-DD)"))
    # the credential states both in UTC: 01:00+02:00 on the awarding day is the day before
    if award.issued is not None and award.issued_at().date() < awarded:
        issued = award.issued.isoformat().replace("+00:00", "Z")
        errors.append(RecordError(file, number, names["issued"], issued,
                                  f"issued is before awarding_date ({awarded}, 00:00 UTC)",
                                  "a credential is issued on or after its awarding date: "
                                  "correct issued, or leave it empty to issue on awarding_date"))
    if award.valid_until and award.valid_until < awarded:
        errors.append(RecordError(file, number, names["valid_until"], award.valid_until.isoformat(),
                                  "valid_until is before awarding_date", "check both dates"))
    return errors


# the scripts of the languages not written in Latin alone (Latin is fine in any language: a
# transliteration), by the first word of their letters' Unicode names; Serbian is written in both
_CJK = {"CJK", "IDEOGRAPHIC"}  # ideographs, and the iteration mark 々
_JAPANESE = _CJK | {"HIRAGANA", "KATAKANA", "KATAKANA-HIRAGANA", "HALFWIDTH"}
_SCRIPTS = {
    **{lang: {"CYRILLIC"} for lang in ("bg", "ru", "uk", "mk", "be", "sr", "kk", "ky", "tg", "tt",
                                       "ba", "cv", "ce", "os", "uz", "az", "ab", "av", "kv")},
    "mn": {"CYRILLIC", "MONGOLIAN"}, "el": {"GREEK"},
    **{lang: {"ARABIC"} for lang in ("ar", "fa", "ur", "ps", "sd", "ug", "ku", "ks")},
    **{lang: {"HEBREW"} for lang in ("he", "yi")},
    "zh": _CJK | {"BOPOMOFO"}, "ja": _JAPANESE, "ko": {"HANGUL", "HALFWIDTH"} | _CJK,
    **{lang: {"DEVANAGARI"} for lang in ("hi", "mr", "ne", "sa")},
    "bn": {"BENGALI"}, "as": {"BENGALI"}, "pa": {"GURMUKHI", "ARABIC"}, "gu": {"GUJARATI"},
    "or": {"ORIYA"}, "ta": {"TAMIL"}, "te": {"TELUGU"}, "kn": {"KANNADA"}, "ml": {"MALAYALAM"},
    "si": {"SINHALA"}, "th": {"THAI"}, "lo": {"LAO"}, "bo": {"TIBETAN"}, "dz": {"TIBETAN"},
    "my": {"MYANMAR"}, "km": {"KHMER"}, "ka": {"GEORGIAN"}, "hy": {"ARMENIAN"},
    "am": {"ETHIOPIC"}, "ti": {"ETHIOPIC"}, "dv": {"THAANA"},
}


# the letters past ASCII: every ASCII letter is Latin
_PAST_ASCII = re.compile(r"[^\x00-\x7f]")


def foreign_scripts(lang: str, text: str) -> set[str]:
    """The scripts of ``text`` that language ``lang`` is not written in (Latin aside)."""
    if text.isascii():
        return set()
    scripts = {unicodedata.name(c, "").split(" ", 1)[0]
               for c in set(_PAST_ASCII.findall(text)) if c.isalpha()} - {"LATIN"}
    return scripts - _SCRIPTS.get(lang, set())


def wrong_script(file: str, number: int, award: Award, names: dict[str, str]) -> list[RecordError]:
    """A text tagged with a language not written in its script ('Σοφία' read as en): a plain
    column is read in the row's language, and a Greek name in an English credential tells
    wallets and screen readers the wrong language. A warning: the credential is still right."""
    found = []
    texts = {"given_name": award.learner.given_name, "family_name": award.learner.family_name,
             "full_name": award.learner.full_name, "grade": award.grade}
    for column, text in texts.items():
        for lang, value in (text or {}).items():
            foreign = foreign_scripts(lang, value)
            if foreign:
                found.append(RecordError(
                    file, number, names.get(column, column), short_text(value),
                    f"the text is in {' and '.join(sorted({_shown(s) for s in foreign}))} script but is "
                    f"read as {lang!r} (a plain column is read in the row's language)",
                    f"put it in a '{column}@xx' column of its own language{_examples(column, foreign)}, "
                    "or set the row's language column to that language"))
                break
    return found


# the languages to name for a text in a script, in the fix of a text read in another language
_SCRIPT_LANGUAGES = {"GREEK": ("el",), "CYRILLIC": ("bg", "ru", "uk"), "ARABIC": ("ar", "fa"),
                     "HEBREW": ("he",), "CJK": ("zh", "ja", "ko"), "HANGUL": ("ko",),
                     "HIRAGANA": ("ja",), "KATAKANA": ("ja",)}
# a script as people name it, where its letters' Unicode names do not ("Cjk", "Ideographic")
_SCRIPT_NAMES = {"CJK": "CJK", "IDEOGRAPHIC": "CJK", "KATAKANA-HIRAGANA": "Katakana",
                 "HALFWIDTH": "Katakana"}


def _shown(script: str) -> str:
    return _SCRIPT_NAMES.get(script, script.title())


def _examples(column: str, scripts: set[str]) -> str:
    """' (given_name@el for Greek)': the columns of languages written in ``scripts``."""
    said = []
    for script in sorted(scripts & _SCRIPT_LANGUAGES.keys()):
        columns = [f"{column}@{code}" for code in _SCRIPT_LANGUAGES[script]]
        listed = columns[0] if len(columns) == 1 else f"{', '.join(columns[:-1])} or {columns[-1]}"
        said.append(f"{listed} for {_shown(script)}")
    return f" ({'; '.join(said)})" if said else ""


def short_text(text: str) -> str:
    return text if len(text) <= 80 else text[:77] + "..."
