"""Plan, then apply: deliver items once, re-runnable, with a result per item.

``plan`` decides from the local state alone (no request): *create* what was never delivered,
*update* what changed since, *skip* what is unchanged, *refuse* what fails local validation.
A dry run stops there. ``apply`` then works item by item:

* DEQAR: check first by local identifier (GET, safe to retry); PUT (full replacement) when the
  register has the report, POST when it does not; a duplicate answer to the POST (another run
  won the race) turns into a PUT. Each delivery is logged in the state as it happens, so a run
  killed halfway resumes where it stopped and nothing is created twice. Each outcome carries the
  action taken, not the one planned: a planned create that the register already has is an update.
  The register's copy the check returns names what the update (a full replacement) drops
  (:mod:`deqar_drops`); ``refuse_drops`` does not send such an update. A dry run with a client
  reads that copy for each planned update too (:func:`compare_updates`).
* DEQAR, a report withdrawn (``delete_reports``): found by local identifier, its deletion is
  requested once (:mod:`deqar_delete`); one the register does not have is skipped.
* Wallet: deposit; ``409 CR-0001`` (the same credential id is in the wallet) counts as delivered.
  Each credential is read again just before its deposit (:mod:`sealed_file`): one at a time is held.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from edcbridge.deliver.deqar_client import CsvRowResult, DeqarClient, FieldError, SubmitResult
from edcbridge.deliver.deqar_csv import not_in_csv, uploads
from edcbridge.deliver.deqar_delete import is_deletion, request_deletion, still_pending, withdrawn_as
from edcbridge.deliver.deqar_drops import drop_refusal, drop_warning, dropped_fields, planned_drops
from edcbridge.deliver.deqar_map import to_csv
from edcbridge.deliver.deqar_rules import explain
from edcbridge.deliver.errors import (
    DeliveryAuthError,
    DeliveryConfigError,
    DeliveryError,
    DeliveryHTTPError,
    DeliveryThrottledError,
    LocalValidationError,
)
from edcbridge.deliver.manifest_rows import ManifestRows
from edcbridge.deliver.results import Action, Outcome
from edcbridge.deliver.sealed_file import FileChanged, plan_file, read_planned
from edcbridge.deliver.silence import PENDING, Stop, wallet_refused, wallet_silent, wallet_stop
from edcbridge.deliver.state import State, digest
from edcbridge.deliver.wallet_client import WalletClient
from edcbridge.model.fields import is_email, is_locale

LOG = logging.getLogger("edcbridge.deliver")
Progress = Callable[[Outcome], None]


@dataclass(frozen=True)
class Item:
    """One thing to deliver: its key (idempotency key), content (a DEQAR payload; for a wallet,
    the :class:`SealedFile` read again when it is sent) and local problems."""

    key: str
    content: Any
    digest: str
    problems: tuple[tuple[str, str], ...] = ()
    options: dict[str, Any] = field(default_factory=dict)


class PushInterrupted(Exception):
    """Ctrl-C during a push: the outcomes so far, the item in flight and the rest not sent."""

    def __init__(self, outcomes: list[Outcome]) -> None:
        super().__init__("interrupted")
        self.outcomes = outcomes


NOT_SENT_INTERRUPTED = "not sent: the run was interrupted"
RESUME_CHECKED = "the same command checks the target first and finishes it"
RESUME_DEPOSIT = ("the wallet may hold it: the same command sends it again, and the wallet's "
                  "CR-0001 (already there) then counts it delivered")


def interrupted(done: list[Outcome], planned: list[Outcome], sending: str | None,
                resume: str = RESUME_CHECKED) -> PushInterrupted:
    """What to report when Ctrl-C stops a push after ``done``, while ``sending`` (a key) was
    being sent, if any: the state file already holds every delivery confirmed, so the same
    command finishes the rest without duplicates (``resume`` says how, for the one in flight).
    Those not reached are left as any stopped run leaves them (:func:`not_attempted`)."""
    out = list(done)
    for step in planned[len(done):]:
        if step.action == "refuse":
            out.append(step)
        elif step.action == "skip":
            out.append(Outcome(step.key, "skip", "skipped", step.target_id, step.detail))
        elif step.key == sending:
            out.append(Outcome(step.key, step.action, "failed",
                               message=f"interrupted (Ctrl-C) while it was being sent: {resume}"))
        else:
            out.append(not_attempted(step, NOT_SENT_INTERRUPTED))
    return PushInterrupted(out)


def plan(items: list[Item], state: State) -> list[Outcome]:
    """What a run would do, from the state file only (sends nothing)."""
    out = []
    for item in items:
        known = state.get(item.key)
        action: Action
        if item.problems:
            message = "; ".join(f"{p}: {m}" if p else m for p, m in item.problems)
            out.append(Outcome(item.key, "refuse", "failed", message=message))
            continue
        if is_deletion(item.content):
            done = known is not None and known.get("digest") == item.digest
            action, detail = ("skip", "deletion already requested") if done else ("delete", "withdrawn: "
                             "its deletion is requested (the report is looked up by local identifier)")
        elif known is None:
            action, detail = "create", _not_delivered_yet(state, item.key)
        elif withdrawn_as(state, item.key):  # that report is (or will be) gone: no update of it
            action, detail = "create", (f"put back after the deletion of report {known.get('target_id')} "
                                        "was requested: submitted anew (the register is checked first)")
            known = None
        elif known.get("digest") != item.digest:
            action, detail = "update", "changed since the last delivery"
        else:
            action, detail = "skip", "unchanged since the last delivery"
        out.append(
            Outcome(
                item.key, action, "planned", str(known.get("target_id") or "") if known else "", detail=detail
            )
        )
    return out


def _not_delivered_yet(state: State, key: str) -> str:
    elsewhere = state.elsewhere(key)
    if not elsewhere:
        return "not delivered by this state file yet (the target is checked first)"
    return (f"delivered to {', '.join(elsewhere)} only, not yet to {state.endpoint or 'this target'} "
            "(the target is checked first)")


# ----------------------------------------------------------------------------------------- DEQAR


def unknown_institutions(client: DeqarClient, payload: dict[str, Any], known: dict[str, bool]) -> list[str]:
    """Paths of institutions whose ETER id DEQAR does not know (looked up once per run)."""
    paths = []
    for group in ("institutions", "platforms"):
        for index, ref in enumerate(payload.get(group) or []):
            eter = ref.get("eter_id") if isinstance(ref, dict) else None
            if isinstance(eter, str) and not ref.get("deqar_id"):
                if eter not in known:
                    known[eter] = client.provider_by_eter(eter) is not None
                if not known[eter]:
                    paths.append(f"{group}[{index}]")
    return paths


def _local_identifier_gone(local_identifier: str, report_id: str) -> str:
    return (
        f"local_identifier {local_identifier!r}: the state file records it as DEQAR report {report_id}, "
        "but the register has no report with this local identifier any more (an update without it "
        "removed it, or the report was deleted); not sent, as a create would make a second report. "
        f"Check report {report_id} in DEQAR: to submit the report anew, remove {local_identifier!r} "
        "from the state file and run the same command again"
    )


def _unknown_eter(payload: dict[str, Any], path: str) -> str:
    group, index = path.rstrip("]").split("[")
    eter = payload[group][int(index)]["eter_id"]
    return (
        f"Please provide valid ETER ID. (eter_id {eter!r} is not known to DEQAR); check the ETER id, "
        "or give the institution's deqar_id (DEQARINST...) instead: DEQAR takes only institutions it has"
    )


HIGH_FLAG = ("a report with a high-level flag is left out of DEQAR's export to Europass until EQAR "
             "clears it: fix what DEQAR names in the batch and run the same command again")


def stored_message(flag: str | None, warnings: tuple[str, ...]) -> str:
    """What the register said of a report it stored: its warnings and, when raised, its flag
    (a flag is no refusal: the report is stored, and sending it again changes nothing)."""
    said = "; ".join(warnings)
    if flag in (None, "", "none"):
        return said
    text = f"stored with a {flag} flag by DEQAR" + (f" ({said})" if said else "")
    return f"{text}; {HIGH_FLAG}" if flag == "high level" else text


def _put_back(report_id: str, warnings: tuple[str, ...]) -> str:
    """What the register said of a report updated while its deletion awaits EQAR: its high-level
    flag is the deletion request's, which no fix in the batch clears."""
    return "; ".join(filter(None, [still_pending(report_id), stored_message(None, warnings)]))


