"""Delivery errors: each keeps what the server said and tells the user what to do.

::

    DeliveryError
     +-- DeliveryConfigError      credentials or options missing / unusable (before any request)
     +-- LocalValidationError     the payload breaks a rule of the target: refused, nothing sent
     +-- DeliveryConnectionError  no answer: refused, reset, timed out (after the retries allowed)
     +-- DeliveryHTTPError        an answer outside the contract (5xx, unexpected status / body)
          +-- DeliveryAuthError   the target refused our credentials (DEQAR: 401 login, 403 detail)
          +-- DeliveryThrottledError  the target asks to wait longer than a run waits (Retry-After)
"""

from __future__ import annotations


class DeliveryError(Exception):
    """Base class of every delivery failure."""


class DeliveryConfigError(DeliveryError):
    """Missing or unusable configuration: credentials, base URL, input files."""


class LocalValidationError(DeliveryError):
    """The payload breaks a rule of the target; it was not sent."""

    def __init__(self, message: str, problems: list[tuple[str, str]] | None = None) -> None:
        self.problems = problems or []
        details = "; ".join(f"{path}: {text}" if path else text for path, text in self.problems)
        super().__init__(f"{message}: {details}" if details else message)


class DeliveryConnectionError(DeliveryError):
    """The target did not answer (connection refused or dropped, timeout)."""

    def __init__(self, method: str, url: str, reason: str, attempts: int) -> None:
        self.method, self.url, self.reason, self.attempts = method, url, reason, attempts
        super().__init__(
            f"{method} {url}: no answer after {attempts} attempt(s): {reason}; "
            "check the base URL and the network, then run the same command again "
            "(finished items are skipped)"
        )


class DeliveryHTTPError(DeliveryError):
    """An answer the contract does not cover; keeps status, URL and the start of the body."""

    def __init__(self, method: str, url: str, status: int, excerpt: str, hint: str = "") -> None:
        self.method, self.url, self.status, self.excerpt = method, url, status, excerpt
        text = f"{method} {url}: HTTP {status}: {excerpt or '(empty body)'}"
        if hint:
            text += f"; {hint}"
        super().__init__(text)


class DeliveryAuthError(DeliveryHTTPError):
    """The target refused the credentials or the token."""


class DeliveryThrottledError(DeliveryHTTPError):
    """The target asked (429/503 with ``Retry-After``) for a pause longer than a run waits:
    nothing more is sent, and the message says when to run the same command again."""

    def __init__(self, method: str, url: str, status: int, seconds: float, until: str,
                 sent: bool = True) -> None:
        self.seconds, self.until = seconds, until
        self.sent = sent  # False: this request was held back, never sent
        later = (f"nothing more is sent in this run; run the same command again after {until} "
                 "(finished items are skipped)")
        super().__init__(method, url, status, f"the target asks to wait {seconds:.0f} s (Retry-After)", later)
        if not sent:  # the 429/503 answered an earlier request: this one never left
            self.args = (f"{method} {url}: not sent: the target asked (HTTP {status} to an earlier request) "
                         f"to wait {seconds:.0f} s more (Retry-After); {later}",)
