"""Reports the agency withdraws: the batch's ``delete_reports``, by local identifier.

DEQAR only *requests* deletion: ``DELETE delete/report/{id}/`` answers ``200 ["OK"]`` and flags
the report "Deletion was requested." until EQAR staff confirm it, so the report stays findable by
its local identifier meanwhile. The state file records each request made, so a re-run does not
send it again (a state file that does not know it sends it once more, which changes nothing).
"""

from __future__ import annotations

from typing import Any

from edcbridge.deliver.deqar_client import DeqarClient
from edcbridge.deliver.results import Outcome
from edcbridge.deliver.state import State, digest

DELETE = "delete_report"
REQUESTED = "DEQAR flags the report 'Deletion was requested.' until EQAR staff confirm the deletion"
NOT_FOUND = ("DEQAR has no report with this local identifier: nothing to delete (check the local "
             "identifier if the report is in DEQAR)")


def deletion(local_identifier: str) -> tuple[dict[str, str], str]:
    """The content of the item withdrawing a report, and its digest."""
    content = {DELETE: local_identifier}
    return content, digest(content)


def withdrawn_as(state: State, key: str) -> str:
    """The DEQAR report id whose deletion the state file records for ``key``, else ``""``: a
    report put back in the batch after it is submitted anew, not as an update of that id."""
    known = state.get(key)
    if known is None or known.get("digest") != deletion(key)[1]:
        return ""
    return str(known.get("target_id") or "")


def still_pending(report_id: str) -> str:
    """What to say when the register still has a report put back after its deletion request."""
    return (f"DEQAR still holds report {report_id}, whose deletion was requested, and this run updated "
            "it: ask EQAR to drop the deletion request, or the report goes when they confirm it")


def is_deletion(content: Any) -> bool:
    return isinstance(content, dict) and set(content) == {DELETE}


def request_deletion(client: DeqarClient, agency: str, content: dict[str, str], state: State) -> Outcome:
    """Find the report by its local identifier and request its deletion; none found is skipped."""
    key = content[DELETE]
    found = client.check(agency, key)
    report_id = found.get("id") if found is not None else None
    if report_id is None:
        return Outcome(key, "delete", "skipped", detail="not found", message=NOT_FOUND)
    result = client.delete(report_id)
    if not result.requested:  # deleted between the look-up and the request
        return Outcome(key, "delete", "skipped", str(report_id), "not found",
                       f"DEQAR no longer has report {report_id}: nothing to delete")
    state.record(key, digest(content), report_id)
    return Outcome(key, "delete", "ok", str(report_id), "deletion requested", REQUESTED)