def register_message(payload: dict[str, Any], errors: tuple[FieldError, ...]) -> str:
    """The register's errors on ``payload``, each with the value it refused and the fix."""
    explained = explain(payload, [(e.path, e.message) for e in errors])
    return "; ".join(f"{path}: {message}" if path else message for path, message in explained)


@dataclass(frozen=True)
class Delivery:
    """What delivering one report did: the ``action`` taken (which can differ from the plan: a
    planned create is an update when the register already has the report), its answer, and how."""

    action: Action
    result: SubmitResult
    detail: str
    dropped: tuple[str, ...] = ()  # what the register held that the update replaced with nothing


class UpdateRefused(DeliveryError):
    """``--refuse-drops``: the update would drop what the register holds; nothing was sent."""

    def __init__(self, report_id: str, found: list[str]) -> None:
        super().__init__(drop_refusal(found))
        self.report_id = report_id


def deliver_report(
    client: DeqarClient, agency: str, payload: dict[str, Any], delivered_as: str = "",
    refuse_drops: bool = False,
) -> Delivery:
    """Check by local identifier, then update (PUT) or create (POST); a duplicate create updates.

    ``delivered_as`` is the report id the state file recorded: when the register no longer finds
    the local identifier, creating would make a second report of it, so nothing is sent. The
    register's copy that the check returns names what the update (a full replacement) drops;
    with ``refuse_drops`` such an update is not sent (:class:`UpdateRefused`).
    """
    existing = client.check(agency, payload["local_identifier"])
    if existing is not None:
        found = dropped_fields(existing, payload)
        if found and refuse_drops:
            raise UpdateRefused(str(existing.get("id") or ""), found)
        return Delivery("update", client.update(payload), "updated (found by local identifier)", tuple(found))
    if delivered_as:
        raise DeliveryError(_local_identifier_gone(payload["local_identifier"], delivered_as))
    result = client.create(payload)
    if result.outcome == "duplicate":
        LOG.info("%s: the register already has it; updating instead", payload["local_identifier"])
        return Delivery("update", client.update(payload), "duplicate on create; updated")
    return Delivery("create", result, result.outcome)


