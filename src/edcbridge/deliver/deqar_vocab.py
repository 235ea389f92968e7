"""DEQAR Submission API v2 controlled values, sent as JSON strings (the register rejects ints).

Values accept the code or the name, case-insensitively (as the register does), and normalise
to the code. Non-strings are refused with the register's own message.
"""

from __future__ import annotations

from typing import Any

STATUS = {"1": "part of obligatory EQA system", "2": "voluntary"}
DECISION = {
    "1": "positive",
    "2": "positive with conditions or restrictions",
    "3": "negative",
    "4": "not applicable",
}
QF_EHEA_LEVEL = {"0": "short cycle", "1": "first cycle", "2": "second cycle", "3": "third cycle"}
ASSESSMENT = {
    "1": "Attendance certificate",
    "2": "Assessment based certificate",
    "3": "No assessment and no certificate",
}
DEGREE_OUTCOME_FULL = (1, "1", "yes", "full degree")
DEGREE_OUTCOME_NONE = (2, "2", "no", "no full degree")
QF_EHEA_OF_EQF = {5: "0", 6: "1", 7: "2", 8: "3"}

NOT_A_STRING = "Incorrect type. Expected a string, but got {kind}"
REQUIRED = "This field is required."
MAX_LENGTH = "Ensure this field has no more than {limit} characters."
NO_FULL_DEGREE_ECTS = "ECTS credits are required, when degree_outcome field is '2 / no full degree'"
NO_FULL_DEGREE_ASSESSMENT = (
    "Assessment information is required, when degree_outcome field is '2 / no full degree'."
)


def type_name(value: Any) -> str:
    return {bool: "bool", int: "int", float: "float", list: "list", dict: "dict"}.get(
        type(value), type(value).__name__
    )


def code_of(table: dict[str, str], value: Any, field: str) -> str:
    """The code for a code or name of ``table``; ``ValueError`` with the register's wording."""
    if not isinstance(value, str):
        raise ValueError(NOT_A_STRING.format(kind=type_name(value)))
    text = value.strip()
    if text in table:
        return text
    for code, name in table.items():
        if name.lower() == text.lower():
            return code
    choices = ", ".join(f'"{c}" ({n})' for c, n in table.items())
    raise ValueError(f"{value!r} is not a valid {field}; use one of {choices}")


def degree_outcome_code(value: Any) -> str:
    """``"1"`` (full degree) or ``"2"`` (no full degree); the register matches case-sensitively."""
    if value in DEGREE_OUTCOME_FULL and not isinstance(value, bool):
        return "1"
    if value in DEGREE_OUTCOME_NONE and not isinstance(value, bool):
        return "2"
    raise ValueError(
        f"{value!r} is not a valid degree_outcome; use exactly one of "
        '1, "1", "yes", "full degree" or 2, "2", "no", "no full degree"'
    )
