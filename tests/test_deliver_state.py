"""The push state file: deliveries per endpoint, unanswered sends, and the change log."""

from __future__ import annotations

import json
from pathlib import Path

from edcbridge.deliver.state import State, log_path


def test_each_change_is_one_line_of_the_log_and_the_file_is_written_once(tmp_path: Path) -> None:
    path = tmp_path / "out" / "state.json"
    state = State.load(path, "wallet", "https://wallet.example")
    for number in range(50):
        state.sending(f"k{number}", "d")
        state.record(f"k{number}", "d", number)
    assert not path.exists()
    assert len(log_path(path).read_text("utf-8").splitlines()) == 100
    state.close()
    assert not log_path(path).exists()
    saved = json.loads(path.read_text("utf-8"))
    assert len(saved["endpoints"]["https://wallet.example"]) == 50 and "unanswered" not in saved


def test_a_run_killed_before_it_folded_the_log_loses_nothing(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    first = State.load(path, "deqar", "https://register.example (agency A)")
    first.record("a", "d1", 1)
    first.close()
    second = State.load(path, "deqar", "https://register.example (agency A)")
    second.record("b", "d2", 2)
    second.sending("c", "d3")
    with log_path(path).open("a", encoding="utf-8") as log:
        log.write('{"op": "delivered", "key": "c", "dig')  # the kill came while this was written
    again = State.load(path, "deqar", "https://register.example (agency A)")
    assert again.get("a") == {"digest": "d1", "target_id": 1}
    assert again.get("b") == {"digest": "d2", "target_id": 2}
    assert again.get("c") is None and again.maybe_held("c") == {"d3"}
    assert not log_path(path).exists()  # folded in when loaded


def test_unanswered_sends_are_kept_per_endpoint(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    first = State.load(path, "wallet", "https://a.example")
    first.sending("k", "d1")
    first.close()
    second = State.load(path, "wallet", "https://b.example")
    assert second.maybe_held("k") == set() and second.elsewhere("k") == []
    second.record("k", "d2", "x")
    second.close()
    a = State.load(path, "wallet", "https://a.example")
    assert a.maybe_held("k") == {"d1"} and a.elsewhere("k") == ["https://b.example"]
    assert State.load(path, "wallet", "https://b.example").maybe_held("k") == {"d2"}


def test_a_refused_send_is_no_longer_held(tmp_path: Path) -> None:
    state = State.load(tmp_path / "state.json", "wallet")
    state.sending("k", "d1")
    state.answered_without_storing("k", "d1")
    assert state.maybe_held("k") == set()
    state.close()
    assert "unanswered" not in json.loads((tmp_path / "state.json").read_text("utf-8"))