def push_deqar(
    items: list[Item],
    client: DeqarClient | None,
    state: State,
    *,
    agency: str,
    dry_run: bool = False,
    on_progress: Progress | None = None,
    refuse_drops: bool = False,
) -> list[Outcome]:
    planned = plan(items, state)
    by_key = {item.key: item for item in items}
    if dry_run or client is None:
        return compare_updates(planned, by_key, client, agency, refuse_drops) if client else planned
    outcomes: list[Outcome] = []
    known_eter: dict[str, bool] = {}
    sending: list[str] = []  # the key being sent, while it is
    try:
        _push_deqar_items(planned, by_key, client, state, agency, known_eter, outcomes, sending, on_progress,
                          refuse_drops)
    except KeyboardInterrupt:
        raise interrupted(outcomes, planned, sending[0] if sending else None) from None
    finally:
        state.flush()
    return outcomes


NOT_SENT = "not sent"
NOT_LOOKED_UP = "not looked up, so what the update would drop is not known"  # a dry run's


def register_silent(kinds: list[str], not_done: str = NOT_SENT, then: str = f": {PENDING}") -> str:
    """Why the rest is ``not_done`` once DEQAR left requests of ``kinds`` unanswered in a row."""
    return (f"{not_done}: DEQAR did not answer {_requests(kinds)} (unreachable, or its gateway said it "
            "is unavailable: 502, 503 or 504; each request retried until its attempts ran out): check "
            f"that the register is up, the network and the base URL, then run the same command again{then}")


def _requests(kinds: list[str]) -> str:
    """``the last 3 look-ups``, or, of several kinds, ``the last 3 requests (2 look-ups, 1 upload)``."""
    counts = {kind: kinds.count(kind) for kind in kinds}
    if len(counts) == 1:
        return f"the last {len(kinds)} {kinds[0]}s"
    return f"the last {len(kinds)} requests (" + ", ".join(
        f"{n} {kind}{'s' if n > 1 else ''}" for kind, n in counts.items()) + ")"


def register_refused(not_done: str = NOT_SENT, then: str = f": {PENDING}", what: str = "report") -> str:
    return (f"{not_done}: DEQAR refused access (HTTP 401/403) earlier in this run (the {what} it refused "
            f"names its answer and the fix); once that is fixed, run the same command again{then}")


def register_throttled(exc: DeliveryThrottledError, not_done: str = NOT_SENT,
                       then: str = f": {PENDING}") -> str:
    """Why the rest is ``not_done`` once DEQAR asked to wait longer than a run waits."""
    return (f"{not_done}: DEQAR asked (HTTP {exc.status}, Retry-After) to wait {exc.seconds:.0f} s, longer "
            f"than a run waits; run the same command again after {exc.until}{then}")


REGISTER_REFUSED = register_refused()


def register_stop() -> Stop:
    """When a push stops asking DEQAR, look-ups, uploads and deletion requests alike; the requests
    left unanswered are said by the kind each was counted as: the API route's as reports (each
    request is one report's), the CSV route's as look-ups (as a dry run says them), uploads and
    deletion requests."""
    return Stop(register_silent, REGISTER_REFUSED, register_throttled)


def look_up_stop() -> Stop:
    """When a dry run stops reading DEQAR's copies, said as a run that sends says it."""
    return Stop(lambda kinds: register_silent(kinds, NOT_LOOKED_UP, ""),
                register_refused(NOT_LOOKED_UP, "", "look-up"),
                lambda exc: register_throttled(exc, NOT_LOOKED_UP, ""))


def not_attempted(step: Outcome, why: str) -> Outcome:
    """A step a stopped run did not attempt: left planned, as a Ctrl-C leaves it (the state file
    does not hold it, so the same command sends it), with ``why`` it was not sent."""
    return Outcome(step.key, step.action, "planned", step.target_id, step.detail, why)


