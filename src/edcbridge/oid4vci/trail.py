"""The audit trail of offers closed for an award withdrawn or erased after the command did it
(a ``withdraw`` or ``erase`` that stopped part way, or made by an earlier version, left them
open): by ``serve``, as it meets them, or by the same command run again.

The offers file keeps the event in the same transaction as the offers it closed (see
:meth:`OfferStore.close_withdrawn`), and it is then appended to the folder's journal, as
``revoke`` appends its revocation: after the chain's head as it is at that moment, in one write
transaction, so a run, ``withdraw`` or ``erase`` writing the journal meanwhile is waited for and
followed, never forked from. Should the journal not take it (locked longer than
:data:`TRAIL_WAIT`), the offers file keeps it and the next ``revoke`` or ``offer`` on the folder
writes it. The command run again writes those of its award, with what it closed itself (see
:func:`record_kept`)."""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path

from edcbridge.oid4vci.offers import OFFERS_CLOSED, OFFERS_NAME, OfferStore, TrailEvent
from edcbridge.pipeline.journal import JOURNAL_NAME, Journal

LOG = logging.getLogger("edcbridge.oid4vci")

TRAIL_WAIT = 5.0  # seconds a request waits for another process writing the journal


def record_closing(out_dir: Path, store: OfferStore, event: TrailEvent) -> str | None:
    """Append ``event`` to the audit trail of ``out_dir`` and note so in the offers file; where
    it went (``SEQ:SHA256``), or None when the trail could not take it (logged)."""
    path = out_dir / JOURNAL_NAME
    if not path.is_file():
        LOG.warning("%s: the offers closed are recorded in the offers file only: %s holds no audit trail",
                    event.award_key, out_dir)
        return None
    try:
        head = _append(path, event)
    except (OSError, sqlite3.Error) as exc:
        LOG.error("%s: the offers closed are not in the audit trail %s (%s); the offers file %s keeps "
                  "the event, and the next 'edcbridge revoke' or 'edcbridge offer' on %s writes it there",
                  event.award_key, path, exc, store.path, out_dir)
        return None
    if head is None:
        LOG.warning("%s: the offers closed are recorded in the offers file only: the audit trail %s "
                    "holds no record of the award", event.award_key, path)
        return None
    try:
        store.mark_recorded([event.id], head)
    except sqlite3.Error as exc:  # the trail holds it: a later command finds it there, writes no second
        LOG.warning("%s: cannot note in %s that event %s of the audit trail holds the offers closed (%s)",
                    event.award_key, store.path, head.split(":")[0], exc)
    return head


def _append(path: Path, event: TrailEvent) -> str | None:
    journal = Journal(path, timeout=TRAIL_WAIT)
    try:
        return journal.record_offer_event(event.action, event.award_key, event.detail)
    finally:
        journal.close()


def record_kept(journal: Journal, out_dir: Path, award_key: str) -> tuple[str | None, str | None]:
    """Append to ``journal`` the ``offers-closed`` events of ``award_key`` that the offers file of
    ``out_dir`` keeps for the trail (those ``withdraw`` or ``erase`` run again made just now, or
    ``serve`` could not write), noting each there: where the last went (``SEQ:SHA256``; None when
    there was none), and the problem, said for people, when the trail could not take them (the
    offers file keeps them, and the same command run again writes them)."""
    if not (out_dir / OFFERS_NAME).is_file():
        return None, None
    head: str | None = None
    try:
        with OfferStore.opened(out_dir) as store:
            for event in store.unrecorded():
                if (event.award_key, event.action) != (award_key, OFFERS_CLOSED):
                    continue
                written = journal.record_offer_event(event.action, event.award_key, event.detail)
                if written is not None:
                    store.mark_recorded([event.id], written)
                    head = written
    except (OSError, sqlite3.Error) as exc:
        return head, (f"the closing of its offers is recorded in the offers file {out_dir / OFFERS_NAME} "
                      f"only: it could not be written to the audit trail ({exc}); run the same command again")
    return head, None
