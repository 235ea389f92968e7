"""Scheduled re-runs of ``push deqar``: the same agency however it is spelled."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.deliver_support import batch_text, push_deqar_batch, start_deqar
from tests.fake_deqar import DeqarFake
from tests.fake_http import FakeServer


@pytest.fixture
def fake() -> Iterator[tuple[FakeServer, DeqarFake]]:
    server, app = start_deqar()
    yield server, app
    server.stop()


def _writes(server: FakeServer) -> list[str]:
    """The requests that change the register (the token request changes nothing)."""
    return [f"{e.method} {e.path}" for e in server.writes() if not e.path.startswith("/accounts/")]


def _items(tmp_path: Path) -> list[dict[str, str]]:
    results = json.loads((tmp_path / "out" / "deqar-results.json").read_text("utf-8"))
    items: list[dict[str, str]] = results["items"]
    return items


@pytest.mark.parametrize("via", ["api", "csv"])
def test_the_agency_in_another_letter_case_is_the_same_agency(
    tmp_path: Path, fake: tuple[FakeServer, DeqarFake], via: str
) -> None:
    server, _ = fake
    first = push_deqar_batch(tmp_path, server, batch_text(2), "--via", via)
    assert first.exit_code == 0, first.output
    sent = len(_writes(server))
    again = push_deqar_batch(tmp_path, server, batch_text(2).replace("agency: ACQUIN", "agency: acquin"),
                             "--via", via)
    assert again.exit_code == 0, again.output
    assert [i["action"] for i in _items(tmp_path)] == ["skip", "skip"]
    assert len(_writes(server)) == sent
