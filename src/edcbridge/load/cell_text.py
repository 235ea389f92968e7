"""What a cell's text holds that nobody sees: control and format characters (a zero-width space
or byte-order mark pasted with a name, a direction override), and the apostrophe a spreadsheet
marks a text cell with, written out in front of an id. Either would go into the credential as it
is, and an id that differs from the registry's by a character nobody sees makes another award."""

from __future__ import annotations

import re
import unicodedata

# joiners belong to the spelling of some scripts (Persian, the Indic scripts), and a tab is made
# a space with the text's other spaces: kept in texts
_IN_TEXT = frozenset("\u200c\u200d\t")
_LINE_BREAKS = frozenset("\n\r")  # said by their own check (see awards.row_to_data)


def noncharacter(character: str) -> bool:
    """Whether ``character`` is one of Unicode's 66 noncharacters (U+FDD0 to U+FDEF and the last
    two of each plane, U+FFFE and U+FFFF among them): never text, XML cannot carry U+FFFE or
    U+FFFF, and JOSE verifiers refuse a JAdES payload that holds any."""
    code = ord(character)
    return 0xFDD0 <= code <= 0xFDEF or code & 0xFFFE == 0xFFFE


# the noncharacters, to find in a long text at once
NONCHARACTERS = re.compile("[\ufdd0-\ufdef" + "".join(chr(plane << 16 | 0xfffe) + chr(plane << 16 | 0xffff)
                                                       for plane in range(17)) + "]")


def hidden_character(text: str, in_text: bool) -> tuple[int, str, bool] | None:
    """The 1-based position and name (``U+200B ZERO WIDTH SPACE``) of the first character of
    ``text`` that cannot be seen, and whether it is a space; ``in_text`` for a name or grade,
    which may hold joiners and tabs, and whose spaces of any kind are made plain spaces.
    Printable text (most) is passed at once: ``str.isprintable`` is false for every character
    of the categories looked for (Cc, Cf, Zl, Zp, and Zs but the ASCII space) and for
    noncharacters (Cn)."""
    if text.isprintable():
        return None
    for position, character in enumerate(text, start=1):
        if character in _LINE_BREAKS or (in_text and character in _IN_TEXT):
            continue
        category = unicodedata.category(character)
        if category in ("Cc", "Cf", "Zl", "Zp") or (category == "Zs" and character != " " and not in_text) \
                or noncharacter(character):
            name = unicodedata.name(character, "")
            return position, f"U+{ord(character):04X}" + (f" {name}" if name else ""), category == "Zs"
    return None


def hidden_problem(column: str, text: str, in_text: bool) -> tuple[str, str] | None:
    """The problem and fix of a cell holding a character that cannot be seen, or a space that is
    not a plain one in a value other than a text (an id that looks the same is another), else
    None."""
    found = hidden_character(text, in_text)
    if found is None:
        return None
    position, name, space = found
    if space:
        return (f"{column} holds a space that is not a plain space, {name}, at character {position}",
                "type a plain space in its place, or none")
    return (f"{column} holds a character that cannot be seen, {name}, at character {position}",
            "delete it: type the value again rather than paste it (text copied from a web page, "
            "a PDF or an e-mail brings such characters with it)")


def text_marker_problem(column: str, name: str, text: str) -> tuple[str, str] | None:
    """The problem and fix of an id written with the apostrophe a spreadsheet uses to mark a
    cell as text ('00123), else None."""
    if not text.startswith("'"):
        return None
    return (f"{column} starts with ', which a spreadsheet uses to mark a cell as text: it is not "
            "part of the id",
            f"delete the '; to keep leading zeros, format the {name} column as Text instead")
