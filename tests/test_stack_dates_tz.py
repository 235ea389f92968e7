"""A held credential's validFrom and validUntil are instants: judged on the UTC day of --as-of,
whatever time zone they are written in."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest

from edcbridge.mapping.edc import to_edc
from edcbridge.model import Catalogue
from edcbridge.sealing import SealFactory
from tests.test_stack_issue import PARTS, _award
from tests.test_stack_trust import _held, _sealed, _stack, _states, catalogue, imperial_seal

__all__ = ["catalogue", "imperial_seal"]


def _judged(tmp_path: Path, catalogue: Catalogue, factory: SealFactory, field: str, value: str,
            day: str) -> tuple[str, str]:
    doc = copy.deepcopy(to_edc(_award(*PARTS[0]), catalogue))
    doc[field] = value
    if field == "validUntil":
        doc.pop("expirationDate", None)
    args = [*_held(tmp_path, {"P1.jsonld": _sealed(factory, doc)}),
            "--trust-anchor", str(factory.p12.parent / "root-ca.pem"), "--as-of", day]
    _, result = _stack(*args)
    return _states(result)["P1.jsonld"]


@pytest.mark.parametrize(("until", "day", "expected"), [
    ("2026-05-01T23:59:59Z", "2026-05-01", "counted"),  # valid all of that day bar a second
    ("2026-05-01T23:59:59Z", "2026-05-02", "expired"),
    ("2026-05-01T00:00:00Z", "2026-05-01", "expired"),  # that day's first instant: not valid on it
    ("2026-04-30T23:30:00-02:00", "2026-05-01", "counted"),  # 2026-05-01T01:30Z
    ("2026-04-30T23:30:00-02:00", "2026-05-02", "expired"),
    ("2026-05-01T00:00:00+02:00", "2026-04-30", "counted"),  # 2026-04-30T22:00Z
    ("2026-05-01T00:00:00+02:00", "2026-05-01", "expired"),
    ("2026-05-01T12:00:00", "2026-05-01", "counted"),  # no time zone: read as UTC
    ("9999-12-31T12:00:00Z", "2026-05-01", "counted"),  # the calendar's last day
    ("9999-12-31T23:00:00-05:00", "2026-05-01", "counted"),  # past it in UTC
])
def test_valid_until_is_an_instant_judged_in_utc(tmp_path: Path, catalogue: Catalogue,
                                                 imperial_seal: SealFactory, until: str, day: str,
                                                 expected: str) -> None:
    state, reason = _judged(tmp_path, catalogue, imperial_seal, "validUntil", until, day)
    assert state == expected, reason


@pytest.mark.parametrize(("since", "day", "expected"), [
    ("2026-03-01T23:30:00-05:00", "2026-03-01", "not-yet-awarded"),  # 2026-03-02T04:30Z
    ("2026-03-01T23:30:00-05:00", "2026-03-02", "counted"),
    ("2026-03-02T01:00:00+03:00", "2026-03-01", "counted"),  # 2026-03-01T22:00Z
    ("0001-01-01T00:00:00+01:00", "2026-03-01", "counted"),  # before the calendar's first day in UTC
])
def test_valid_from_is_an_instant_judged_in_utc(tmp_path: Path, catalogue: Catalogue,
                                                imperial_seal: SealFactory, since: str, day: str,
                                                expected: str) -> None:
    state, reason = _judged(tmp_path, catalogue, imperial_seal, "validFrom", since, day)
    assert state == expected, reason
