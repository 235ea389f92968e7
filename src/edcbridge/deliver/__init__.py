"""Delivery: DEQAR Submission API v2 reports and Europass wallet deposits, safe to re-run.

Modules, one job each: ``http`` (session, timeouts, retries, masking), ``deqar_vocab`` /
``deqar_model`` (controlled values, batch input), ``deqar_map`` (report JSON, CSV, local
rules), ``deqar_client`` / ``wallet_client`` (wire contracts to typed results), ``state`` /
``results`` / ``push`` (plan and apply), ``config`` (batch file, credentials), ``cli``.
"""

from edcbridge.deliver.deqar_client import DeqarClient, FieldError, SubmitResult
from edcbridge.deliver.errors import (
    DeliveryAuthError,
    DeliveryConfigError,
    DeliveryConnectionError,
    DeliveryError,
    DeliveryHTTPError,
    LocalValidationError,
)
from edcbridge.deliver.http import HttpClient, RetryPolicy
from edcbridge.deliver.wallet_client import DepositResult, WalletClient

__all__ = [
    "DeliveryAuthError",
    "DeliveryConfigError",
    "DeliveryConnectionError",
    "DeliveryError",
    "DeliveryHTTPError",
    "DepositResult",
    "DeqarClient",
    "FieldError",
    "HttpClient",
    "LocalValidationError",
    "RetryPolicy",
    "SubmitResult",
    "WalletClient",
]