def _push_deqar_items(planned: list[Outcome], by_key: dict[str, Item], client: DeqarClient, state: State,
                      agency: str, known_eter: dict[str, bool], outcomes: list[Outcome],
                      sending: list[str], on_progress: Progress | None, refuse_drops: bool = False) -> None:
    stop = register_stop()  # access refused, or the register stopped answering: the rest is not sent
    for step in planned:
        item = by_key[step.key]
        sending[:] = [step.key]
        outcome = step
        if step.action == "skip":
            outcome = Outcome(step.key, "skip", "skipped", step.target_id, step.detail)
        elif step.action != "refuse" and stop.why is not None:
            outcome = not_attempted(step, stop.why)
        elif step.action != "refuse":
            try:
                outcome = _deliver_step(step, item, client, state, agency, known_eter, refuse_drops)
            except DeliveryError as exc:  # a refusal of access is this report's; said once for the rest
                outcome = Outcome(step.key, step.action, "failed", message=str(exc))
                stop.heard(exc)
            else:
                stop.heard()
        outcomes.append(outcome)
        sending.clear()
        if on_progress:
            on_progress(outcome)


def _deliver_step(step: Outcome, item: Item, client: DeqarClient, state: State, agency: str,
                  known_eter: dict[str, bool], refuse_drops: bool = False) -> Outcome:
    """Send one planned report (or its deletion request) and record it; the register's answer
    as an outcome, no answer as the :class:`DeliveryError` raised."""
    if step.action == "delete":
        return request_deletion(client, agency, item.content, state)
    unknown = unknown_institutions(client, item.content, known_eter)
    if unknown:
        raise LocalValidationError(
            "not sent: DEQAR does not know the institution (connectapi providers/by-eter)",
            [(path, _unknown_eter(item.content, path)) for path in unknown],
        )
    withdrawn = withdrawn_as(state, item.key)
    try:
        done = deliver_report(client, agency, item.content, step.target_id, refuse_drops)
    except UpdateRefused as exc:
        return Outcome(step.key, "update", "failed", exc.report_id, "refused", str(exc))
    result = done.result
    if not result.ok:
        return Outcome(step.key, done.action, "failed", detail=result.outcome,
                       message=register_message(item.content, result.errors) or result.message)
    state.record(item.key, item.digest, result.report_id)
    said = stored_message(result.report_flag, result.warnings)
    if withdrawn and done.action == "update":
        said = _put_back(str(result.report_id), result.warnings)
    if done.dropped:
        said = "; ".join(filter(None, [drop_warning(list(done.dropped)), said]))
    return Outcome(step.key, done.action, "ok", str(result.report_id or ""), done.detail, said)


def compare_updates(planned: list[Outcome], by_key: dict[str, Item], client: DeqarClient, agency: str,
                    refuse_drops: bool, files: bool = True) -> list[Outcome]:
    """A dry run's planned updates, each with what it would drop: the register's copy is read
    once per update (none for the rest). A look-up that fails leaves the update planned, saying
    so; a refused login, a long throttling or :data:`SILENT_LIMIT` look-ups in a row unanswered
    stop the look-ups, as in a real run."""
    out: list[Outcome] = []
    try:
        _compare_each(planned, by_key, client, agency, refuse_drops, files, out)
    except KeyboardInterrupt:  # the rest stays as planned
        raise PushInterrupted(out + planned[len(out):]) from None
    return out


def _compare_each(planned: list[Outcome], by_key: dict[str, Item], client: DeqarClient, agency: str,
                  refuse_drops: bool, files: bool, out: list[Outcome]) -> None:
    stop = look_up_stop()
    for step in planned:
        if step.action != "update":
            out.append(step)
            continue
        if stop.why is not None:
            out.append(Outcome(step.key, step.action, step.status, step.target_id, step.detail, stop.why))
            continue
        payload = by_key[step.key].content
        try:
            held = client.check(agency, payload["local_identifier"])
        except DeliveryError as exc:
            out.append(_not_compared(step, str(exc)))
            stop.heard(exc, "look-up")
            continue
        stop.heard()
        out.append(_with_drops(step, dropped_fields(held, payload, files) if held else [], refuse_drops))


def _not_compared(step: Outcome, why: str) -> Outcome:
    return Outcome(step.key, step.action, step.status, step.target_id, step.detail,
                   f"DEQAR's copy could not be read, so what the update would drop is not known: {why}")


def _with_drops(step: Outcome, found: list[str], refuse_drops: bool) -> Outcome:
    """A planned update with what it ``found`` it would drop; refused with ``--refuse-drops``."""
    if not found:
        return step
    if refuse_drops:
        return Outcome(step.key, "update", "failed", step.target_id, "refused", drop_refusal(found))
    return Outcome(step.key, step.action, step.status, step.target_id, step.detail, planned_drops(found))


