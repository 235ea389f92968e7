"""DEQAR Submission API v2 client: every recorded answer mapped to a typed result.

Contract (recorded against the real backend):

* token: ``POST /accounts/get_token/`` (200 ``{"state":"success","token"}``; 401 on bad login);
  ``/accounts/get_new_token/`` rotates the token and is never called here;
* auth: ``Authorization: Bearer <token>``; failures are **403** ``{"detail": ...}``;
* create ``POST /submissionapi/v2/submit/report`` (no trailing slash) answers **200**;
  a duplicate ``local_identifier`` is a 400 *without* the ``submission_status`` envelope;
* update ``PUT`` on the same path, full replacement, keyed by ``local_identifier`` / ``report_id``
  (a string); ``report_files[].report_file_id`` makes the server fail with 500, so it is refused;
* ``GET check/local-identifier``: the report object, or 404 with the JSON string ``"Not Found"``;
* ``DELETE delete/report/{id}/`` (trailing slash required) only *requests* deletion;
* ``manage/report-file`` answers the JSON strings ``"success"`` / ``"deleted"``;
* ``POST submit/csv`` always answers 200 with one result per row.

Robustness: the base URL must be https (plain http only on this machine), as the password and
token go with every request; a create, a CSV upload or a deletion request throttled with a
``Retry-After`` is sent again after the pause (a second create of its local identifier can only
be refused as a duplicate, CSV rows are upserts, a deletion is requested once); a create
whose answer is lost (no answer, or a 5xx page) is looked up by its local identifier and, when
the register has it, sent again as a PUT, never as a second POST; a create answered with a 5xx
page that the look-up proves not stored is sent once more (a duplicate answer then turns into an
update); a lookup's 404 means "not there" only when it is the register's own JSON.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import quote, urlsplit

from edcbridge.deliver.errors import (
    DeliveryAuthError,
    DeliveryConfigError,
    DeliveryConnectionError,
    DeliveryError,
    DeliveryHTTPError,
    DeliveryThrottledError,
    LocalValidationError,
)
from edcbridge.deliver.http import LOG, LOOPBACK_HOSTS, MASKER, HttpClient, Response, excerpt, unusable_url

TOKEN_PATH = "/accounts/get_token/"
REPORT_PATH = "/submissionapi/v2/submit/report"
CHECK_PATH = "/submissionapi/v2/check/local-identifier"
FILE_PATH = "/submissionapi/v2/manage/report-file"
CSV_PATH = "/submissionapi/v2/submit/csv"
AGENCIES_PATH = "/webapi/v2/browse/agencies/"
DUPLICATE = "Report with this Agency and Local Report Identifier already exists."
INVALID_TOKEN = {"detail": "Invalid token."}
AUTH_MISSING = {"detail": "Authentication credentials were not provided."}
CREATE_ATTEMPTS = 2  # a create answered 5xx that the look-up proves not stored goes once more
MAX_ERROR_DEPTH = 20  # levels of a register's error structure read (a report's nest 6 at most)


def delete_path(report_id: int | str) -> str:
    return f"/submissionapi/v2/delete/report/{report_id}/"


@dataclass(frozen=True)
class FieldError:
    """One message of the register, at a path such as ``report_files[0].report_language[0]``."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message


def flatten_errors(errors: Any, path: str = "", depth: int = 0) -> list[FieldError]:
    """A DRF error structure (dicts keyed by field, lists mirroring arrays) as flat pairs.
    Past :data:`MAX_ERROR_DEPTH` levels (no report is that deep) the rest is not read: the JSON
    parser of Python 3.12 and later nests deeper than this function may recurse."""
    if isinstance(errors, str):
        return [FieldError(path, errors)]
    if depth >= MAX_ERROR_DEPTH and isinstance(errors, dict | list):
        return [FieldError(path, f"(errors nested deeper than {MAX_ERROR_DEPTH} levels, not shown)")]
    out: list[FieldError] = []
    if isinstance(errors, dict):
        for key, value in errors.items():
            key = str(key)
            sub = f"{path}[{key}]" if key.isdigit() else (f"{path}.{key}" if path else key)
            out.extend(flatten_errors(value, sub, depth + 1))
    elif isinstance(errors, list):
        if all(isinstance(item, str) for item in errors):
            out.extend(FieldError(path, item) for item in errors)
        else:
            for index, item in enumerate(errors):
                out.extend(flatten_errors(item, f"{path}[{index}]", depth + 1))
    elif errors is not None:
        out.append(FieldError(path, str(errors)))
    return out


