"""The JSON an award's data is validated from: orjson for texts, the standard encoder else."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any

import pytest
from pydantic import ValidationError

from edcbridge.model import Award
from edcbridge.model.records import as_json, parse

STANDARD = json.JSONEncoder(default=str, ensure_ascii=False).encode


def _award(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "award_id": "A-1", "specification": "S", "awarding_date": "2025-07-14",
        "learner": {"id": "001", "given_name": {"en": "Ann"}, "family_name": {"en": "Lee"}}}
    data.update(changes)
    return data


TEXTS = [
    _award(),
    _award(learner={"id": "\ufeff002", "given_name": {"el": "Άννα", "en": " Ann\u00a0Marie "},
                    "family_name": {"en": "Lefèvre-Dubois"}, "email": "chloé@exämple.org",
                    "date_of_birth": "1994-03-17 00:00"}),
    _award(grade={"en": "Pass \"with\" \\merit\\\n\t"}, award_id="A\u0000\u001f\u2028\u2029"),
    _award(awarding_date="", issued="2025-07-14T10:00:00+02:00", valid_until="31/12/2030"),
    _award(grade={"EN ": "Merit", "xx": "?"}, language="ελληνικά", learner={}),
    _award(learner={"id": "😀", "given_name": {"en": "\U0001f600"}, "family_name": {}}),
]


@pytest.mark.parametrize("data", TEXTS)
def test_texts_are_written_by_orjson_with_the_standard_meaning(data: dict[str, Any]) -> None:
    written = as_json(data)
    assert isinstance(written, bytes)  # the fast path
    assert json.loads(written) == json.loads(STANDARD(data))


@pytest.mark.parametrize("data", TEXTS)
def test_texts_validate_as_the_standard_json_does(data: dict[str, Any]) -> None:
    def outcome(text: str | bytes) -> Any:
        try:
            return Award.model_validate_json(text).model_dump_json()
        except ValidationError as exc:
            return [(e["loc"], e["msg"], e["input"]) for e in exc.errors()]

    assert outcome(as_json(data)) == outcome(STANDARD(data))


OTHERS = [
    _award(awarding_date=dt.date(2025, 7, 14)),
    _award(issued=dt.datetime(2025, 7, 14, 10, 0, tzinfo=dt.UTC)),  # str() has a space, orjson a T
    _award(grade={"en": 72.5}),
    _award(grade={"en": float("nan")}),
    _award(grade={"en": 10 ** 30}),
    _award(grade={"en": Decimal("7.50")}),
    _award(grade={1: "Pass"}),
    _award(grade=["Pass", "Merit"]),
    _award(grade={"en": None}),
    _award(grade={"en": True}),
    _award(award_id="A\ud800"),  # a lone surrogate, which orjson refuses
    ["not", "a", "dict"],
    "text",
]


@pytest.mark.parametrize("data", OTHERS)
def test_anything_else_is_written_by_the_standard_encoder(data: Any) -> None:
    assert as_json(data) == STANDARD(data)


def test_parse_reads_dates_and_texts_alike_on_both_paths() -> None:
    award = parse(Award, _award(learner={"id": "001", "given_name": {"en": "Ζωή"},
                                         "family_name": {"en": "Ní Bhriain"},
                                         "date_of_birth": "1991-11-02"}))
    assert award.learner.date_of_birth == dt.date(1991, 11, 2)
    assert award == parse(Award, _award(learner={"id": "001", "given_name": {"en": "Ζωή"},
                                                 "family_name": {"en": "Ní Bhriain"},
                                                 "date_of_birth": dt.date(1991, 11, 2)}))
