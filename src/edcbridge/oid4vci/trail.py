"""The audit trail of what ``serve`` does on its own: closing the offers it meets still open for
an award withdrawn or erased (a ``withdraw`` or ``erase`` that stopped part way, or made by an
earlier version, left them open).

The offers file keeps the event in the same transaction as the offers it closed (see
:meth:`OfferStore.close_withdrawn`), and it is then appended to the folder's journal, as
``revoke`` appends its revocation: after the chain's head as it is at that moment, in one write
transaction, so a run, ``withdraw`` or ``erase`` writing the journal meanwhile is waited for and
followed, never forked from. Should the journal not take it (locked longer than
:data:`TRAIL_WAIT`), the offers file keeps it and the next ``revoke`` or ``offer`` on the folder
writes it."""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path

from edcbridge.oid4vci.offers import OfferStore, TrailEvent
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
