"""A learner's full name from the given and family names, in the order of the language it is
written in: family name first in Chinese, Japanese, Korean, Hungarian and Vietnamese."""

from __future__ import annotations

import re

# languages whose names are written family name first ('李明', 'Kovács Anna', 'Nguyễn Văn An')
_FAMILY_FIRST = frozenset({"zh", "ja", "ko", "hu", "vi"})
# ... and with no space between the two when written in their own script ('李明', '김민준')
_UNSPACED = frozenset({"zh", "ja", "ko"})
_LATIN_LETTER = re.compile(r"[A-Za-z\u00c0-\u024f]")


def joined_name(language: str, given: str, family: str) -> str:
    """The full name a credential in ``language`` shows for these names; a name transliterated
    into Latin letters ('Li Ming') keeps its space."""
    base = language.split("-", 1)[0].lower()
    if base not in _FAMILY_FIRST:
        return f"{given} {family}"
    if base in _UNSPACED and not _LATIN_LETTER.search(given + family):
        return f"{family}{given}"
    return f"{family} {given}"