@dataclass(frozen=True)
class SubmitResult:
    """The answer to a create (POST) or update (PUT)."""

    outcome: Literal["created", "updated", "duplicate", "rejected"]
    http_status: int
    report_id: int | None = None
    local_identifier: str | None = None
    sanity_check_status: str | None = None
    report_flag: str | None = None
    warnings: tuple[str, ...] = ()
    errors: tuple[FieldError, ...] = ()
    report: dict[str, Any] | None = None

    @property
    def ok(self) -> bool:
        return self.outcome in ("created", "updated")

    @property
    def message(self) -> str:
        if self.errors:
            return "; ".join(map(str, self.errors))
        return "; ".join(self.warnings) or f"report flag: {self.report_flag}"


@dataclass(frozen=True)
class FileResult:
    """The answer of ``manage/report-file``: ``ok`` with the server's word, or its error."""

    ok: bool
    http_status: int
    message: str
    errors: tuple[FieldError, ...] = ()


@dataclass(frozen=True)
class DeleteResult:
    requested: bool
    http_status: int
    message: str


@dataclass(frozen=True)
class CsvRowResult:
    row: int  # 1-based data row of the CSV (the header is row 0)
    ok: bool
    report_id: int | None
    report_flag: str | None = None
    warnings: tuple[str, ...] = ()
    errors: tuple[FieldError, ...] = ()


