"""When a run stops asking a target that has stopped answering."""

from __future__ import annotations

from collections.abc import Callable

from edcbridge.deliver.errors import (
    DeliveryAuthError,
    DeliveryConnectionError,
    DeliveryError,
    DeliveryHTTPError,
    DeliveryThrottledError,
)

PENDING = "it delivers what is still pending"  # what running the same command again does
SILENT_LIMIT = 3  # requests in a row without an answer after which a run stops asking
GATEWAY_DOWN = frozenset({502, 503, 504})  # a gateway or proxy saying the target behind it is unavailable


def gateway_down(exc: DeliveryError) -> bool:
    """A gateway's (or proxy's) 502, 503 or 504: the target behind it is unavailable. A 503
    asking to wait longer than a run waits (``Retry-After``) is a throttling, not this."""
    return (isinstance(exc, DeliveryHTTPError) and not isinstance(exc, DeliveryThrottledError)
            and exc.status in GATEWAY_DOWN)


def unanswered(exc: DeliveryError) -> bool:
    """No answer from the target itself: none at all, or its gateway's saying the target is
    unavailable (both after the retries allowed). A request throttled has its own pause."""
    return isinstance(exc, DeliveryConnectionError) or gateway_down(exc)


class Silence:
    """The requests in a row a target left unanswered; any answer starts the count again."""

    def __init__(self) -> None:
        self.in_a_row = 0

    def heard(self, answered: bool) -> bool:
        """Count one request; whether the run should now stop asking."""
        self.in_a_row = 0 if answered else self.in_a_row + 1
        return self.over

    @property
    def over(self) -> bool:
        return self.in_a_row >= SILENT_LIMIT


Said = Callable[[list[str]], str]  # why a run stopped, from the kinds of requests left unanswered


class Stop:
    """Whether a run stops asking a target, and why: at once when it refused access (401/403) or
    asked to wait longer than a run waits (``Retry-After``), or once :data:`SILENT_LIMIT`
    requests in a row went unanswered (``silent`` says so from their kinds; ``no_answer`` says
    which failures count as unanswered)."""

    def __init__(self, silent: str | Said, refused: str,
                 throttled: Callable[[DeliveryThrottledError], str] | None = None,
                 no_answer: Callable[[DeliveryError], bool] = unanswered) -> None:
        self.silent = silent if callable(silent) else (lambda _kinds, said=silent: said)
        self.refused, self.throttled, self.no_answer = refused, throttled, no_answer
        self.silence = Silence()
        self.kinds: list[str] = []  # the requests left unanswered in a row, by kind
        self.why: str | None = None  # said of each request not sent once the run stopped asking

    def heard(self, failure: DeliveryError | None = None, kind: str = "report") -> None:
        """Count one request of ``kind``: answered, unless its ``failure`` says otherwise."""
        if self.why is not None:
            return
        if isinstance(failure, DeliveryAuthError):
            self.why = self.refused
        elif isinstance(failure, DeliveryThrottledError) and self.throttled is not None:
            self.why = self.throttled(failure)
        else:
            answered = failure is None or not self.no_answer(failure)
            self.kinds = [] if answered else [*self.kinds, kind]
            if self.silence.heard(answered):
                self.why = self.silent(self.kinds[-SILENT_LIMIT:])


def wallet_throttled(exc: DeliveryThrottledError) -> str:
    """Why the rest is not sent once the wallet asked to wait longer than a run waits: it stored
    nothing (a 429 or 503 is its "later"), so the same command sends them."""
    return (f"not sent: the wallet asked (HTTP {exc.status}, Retry-After) to wait {exc.seconds:.0f} s, "
            f"longer than a run waits; run the same command again after {exc.until}: {PENDING}")


def wallet_silent(option: str) -> str:
    """Why the rest is not sent once the wallet left :data:`SILENT_LIMIT` deposits in a row
    without any answer; ``option`` is the command's for the wallet's URL."""
    return (f"not sent: the wallet did not answer the last {SILENT_LIMIT} deposits (each waits for its "
            f"timeout); check that it is up and {option}, then run the same command again: {PENDING}")


def wallet_unavailable(option: str) -> str:
    """Why the rest is not sent once the wallet's gateway answered :data:`SILENT_LIMIT` deposits
    in a row with 502, 503 or 504 (without a ``Retry-After`` to wait for): it answers at once,
    but the wallet behind it is down."""
    return (f"not sent: the wallet's gateway answered the last {SILENT_LIMIT} deposits with HTTP 502, 503 "
            f"or 504: the wallet behind it is unavailable; check that it is up and {option}, then run "
            f"the same command again: {PENDING}")


def wallet_unanswered(option: str) -> str:
    """Why the rest is not sent once :data:`SILENT_LIMIT` deposits in a row went unanswered,
    some without any answer and some with the gateway's 502, 503 or 504."""
    return (f"not sent: the wallet did not answer the last {SILENT_LIMIT} deposits (some got no answer, "
            "each after its timeout; the others its gateway's HTTP 502, 503 or 504: the wallet behind it "
            f"is unavailable); check that it is up and {option}, then run the same command again: {PENDING}")


def wallet_refused(option: str) -> str:
    """Why the rest is not sent once the wallet refused access (401/403)."""
    return (f"not sent: the wallet refused access (HTTP 401/403) earlier in this run; check {option} and "
            "any access the wallet requires (a gateway, an allow-list), then run the same command again: "
            f"{PENDING}")


GATEWAY = "gateway"  # the kind of a deposit its gateway answered 502, 503 or 504


def wallet_left(option: str) -> Said:
    """What a wallet's silence is said as, from the kinds of the deposits left unanswered."""
    def said(kinds: list[str]) -> str:
        gateway = kinds.count(GATEWAY)
        if gateway == 0:
            return wallet_silent(option)
        return wallet_unavailable(option) if gateway == len(kinds) else wallet_unanswered(option)

    return said


class WalletStop(Stop):
    """A :class:`Stop` that counts each deposit by what left it unanswered: no answer at all,
    or the gateway's 502, 503 or 504 (whatever kind the caller names)."""

    def heard(self, failure: DeliveryError | None = None, kind: str = "deposit") -> None:
        super().heard(failure, GATEWAY if failure is not None and gateway_down(failure) else "deposit")


def wallet_stop(option: str) -> Stop:
    """When a run stops asking the wallet (``push wallet`` and ``export --deliver-wallet`` alike):
    it refused access, asked to wait longer than a run waits, or left :data:`SILENT_LIMIT`
    deposits in a row unanswered: without any answer (each its timeout), or with its gateway's
    502, 503 or 504 (at once). Each command says it with its own ``option`` for the wallet's URL."""
    return WalletStop(wallet_left(option), wallet_refused(option), wallet_throttled)
