"""A JSON number of over 4,300 digits: every reader says so in the same words, without Python's
own remedy (sys.set_int_max_str_digits), which no user of the command can apply."""
from __future__ import annotations

import pytest

from edcbridge.validation.document import NotACredential, parse_json
from edcbridge.xml.importer import import_bytes

HUGE = '{"a": ' + "9" * 5000 + "}"


def test_validate_says_what_is_wrong_without_a_python_remedy() -> None:
    with pytest.raises(NotACredential) as caught:
        parse_json(HUGE)
    assert "4300 digits" in str(caught.value) and "set_int_max_str_digits" not in str(caught.value)


def test_inspect_says_what_is_wrong_without_a_python_remedy() -> None:
    with pytest.raises(NotACredential) as caught:
        import_bytes(HUGE.encode(), "x.json")
    assert "4300 digits" in str(caught.value) and "set_int_max_str_digits" not in str(caught.value)
