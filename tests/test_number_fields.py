"""Numbers in a catalogue are read only as written with ASCII digits, without digit grouping:
Python's Decimal reads 7_5 as 75 and Arabic-Indic digits as ours, which hid typing slips."""

from __future__ import annotations

from decimal import Decimal

import pytest
from pydantic import TypeAdapter, ValidationError

from edcbridge.model.fields import CreditPoints, Hours, Months


@pytest.mark.parametrize("written", ["7_5", "1_000", "\u0667", "\u0661\u0662", "\uff17.5"])
def test_a_number_not_written_in_plain_digits_is_refused(written: str) -> None:
    with pytest.raises(ValidationError, match=r"is not a number; write a plain number such as 7\.5"):
        TypeAdapter(Hours).validate_python(written)
    with pytest.raises(ValidationError, match="is not a number"):
        TypeAdapter(CreditPoints).validate_python(written)


@pytest.mark.parametrize("written", ["\u0661\u0662", "1_2"])
def test_months_in_other_digits_are_refused(written: str) -> None:
    with pytest.raises(ValidationError):
        TypeAdapter(Months).validate_python(written)


@pytest.mark.parametrize(("written", "read"), [("7.5", "7.5"), ("7,5", "7.5"), (" 125 ", "125"), (6, "6")])
def test_plain_numbers_still_read(written: object, read: str) -> None:
    assert TypeAdapter(CreditPoints).validate_python(written) == Decimal(read)
