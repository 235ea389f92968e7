"""Characters nobody sees in a cell: a zero-width space or byte-order mark pasted with a name, a
control character, a direction override, and the apostrophe a spreadsheet marks text cells with.
Each would go into the credential as it is, so the row is refused, naming the character."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.test_load_inputs import GOOD, HEADER, _csv, _rows, _where

ROW = dict(zip(HEADER, GOOD, strict=True))


def _with(tmp_path: Path, column: str, value: str) -> Path:
    return _csv(tmp_path, [HEADER, [value if name == column else ROW[name] for name in HEADER]])


@pytest.mark.parametrize(("column", "value", "character"), [
    ("given_name", "Chloé\u200b", "U+200B ZERO WIDTH SPACE"),
    ("family_name", "\ufeffLefèvre", "U+FEFF ZERO WIDTH NO-BREAK SPACE"),
    ("given_name", "Chlo\u00ade", "U+00AD SOFT HYPHEN"),
    ("family_name", "Lef\u202eèvre", "U+202E RIGHT-TO-LEFT OVERRIDE"),
    ("given_name", "Chloé\x01", "U+0001"),
    ("award_id", "A1\u200b", "U+200B ZERO WIDTH SPACE"),
    ("learner_id", "0221\u20604587", "U+2060 WORD JOINER"),
    ("award_id", "A\t1", "U+0009"),
])
def test_an_invisible_character_is_refused_and_named(tmp_path: Path, column: str, value: str,
                                                     character: str) -> None:
    [row] = _rows(_with(tmp_path, column, value))
    assert row.award is None and _where(row.errors) == [(2, column)]
    [error] = row.errors
    assert error.value == value
    position = next(i for i, c in enumerate(value, start=1) if f"U+{ord(c):04X}" in character)
    assert error.message == f"{column} holds a character that cannot be seen, {character}, " \
        f"at character {position}"
    assert error.fix.startswith("delete it")


@pytest.mark.parametrize(("column", "value", "character"), [
    ("given_name", "Chloé\ufffe", "U+FFFE"),
    ("family_name", "Lef\ufdd0èvre", "U+FDD0"),
    ("given_name", "Chloé\U0010ffff", "U+10FFFF"),
])
def test_a_noncharacter_is_refused_and_named(tmp_path: Path, column: str, value: str,
                                             character: str) -> None:
    """A noncharacter is no text: its EDC XML failed with a parser's message naming no column
    (XML cannot carry U+FFFE or U+FFFF), and its sealed EDC was refused by JOSE verifiers."""
    [row] = _rows(_with(tmp_path, column, value))
    assert row.award is None and _where(row.errors) == [(2, column)]
    [error] = row.errors
    position = next(i for i, c in enumerate(value, start=1) if f"U+{ord(c):04X}" == character)
    assert error.message == f"{column} holds a character that cannot be seen, {character}, " \
        f"at character {position}"
    assert error.fix.startswith("delete it")


def test_an_invisible_character_in_an_email_is_refused(tmp_path: Path) -> None:
    path = _csv(tmp_path, [[*HEADER, "email"], [*GOOD, "chloe\u200b@example.org"]])
    [row] = _rows(path)
    assert row.award is None and _where(row.errors) == [(2, "email")]


def test_a_joiner_in_a_name_is_kept_but_not_in_an_id(tmp_path: Path) -> None:
    """Zero-width joiners and non-joiners belong to the spelling of some scripts."""
    [name] = _rows(_with(tmp_path, "given_name", "\u0645\u06cc\u200c\u0646\u0627"))
    assert name.errors == () and name.award is not None
    [code] = _rows(_with(tmp_path, "award_id", "A\u200c1"))
    assert _where(code.errors) == [(2, "award_id")]


def test_an_invisible_character_in_a_json_text_map_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "awards.jsonl"
    path.write_text(json.dumps({**ROW, "given_name": {"en": "Chloé\u200b"}}) + "\n", "utf-8")
    [row] = _rows(path)
    assert row.award is None and _where(row.errors) == [(1, "given_name")]


@pytest.mark.parametrize("column", ["award_id", "learner_id"])
def test_an_id_with_a_spreadsheet_text_apostrophe_is_refused(tmp_path: Path, column: str) -> None:
    [row] = _rows(_with(tmp_path, column, "'00123"))
    assert row.award is None and _where(row.errors) == [(2, column)]
    assert row.errors[0].message == f"{column} starts with ', which a spreadsheet uses to mark a " \
        "cell as text: it is not part of the id"
    assert row.errors[0].fix == f"delete the '; to keep leading zeros, format the {column} column " \
        "as Text instead"


def test_a_name_may_start_with_an_apostrophe(tmp_path: Path) -> None:
    [row] = _rows(_with(tmp_path, "family_name", "'t Hooft"))
    assert row.errors == () and row.award is not None
    assert row.award.learner.family_name == {"en": "'t Hooft"}


def test_a_tab_in_a_name_is_a_space(tmp_path: Path) -> None:
    [row] = _rows(_with(tmp_path, "given_name", "Chloé\tMarie"))
    assert row.errors == () and row.award is not None
    assert row.award.learner.given_name == {"en": "Chloé Marie"}


@pytest.mark.parametrize(("column", "value", "character", "position"), [
    ("award_id", "A\u00a01", "U+00A0 NO-BREAK SPACE", 2),
    ("learner_id", "0221\u202f4587", "U+202F NARROW NO-BREAK SPACE", 5)])
def test_a_space_that_is_not_a_plain_space_in_an_id_is_refused(tmp_path: Path, column: str, value: str,
                                                               character: str, position: int) -> None:
    """'A 1' typed with a no-break space looks like 'A 1' but is another award."""
    [row] = _rows(_with(tmp_path, column, value))
    assert row.award is None and _where(row.errors) == [(2, column)]
    assert row.errors[0].message == f"{column} holds a space that is not a plain space, {character}, " \
        f"at character {position}"
    assert row.errors[0].fix == "type a plain space in its place, or none"


def test_a_no_break_space_in_a_name_is_a_space(tmp_path: Path) -> None:
    [row] = _rows(_with(tmp_path, "given_name", "Chloé\u00a0Marie"))
    assert row.award is not None and row.award.learner.given_name == {"en": "Chloé Marie"}


def test_printable_text_holds_no_character_that_cannot_be_seen() -> None:
    """Printable text is passed at once: no character str.isprintable takes is one that
    hidden_character looks for, over every code point."""
    import sys
    import unicodedata

    looked_for = [chr(point) for point in range(sys.maxunicode + 1)
                  if unicodedata.category(chr(point)) in ("Cc", "Cf", "Zl", "Zp")
                  or (unicodedata.category(chr(point)) == "Zs" and chr(point) != " ")]
    assert len(looked_for) > 200
    assert not any(character.isprintable() for character in looked_for)
