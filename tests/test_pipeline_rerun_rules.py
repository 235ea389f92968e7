"""What a re-run redoes, what a run's reports say when input breaks part way, and --fail-fast
with workers: the report, the journal and stdout must always agree."""

from __future__ import annotations

import csv
import json
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from edcbridge.cli import main
from edcbridge.load import load_catalogue
from edcbridge.pipeline import Job, RunOptions, run
from edcbridge.pipeline import runner as pipeline_runner
from edcbridge.pipeline.journal import JOURNAL_NAME
from edcbridge.seal import VerifyOptions, verify_document
from edcbridge.sealing import demo_seal
from tests.conftest import FIXTURES
from tests.pipeline_support import synthetic_awards

CATALOGUE = FIXTURES / "imperial" / "catalogue.yaml"


@pytest.fixture
def env(store, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EDCBRIDGE_SCHEMAS", str(store.root))


def _export(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["export", *args])
    return result.exit_code, result.stdout, result.stderr


def _journal_states(out: Path) -> dict[str, int]:
    with sqlite3.connect(out / JOURNAL_NAME) as db:
        return dict(db.execute("SELECT state, count(*) FROM records GROUP BY state").fetchall())


def _bad_byte_after(path: Path, good_rows: int) -> Path:
    """An awards file whose row ``good_rows + 2`` holds a byte that is not UTF-8, well past the
    first 64 KB the reader checks before the run."""
    synthetic_awards(path, good_rows + 5)
    lines = path.read_bytes().split(b"\n")
    lines[good_rows + 1] = lines[good_rows + 1].replace(b",", b",\xe9", 1)
    path.write_bytes(b"\n".join(lines))
    return path


def _unreadable_after(path: Path, good_rows: int) -> Path:
    """A UTF-16 awards file ("Unicode text") broken after row ``good_rows + 1`` by bytes no
    character stands for, so the rows after them cannot be read."""
    synthetic_awards(path, good_rows + 5)
    lines = path.read_text("utf-8").split("\n")
    head, tail = "\n".join(lines[:good_rows + 1]) + "\n", "\n".join(lines[good_rows + 1:])
    path.write_bytes(head.encode("utf-16") + b"\x00\xd8" + tail.encode("utf-16-le"))
    return path


def test_a_file_unreadable_part_way_is_reported_and_the_run_goes_on(env: None, tmp_path: Path) -> None:
    broken = _unreadable_after(tmp_path / "broken.csv", 800)
    assert broken.stat().st_size > 80_000
    other = tmp_path / "other.csv"
    synthetic_awards(other, 3)
    other.write_text(other.read_text("utf-8").replace("SYN-", "OTHER-"), "utf-8")
    out = tmp_path / "out"
    code, stdout, stderr = _export(str(broken), str(other), "-c", str(CATALOGUE), "-o", str(out), "-j", "2")
    assert code == 1, stderr
    assert "the rows after it were not read" in stderr and str(broken) in stderr
    summary = json.loads((out / "report.json").read_text("utf-8"))
    done = _journal_states(out).get("done", 0)
    assert summary["done"] == done == len(stdout.splitlines())  # report, journal and stdout agree
    assert summary["file_errors"] == 1 and summary["aborted"] is None
    assert any("OTHER-00002" in line for line in stdout.splitlines())  # the next file was exported
    assert len(list((out / "edc").iterdir())) == done


def test_a_file_unreadable_from_the_start_stops_before_any_work(env: None, tmp_path: Path) -> None:
    good = synthetic_awards(tmp_path / "good.csv", 3)
    bad = tmp_path / "bad.csv"
    bad.write_bytes(b"award_id,specification\r\nX-\xe9,IMP-MC-MLH\r\n")
    out = tmp_path / "out"
    code, stdout, stderr = _export(str(good), str(bad), "-c", str(CATALOGUE), "-o", str(out))
    assert code == 2, stderr
    assert "not UTF-8" in stderr and str(bad) in stderr
    assert stdout == "" and not (out / "edc").exists()


def test_an_error_part_way_leaves_reports_that_agree_with_the_journal(
    env: None, tmp_path: Path, store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A failure nobody planned for (here the disk holding the awards goes away after 300 rows):
    the reports say what was done, and that the run was aborted."""
    real = pipeline_runner.iter_awards

    def failing(path: Path, catalogue: object, encoding: str | None = None,  # type: ignore[no-untyped-def]
                columns: object = None):
        for index, loaded in enumerate(real(path, catalogue, encoding, columns)):  # type: ignore[arg-type]
            if index == 300:
                raise OSError(5, "Input/output error")
            yield loaded

    awards = synthetic_awards(tmp_path / "awards.csv", 400)
    out = tmp_path / "out"
    monkeypatch.setattr(pipeline_runner, "iter_awards", failing)
    with pytest.raises(OSError):
        run([Job(CATALOGUE, (awards,))], RunOptions(out_dir=out, store_root=store.root, workers=1,
                                                    commit_every=50))
    summary = json.loads((out / "report.json").read_text("utf-8"))
    assert summary["aborted"] == "OSError: [Errno 5] Input/output error"
    assert summary["done"] == _journal_states(out)["done"]
    assert 250 < summary["done"] <= 300  # rows read into a batch not yet worked on are not done
    assert "stopped on an error" in (out / "report.html").read_text("utf-8")


def test_a_validated_run_redoes_what_was_exported_without_validation(env: None, tmp_path: Path) -> None:
    catalogue = tmp_path / "catalogue.yaml"  # no quality assurance: an Annex I error each
    catalogue.write_text("".join(line for line in CATALOGUE.read_text("utf-8").splitlines(keepends=True)
                                 if line.strip() != "quality_assurance: [qaa-review-2025]"), "utf-8")
    awards = FIXTURES / "imperial" / "awards.csv"
    out = str(tmp_path / "out")
    code, _, stderr = _export(str(awards), "-c", str(catalogue), "-o", out, "--no-validate")
    assert code == 0, stderr
    code, _, stderr = _export(str(awards), "-c", str(catalogue), "-o", out)
    assert code == 1
    assert " failed" in stderr and "0 failed" not in stderr and " 0 skipped" in stderr
    assert "annex1.missing" in stderr


def test_a_run_without_validation_skips_what_a_validated_run_did(env: None, tmp_path: Path) -> None:
    """A credential validated earlier is at least what --no-validate asks for: it is skipped,
    and stays validated for the next validated run (it was redone, and recorded unvalidated)."""
    awards = FIXTURES / "imperial" / "awards.csv"
    out = str(tmp_path / "out")
    assert _export(str(awards), "-c", str(CATALOGUE), "-o", out)[0] == 0
    code, stdout, stderr = _export(str(awards), "-c", str(CATALOGUE), "-o", out, "--no-validate")
    assert code == 0 and stdout == "" and "\n0 done, 9 skipped" in stderr, stderr
    code, stdout, stderr = _export(str(awards), "-c", str(CATALOGUE), "-o", out)
    assert code == 0 and stdout == "" and "\n0 done, 9 skipped" in stderr, stderr


def test_a_run_without_a_seal_skips_what_a_sealed_run_did(env: None, tmp_path: Path) -> None:
    """The plain credentials of a sealed run are those a run without the seal makes: they are
    skipped, and the records keep their sealed files (it made them all again, dropping those)."""
    demo_seal(tmp_path / "seal", load_catalogue(CATALOGUE))
    awards, out = FIXTURES / "imperial" / "awards.csv", str(tmp_path / "out")
    sealed = ("--seal", str(tmp_path / "seal" / "seal.p12"), "--password-file",
              str(tmp_path / "seal" / "seal-password.txt"))
    assert _export(str(awards), "-c", str(CATALOGUE), "-o", out, *sealed)[0] == 0
    code, stdout, stderr = _export(str(awards), "-c", str(CATALOGUE), "-o", out)
    assert code == 0 and stdout == "" and "\n0 done, 9 skipped" in stderr, stderr
    code, stdout, stderr = _export(str(awards), "-c", str(CATALOGUE), "-o", out, *sealed)
    assert code == 0 and stdout == "" and "\n0 done, 9 skipped" in stderr, stderr


def test_a_run_with_another_seal_seals_again(env: None, tmp_path: Path) -> None:
    catalogue = load_catalogue(CATALOGUE)
    first, second = demo_seal(tmp_path / "test-seal", catalogue), demo_seal(tmp_path / "live-seal", catalogue)
    awards = FIXTURES / "imperial" / "awards.csv"
    out = tmp_path / "out"

    def export(folder: str) -> tuple[int, str, str]:
        return _export(str(awards), "-c", str(CATALOGUE), "-o", str(out), "--seal",
                       str(tmp_path / folder / "seal.p12"), "--password-file",
                       str(tmp_path / folder / "seal-password.txt"))

    assert first.p12 != second.p12
    assert export("test-seal")[0] == 0
    code, stdout, stderr = export("test-seal")
    assert code == 0 and stdout == "" and "\n0 done, 9 skipped" in stderr
    code, stdout, stderr = export("live-seal")
    assert code == 0 and stdout, stderr
    assert "9 done, 0 skipped" in stderr
    anchor = (tmp_path / "live-seal" / "root-ca.pem").read_bytes()
    from cryptography import x509

    options = VerifyOptions(trust_anchors=tuple(x509.load_pem_x509_certificates(anchor)), require_trust=True)
    for sealed in (out / "edc-sealed").iterdir():
        assert verify_document(sealed.read_bytes(), options).checks["SEAL"].status == "OK", sealed


@pytest.mark.parametrize("workers", ["1", "2"])
def test_fail_fast_with_workers_stops_at_the_nth_failure(env: None, tmp_path: Path, workers: str) -> None:
    awards = synthetic_awards(tmp_path / "awards.csv", 400)
    with awards.open(encoding="utf-8") as source:
        rows = list(csv.DictReader(source))
    for row in rows[100:]:
        row["awarding_date"] = "bad"  # failures decided while reading, behind work in flight
    with awards.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    assert _fail_fast(awards, CATALOGUE, tmp_path / "out", workers, 3) == (100, 3)


def _fail_fast(awards: Path, catalogue: Path, out: Path, workers: str, limit: int) -> tuple[int, int]:
    """Done and failed records of an export with ``--fail-fast limit``."""
    code, _, stderr = _export(str(awards), "-c", str(catalogue), "-o", str(out), "-j", workers,
                              "--fail-fast", str(limit))
    assert code == 1, stderr
    summary = json.loads((out / "report.json").read_text("utf-8"))
    return summary["done"], summary["failed"]


def test_worker_errors_name_file_row_and_award(env: None, tmp_path: Path) -> None:
    catalogue = tmp_path / "catalogue.yaml"
    catalogue.write_text("".join(line for line in CATALOGUE.read_text("utf-8").splitlines(keepends=True)
                                 if line.strip() != "quality_assurance: [qaa-review-2025]"), "utf-8")
    awards = FIXTURES / "imperial" / "awards.csv"
    code, _, stderr = _export(str(awards), "-c", str(catalogue), "-o", str(tmp_path / "out"))
    assert code == 1
    lines = stderr.splitlines()
    notes = [line for line in lines if "annex1.missing" in line and line.startswith(f"{catalogue}:")]
    errors = [line for line in lines if "annex1.missing" in line and line not in notes]
    assert errors and all(line.startswith(f"{awards}:") and ": award 'IMP-" in line for line in errors)
    assert len(notes) == len({line.split(": ")[1] for line in notes})  # once per specification
    assert "fix: set quality_assurance of specification IMP-MC-" in stderr
    assert "the credential states it as hasClaim.specifiedBy.accreditation (a mandatory element of " \
        "Council Recommendation 2022/C 243/02, Annex I)" in stderr


def test_html_counts_every_failure_not_listed(env: None, tmp_path: Path) -> None:
    awards = synthetic_awards(tmp_path / "awards.csv", 250)
    with awards.open(encoding="utf-8") as source:
        rows = list(csv.DictReader(source))
    for row in rows:
        row["awarding_date"] = "bad"
    with awards.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=[*rows[0], "unexpected"])  # a file error too
        writer.writeheader()
        writer.writerows(rows)
    out = tmp_path / "out"
    _export(str(awards), "-c", str(CATALOGUE), "-o", str(out), "-q")
    summary = json.loads((out / "report.json").read_text("utf-8"))
    assert (summary["failed"], summary["file_errors"]) == (250, 1)
    assert "51 more failures" in (out / "report.html").read_text("utf-8")


def _audit_verify(out: Path, *extra: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["audit", "verify", str(out), *extra])
    return result.exit_code, result.stderr


def _cut(out: Path, sql: str) -> None:
    with sqlite3.connect(out / JOURNAL_NAME, isolation_level=None) as db:
        db.execute("DROP TRIGGER IF EXISTS audit_no_delete")
        db.execute(sql)


def test_audit_verify_finds_events_cut_off_the_end(env: None, tmp_path: Path) -> None:
    out = tmp_path / "out"
    code, _, stderr = _export(str(FIXTURES / "imperial" / "awards.csv"), "-c", str(CATALOGUE), "-o", str(out))
    assert code == 0
    head = stderr.split("audit head ")[1].split()[0]
    code, said = _audit_verify(out, "--head", head)
    assert code == 0 and f"intact: 9 events, head {head}" in said
    _cut(out, "DELETE FROM audit WHERE seq = (SELECT max(seq) FROM audit)")
    code, said = _audit_verify(out)
    assert code == 1
    assert "event 9 noted as" in said and "gone (events removed)" in said  # the head in report.json
    assert "has no issued event" in said  # and the record without its event
    (out / "report.json").unlink()  # the report goes too: the records still tell
    code, said = _audit_verify(out)
    assert code == 1 and "has no issued event" in said
    # the record goes as well: only the head noted outside the folder can tell
    _cut(out, "DELETE FROM records WHERE key NOT IN (SELECT key FROM audit)")
    assert _audit_verify(out)[0] == 0
    code, said = _audit_verify(out, "--head", head)
    assert code == 1 and "gone (events removed)" in said


def test_audit_verify_finds_an_event_of_no_record_appended_with_its_hash(env: None, tmp_path: Path) -> None:
    from edcbridge.pipeline.journal import audit_hash

    out = tmp_path / "out"
    code, _, stderr = _export(str(FIXTURES / "imperial" / "awards.csv"), "-c", str(CATALOGUE), "-o", str(out))
    assert code == 0, stderr
    with sqlite3.connect(out / JOURNAL_NAME, isolation_level=None) as db:
        seq, prev = db.execute("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1").fetchone()
        event = {"time": "2026-01-01T00:00:00Z", "actor": "someone@host", "action": "issued",
                 "key": "imperial/FORGED-1", "input_hash": "0" * 64, "output_hash": "1" * 64}
        db.execute("INSERT INTO audit (seq, time, actor, action, key, input_hash, output_hash, prev, hash) "
                   "VALUES (:seq, :time, :actor, :action, :key, :input_hash, :output_hash, :prev, :hash)",
                   {**event, "seq": seq + 1, "prev": prev, "hash": audit_hash(prev, event)})
    code, said = _audit_verify(out)
    assert code == 1
    assert f"event {seq + 1} (issued imperial/FORGED-1): no such record in the journal" in said


def test_audit_head_must_be_well_formed(env: None, tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    result = CliRunner().invoke(main, ["audit", "verify", str(out), "--head", "nine:abc"])
    assert result.exit_code == 2 and "expected EVENT:SHA256" in result.stderr


def test_a_done_award_that_no_longer_loads_is_failed_in_the_journal(env: None, tmp_path: Path) -> None:
    awards = synthetic_awards(tmp_path / "awards.csv", 4)
    out = tmp_path / "out"
    assert _export(str(awards), "-c", str(CATALOGUE), "-o", str(out), "-j", "1")[0] == 0
    with awards.open(encoding="utf-8") as source:
        rows = list(csv.DictReader(source))
    rows[2]["awarding_date"] = "2025-07-99"
    with awards.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    code, _, stderr = _export(str(awards), "-c", str(CATALOGUE), "-o", str(out), "-j", "1")
    assert code == 1
    assert "this award was exported before; its record is now failed" in stderr
    assert _journal_states(out) == {"done": 3, "failed": 1}
    assert (out / "edc").is_dir() and len(list((out / "edc").iterdir())) == 4  # kept, and said so


def _write_rows(path: Path, rows: list[dict[str, str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig") as source:
        return list(csv.DictReader(source))


def test_a_duplicate_row_leaves_the_done_award_alone(env: None, tmp_path: Path) -> None:
    awards = synthetic_awards(tmp_path / "awards.csv", 3)
    out = tmp_path / "out"
    assert _export(str(awards), "-c", str(CATALOGUE), "-o", str(out), "-j", "1")[0] == 0
    rows = _rows(awards)
    _write_rows(awards, [*rows, dict(rows[1])])  # row 5 repeats row 3
    for _ in range(2):  # and stays so: no run marks it failed, none redoes it
        code, stdout, stderr = _export(str(awards), "-c", str(CATALOGUE), "-o", str(out), "-j", "1")
        assert code == 1 and stdout == "" and "duplicate of row 3" in stderr
        assert "exported before" not in stderr
        assert _journal_states(out) == {"done": 3}


def test_a_row_of_another_issuer_leaves_the_catalogue_issuers_award_alone(env: None, tmp_path: Path) -> None:
    awards = synthetic_awards(tmp_path / "awards.csv", 2)
    out = tmp_path / "out"
    assert _export(str(awards), "-c", str(CATALOGUE), "-o", str(out), "-j", "1")[0] == 0
    rows = _rows(awards)
    other = [{**row, "issuer": "qaa-review-2025", "awarding_date": "2025-07-99"} for row in rows[:1]]
    elsewhere = tmp_path / "other.csv"
    _write_rows(elsewhere, other)
    code, _, stderr = _export(str(elsewhere), "-c", str(CATALOGUE), "-o", str(out), "-j", "1")
    assert code == 1 and "exported before" not in stderr
    assert _journal_states(out) == {"done": 2}


def test_a_late_bad_byte_fails_its_row_and_the_rows_around_it_are_exported(env: None,
                                                                          tmp_path: Path) -> None:
    broken = _bad_byte_after(tmp_path / "broken.csv", 800)
    out = tmp_path / "out"
    code, _, stderr = _export(str(broken), "-c", str(CATALOGUE), "-o", str(out), "-j", "2")
    assert code == 1
    # the header is row 1: the 801st award
    assert f"{broken}:802: award 'SYN-00800': column 'specification'" in stderr
    summary = json.loads((out / "report.json").read_text("utf-8"))
    assert (summary["done"], summary["failed"], summary["file_errors"]) == (804, 1, 0)


def test_a_workbook_damaged_part_way_is_a_file_error(env: None, tmp_path: Path) -> None:
    import zipfile

    from openpyxl import Workbook

    rows = _rows(synthetic_awards(tmp_path / "rows.csv", 600))
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "awards"
    sheet.append(list(rows[0]))
    for row in rows:
        sheet.append(list(row.values()))
    whole = tmp_path / "whole.xlsx"
    book.save(whole)
    damaged = tmp_path / "damaged.xlsx"
    with zipfile.ZipFile(whole) as source, zipfile.ZipFile(damaged, "w") as target:
        for item in source.infolist():
            data = source.read(item)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = data[: len(data) * 2 // 3]  # cut two-thirds in
            target.writestr(item, data)
    after = synthetic_awards(tmp_path / "after.csv", 2)
    after.write_text(after.read_text("utf-8").replace("SYN-", "AFTER-"), "utf-8")
    out = tmp_path / "out"
    code, stdout, stderr = _export(str(damaged), str(after), "-c", str(CATALOGUE), "-o", str(out))
    assert code == 1, stderr
    assert "the workbook is damaged after row" in stderr
    summary = json.loads((out / "report.json").read_text("utf-8"))
    assert summary["file_errors"] == 1 and summary["aborted"] is None
    assert summary["done"] == _journal_states(out)["done"] > 300
    assert "AFTER-00001" in stdout


def test_a_failing_progress_callback_leaves_complete_reports(env: None, tmp_path: Path, store) -> None:
    awards = synthetic_awards(tmp_path / "awards.csv", 300)
    out = tmp_path / "out"
    calls = []

    def progress(outcome: object, status: str) -> None:
        calls.append(status)
        if len(calls) == 2:
            raise BrokenPipeError(32, "Broken pipe")

    with pytest.raises(BrokenPipeError):
        run([Job(CATALOGUE, (awards,))], RunOptions(out_dir=out, store_root=store.root, workers=1,
                                                    commit_every=100, commit_seconds=3600), progress)
    report = json.loads((out / "report.json").read_text("utf-8"))
    # one worker commits what waits before it starts the next batch of 32
    assert len(report["records"]) == report["done"] == _journal_states(out)["done"] >= 32
    assert report["aborted"].startswith("BrokenPipeError")


def test_an_interrupt_inside_a_journal_record_keeps_record_and_events_together(tmp_path: Path) -> None:
    from edcbridge.pipeline.journal import Journal, verify_audit

    journal = Journal(tmp_path / JOURNAL_NAME)
    journal.record("org/A", "i1", "done", None, {"edc": {"path": "a", "sha256": "x"}}, None, ["issued"])
    real = journal._events

    def interrupted(*args: object) -> None:  # once the record is staged, before its events
        raise KeyboardInterrupt

    journal._events = interrupted  # type: ignore[method-assign,assignment]
    with pytest.raises(KeyboardInterrupt):
        journal.record("org/B", "i2", "done", None, {"edc": {"path": "b", "sha256": "y"}}, None, ["issued"])
    journal._events = real  # type: ignore[method-assign]
    journal.record("org/C", "i3", "done", None, {"edc": {"path": "c", "sha256": "z"}}, None, ["issued"])
    journal.close()
    check = verify_audit(tmp_path / JOURNAL_NAME)
    assert check.intact, check.problems
    assert check.events == 2
    assert _journal_states(tmp_path) == {"done": 2}


@pytest.mark.parametrize("workers", ["1", "2"])
def test_fail_fast_counts_worker_and_load_failures_alike(env: None, tmp_path: Path, workers: str) -> None:
    catalogue = tmp_path / "catalogue.yaml"
    lines = CATALOGUE.read_text("utf-8").splitlines(keepends=True)
    qa = [i for i, line in enumerate(lines) if line.strip() == "quality_assurance: [qaa-review-2025]"]
    del lines[qa[0]]  # the first specification fails validation, in the workers
    catalogue.write_text("".join(lines), "utf-8")
    rows = _rows(synthetic_awards(tmp_path / "rows.csv", 60))
    first_spec = next(r["specification"] for r in rows)
    good = [r for r in rows if r["specification"] != first_spec]
    bad = [r for r in rows if r["specification"] == first_spec]
    late = [{**good[-1], "award_id": "LOAD-FAIL", "awarding_date": "bad"}]
    awards = tmp_path / "awards.csv"
    _write_rows(awards, [*good[:20], *bad[:2], *late, *good[20:30]])
    assert _fail_fast(awards, catalogue, tmp_path / "out", workers, 2) == (20, 2)


def test_a_seal_identity_ignores_what_does_not_change_the_seal(tmp_path: Path) -> None:
    from edcbridge.sealing import SealFactory

    seal = demo_seal(tmp_path / "seal", load_catalogue(CATALOGUE))
    plain = SealFactory(seal.p12, seal.password)
    assert plain.identity() == SealFactory(seal.p12, seal.password, level="B-B").identity()
    assert plain.identity() == SealFactory(seal.p12, seal.password, "B-B", "http://tsa.example/").identity()
    timed = SealFactory(seal.p12, seal.password, tsa_url="http://tsa.example/")
    assert timed.identity() == SealFactory(seal.p12, seal.password, "B-T", "http://tsa.example").identity()
    assert timed.identity() != plain.identity()


def test_every_catalogue_hint_names_an_annex_i_element() -> None:
    from edcbridge.pipeline.catalogue_gaps import _CATALOGUE_FIELDS
    from edcbridge.validation.annex1 import ELEMENTS

    assert set(_CATALOGUE_FIELDS) <= {where for _, _, where, _ in ELEMENTS}


def test_an_interrupt_inside_a_delivery_outcome_keeps_state_and_event_together(tmp_path: Path) -> None:
    """A delivery is "delivered" with its audit event, or neither: a Ctrl-C between the two
    must not leave a delivered credential the audit trail never mentions."""
    from edcbridge.pipeline.journal import Journal

    journal = Journal(tmp_path / JOURNAL_NAME)
    journal.record("org/A", "i1", "done", None, {"edc-sealed": {"path": "a", "sha256": "x"}}, None,
                   ["issued"])
    journal.queue_delivery("org/A", "wallet", "a@example.org", "a", "x")
    journal.commit()
    (item,) = journal.pending_deliveries("wallet")

    def interrupted(*args: object) -> None:
        raise KeyboardInterrupt

    journal._audit = interrupted  # type: ignore[method-assign]
    with pytest.raises(KeyboardInterrupt):
        journal.delivery_outcome(item, "wallet", "delivered", "u-1", None, frozenset({"v"}), "v")
    journal.commit()  # what the run does on its way out
    journal.close()
    with sqlite3.connect(tmp_path / JOURNAL_NAME) as db:
        (state,) = db.execute("SELECT state FROM deliveries WHERE key = 'org/A'").fetchone()
    assert state == "pending"  # not delivered without its event: the next run delivers it


def _report_paths(out: Path) -> list[str]:
    records = json.loads((out / "report.json").read_text("utf-8"))["records"]
    return [path for record in records for path in record["outputs"].values()]


def test_a_re_run_from_another_working_directory_skips_what_is_done(
        env: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    awards = synthetic_awards(tmp_path / "awards.csv", 5)
    (tmp_path / "elsewhere").mkdir()
    monkeypatch.chdir(tmp_path)
    code, _, stderr = _export(str(awards), "-c", str(CATALOGUE), "-o", "out")
    assert code == 0, stderr
    monkeypatch.chdir(tmp_path / "elsewhere")
    for spelling in (str(tmp_path / "out"), "../out"):
        code, _, stderr = _export(str(awards), "-c", str(CATALOGUE), "-o", spelling)
        assert code == 0 and "5 skipped" in stderr, stderr
        paths = _report_paths(tmp_path / "out")
        assert len(paths) == 5 and all(p.startswith(spelling) and Path(p).is_file() for p in paths)


def test_a_copied_output_folder_names_its_own_files(env: None, tmp_path: Path) -> None:
    import shutil

    awards = synthetic_awards(tmp_path / "awards.csv", 3)
    code, _, stderr = _export(str(awards), "-c", str(CATALOGUE), "-o", str(tmp_path / "out"))
    assert code == 0, stderr
    shutil.copytree(tmp_path / "out", tmp_path / "copy")  # times kept: the files are as written
    code, _, stderr = _export(str(awards), "-c", str(CATALOGUE), "-o", str(tmp_path / "copy"))
    assert code == 0 and "3 skipped" in stderr, stderr
    paths = _report_paths(tmp_path / "copy")
    assert len(paths) == 3 and all(Path(p).parent.parent == tmp_path / "copy" for p in paths), paths


def test_a_row_done_earlier_breaks_a_run_of_failures_as_its_success_did(env: None, tmp_path: Path) -> None:
    awards = synthetic_awards(tmp_path / "awards.csv", 7)
    lines = awards.read_text("utf-8").splitlines(keepends=True)
    for row in (2, 3, 5, 6, 7):  # good, F, F, good, F, F, F
        lines[row] = lines[row].replace(",IMP-MC-", ",NOPE-MC-")
    awards.write_text("".join(lines), "utf-8")
    out = tmp_path / "out"
    assert _fail_fast(awards, CATALOGUE, out, "1", 3) == (2, 5)
    code, _, stderr = _export(str(awards), "-c", str(CATALOGUE), "-o", str(out), "-j", "1",
                              "--fail-fast", "3")
    assert code == 1 and "stopped after" not in stderr, stderr  # its third failure the last row
    summary = json.loads((out / "report.json").read_text("utf-8"))
    assert (summary["skipped"], summary["failed"], summary["stopped_early"]) == (2, 5, False)


def test_a_resumed_run_of_rows_failing_one_in_two_goes_on_to_the_end(env: None, tmp_path: Path) -> None:
    """Stopped part way (here: a first run over the start of the file), the run is resumed with
    the same --fail-fast: its failures are no more consecutive than they were, and every row
    left is exported, on the first re-run as on any later one."""
    awards = synthetic_awards(tmp_path / "awards.csv", 12)
    lines = awards.read_text("utf-8").splitlines(keepends=True)
    for row in range(2, 13, 2):  # good, F, good, F...
        lines[row] = lines[row].replace(",IMP-", ",NOPE-", 1)
    awards.write_text("".join(lines[:7]), "utf-8")
    out = tmp_path / "out"
    assert _fail_fast(awards, CATALOGUE, out, "1", 2) == (3, 3)
    awards.write_text("".join(lines), "utf-8")
    for _ in range(2):
        code, _, stderr = _export(str(awards), "-c", str(CATALOGUE), "-o", str(out), "-j", "1",
                                  "--fail-fast", "2")
        assert code == 1 and "stopped after" not in stderr, stderr
        summary = json.loads((out / "report.json").read_text("utf-8"))
        assert summary["stopped_early"] is False and summary["failed"] == 6
        assert summary["done"] + summary["skipped"] == 6  # every good row, on each re-run


def _catalogue_copy(path: Path, edit: Callable[[str], str]) -> Path:
    path.write_text(edit(CATALOGUE.read_text("utf-8")), "utf-8")
    return path


def _done_by_specification(stdout: str, awards: Path) -> dict[str, int]:
    """How many of the files this run wrote belong to awards of each specification."""
    with awards.open(encoding="utf-8") as handle:
        spec_of = {row["award_id"]: row["specification"] for row in csv.DictReader(handle)}
    counts: dict[str, int] = {}
    for line in stdout.splitlines():
        award_id = Path(line).stem.split("_", 1)[1]
        counts[spec_of[award_id]] = counts.get(spec_of[award_id], 0) + 1
    return counts


def test_a_catalogue_change_redoes_only_the_awards_made_from_it(env: None, tmp_path: Path) -> None:
    """A course added, or the file reformatted, redoes (and reseals) nothing; a course changed
    redoes its own awards and those of the courses it is a part or a whole of."""
    awards = synthetic_awards(tmp_path / "awards.csv", 12)
    out = str(tmp_path / "out")
    catalogue = _catalogue_copy(tmp_path / "catalogue.yaml", lambda text: text)
    code, stdout, _ = _export(str(awards), "-c", str(catalogue), "-o", out, "--format", "edc")
    assert code == 0 and len(stdout.splitlines()) == 12
    specs = {spec.code: spec for spec in load_catalogue(catalogue).specifications}
    added = CATALOGUE.read_text("utf-8").split("  - code: IMP-MC-CRA")[1].split("  - code:")[0]
    added = added.replace("    part_of: [IMP-PGCERT-DSH]\n", "")
    _catalogue_copy(catalogue, lambda text: "# reformatted, with a course added\n" + text.rstrip("\n")
                    + "\n  - code: IMP-MC-NEW" + added.rstrip("\n") + "\n")
    assert "IMP-MC-NEW" in {s.code for s in load_catalogue(catalogue).specifications}
    code, stdout, stderr = _export(str(awards), "-c", str(catalogue), "-o", out, "--format", "edc")
    assert code == 0 and stdout == "", stderr
    title = specs["IMP-MC-MLH"].title["en"]
    _catalogue_copy(catalogue, lambda text: text.replace(f"en: {title}", f"en: {title} (revised)", 1))
    assert load_catalogue(catalogue).specifications[0].title["en"] == f"{title} (revised)"
    code, stdout, stderr = _export(str(awards), "-c", str(catalogue), "-o", out, "--format", "edc")
    assert code == 0, stderr
    redone = _done_by_specification(stdout, awards)
    with awards.open(encoding="utf-8") as handle:
        used = {row["specification"] for row in csv.DictReader(handle)}
    neighbours = {"IMP-MC-MLH", *specs["IMP-MC-MLH"].part_of}  # its whole lists it as a part
    assert set(redone) == neighbours & used, redone
    assert set(redone) < used  # the other courses' awards were left as they were


def test_a_file_unreadable_part_way_has_no_row_in_the_reports(env: None, tmp_path: Path) -> None:
    broken = _unreadable_after(tmp_path / "broken.csv", 800)  # past what is checked before the run
    out = tmp_path / "out"
    assert _export(str(broken), "-c", str(CATALOGUE), "-o", str(out), "-j", "2")[0] == 1
    with (out / "report.csv").open(encoding="utf-8-sig", newline="") as handle:
        (error,) = [row for row in csv.DictReader(handle) if row["status"] == "file-error"]
    assert error["file"] == str(broken) and error["row"] == ""
    records = json.loads((out / "report.json").read_text("utf-8"))["records"]
    assert [r["row"] for r in records if r["status"] == "file-error"] == [None]


def test_a_run_aborted_part_way_names_its_audit_head_as_every_other_ending_does(
    env: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The head lets `audit verify --head` find events removed later; an aborted run wrote
    events too, and its report.json holds the head."""
    real = pipeline_runner.iter_awards

    def failing(path: Path, catalogue: object, encoding: str | None = None,  # type: ignore[no-untyped-def]
                columns: object = None):
        for index, loaded in enumerate(real(path, catalogue, encoding, columns)):  # type: ignore[arg-type]
            if index == 300:
                raise OSError(5, "Input/output error")
            yield loaded

    awards = synthetic_awards(tmp_path / "awards.csv", 400)
    out = tmp_path / "out"
    monkeypatch.setattr(pipeline_runner, "iter_awards", failing)
    code, _, stderr = _export(str(awards), "-c", str(CATALOGUE), "-o", str(out), "-j", "1", "-q")
    head = json.loads((out / "report.json").read_text("utf-8"))["audit_head"]
    assert code == 1 and head
    (said,) = stderr.splitlines()
    assert said.startswith("aborted: [Errno 5] Input/output error")
    assert f"(audit head {head}: note it" in said  # before: not said


def test_a_folder_put_where_a_credential_was_is_named_in_the_way(env: None, tmp_path: Path) -> None:
    """The credential cannot be written while a folder holds its name: the fix says to move that
    folder (not to free the disk), and no earlier version is said to be kept, as none is."""
    awards = synthetic_awards(tmp_path / "awards.csv", 3)
    out = tmp_path / "out"
    args = (str(awards), "-c", str(CATALOGUE), "-o", str(out), "-j", "1")
    assert _export(*args)[0] == 0
    (target,) = [path for path in (out / "edc").iterdir() if "SYN-00001" in path.name]
    target.unlink()
    target.mkdir()
    code, _, stderr = _export(*args)
    assert code == 1, stderr
    with (out / "report.csv").open(encoding="utf-8-sig", newline="") as handle:
        (row,) = [row for row in csv.DictReader(handle) if row["award_id"] == "SYN-00001"]
    assert row["status"] == "failed" and f"move the folder {target.name} out of" in row["errors"], row
    assert "make room" not in row["errors"] and "is kept" not in row["errors"], row


def test_a_record_that_cannot_write_all_its_formats_leaves_none_of_them(env: None, tmp_path: Path) -> None:
    """The JSON-LD written, the EBSI profile not: the record failed, and the journal names no file
    of it, so a JSON-LD left would be a credential of the folder no report, run or ``withdraw``
    knows of (nor, once its award leaves the input, names)."""
    awards = synthetic_awards(tmp_path / "awards.csv", 3)
    out = tmp_path / "out"
    (out / "ebsi" / "imperial_SYN-00001.json").mkdir(parents=True)
    code, _, stderr = _export(str(awards), "-c", str(CATALOGUE), "-o", str(out), "-j", "1",
                              "--format", "edc", "--format", "ebsi")
    assert code == 1, stderr
    assert sorted(path.name for path in (out / "edc").iterdir()) == \
        ["imperial_SYN-00000.jsonld", "imperial_SYN-00002.jsonld"]
    with (out / "report.csv").open(encoding="utf-8-sig", newline="") as handle:
        (row,) = [row for row in csv.DictReader(handle) if row["award_id"] == "SYN-00001"]
    assert row["status"] == "failed" and row["outputs"] == "", row


def test_a_changed_record_that_cannot_write_all_its_formats_keeps_its_earlier_files_as_they_were(
        env: None, tmp_path: Path) -> None:
    """The row changed, its JSON-LD written again, its EBSI profile not: the record fails and says
    its files of before are kept, so the JSON-LD holds the earlier version, as the journal has it,
    not the new grade of a record that failed."""
    awards = synthetic_awards(tmp_path / "awards.csv", 2)
    out = tmp_path / "out"
    args = (str(awards), "-c", str(CATALOGUE), "-o", str(out), "-j", "1", "--format", "edc",
            "--format", "ebsi")
    assert _export(*args)[0] == 0
    plain = out / "edc" / "imperial_SYN-00001.jsonld"
    before, written = plain.read_bytes(), plain.stat().st_mtime_ns
    text = awards.read_text("utf-8")
    (row,) = [line for line in text.splitlines() if line.startswith("SYN-00001,")]
    awards.write_text(text.replace(row, row.replace(",Merit,", ",MALLORY,")), "utf-8")
    profile = out / "ebsi" / "imperial_SYN-00001.json"
    profile.unlink()
    profile.mkdir()
    code, _, stderr = _export(*args)
    assert code == 1, stderr
    assert "what was written then is kept, in its earlier version" in stderr, stderr
    assert plain.read_bytes() == before and plain.stat().st_mtime_ns == written
    verdict = CliRunner().invoke(main, ["audit", "verify", str(out)])
    assert verdict.exit_code == 0, verdict.output


@pytest.mark.parametrize(("first", "then"), [("NFC", "NFD"), ("NFD", "NFC")])
def test_an_award_id_in_the_other_normal_form_is_the_award_exported_before(env: None, tmp_path: Path,
                                                                         first: str, then: str) -> None:
    """An id with an accent, typed as one character in one export and as a letter and a
    combining accent in the next (another system, a Mac): the same award, skipped as done,
    rather than a second credential beside the first, said to be for an award not in the input."""
    import unicodedata

    lines = CATALOGUE.with_name("awards.csv").read_text("utf-8-sig").splitlines(keepends=True)
    awards, out = tmp_path / "awards.csv", tmp_path / "out"
    for form in (first, then):
        row = lines[1].replace("IMP-2025-000101", unicodedata.normalize(form, "IMP-2025-É01"))
        awards.write_text(lines[0] + row, "utf-8")
        code, _, stderr = _export(str(awards), "-c", str(CATALOGUE), "-o", str(out), "-j", "1")
        assert code == 0, stderr
    assert "1 skipped" in stderr and "not in this run's input" not in stderr, stderr
    assert len(list((out / "edc").iterdir())) == 1


def test_a_record_made_again_that_cannot_write_all_its_formats_keeps_the_times_of_files_it_wrote_alike(
        env: None, tmp_path: Path) -> None:
    """A format added, the one added cannot be written: the files written again with the bytes
    they had get their modification time back too, as the journal holds it, so the next run does
    not take them for files changed by hand."""
    awards = synthetic_awards(tmp_path / "awards.csv", 2)
    out = tmp_path / "out"
    args = (str(awards), "-c", str(CATALOGUE), "-o", str(out), "-j", "1", "--format", "edc")
    assert _export(*args)[0] == 0
    plain = out / "edc" / "imperial_SYN-00001.jsonld"
    before, written = plain.read_bytes(), plain.stat().st_mtime_ns
    (out / "ebsi" / "imperial_SYN-00001.json").mkdir(parents=True)
    code, _, stderr = _export(*args, "--format", "ebsi")
    assert code == 1, stderr
    assert "what was written then is kept, in its earlier version" in stderr, stderr
    assert plain.read_bytes() == before and plain.stat().st_mtime_ns == written