def push_deqar_csv(
    items: list[Item], client: DeqarClient | None, state: State, *, agency: str = "", dry_run: bool = False,
    refuse_drops: bool = False,
) -> list[Outcome]:
    """Send every valid, changed report as CSV, in uploads of at most 50 reports within the
    register's 10 MB per request (the register upserts each row).

    With ``agency``, a report the state file records as delivered is first looked up by its
    local identifier, as the API route does: when the register no longer has it, the CSV's
    upsert would create a second report, so that row is not sent. A register that refuses
    access or stops answering is asked nothing more (:func:`register_stop`): look-ups, uploads
    and deletion requests alike."""
    by_key = {item.key: item for item in items}
    planned = [_csv_step(_as_upsert(step) if step.action == "create" else step, by_key[step.key])
               for step in plan(items, state)]
    if dry_run or client is None:
        return compare_updates(planned, by_key, client, agency, refuse_drops, files=False) \
            if client and agency else planned
    results = {step.key: step for step in planned}
    for step in planned:
        if step.action == "skip":
            results[step.key] = Outcome(step.key, "skip", "skipped", step.target_id, step.detail)
    drops: dict[str, list[str]] = {}
    try:
        _apply_csv(planned, by_key, client, state, agency, refuse_drops, results, drops)
    except KeyboardInterrupt:
        raise PushInterrupted([_left(step, results[step.key]) for step in planned]) from None
    finally:
        state.flush()
    return [_dropped(results[step.key], drops.get(step.key)) for step in planned]


def _left(step: Outcome, outcome: Outcome) -> Outcome:
    """``outcome`` of ``step`` when Ctrl-C stopped the push: a step not reached is not sent."""
    return not_attempted(step, NOT_SENT_INTERRUPTED) if outcome is step else outcome


def _apply_csv(planned: list[Outcome], by_key: dict[str, Item], client: DeqarClient, state: State,
               agency: str, refuse_drops: bool, results: dict[str, Outcome],
               drops: dict[str, list[str]]) -> None:
    """Look up the updates, upload the reports left, then request the deletions, each outcome
    put in ``results`` as it is known; what ``drops`` names is what each update found it drops."""
    stop = register_stop()
    updates = [s for s in planned if s.action == "update"]
    _gone_from_register(client, agency, updates, by_key, drops, refuse_drops, results, stop)
    send = [s for s in planned if s.action in ("upsert", "update") and results[s.key] is s]
    groups = uploads([by_key[s.key].content for s in send])
    for number, group in enumerate(groups, 1):
        label = f"csv upload {number} of {len(groups)}, row" if len(groups) > 1 else "csv row"
        _upload([send[i] for i in group], by_key, client, state, results, label, stop)
        state.flush()
    _deletions(planned, by_key, client, agency, state, results, stop)


def _dropped(outcome: Outcome, found: list[str] | None) -> Outcome:
    """``outcome`` of an update sent, with the warning of what it ``found`` it dropped."""
    if not found or outcome.status != "ok":
        return outcome
    said = "; ".join(filter(None, [drop_warning(found), outcome.message]))
    return Outcome(outcome.key, outcome.action, outcome.status, outcome.target_id, outcome.detail, said)


def _upload(send: list[Outcome], by_key: dict[str, Item], client: DeqarClient, state: State,
            results: dict[str, Outcome], label: str, stop: Stop) -> None:
    """One CSV upload of the reports of ``send``, each row's answer put in ``results``; none
    once the run stopped asking the register."""
    if stop.why is not None:
        for step in send:
            results[step.key] = not_attempted(step, stop.why)
        return
    try:
        rows = client.submit_csv(to_csv([by_key[s.key].content for s in send]))
    except KeyboardInterrupt:
        for step in send:
            results[step.key] = Outcome(step.key, step.action, "failed", message=(
                "interrupted (Ctrl-C) during the upload: the register may have stored it; the "
                "same command sends it again (rows are upserted by local identifier)"))
        raise
    except DeliveryError as exc:
        for step in send:
            results[step.key] = Outcome(step.key, step.action, "failed", message=str(exc))
        stop.heard(exc, "upload")
        return
    stop.heard()
    _rows(send, rows, by_key, state, results, label)


