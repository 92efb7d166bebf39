"""X's answers mapped to what the workflow should do, in one place.

429 retries when the exhausted window resets (15 minutes or 24 hours, from the
`x-rate-limit-*`, `x-user-limit-24hour-*` and `x-app-limit-24hour-*` headers) plus jitter;
5xx and network failures retry with the node's backoff; 400, 401 (after one renewal), 403 and
404 fail for good with X's own message.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from datetime import timedelta

import requests
import tweepy
from temporalio.exceptions import ApplicationError

DEFAULT_RATE_LIMIT_DELAY = timedelta(minutes=1)
"""When a 429 names no reset time."""
MAX_JITTER_SECONDS = 10.0
"""Spread retries of runs that hit the same window, so they do not all return at once."""

_LIMITS = ("x-rate-limit", "x-user-limit-24hour", "x-app-limit-24hour")


def rate_limit_delay(headers: Mapping[str, str], now: float) -> timedelta:
    """How long until the exhausted limit resets, plus jitter. `now`: Unix seconds."""
    resets: list[int] = []
    for prefix in _LIMITS:
        remaining, reset = headers.get(f"{prefix}-remaining"), headers.get(f"{prefix}-reset")
        if remaining == "0" and reset is not None and reset.isdigit():
            resets.append(int(reset))
    if not resets:
        # A 429 whose windows all have room left: the 15-minute reset is the best guess.
        reset = headers.get("x-rate-limit-reset", "")
        if not reset.isdigit():
            return DEFAULT_RATE_LIMIT_DELAY
        resets.append(int(reset))
    wait = max(max(resets) - now, 0.0)
    return timedelta(seconds=wait + random.uniform(1.0, MAX_JITTER_SECONDS))  # noqa: S311


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


def x_failure(error: Exception, now: float) -> ApplicationError:
    """The ApplicationError for a failed X call; `now` in Unix seconds."""
    if isinstance(error, tweepy.TooManyRequests):
        return ApplicationError(
            "X rate limit reached: retrying when the window resets",
            type="XRateLimited",
            next_retry_delay=rate_limit_delay(error.response.headers, now),
        )
    if isinstance(error, tweepy.TwitterServerError):
        return ApplicationError(
            f"X answered {error.response.status_code}: {platform_message(error)}",
            type="XServerError",
        )
    if isinstance(error, tweepy.HTTPException):
        status = error.response.status_code
        kind = {400: "XBadRequest", 401: "XUnauthorized", 403: "XForbidden", 404: "XNotFound"}
        error_type = "XDuplicateContent" if is_duplicate(error) else kind.get(status, "XRefused")
        return ApplicationError(
            f"X answered {status}: {platform_message(error)}",
            type=error_type,
            non_retryable=True,
        )
    if isinstance(error, requests.RequestException | tweepy.TweepyException):
        return ApplicationError(f"could not reach X: {type(error).__name__}", type="NetworkError")
    raise error
