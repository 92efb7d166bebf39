"""X's answers mapped to what the workflow should do, in one place.

429 retries when the exhausted window resets (15 minutes or 24 hours, from the
`x-rate-limit-*`, `x-user-limit-24hour-*` and `x-app-limit-24hour-*` headers; never more than
24 hours away) plus jitter;
5xx and network failures retry with the node's backoff; 400, 401 (after one renewal), 403 and
404 fail for good with X's own message.
"""

from __future__ import annotations

import random
import time
from collections.abc import Mapping
from datetime import timedelta

import requests
import tweepy
from temporalio.exceptions import ApplicationError

from app.contract.failures import FailureType

DEFAULT_RATE_LIMIT_DELAY = timedelta(minutes=1)
"""When a 429 names no reset time."""
MAX_RATE_LIMIT_DELAY = timedelta(hours=24)
"""The longest X's windows last (the 24-hour caps): a reset header further out is bogus, and
must not park the step for years (nor overflow timedelta)."""
MIN_JITTER_SECONDS = 1.0
MAX_JITTER_SECONDS = 10.0
"""Spread retries of runs that hit the same window, so they do not all return at once."""

_LIMITS = ("x-rate-limit", "x-user-limit-24hour", "x-app-limit-24hour")


def _reset(headers: Mapping[str, str], name: str) -> int | None:
    value = headers.get(name, "")
    # ASCII only: str.isdigit() also accepts digits int() refuses, such as "²".
    return int(value) if value.isascii() and value.isdigit() else None


def rate_limit_delay(headers: Mapping[str, str], now: float) -> timedelta:
    """How long until the exhausted limit resets, within [0, 24 h], plus jitter.

    `now`: Unix seconds. A reset in the past still waits the jitter, so runs that hit the
    same window do not all retry at the same instant."""
    resets: list[int] = []
    for prefix in _LIMITS:
        reset = _reset(headers, f"{prefix}-reset")
        if headers.get(f"{prefix}-remaining") == "0" and reset is not None:
            resets.append(reset)
    if not resets:
        # A 429 whose windows all have room left: the 15-minute reset is the best guess.
        reset = _reset(headers, "x-rate-limit-reset")
        if reset is None:
            return DEFAULT_RATE_LIMIT_DELAY
        resets.append(reset)
    # Compared before subtracting: a 400-digit reset does not fit in a float.
    latest = min(max(resets), now + MAX_RATE_LIMIT_DELAY.total_seconds())
    wait = max(latest - now, 0.0)
    jitter = random.uniform(MIN_JITTER_SECONDS, MAX_JITTER_SECONDS)  # noqa: S311
    return timedelta(seconds=wait + jitter)


def platform_message(error: tweepy.HTTPException) -> str:
    """X's own words for the problem (problem JSON `detail` or `errors[].message`)."""
    messages = [str(message) for message in error.api_messages if message]
    if messages:
        return "; ".join(messages)
    return str(getattr(error.response, "reason", "") or "no details")


def is_duplicate(error: tweepy.HTTPException) -> bool:
    return (
        isinstance(error, tweepy.Forbidden)
        and "duplicate content" in platform_message(error).lower()
    )


REFUSALS = {
    400: FailureType.XBadRequest,
    401: FailureType.XUnauthorized,
    403: FailureType.XForbidden,
    404: FailureType.XNotFound,
}
"""X's 4xx answers that have a failure type of their own; any other is `XRefused`."""


def x_failure(error: Exception, now: float) -> ApplicationError:
    """The ApplicationError for a failed X call; `now` in Unix seconds."""
    if isinstance(error, tweepy.TooManyRequests):
        return FailureType.XRateLimited.error(
            "X rate limit reached: retrying when the window resets",
            next_retry_delay=rate_limit_delay(error.response.headers, now),
        )
    if isinstance(error, tweepy.TwitterServerError):
        return FailureType.XServerError.error(
            f"X answered {error.response.status_code}: {platform_message(error)}"
        )
    if isinstance(error, tweepy.HTTPException):
        status = error.response.status_code
        refusal = (
            FailureType.XDuplicateContent
            if is_duplicate(error)
            else REFUSALS.get(status, FailureType.XRefused)
        )
        return refusal.error(f"X answered {status}: {platform_message(error)}")
    if isinstance(error, requests.RequestException | tweepy.TweepyException):
        return FailureType.NetworkError.error(f"could not reach X: {type(error).__name__}")
    raise error


def x_failure_of(error: Exception) -> ApplicationError | None:
    """The ApplicationError for what tweepy or requests raised; None for anything else."""
    if isinstance(error, tweepy.TweepyException | requests.RequestException):
        return x_failure(error, time.time())
    return None