def _rows(send: list[Outcome], rows: list[CsvRowResult], by_key: dict[str, Item], state: State,
          results: dict[str, Outcome], label: str) -> None:
    """The register's answer to each row of an upload of ``send``, in ``results``."""
    for step, row in zip(send, rows, strict=False):
        if row.ok:
            known = step.target_id  # the report the state file names, for an update
            answered = str(row.report_id or "")
            action: Action = step.action
            detail = f"{label} {row.row}"
            if action == "update" and known != answered:  # not the report the state file names
                action = "upsert"
                detail += f": the register answered report {answered}, not {known}"
            said = stored_message(row.report_flag, row.warnings)
            if answered and withdrawn_as(state, step.key) == answered:
                said = _put_back(answered, row.warnings)
            state.record(step.key, by_key[step.key].digest, row.report_id)
            results[step.key] = Outcome(step.key, action, "ok", answered, detail, said)
        else:
            results[step.key] = Outcome(step.key, step.action, "failed", detail=f"{label} {row.row}",
                                        message=register_message(by_key[step.key].content, row.errors))
    count = len(rows)
    if count != len(send):
        LOG.warning("the register answered %d rows for %d sent", count, len(send))
        for step in send[count:]:  # not answered: not known to be stored
            results[step.key] = Outcome(
                step.key, step.action, "failed",
                message=f"the register answered {count} rows for the {len(send)} sent, none "
                        "for this report; run the same command again (rows are upserted by "
                        "local identifier)")


def _deletions(planned: list[Outcome], by_key: dict[str, Item], client: DeqarClient, agency: str,
               state: State, results: dict[str, Outcome], stop: Stop) -> None:
    """The CSV layout has no deletion: each report withdrawn is requested by the API, until the
    run stops asking the register."""
    for step in planned:
        if step.action != "delete":
            continue
        if stop.why is not None:
            results[step.key] = not_attempted(step, stop.why)
            continue
        try:
            results[step.key] = request_deletion(client, agency, by_key[step.key].content, state)
            stop.heard()
        except DeliveryError as exc:
            results[step.key] = Outcome(step.key, "delete", "failed", message=str(exc))
            stop.heard(exc, "deletion request")
        except KeyboardInterrupt:
            results[step.key] = Outcome(step.key, "delete", "failed", message=(
                "interrupted (Ctrl-C) while its deletion was requested: the same command requests it again"))
            raise


def _gone_from_register(client: DeqarClient, agency: str, updates: list[Outcome], by_key: dict[str, Item],
                        drops: dict[str, list[str]], refuse_drops: bool, results: dict[str, Outcome],
                        stop: Stop) -> None:
    """The updates whose local identifier the register no longer finds, each failed in
    ``results`` with the fix; what each update found would drop goes in ``drops`` (with
    ``refuse_drops``, it is not sent). Once the run stops asking, the rest are not sent."""
    if not agency:
        return
    for step in updates:
        if stop.why is not None:
            results[step.key] = not_attempted(step, stop.why)
            continue
        local_identifier = by_key[step.key].content["local_identifier"]
        try:
            found = client.check(agency, local_identifier)
        except DeliveryError as exc:
            results[step.key] = Outcome(step.key, step.action, "failed", message=f"not sent: {exc}")
            stop.heard(exc, "look-up")
            continue
        stop.heard()
        if found is None:
            results[step.key] = Outcome(step.key, step.action, "failed", step.target_id,
                                        message=_local_identifier_gone(local_identifier, step.target_id))
            continue
        drops[step.key] = dropped_fields(found, by_key[step.key].content, files=False)
        if drops[step.key] and refuse_drops:
            results[step.key] = _with_drops(step, drops[step.key], True)


def _csv_step(step: Outcome, item: Item) -> Outcome:
    """``step``, or its refusal when the report holds what the CSV layout cannot carry."""
    problems = not_in_csv(item.content) if step.action in ("upsert", "update") else []
    if not problems:
        return step
    return Outcome(step.key, "refuse", "failed", message="; ".join(f"{p}: {m}" for p, m in problems))


def _as_upsert(step: Outcome) -> Outcome:
    return Outcome(step.key, "upsert", step.status, step.target_id,
                   "not delivered by this state file yet: the register creates it, or updates the "
                   "report with its local identifier, and does not say which")


# ---------------------------------------------------------------------------------------- wallet

WALLET_OPTION = "--base-url"  # the option naming the wallet, in what push wallet says
WALLET_SILENT = wallet_silent(WALLET_OPTION)
ACCESS_REFUSED = wallet_refused(WALLET_OPTION)
EARLIER_VERSION_HELD = (
    "the wallet holds this credential id in the version delivered before the file changed, and "
    "keeps it: the learner removes it from the wallet, then the same command delivers this version")
UNSURE_VERSION_HELD = (
    "the wallet holds this credential id, in this version or in an earlier one (the answer to an "
    "earlier request was lost) and cannot say which: the learner removes it from the wallet, then "
    "the same command delivers this version")