@dataclass
class DeqarClient:
    """Talks to one DEQAR backend as one agency account (token fetched once, on first use)."""

    http: HttpClient
    username: str
    password: str = field(repr=False)
    token: str | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        MASKER.add(self.password)
        MASKER.add(self.token)
        require_https(self.http.base_url)

    # -------------------------------------------------------------------- plumbing

    def login(self) -> str:
        """Fetch the token from ``/accounts/get_token/`` (never the rotating endpoint). It gives
        the account's one token, changing nothing, so a failed request is retried like a GET."""
        response = self.http.request(
            "POST", TOKEN_PATH, json={"username": self.username, "password": self.password}, idempotent=True
        )
        body = _json(response)
        if response.status_code == 200 and isinstance(body, dict) and isinstance(body.get("token"), str):
            self.token = body["token"]
            MASKER.add(self.token)
            LOG.info("DEQAR token obtained for %s", self.username)
            return self.token
        message = body.get("errorMessage") if isinstance(body, dict) else None
        if response.status_code not in (400, 401, 403):
            raise DeliveryHTTPError(
                "POST",
                self.http.url(TOKEN_PATH),
                response.status_code,
                excerpt(response),
                _login_hint(response.status_code),
            )
        raise DeliveryAuthError(
            "POST",
            self.http.url(TOKEN_PATH),
            response.status_code,
            message or excerpt(response),
            "check the agency account's user name (lower case) and password",
        )

    def _send(self, method: str, path: str, extra: dict[str, str], kwargs: dict[str, Any]) -> Response:
        headers = {"Authorization": f"Bearer {self.token}", "Accept": "application/json", **extra}
        return self.http.request(method, path, headers=headers, **kwargs)

    def _login_again(self, method: str, path: str) -> None:
        try:
            self.login()
        except DeliveryAuthError as exc:
            raise DeliveryAuthError(
                method,
                self.http.url(path),
                403,
                INVALID_TOKEN["detail"],
                f"the token was refused, and fetching a new one failed ({exc.excerpt}): check the "
                "agency account's user name (lower case) and password, then run again",
            ) from None

    def _call(self, method: str, path: str, **kwargs: Any) -> Response:
        """One request with the token; a token refused as invalid is fetched again, once.

        Someone of the agency may rotate the token (``get_new_token``) during a run; the refused
        request was stopped at authentication, so sending it again is safe, a POST included.
        """
        fresh = self.token is None
        if fresh:
            self.login()
        extra = kwargs.pop("headers", {})
        response = self._send(method, path, extra, kwargs)
        if not fresh and response.status_code == 403 and _json(response) == INVALID_TOKEN:
            LOG.warning("DEQAR refused the token as invalid (rotated?); fetching it again")
            self._login_again(method, path)
            response = self._send(method, path, extra, kwargs)
        body = _json(response)
        if response.status_code in (401, 403) and isinstance(body, dict) and "detail" in body:
            raise DeliveryAuthError(
                method,
                self.http.url(path),
                response.status_code,
                str(body["detail"]),
                _auth_hint(body),
            )
        if response.status_code == 413:
            raise DeliveryHTTPError(
                method,
                self.http.url(path),
                413,
                excerpt(response),
                "the request is too large for the register: keep embedded files under 7 MB per "
                "report, or give them by original_location (a URL)",
            )
        if response.status_code in (429, 503):
            asked = response.headers.get("Retry-After")
            raise DeliveryHTTPError(
                method,
                self.http.url(path),
                response.status_code,
                excerpt(response),
                "the register is busy or throttling requests"
                + (f" (Retry-After: {asked}; later requests of this run wait that long)" if asked else "")
                + "; nothing was changed by this request: run the same command again for it",
            )
        if response.status_code >= 500:
            raise DeliveryHTTPError(method, self.http.url(path), response.status_code, excerpt(response),
                                    self._server_error_hint(method, path))
        return response

    def _server_error_hint(self, method: str, path: str) -> str:
        """What a 5xx answer means for the request: a GET or PUT (retried) changed nothing; what
        a POST or DELETE did is unknown, and the same command sends it again without harm."""
        if method in ("GET", "PUT"):
            return (f"a server error (after {self.http.retry.attempts} attempts): the report was not "
                    "changed; run the same command again later")
        if path == CSV_PATH:
            return ("a server error: the register may have stored some rows; the same command sends "
                    "them again (rows are upserted by local identifier); run it again later")
        if path == REPORT_PATH:
            return ("a server error: the register may have stored the report; the same command looks "
                    "it up by its local identifier first, so it is never created twice; run it again later")
        if method == "DELETE":
            return ("a server error: the deletion may have been requested; the same command requests it "
                    "again (a second request changes nothing); run it again later")
        return "a server error; run the same command again later"

    def _unexpected(self, method: str, path: str, response: Response) -> DeliveryHTTPError:
        return DeliveryHTTPError(
            method,
            self.http.url(path),
            response.status_code,
            excerpt(response),
            "an answer outside the recorded contract (is --base-url the DEQAR backend?); "
            "run the same command again later: each report is checked by its local identifier "
            "first, so none is created twice",
        )

    # -------------------------------------------------------------------- reports

    def create(self, payload: dict[str, Any]) -> SubmitResult:
        """POST a new report (create only).

        Answered 429 or 503 with a ``Retry-After`` the run waits out, it is sent again after the
        pause when it has a local identifier: the register refuses a second report with the same
        local identifier (a duplicate, which the caller turns into an update), so sending it
        again can never create two. A create whose answer is lost is looked up by its local
        identifier (:meth:`_recover_create`); answered with a server error, and proved absent by
        that look-up, it is sent once more, after the usual back-off. Other failures are not resent."""
        if "report_id" in payload:
            raise LocalValidationError(
                "a report_id belongs in an update (PUT), not a create",
                [("report_id", "drop it, or call update()")],
            )
        keyed = bool(payload.get("local_identifier"))
        for attempt in range(1, CREATE_ATTEMPTS + 1):
            try:
                return self._submit("POST", payload, resend_throttled=keyed)
            except (DeliveryConnectionError, DeliveryHTTPError) as exc:
                if not _answer_lost(exc) or not keyed:
                    raise
                recovered = self._recover_create(payload, exc, last=attempt == CREATE_ATTEMPTS)
                if recovered is not None:
                    return recovered
            self.http.retry.sleep(self.http.retry.backoff(attempt))
        raise AssertionError("unreachable: the last attempt returns or raises")

    def _recover_create(self, payload: dict[str, Any], lost: DeliveryError,
                        last: bool) -> SubmitResult | None:
        """The answer to a POST was lost: the report may exist. Look it up by its local
        identifier; if it is there, PUT the same payload (a full replacement, so a report the
        server saved halfway ends up complete) instead of creating a second one.

        ``None`` when the register answered the POST with a server error and the look-up proves
        it does not hold the report, unless it was the ``last`` attempt: the create may go again.
        A dropped connection or timeout is not resent: the register may still be working on it."""
        local_identifier = str(payload["local_identifier"])
        LOG.warning("%s: the answer to the create was lost (%s); looking it up", local_identifier, lost)
        try:
            found = self.check(str(payload.get("agency", "")), local_identifier)
        except DeliveryThrottledError as exc:
            raise _throttled_look_up(lost, exc) from None
        except DeliveryError:
            raise lost from None
        if found is None:
            if not isinstance(lost, DeliveryHTTPError):
                raise lost
            if not last:
                LOG.warning("%s: not stored (looked up after HTTP %d); sending the create once more",
                            local_identifier, lost.status)
                return None
            raise DeliveryHTTPError(
                lost.method, lost.url, lost.status, lost.excerpt,
                f"the register has no report with local_identifier {local_identifier!r} (looked up "
                f"after the error, the create sent {CREATE_ATTEMPTS} times): it was not stored; run the "
                "same command again later to create it",
            ) from None
        result = self.update(payload)
        note = (f"the answer to the create was lost ({type(lost).__name__}); the report was found by its "
                "local identifier and sent again as an update")
        return dataclasses.replace(result, warnings=(note, *result.warnings))

    def update(self, payload: dict[str, Any]) -> SubmitResult:
        """PUT a full replacement, keyed by ``local_identifier`` and/or ``report_id`` (a string)."""
        if not payload.get("local_identifier") and not payload.get("report_id"):
            raise LocalValidationError("Either report_id or local_identifier is needed to update a report.")
        if "report_id" in payload and not isinstance(payload["report_id"], str):
            raise LocalValidationError(
                "report_id must be a JSON string",
                [("report_id", "Incorrect type. Expected a string, but got int")],
            )
        for index, item in enumerate(payload.get("report_files") or []):
            if isinstance(item, dict) and "report_file_id" in item:
                raise LocalValidationError(
                    "report_files[].report_file_id makes the register fail (HTTP 500)",
                    [
                        (
                            f"report_files[{index}].report_file_id",
                            "leave it out: files are re-created from the list; use manage/report-file "
                            "to change one file",
                        )
                    ],
                )
        return self._submit("PUT", payload)

    def _submit(self, method: str, payload: dict[str, Any], resend_throttled: bool = False) -> SubmitResult:
        response = self._call(method, REPORT_PATH, json=payload, resend_throttled=resend_throttled)
        body = _json(response)
        if (
            response.status_code == 200
            and isinstance(body, dict)
            and body.get("submission_status") == "success"
        ):
            report = body.get("submitted_report")
            report = report if isinstance(report, dict) else {}
            return SubmitResult(
                "created" if method == "POST" else "updated",
                200,
                report.get("id"),
                report.get("local_identifier"),
                body.get("sanity_check_status"),
                body.get("report_flag"),
                _warnings(body),
                report=report,
            )
        if response.status_code == 400 and isinstance(body, dict):
            if body.get("submission_status") == "errors":
                return SubmitResult(
                    "rejected",
                    400,
                    local_identifier=payload.get("local_identifier"),
                    errors=tuple(flatten_errors(body.get("errors"))),
                )
            errors = tuple(flatten_errors(body))
            duplicate = any(e.message == DUPLICATE for e in errors)
            return SubmitResult(
                "duplicate" if duplicate else "rejected",
                400,
                local_identifier=payload.get("local_identifier"),
                errors=errors,
            )
        raise self._unexpected(method, REPORT_PATH, response)

    def check(self, agency: str, local_identifier: str) -> dict[str, Any] | None:
        """The report with this local identifier, or ``None`` (the register's ``404 "Not Found"``)."""
        params = {"agency": agency, "local_identifier": local_identifier}
        response = self._call("GET", CHECK_PATH, params=params)
        body = _json(response)
        if response.status_code == 200 and isinstance(body, dict):
            return body
        if response.status_code == 404 and body == "Not Found":
            return None
        if response.status_code == 400 and isinstance(body, dict):
            raise LocalValidationError(
                "check/local-identifier refused the query",
                [(e.path, e.message) for e in flatten_errors(body)],
            )
        raise self._unexpected("GET", CHECK_PATH, response)

    def delete(self, report_id: int | str) -> DeleteResult:
        """Request deletion (EQAR staff confirm it); a missing report is ``requested=False``.
        Throttled with a ``Retry-After`` the run waits out, it is sent again after the pause (a
        second request of a deletion changes nothing)."""
        if not str(report_id).isdigit():
            raise LocalValidationError("report_id must be a number", [("report_id", repr(report_id))])
        path = delete_path(report_id)
        response = self._call("DELETE", path, resend_throttled=True)
        body = _json(response)
        if response.status_code == 200 and body == ["OK"]:
            return DeleteResult(True, 200, "Deletion was requested.")
        if response.status_code == 404 and isinstance(body, dict) and "detail" in body:
            return DeleteResult(False, 404, str(body.get("detail", "")))
        raise self._unexpected("DELETE", path, response)

    # -------------------------------------------------------------------- report files

    def add_file(
        self,
        report_id: int | str,
        *,
        report_language: list[str],
        original_location: str | None = None,
        file_b64: str | None = None,
        file_name: str | None = None,
        display_name: str | None = None,
    ) -> FileResult:
        body: dict[str, Any] = {"report_id": report_id, "report_language": report_language}
        return self._file("POST", body, original_location, file_b64, file_name, display_name)

    def replace_file(
        self,
        report_file_id: int,
        *,
        report_language: list[str],
        original_location: str | None = None,
        file_b64: str | None = None,
        file_name: str | None = None,
        display_name: str | None = None,
    ) -> FileResult:
        body: dict[str, Any] = {"report_file_id": report_file_id, "report_language": report_language}
        return self._file("PUT", body, original_location, file_b64, file_name, display_name)

    def delete_file(self, report_file_id: int) -> FileResult:
        return self._file("DELETE", {"report_file_id": report_file_id}, None, None, None, None)

    def _file(
        self,
        method: str,
        body: dict[str, Any],
        original_location: str | None,
        file_b64: str | None,
        file_name: str | None,
        display_name: str | None,
    ) -> FileResult:
        if method != "DELETE":
            if (original_location is None) == (file_b64 is None):
                raise LocalValidationError(
                    "You cannot submit both a file and an original_location URL."
                    if original_location
                    else "give original_location or a file"
                )
            if original_location is not None:
                body["original_location"] = original_location
            else:
                body.update({"file": file_b64, "file_name": file_name})
            if display_name:
                body["display_name"] = display_name
        response = self._call(method, FILE_PATH, json=body)
        answer = _json(response)
        if response.status_code == 200 and isinstance(answer, str):
            return FileResult(True, 200, answer)
        if response.status_code in (400, 403) and isinstance(answer, dict):
            if "error" in answer:
                return FileResult(False, response.status_code, str(answer["error"]))
            errors = tuple(flatten_errors(answer))
            return FileResult(False, response.status_code, "; ".join(map(str, errors)), errors)
        raise self._unexpected(method, FILE_PATH, response)

    # -------------------------------------------------------------------- CSV and lookups

    def submit_csv(self, text: str) -> list[CsvRowResult]:
        """POST a CSV (UTF-8); the register answers 200 with one result per data row (upserts).
        Throttled with a ``Retry-After`` the run waits out, the upload is sent again after the
        pause: the register stored nothing, and its rows are upserts by local identifier."""
        response = self._call(
            "POST", CSV_PATH, data=text.encode("utf-8"), headers={"Content-Type": "text/csv; charset=utf-8"},
            resend_throttled=True,
        )
        body = _json(response)
        if response.status_code != 200 or not isinstance(body, list):
            raise self._unexpected("POST", CSV_PATH, response)
        rows = []
        for index, item in enumerate(body, 1):
            ok = isinstance(item, dict) and item.get("submission_status") == "success"
            rows.append(
                CsvRowResult(
                    index,
                    ok,
                    item.get("report") if isinstance(item, dict) else None,
                    item.get("report_flag") if ok else None,
                    _warnings(item) if ok else (),
                    ()
                    if ok
                    else tuple(flatten_errors(item.get("errors") if isinstance(item, dict) else item)),
                )
            )
        return rows

    def report(self, report_id: int | str) -> dict[str, Any] | None:
        """The public Web API record of a report, or ``None``."""
        return self._lookup(f"/webapi/v2/browse/reports/{report_id}/")

    def institution_by_eter(self, eter_id: str) -> dict[str, Any] | None:
        """The Web API record of an institution with reports, or ``None``."""
        return self._lookup(f"/webapi/v2/browse/institutions/by-eter/{quote(eter_id, safe='')}/")

    def provider_by_eter(self, eter_id: str) -> dict[str, Any] | None:
        """Any provider DEQAR knows (with or without reports), by ETER id, or ``None``."""
        return self._lookup(f"/connectapi/v1/providers/by-eter/{quote(eter_id, safe='')}")

    def _lookup(self, path: str) -> dict[str, Any] | None:
        response = self._call("GET", path)
        body = _json(response)
        if response.status_code == 404 and isinstance(body, dict) and "detail" in body:
            return None  # DRF's own 404; an HTML 404 (proxy, wrong base URL) proves nothing
        if response.status_code == 200 and isinstance(body, dict):
            return body
        raise self._unexpected("GET", path, response)

    def activities(self, page_size: int = 50) -> Iterator[dict[str, Any]]:
        """All ESG activities (Connect API), page by page (``limit`` / ``offset``)."""
        return self._pages("/connectapi/v1/activities/", page_size)

    def agencies(self, page_size: int = 100) -> Iterator[dict[str, Any]]:
        """All agencies (Web API ``browse/agencies``: ``deqar_id``, ``acronym_primary``), page by page."""
        return self._pages(AGENCIES_PATH, page_size)

    def agency_names(self, agency: str) -> tuple[str, str] | None:
        """(acronym in upper case, numeric DEQAR id) of the agency named by either, or ``None``
        when the register lists no such agency. The register takes both in a report; one name
        keeps one agency's deliveries together in the state file."""
        wanted = agency.strip().upper()
        for record in self.agencies():
            acronym, deqar_id = str(record.get("acronym_primary") or ""), record.get("deqar_id")
            if wanted in (acronym.upper(), str(deqar_id)) and acronym and isinstance(deqar_id, int):
                return acronym.upper(), str(deqar_id)
        return None

    def _pages(self, path: str, page_size: int) -> Iterator[dict[str, Any]]:
        offset = 0
        while True:
            response = self._call("GET", path, params={"limit": str(page_size), "offset": str(offset)})
            body = _json(response)
            if response.status_code != 200 or not isinstance(body, dict):
                raise self._unexpected("GET", path, response)
            results = body.get("results") or []
            if not isinstance(results, list) or not all(isinstance(r, dict) for r in results):
                raise self._unexpected("GET", path, response)
            yield from results
            offset += len(results)
            count = body.get("count")
            if not body.get("next") or not results or (isinstance(count, int) and offset >= count):
                return  # the count bounds the walk even if a proxy or cache ignores ``offset``


