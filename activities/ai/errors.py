"""AI providers' errors mapped to what the workflow should do, in one place, and the wait
their rate-limit headers name.

429 retries after `Retry-After`, else after the latest reset among the limits that are spent
(OpenAI's `x-ratelimit-reset-requests` / `-tokens`, durations such as `6m0s`; Anthropic's
`anthropic-ratelimit-*-reset`, RFC 3339 times), else with the node's backoff; an OpenAI 429
for `insufficient_quota` is billing, not a rate, and fails for good. 5xx and Anthropic's 529
(overloaded) retry, honouring `Retry-After`; 401 and 403 fail for good without the provider's
message (OpenAI's shows part of the key); other 4xx fail for good with the provider's message.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime

import httpx
from temporalio.exceptions import ApplicationError

from activities.errors import PlatformError
from activities.network import AddressNotAllowedError
from activities.retry_delays import longest_retry_delay, retry_after_seconds, retry_delay
from app.contract.failures import FailureType

MAX_MESSAGE = 500
"""Characters of a provider's message kept in a failure."""
_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h|d)")
_UNIT_SECONDS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}


class AiError(PlatformError):
    """A provider's error answer: its HTTP `status`, its error `kind` (`rate_limit_error`,
    `insufficient_quota`...), its message and the answer's `headers`."""

    def __init__(
        self, *, provider: str, status: int, kind: str, message: str, headers: Mapping[str, str]
    ) -> None:
        super().__init__(message)
        self.provider = provider
        self.status = status
        self.kind = kind
        self.headers = headers


class AiAnswerError(PlatformError):
    """The provider answered, but not with what was asked for."""

    def __init__(self, message: str, *, failure: FailureType) -> None:
        super().__init__(message)
        self.failure = failure


def duration_seconds(value: str) -> float | None:
    """OpenAI's reset durations (`1s`, `6m0s`, `20ms`, `1h2m3.5s`) as seconds."""
    value = value.strip()
    if not value or _DURATION_PART.sub("", value):
        return None
    return sum(
        float(number) * _UNIT_SECONDS[unit] for number, unit in _DURATION_PART.findall(value)
    )


def _timestamp_seconds(value: str, now: datetime) -> float | None:
    try:
        when = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return (when - now).total_seconds() if when.tzinfo is not None else None


def _resets(headers: Mapping[str, str], now: datetime) -> list[tuple[bool, float]]:
    """Each limit's (spent, seconds until it resets), from either provider's headers."""
    found: list[tuple[bool, float]] = []
    for name, value in headers.items():
        name = name.lower()
        if name.startswith("x-ratelimit-reset-"):
            limit = name.removeprefix("x-ratelimit-reset-")
            seconds = duration_seconds(value)
            remaining = headers.get(f"x-ratelimit-remaining-{limit}")
        elif name.startswith("anthropic-ratelimit-") and name.endswith("-reset"):
            limit = name.removeprefix("anthropic-ratelimit-").removesuffix("-reset")
            seconds = _timestamp_seconds(value, now)
            remaining = headers.get(f"anthropic-ratelimit-{limit}-remaining")
        else:
            continue
        if seconds is not None:
            found.append((remaining is not None and remaining.strip() == "0", seconds))
    return found


def rate_limit_wait(headers: Mapping[str, str], now: datetime) -> float | None:
    """Seconds until the provider takes requests again, as its headers say: `Retry-After`,
    else the latest reset of the spent limits (of all the limits, when none says it is spent)."""
    lowered = {name.lower(): value for name, value in headers.items()}
    after = retry_after_seconds(lowered.get("retry-after"), now)
    if after is not None:
        return after
    resets = _resets(lowered, now)
    spent = [seconds for is_spent, seconds in resets if is_spent]
    candidates = spent or [seconds for _, seconds in resets]
    return max(candidates) if candidates else None


def _without(message: str, secret: str | None) -> str:
    shown = message if not secret else message.replace(secret, "***")
    return shown[:MAX_MESSAGE]


def provider_failure(error: AiError, secret: str | None = None) -> ApplicationError:
    """The failure for an error answer; `secret` (the key) is cut out of any message kept."""
    name = "OpenAI-compatible API" if error.provider == "openai" else "Anthropic"
    said = _without(error.message, secret)
    wait = retry_delay(rate_limit_wait(error.headers, datetime.now(UTC)), longest_retry_delay())
    if error.status == 429 and error.kind != "insufficient_quota":
        return FailureType.AiRateLimited.error(
            f"{name} rate limit reached: {said}", next_retry_delay=wait
        )
    if error.status >= 500:
        return FailureType.AiUnavailable.error(
            f"{name} could not answer now (HTTP {error.status}): {said}", next_retry_delay=wait
        )
    if error.status in (401, 403):
        return FailureType.AiUnauthorized.error(
            f"{name} refused the account's API key (HTTP {error.status}, {error.kind}): store a "
            "valid key in the account"
        )
    return FailureType.AiBadRequest.error(
        f"{name} refused the request (HTTP {error.status}): {said}"
    )


def ai_failure_of(error: Exception, secret: str | None = None) -> ApplicationError | None:
    """The ApplicationError for anything talking to a provider raised; None: not ours."""
    if isinstance(error, AiError):
        return provider_failure(error, secret)
    if isinstance(error, AiAnswerError):
        return error.failure.error(error.message)
    if isinstance(error, AddressNotAllowedError):
        return FailureType.AddressNotAllowed.error(
            f"{error.message}: this organization may not call private networks"
        )
    if isinstance(error, TimeoutError | httpx.TimeoutException):
        return FailureType.Timeout.error("the AI provider did not answer in time")
    if isinstance(error, httpx.HTTPError):
        return FailureType.NetworkError.error(
            f"could not reach the AI provider: {type(error).__name__}"
        )
    return None