def wallet_items(manifest: Path) -> list[Item]:
    """Items from a manifest CSV: ``credential`` (path, relative to the manifest), then
    ``wallet_id`` or ``email``, and optionally ``locale``. Unsealed credentials are refused."""
    try:
        text = manifest.read_text("utf-8-sig")
    except OSError as exc:
        raise DeliveryConfigError(f"{manifest}: cannot read the manifest: {exc.strerror}") from None
    except UnicodeDecodeError as exc:
        raise DeliveryConfigError(f"{manifest}: not UTF-8 text (byte {exc.start}); save the manifest as "
                                  "CSV UTF-8 and run again") from None
    reader = ManifestRows(manifest, text)
    missing = {"credential"} - set(reader.fieldnames)
    if missing or not ({"wallet_id", "email"} & set(reader.fieldnames)):
        raise DeliveryConfigError(
            f"{manifest}: the manifest needs the columns credential and wallet_id "
            f"or email (found: {', '.join(reader.fieldnames) or 'none'})"
        )
    items = []
    first_line: dict[str, int] = {}  # credential -> wallet (any capitals): the line that gave it first
    for line, row in reader:
        wallet_id, email = (row.get("wallet_id") or "").strip(), (row.get("email") or "").strip()
        locale = (row.get("locale") or "").strip() or "en"
        options = {"wallet_id": wallet_id or None, "email": email or None, "locale": locale}
        path = manifest.parent / (row.get("credential") or "").strip()
        recipient = wallet_id or email or "(no e-mail)"
        problems: list[tuple[str, str]] = []
        if not wallet_id and not email:
            problems.append((f"{manifest.name}:{line}", "the learner's e-mail address (or wallet_id) is "
                             "missing: fill in email, or leave the row out until the address is known"))
        elif wallet_id and email:
            problems.append((f"{manifest.name}:{line}", "both wallet_id and email are given: keep one "
                             "(wallet_id when the learner has a Europass wallet, else email)"))
        if email and not is_email(email):
            problems.append((f"{manifest.name}:{line}", f"column 'email' = {email!r} is not an e-mail "
                             "address; write it like name@example.org"))
        if not is_locale(locale):
            problems.append((f"{manifest.name}:{line}", f"column 'locale' = {locale!r} is not a "
                             "language code; write it like en or de (the wallet's e-mail and pages use it)"))
        try:
            sealed = plan_file(path)
        except OSError as exc:
            items.append(
                Item(
                    f"{path.name} -> {recipient}",
                    None,
                    "",
                    ((f"{manifest.name}:{line}", f"cannot read {path}: {exc.strerror}"),),
                )
            )
            continue
        except LocalValidationError as exc:
            items.append(
                Item(f"{path.name} -> {recipient}", None, "", ((f"{manifest.name}:{line}", str(exc)),))
            )
            continue
        key = f"{sealed.credential_id} -> {recipient}"
        same = _wallet_key(key)  # an address in other capitals is the same wallet
        if same in first_line:
            problems.append((f"{manifest.name}:{line}", f"the same credential and recipient as line "
                             f"{first_line[same]}: keep one of the two rows"))
            key = f"{key} (line {line})"
        first_line.setdefault(same, line)
        items.append(
            Item(
                key,
                sealed,
                sealed.version,
                tuple(problems),
                {**options, "filename": path.name},
            )
        )
    return items


REDELIVER = "delivered before, sent again as asked (--redeliver: the learner removed it from the wallet)"


def asked_again(item: Item, redeliver: frozenset[str]) -> bool:
    """Whether ``--redeliver`` names this item: by its credential id or its file's name."""
    credential_id = item.key.rpartition(" -> ")[0]
    return bool(redeliver & {credential_id, item.options.get("filename", "")})


def not_in_manifest(items: list[Item], redeliver: frozenset[str]) -> list[str]:
    """The ``--redeliver`` values that name no credential of the manifest."""
    return sorted(value for value in redeliver if not any(asked_again(item, frozenset({value}))
                                                          for item in items))


def push_wallet(
    items: list[Item],
    client: WalletClient | None,
    state: State,
    *,
    dry_run: bool = False,
    send_email: bool = True,
    on_progress: Progress | None = None,
    redeliver: frozenset[str] = frozenset(),
) -> list[Outcome]:
    by_key = {item.key: item for item in items}
    planned = [_wallet_step(o, asked_again(by_key[o.key], redeliver)) for o in plan(items, state)]
    if dry_run or client is None:
        return planned
    outcomes: list[Outcome] = []
    sending: list[str] = []  # the key being sent, while it is
    try:
        _deposit_items(planned, by_key, client, state, send_email, outcomes, sending, on_progress)
    except KeyboardInterrupt:
        raise interrupted(outcomes, planned, sending[0] if sending else None, RESUME_DEPOSIT) from None
    finally:
        state.flush()
    return outcomes


def _wallet_step(step: Outcome, again: bool) -> Outcome:
    """A planned step as a deposit: what is not delivered yet, and what is asked ``again``."""
    if step.action == "refuse" or (step.action == "skip" and not again):
        return step
    detail = REDELIVER if step.action == "skip" else step.detail
    return Outcome(step.key, "deposit", step.status, step.target_id, detail)


