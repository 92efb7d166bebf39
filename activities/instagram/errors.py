"""Meta's Graph API errors mapped to what the workflow should do, in one place.

Throttling (codes 4, 17, 32, 613, 80002) retries when `X-Business-Use-Case-Usage` says access
returns (`estimated_time_to_regain_access`, in minutes; a day at most); 1 and 2 (and anything
Meta marks `is_transient`) retry with the node's backoff, as do 5xx answers without a Graph
error; 190 means the token is expired or invalid and fails for good; everything else fails for
good with Meta's message.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

import httpx
from temporalio.exceptions import ApplicationError

from activities.errors import PlatformError
from app.contract.failures import FailureType

THROTTLING_CODES = frozenset({4, 17, 32, 613, 80002})
TRANSIENT_CODES = frozenset({1, 2})
EXPIRED_TOKEN_CODE = 190
NOT_READY_CODE = 9007
"""media_publish before the container finished processing."""
MAX_REGAIN_DELAY = timedelta(hours=24)
"""Meta's throttling windows are an hour, a day at most: an estimate beyond that is bogus,
and must not park the step for years (nor overflow timedelta)."""
MAX_REGAIN_MINUTES = MAX_REGAIN_DELAY / timedelta(minutes=1)


class GraphError(PlatformError):
    """A Graph API error answer: Meta's `message`, its HTTP `status`, its error `code`, whether
    Meta marks it `transient`, and the answer's `headers` (throttling estimates)."""

    def __init__(
        self,
        *,
        status: int,
        code: int | None,
        message: str,
        transient: bool,
        headers: Mapping[str, str],
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.transient = transient
        self.headers = headers

    def __str__(self) -> str:
        return f"Instagram error {self.code}: {self.message}"

    @classmethod
    def from_answer(
        cls, status: int, body: Mapping[str, Any], headers: Mapping[str, str]
    ) -> GraphError:
        error = body.get("error")
        detail: Mapping[str, Any] = error if isinstance(error, dict) else {}
        code = detail.get("code")
        message = str(detail.get("error_user_msg") or detail.get("message") or f"HTTP {status}")
        return cls(
            status=status,
            code=code if isinstance(code, int) else None,
            message=message,
            transient=bool(detail.get("is_transient")),
            headers=dict(headers),
        )


def _minutes(value: Any) -> float | None:
    """A positive number of minutes, or None (a bool, a string, NaN, zero or less)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    # Compared as is: a 400-digit int does not fit in a float; NaN compares False.
    return float(min(value, MAX_REGAIN_MINUTES)) if value > 0 else None


def regain_delay(headers: Mapping[str, str]) -> timedelta | None:
    """The longest `estimated_time_to_regain_access` in X-Business-Use-Case-Usage, if any,
    at most `MAX_REGAIN_DELAY`."""
    raw = {name.lower(): value for name, value in headers.items()}.get("x-business-use-case-usage")
    try:
        usage = json.loads(raw) if raw else {}
    except ValueError:
        return None
    minutes = [
        _minutes(entry.get("estimated_time_to_regain_access"))
        for entries in (usage.values() if isinstance(usage, dict) else ())
        if isinstance(entries, list)
        for entry in entries
        if isinstance(entry, dict)
    ]
    longest = max((m for m in minutes if m is not None), default=None)
    return timedelta(minutes=longest) if longest is not None else None


def graph_failure(error: GraphError) -> ApplicationError:
    if error.code in THROTTLING_CODES:
        return FailureType.InstagramRateLimited.error(
            f"Instagram is throttling this account: {error.message}",
            next_retry_delay=regain_delay(error.headers),
        )
    if error.code == EXPIRED_TOKEN_CODE:
        return FailureType.InstagramTokenExpired.error(
            f"Instagram refused the account's token: {error.message}; connect it again"
        )
    if (
        error.code in TRANSIENT_CODES
        or error.transient
        or (error.code is None and error.status >= 500)
    ):
        return FailureType.InstagramTransient.error(
            f"Instagram could not answer now: {error.message}"
        )
    return FailureType.InstagramRefused.error(f"Instagram refused the request: {error.message}")


def instagram_failure_of(error: Exception) -> ApplicationError | None:
    """The ApplicationError for a Graph API error or a failed HTTP exchange with Instagram;
    None for anything else."""
    if isinstance(error, GraphError):
        return graph_failure(error)
    if isinstance(error, httpx.TimeoutException):
        return FailureType.Timeout.error("Instagram did not answer in time")
    if isinstance(error, httpx.HTTPError):
        return FailureType.NetworkError.error(f"could not reach Instagram: {type(error).__name__}")
    return None
