"""What a run asks the journal of each award before it works on it (done, held back, kept after
a failure): one query answers all three, and each answer is what the record holds now."""
from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from edcbridge.pipeline.journal import JOURNAL_NAME, Journal

_SEALED = {"edc-sealed": {"path": "x", "file": "edc-sealed/x.jsonld", "sha256": "ab" * 32}}


def _folder(tmp_path: Path) -> Path:
    """A folder whose journal holds a record in each state a run meets."""
    journal = Journal.for_folder(tmp_path)
    journal.record("i/done", "h1", "done", None, _SEALED, None, ["issued", "sealed"], ["a warning"], "m|s|r")
    journal.record("i/kept", "h2", "done", None, _SEALED, None, ["issued", "sealed"])
    journal.record("i/kept", "h3", "failed", "seal", {}, "it broke", [])  # keeps its files of before
    journal.record("i/failed", "h4", "failed", "load", {}, "bad row", [])
    journal.record("i/withdrawn", "h5", "done", None, _SEALED, None, ["issued", "sealed"])
    journal.record("i/erased", "h6", "done", None, _SEALED, None, ["issued", "sealed"])
    journal.close()
    journal = Journal.for_folder(tmp_path)
    journal.set_withdrawal("withdrawn", "i/withdrawn", {}, "withdrawn by the registrar",
                           json.dumps({"why": "x"}))
    journal.erase("i/erased", "erased at the learner's request", json.dumps({"why": "y"}))
    journal.close()
    return tmp_path


def _asked(journal: Journal, key: str) -> tuple[object, object, object]:
    """As the runner asks: held back and kept only of a key not done."""
    done = journal.done(key)
    held = journal.held_back(key) if done is None else None
    kept = journal.kept(key) if done is None else None
    return done, held, kept


def test_each_state_answered(tmp_path: Path) -> None:
    journal = Journal.for_folder(_folder(tmp_path))
    done = journal.done("i/done")
    assert done is not None
    assert (done.input_hash, done.warnings, done.made_from) == ("h1", ("a warning",), "m|s|r")
    where = str(tmp_path / "edc-sealed" / "x.jsonld")
    assert done.outputs["edc-sealed"]["path"] == where
    assert _asked(journal, "i/kept") == (None, None, {"edc-sealed": {
        "path": where, "file": "edc-sealed/x.jsonld", "sha256": "ab" * 32}})
    assert _asked(journal, "i/failed") == (None, None, None)
    assert _asked(journal, "i/withdrawn") == (None, ("withdrawn", "withdrawn by the registrar"), None)
    assert _asked(journal, "i/erased") == (None, ("erased", "erased at the learner's request"), None)
    assert _asked(journal, "i/new") == (None, None, None)
    journal.close()


def test_a_new_award_costs_one_query(tmp_path: Path) -> None:
    journal = Journal.for_folder(_folder(tmp_path))
    statements: list[str] = []
    journal.db.set_trace_callback(statements.append)
    for key in ("i/new", "i/failed", "i/kept", "i/withdrawn"):
        _asked(journal, key)
    journal.db.set_trace_callback(None)
    assert len(statements) == 4
    journal.close()


@pytest.mark.parametrize("write", ["withdraw", "record", "commit"])
def test_an_answer_follows_what_was_written_since(tmp_path: Path, write: str) -> None:
    """The record read for one answer is not the next answer once the journal was written
    (here or undone): a key asked again is read again."""
    journal = Journal.for_folder(_folder(tmp_path))
    assert journal.done("i/kept") is None  # read: failed, files of before kept
    if write == "withdraw":
        journal.set_withdrawal("withdrawn", "i/kept", {}, "taken back", json.dumps({"why": "z"}))
        assert journal.held_back("i/kept") == ("withdrawn", "taken back")
        assert journal.kept("i/kept") is None
    elif write == "record":
        journal.record("i/kept", "h7", "done", None, _SEALED, None, ["issued", "sealed"])  # staged
        assert journal.kept("i/kept") is None
    else:
        other = sqlite3.connect(tmp_path / JOURNAL_NAME)  # another process writes and commits
        other.execute("UPDATE records SET state = 'withdrawn', error = 'by hand' WHERE key = 'i/kept'")
        other.commit()
        other.close()
        journal.commit()
        assert journal.held_back("i/kept") == ("withdrawn", "by hand")
    journal.close()


def test_the_answers_of_one_key_are_not_another_keys(tmp_path: Path) -> None:
    journal = Journal.for_folder(_folder(tmp_path))
    assert journal.done("i/withdrawn") is None
    assert journal.kept("i/kept") is not None
    assert journal.held_back("i/erased") == ("erased", "erased at the learner's request")
    assert journal.held_back("i/new") is None
    journal.close()