class _Wallets:
    """The state's keys by wallet, found once per push (before, each deposit looked through
    every key of the state: a push of n credentials took n² steps, 13.6 ms a deposit with
    50,000 delivered). A push adds no key of a wallet the state names under another: the
    manifest refuses a second row for the same credential and address in other capitals."""

    def __init__(self, state: State) -> None:
        self.keys: dict[str, set[str]] = {}
        for key in (*state.entries, *state.unanswered):
            self.keys.setdefault(_wallet_key(key), set()).add(key)

    def same(self, key: str) -> set[str]:
        """``key`` and the keys of the state naming the same credential to the same e-mail
        address in other capitals: one wallet, whose CR-0001 may be a version delivered under
        any of them."""
        return {key} | self.keys.get(_wallet_key(key), set())


def _wallet_key(key: str) -> str:
    credential, arrow, recipient = key.rpartition(" -> ")
    return f"{credential}{arrow}{recipient.lower()}" if arrow and "@" in recipient else key


def _not_stored(state: State, item: Item, unsure: bool) -> Callable[[], None]:
    """What to do when a deposit's answer says it stored nothing: the version is no longer one
    the wallet may hold, unless an earlier request of it went unanswered (that one may have)."""
    def done() -> None:
        if not unsure:
            state.answered_without_storing(item.key, item.digest)

    return done


def _deposit_items(planned: list[Outcome], by_key: dict[str, Item], client: WalletClient, state: State,
                   send_email: bool, outcomes: list[Outcome], sending: list[str],
                   on_progress: Progress | None) -> None:
    stop = wallet_stop(WALLET_OPTION)  # once it says why, the rest is not sent
    wallets = _Wallets(state)
    for step in planned:
        sending[:] = [step.key]
        outcome = step
        if step.action == "skip":
            outcome = Outcome(step.key, "skip", "skipped", step.target_id, step.detail)
        elif step.action == "deposit" and stop.why is not None:  # not attempted, as after a Ctrl-C
            outcome = not_attempted(step, stop.why)
        elif step.action == "deposit":
            outcome = _deposit(step, by_key[step.key], client, state, wallets, send_email, stop)
        outcomes.append(outcome)
        sending.clear()
        if on_progress:
            on_progress(outcome)


def _deposit(step: Outcome, item: Item, client: WalletClient, state: State, wallets: _Wallets,
             send_email: bool, stop: Stop) -> Outcome:
    """One deposit, recorded in ``state`` and counted by ``stop``; its outcome."""
    try:
        content = read_planned(item.content)
    except FileChanged as exc:  # nothing sent: the wallet was not asked
        return Outcome(step.key, "deposit", "failed", message=str(exc))
    earlier = {d for key in wallets.same(item.key) for d in state.maybe_held(key)
               if d not in (item.digest, digest(content))}
    # sent before without an answer: the wallet may hold this version from that request,
    # whatever this one's answer says
    unsure = item.digest in state.unanswered.get(item.key, [])
    state.sending(item.key, item.digest)
    not_stored = _not_stored(state, item, unsure)
    try:
        result = client.deposit(
            content,
            wallet_id=item.options["wallet_id"],
            email=item.options["email"],
            send_email=send_email,
            locale=item.options["locale"],
            filename=item.options["filename"],
        )
    except (DeliveryAuthError, DeliveryThrottledError) as exc:  # refused, or asked "later": nothing
        not_stored()                                             # stored; said once for the rest
        stop.heard(exc)
        return Outcome(step.key, "deposit", "failed", message=str(exc))
    except DeliveryHTTPError as exc:
        stop.heard(exc)
        if 400 <= exc.status < 500:  # answered and refused: nothing was stored
            not_stored()
        return Outcome(step.key, "deposit", "failed", message=str(exc))
    except LocalValidationError as exc:  # refused before sending
        not_stored()
        return Outcome(step.key, "deposit", "failed", message=str(exc))
    except DeliveryError as exc:  # no answer: it may have been stored
        stop.heard(exc, "deposit")
        return Outcome(step.key, "deposit", "failed", message=str(exc))
    stop.heard()
    if result.outcome == "already-delivered" and earlier:
        # the wallet holds this id, in a version sent before this one changed (a
        # state file of sealed-file digests names this version by the file's digest)
        not_stored()
        why = UNSURE_VERSION_HELD if unsure else EARLIER_VERSION_HELD
        return Outcome(step.key, "deposit", "failed", "", result.outcome, f"{result.message}; {why}")
    if result.ok:
        state.record(item.key, item.digest, result.uuid or result.code)
        return Outcome(step.key, "deposit", "ok", result.uuid or "", result.outcome, result.message)
    not_stored()
    return Outcome(step.key, "deposit", "failed", "", result.outcome, result.message)
