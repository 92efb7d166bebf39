"""How long to wait before the next attempt when a platform names the wait (`Retry-After`,
rate-limit reset headers): read from the answer, then clamped so a server cannot park a step
for years. Shared by the platforms that honour such headers (`http.request`, `ai.generate`)."""

from __future__ import annotations

from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime

from temporalio import activity

DEFAULT_LONGEST_RETRY_DELAY = timedelta(hours=1)
"""The longest wait a Retry-After may ask for when the node's retry policy names none."""


def retry_after_seconds(value: str | None, now: datetime) -> float | None:
    """Retry-After as seconds, from either of its forms (delta-seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if value.isascii() and value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        return None
    return max(0.0, (when - now).total_seconds())


def retry_delay(seconds: float | None, longest: timedelta | None) -> timedelta | None:
    """The server's wait clamped to [0, `longest`] (the node's maximum interval, or an hour):
    a date in the past retries now, and a server cannot park the step for years (nor overflow
    timedelta with a 400-digit number)."""
    if seconds is None:
        return None
    limit = longest or DEFAULT_LONGEST_RETRY_DELAY
    return timedelta(seconds=max(0.0, min(seconds, limit.total_seconds())))


def longest_retry_delay() -> timedelta | None:
    """The running activity's retry policy's maximum interval, if it names one."""
    policy = activity.info().retry_policy
    return policy.maximum_interval if policy is not None else None
