"""Ctrl-C held back while a step that must not be cut in two ends."""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from types import FrameType

import pytest

from edcbridge.interrupts import ctrl_c_held_back, sigterm_as_ctrl_c


@pytest.fixture
def ctrl_c_default() -> Iterator[None]:
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, previous)


def test_a_ctrl_c_during_the_step_stops_the_run_once_the_step_is_done(ctrl_c_default: None) -> None:
    steps: list[str] = []
    with pytest.raises(KeyboardInterrupt), ctrl_c_held_back():
        steps.append("committed")
        signal.raise_signal(signal.SIGINT)
        steps.append("counted")
    assert steps == ["committed", "counted"]
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_each_press_goes_to_the_handler_of_its_turn(ctrl_c_default: None) -> None:
    """A first Ctrl-C that only asks to stop, a second that stops at once, as the export has."""
    asked: list[bool] = []

    def first_press(signum: int, frame: FrameType | None) -> None:
        asked.append(True)
        signal.signal(signal.SIGINT, signal.default_int_handler)

    signal.signal(signal.SIGINT, first_press)
    with ctrl_c_held_back():
        signal.raise_signal(signal.SIGINT)
    assert asked == [True] and signal.getsignal(signal.SIGINT) is signal.default_int_handler
    signal.signal(signal.SIGINT, first_press)
    with pytest.raises(KeyboardInterrupt), ctrl_c_held_back():
        signal.raise_signal(signal.SIGINT)
        signal.raise_signal(signal.SIGINT)
    assert asked == [True, True]


def test_a_sigterm_taken_as_ctrl_c_waits_too_and_the_steps_error_does_not_hide_it(
        ctrl_c_default: None) -> None:
    steps: list[str] = []
    with pytest.raises(KeyboardInterrupt) as stopped, sigterm_as_ctrl_c(), ctrl_c_held_back():
        signal.raise_signal(signal.SIGTERM)
        steps.append("counted")
        raise OSError("No space left on device")
    assert steps == ["counted"]
    assert isinstance(stopped.value.__context__, OSError)


def test_outside_the_main_thread_the_step_runs_as_it_is() -> None:
    ran: list[BaseException | None] = []

    def step() -> None:
        try:
            with ctrl_c_held_back():
                ran.append(None)
        except BaseException as exc:
            ran.append(exc)

    worker = threading.Thread(target=step)
    worker.start()
    worker.join()
    assert ran == [None]


def test_where_ctrl_c_is_ignored_a_sigterm_waits_for_the_step_too() -> None:
    """A job started in the background of a script ignores Ctrl-C; `kill` still stops it, once
    the step is done."""
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    steps: list[str] = []
    try:
        with pytest.raises(KeyboardInterrupt), sigterm_as_ctrl_c(), ctrl_c_held_back():
            signal.raise_signal(signal.SIGTERM)
            steps.append("counted")
        assert steps == ["counted"]
        assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN
    finally:
        signal.signal(signal.SIGINT, previous)