def _warnings(answer: dict[str, Any]) -> tuple[str, ...]:
    """The report and institution warnings of a success: lists of texts as recorded, a text
    alone taken whole (not letter by letter)."""
    said: list[str] = []
    for name in ("report_warnings", "institution_warnings"):
        value = answer.get(name)
        items = value if isinstance(value, list) else [value] if value else []
        said.extend(str(item) for item in items)
    return tuple(said)


def _auth_hint(body: dict[str, Any]) -> str:
    """What to do about a 401/403 ``detail``: a missing header is not a bad token."""
    if body.get("detail") == AUTH_MISSING["detail"]:
        return ("the register received no 'Authorization: Bearer' header although it was sent: a proxy "
                "or gateway between here and the register drops it; give the register's own https "
                "address as the base URL, or have the proxy pass the header on")
    return "the token was refused: check the account, or whether someone rotated the token; then run again"


def _login_hint(status: int) -> str:
    """What to do when ``/accounts/get_token/`` gives no token: a server error passes, any other
    answer means the base URL does not lead to a DEQAR backend."""
    if status >= 500 or status == 429:
        return "the token endpoint is busy or had a server error; run the same command again later"
    return (
        "no DEQAR token endpoint answered at this base URL; give --base-url as the backend's root, "
        "without a path: https://backend.sandbox.deqar.eu (sandbox) or https://backend.deqar.eu"
    )


