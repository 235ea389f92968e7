"""The note of deposits a stopped run did not attempt: one per reason, each with its count."""

from __future__ import annotations

from collections import Counter

from edcbridge.pipeline.delivery import WalletTarget
from edcbridge.pipeline.runner import _not_sent_notes

SILENT = ("not sent: the wallet did not answer the last 3 deposits; check that it is up and "
          "--deliver-wallet, then run the same command again")
INTERRUPTED = "not sent: the run was interrupted (Ctrl-C); run the same command again"


def test_each_reason_keeps_its_own_count_and_fix() -> None:
    """A wallet that fell silent, then a Ctrl-C while the rest were passed over: both causes, and
    the fix of each, are said (before: only the last reason, with the whole count)."""
    target = WalletTarget("http://127.0.0.1:9/")
    notes = _not_sent_notes(Counter({SILENT: 5, INTERRUPTED: 2}), target)
    assert notes == [
        "wallet http://127.0.0.1:9: 5 deposits not sent: the wallet did not answer the last 3 deposits; "
        "check that it is up and --deliver-wallet, then run the same command again",
        "wallet http://127.0.0.1:9: 2 deposits not sent: the run was interrupted (Ctrl-C); run the "
        "same command again",
    ]


def test_one_deposit_is_said_in_the_singular_and_none_gives_no_note() -> None:
    target = WalletTarget("http://127.0.0.1:9")
    assert _not_sent_notes(Counter({INTERRUPTED: 1}), target) == [
        "wallet http://127.0.0.1:9: 1 deposit not sent: the run was interrupted (Ctrl-C); run the same "
        "command again"]
    assert _not_sent_notes(Counter(), target) == []
