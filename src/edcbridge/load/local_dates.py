"""The date a value written the local way (14/07/2025, 14.07.2025, 2025/7/14, 14 July 2025)
stands for."""

from __future__ import annotations

import datetime as dt
import re

_LOCAL_DATE = re.compile(r"([0-9]{1,2})([./-])([0-9]{1,2})\2([0-9]{4}|[0-9]{2})")
_YEAR_FIRST = re.compile(r"([0-9]{4})([./-])([0-9]{1,2})\2([0-9]{1,2})")  # 2025/07/14, 2025-7-14
_MIDNIGHT = re.compile(r"\s+0?0:00(:00)?$")
_MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august", "september",
           "october", "november", "december")
_DAY = r"([0-9]{1,2})(?:st|nd|rd|th)?"
_MONTH = r"([^\W\d_]{3,9})\.?"
# 14 July 2025, 14 Jul 2025, 14-Jul-2025 (and Excel's 14-Jul-25): the day first
_DAY_MONTH = re.compile(rf"{_DAY}([ -]){_MONTH}\2([0-9]{{4}}|[0-9]{{2}})", re.I)
# July 14, 2025 and July 14 2025: the month first, with the four digits of the year
_MONTH_DAY = re.compile(rf"{_MONTH} {_DAY},? ([0-9]{{4}})", re.I)


def local_date_fix(value: str) -> str | None:
    """The fix naming the date to write, at midnight too (14/07/2025 00:00); when day and month
    can both be read either way (01/02/2025), it names both, since the value does not say which
    order it uses. None when the value reads as no date (or is already YYYY-MM-DD)."""
    text = _MIDNIGHT.sub("", value.strip())  # Excel's CSV of a date-time column
    named = _month_named(text)
    if named is not None:
        return named
    year_first = _YEAR_FIRST.fullmatch(text)
    found = _LOCAL_DATE.fullmatch(text)
    if year_first is not None:
        orders = [(int(year_first[4]), int(year_first[3]), "year/month/day")]
        year = int(year_first[1])
    elif found is not None:
        first, second, year = int(found[1]), int(found[3]), _full_year(found[4])
        orders = [(first, second, "day/month/year"), (second, first, "month/day/year")]
        if found[2] == ".":  # 01.10.2025: dotted dates are day first wherever they are written
            orders = orders[:1]
    else:
        return None
    if year < 1900 or re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", text):  # the model's own fix says it
        return None
    readings = []
    for day, month, order in orders:
        try:
            readings.append((dt.date(year, month, day).isoformat(), order))
        except ValueError:
            continue
    if not readings:
        return None
    form = "YYYY-MM-DD" if found is None or len(found[4]) == 4 else \
        f"YYYY-MM-DD, with the four digits of the year ({year} is the likely one)"
    if len(readings) == 1 or readings[0][0] == readings[1][0]:
        return f"write it as {form}: {readings[0][0]}"
    return (f"write it as {form}: {readings[0][0]} if it is {readings[0][1]}, "
            f"{readings[1][0]} if {readings[1][1]} (the file does not say which)")


def _full_year(digits: str) -> int:
    """The year a date states; of two digits (99), the latest year ending so that is not
    after this one (1999; 24 is 2024): no awarding date or date of birth is in the future."""
    if len(digits) == 4:
        return int(digits)
    this_year = dt.date.today().year
    return this_year - (this_year - int(digits)) % 100


def _month_named(text: str) -> str | None:
    """The fix of a date whose month is written in English words (14 July 2025, Jul 14, 2025):
    the order is never in doubt. None for another text, or a date that does not exist."""
    day_first, month_first = _DAY_MONTH.fullmatch(text), _MONTH_DAY.fullmatch(text)
    if day_first is not None:
        day, month, digits = day_first[1], day_first[3], day_first[4]
    elif month_first is not None:
        month, day, digits = month_first[1], month_first[2], month_first[3]
    else:
        return None
    number = _month_number(month)
    year = _full_year(digits)
    if number is None or year < 1900:
        return None
    try:
        date = dt.date(year, number, int(day)).isoformat()
    except ValueError:
        return None
    form = "YYYY-MM-DD" if len(digits) == 4 else \
        f"YYYY-MM-DD, with the four digits of the year ({year} is the likely one)"
    return f"write it as {form}: {date}"


def _month_number(word: str) -> int | None:
    """The month a name or its abbreviation of three letters (Mar; Sept) names."""
    word = "sep" if word.casefold() == "sept" else word.casefold()
    return next((number for number, name in enumerate(_MONTHS, start=1) if word in (name, name[:3])), None)
