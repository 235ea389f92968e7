"""Withdrawing a report: ``delete_reports`` in the batch requests its deletion, once, on both routes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from edcbridge.deliver.config import load_batch
from edcbridge.deliver.errors import DeliveryConfigError
from tests.deliver_support import AUDIT_HEAD, AUDIT_REPORT, push_deqar_batch, start_deqar
from tests.fake_deqar import DeqarFake
from tests.fake_http import FakeServer, Fault


@pytest.fixture
def fake() -> Iterator[tuple[FakeServer, DeqarFake]]:
    server, app = start_deqar()
    yield server, app
    server.stop()


def _deletes(server: FakeServer) -> list[str]:
    return [e.path for e in server.log if e.method == "DELETE"]


@pytest.mark.parametrize("via", ["api", "csv"])
def test_a_withdrawn_report_has_its_deletion_requested_once(
    tmp_path: Path, fake: tuple[FakeServer, DeqarFake], via: str
) -> None:
    server, app = fake
    both = AUDIT_HEAD + AUDIT_REPORT.format(ident="ACQ-1") + AUDIT_REPORT.format(ident="ACQ-2")
    first = push_deqar_batch(tmp_path, server, both, "--via", via)
    assert first.exit_code == 0, first.output
    (withdrawn,) = [r["id"] for r in app.reports.values() if r["local_identifier"] == "ACQ-2"]
    batch = AUDIT_HEAD + AUDIT_REPORT.format(ident="ACQ-1") + "delete_reports: [ACQ-2, ACQ-9]\n"
    second = push_deqar_batch(tmp_path, server, batch, "--via", via)
    assert second.exit_code == 0, second.output
    assert _deletes(server) == [f"/submissionapi/v2/delete/report/{withdrawn}/"]
    assert app.reports[withdrawn]["flag_messages"] == ["Deletion was requested."]
    lines = second.stderr.splitlines()
    assert lines[1] == (
        "ok       delete  ACQ-2: DEQAR flags the report 'Deletion was requested.' until EQAR staff "
        "confirm the deletion"
    )
    assert lines[2].startswith("skipped  delete  ACQ-9: DEQAR has no report with this local identifier")
    third = push_deqar_batch(tmp_path, server, batch, "--via", via)
    assert third.exit_code == 0, third.output
    assert len(_deletes(server)) == 1  # recorded in the state file: not requested again
    assert third.stderr.splitlines()[1] == "skipped  skip    ACQ-2"


def test_a_report_both_kept_and_withdrawn_is_refused(tmp_path: Path) -> None:
    (tmp_path / "batch.yaml").write_text(
        AUDIT_HEAD + AUDIT_REPORT.format(ident="ACQ-1") + "delete_reports: [ACQ-1, ACQ-3, ACQ-3]\n", "utf-8"
    )
    with pytest.raises(DeliveryConfigError) as caught:
        load_batch(tmp_path / "batch.yaml")
    text = str(caught.value)
    assert "'ACQ-1' is also under delete_reports" in text
    assert "fix: keep the report, or remove it from reports to withdraw it" in text
    assert "delete_reports[2]" in text and "'ACQ-3' is listed twice" in text


@pytest.mark.parametrize("status", [429, 503])
def test_a_deletion_request_the_register_throttles_is_sent_again_after_the_pause(
    tmp_path: Path, fake: tuple[FakeServer, DeqarFake], status: int
) -> None:
    """A 429/503 with a Retry-After the run waits out changed nothing: the deletion is requested
    again in the same run (a second request of it would change nothing either)."""
    server, app = fake
    first = push_deqar_batch(tmp_path, server, AUDIT_HEAD + AUDIT_REPORT.format(ident="ACQ-2"))
    assert first.exit_code == 0, first.output
    (withdrawn,) = app.reports
    server.faults.append(Fault("status", status, {"Retry-After": "0"}, method="DELETE"))
    batch = AUDIT_HEAD + AUDIT_REPORT.format(ident="ACQ-1") + "delete_reports: [ACQ-2]\n"
    second = push_deqar_batch(tmp_path, server, batch)
    assert second.exit_code == 0, second.output
    assert [e.status for e in server.log if e.method == "DELETE"] == [status, 200]
    assert app.reports[withdrawn]["flag_messages"] == ["Deletion was requested."]
