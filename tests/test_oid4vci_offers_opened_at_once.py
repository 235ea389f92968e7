"""Processes opening a new offers file at the same moment (two `offer` runs, or `serve` and
`revoke` started together) all get it: SQLite refuses one of two WAL switches that would
deadlock at once, without waiting, and the store tries again."""

from __future__ import annotations

import multiprocessing
from pathlib import Path
from typing import Any

from edcbridge.oid4vci.offers import OfferStore

OPENERS = 4
ROUNDS = 40


def _open(path: str, barrier: Any, answers: Any) -> None:
    barrier.wait()
    try:
        OfferStore(Path(path)).close()
        answers.put("ok")
    except Exception as exc:  # the answer is what the test compares
        answers.put(repr(exc))


def test_a_new_offers_file_opened_by_several_processes_at_once_opens_in_each(tmp_path: Path) -> None:
    context = multiprocessing.get_context("fork")
    refused: list[str] = []
    for round_ in range(ROUNDS):
        path = tmp_path / f"round-{round_}" / "offers.db"
        barrier, answers = context.Barrier(OPENERS), context.Queue()
        openers = [context.Process(target=_open, args=(str(path), barrier, answers)) for _ in range(OPENERS)]
        for opener in openers:
            opener.start()
        refused += [answer for answer in (answers.get(timeout=60) for _ in openers) if answer != "ok"]
        for opener in openers:
            opener.join(timeout=60)
    assert refused == []