def require_https(base_url: str) -> None:
    """The password and the token travel on every request: only https, except on this machine.
    An address no request can be sent to (no host, a port that is no number, a space: a typo) is
    refused here too, naming it, rather than in the first request as a traceback."""
    problem = unusable_url(base_url)
    if problem:
        raise DeliveryConfigError(
            f"the DEQAR base URL {base_url!r} is not a usable address ({problem}); give the backend's "
            "root: https://backend.deqar.eu or https://backend.sandbox.deqar.eu"
        )
    parts = urlsplit(base_url)
    if parts.scheme == "https" or (parts.scheme == "http" and (parts.hostname or "") in LOOPBACK_HOSTS):
        return
    raise DeliveryConfigError(
        f"the DEQAR base URL {base_url!r} is not https: the agency password and token would travel "
        "unencrypted; give https://backend.deqar.eu or https://backend.sandbox.deqar.eu"
    )


def _look_up_throttled(exc: DeliveryThrottledError) -> str:
    """What to say when the look-up after a lost create is throttled beyond what a run waits:
    whether the report was stored is unknown until the register answers again."""
    return (f"looking the report up by its local identifier was throttled (HTTP {exc.status}, "
            f"Retry-After {exc.seconds:.0f} s): nothing more is sent in this run; run the same command "
            f"again after {exc.until}: it looks the report up first, so it is never created twice")


def _throttled_look_up(lost: DeliveryError, exc: DeliveryThrottledError) -> DeliveryThrottledError:
    """The lost create, said with its throttled look-up; still a throttling, so the run stops
    asking the register rather than failing each later report on the pause."""
    error = DeliveryThrottledError(exc.method, exc.url, exc.status, exc.seconds, exc.until, exc.sent)
    error.args = (f"{lost}; {_look_up_throttled(exc)}",)
    return error


def _answer_lost(exc: DeliveryError) -> bool:
    """True when a POST may have been carried out although no usable answer came back:
    no answer (connection dropped, timeout), or a server error (5xx, often a proxy's page).
    A throttling answer (429/503 with Retry-After) means the request was not processed."""
    if isinstance(exc, DeliveryConnectionError):
        return True
    if not isinstance(exc, DeliveryHTTPError) or isinstance(exc, (DeliveryThrottledError, DeliveryAuthError)):
        return False
    return exc.status >= 500 and exc.status != 503


def _json(response: Response) -> Any:
    """The body as JSON, or ``None``: not JSON, or nested past the parser's recursion limit
    (a broken proxy's or a hostile server's answer, said as one outside the contract)."""
    try:
        return response.json()
    except (ValueError, RecursionError):
        return None
