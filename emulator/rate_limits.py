"""Rate-limit windows and the headers that report them: X's per-user, per-endpoint windows
with the 24-hour post cap, and Meta's per-account call budget."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from emulator.clock import Clock
from emulator.config import CREATE_POST, XTier

DAY = timedelta(hours=24)
HOUR = timedelta(hours=1)


@dataclass
class Window:
    """A fixed window: the first request opens it, it closes `length` later."""

    limit: int
    ends_at: datetime
    used: int = 0

    @property
    def remaining(self) -> int:
        return max(self.limit - self.used, 0)


class Windows:
    """Fixed windows by key, read through the emulator's clock."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._windows: dict[tuple[str, str], Window] = {}

    def current(self, key: tuple[str, str], limit: int, length: timedelta) -> Window:
        now = self._clock.now()
        window = self._windows.get(key)
        if window is None or now >= window.ends_at:
            window = Window(limit, now + length)
            self._windows[key] = window
        return window

    def set(self, key: tuple[str, str], limit: int, remaining: int, ends_at: datetime) -> Window:
        """Force a window's state, e.g. to be exhausted until a chosen reset time."""
        window = Window(limit, ends_at, used=limit - max(0, min(remaining, limit)))
        self._windows[key] = window
        return window


@dataclass(frozen=True)
class Admission:
    """Whether a request may proceed, and the headers that say how much is left."""

    allowed: bool
    headers: dict[str, str]
    exhausted: str | None = None
    """Which limit refused it: `window` (15 minutes) or `daily` (24 hours)."""


def reset_seconds(moment: datetime) -> int:
    """A window's end as X's reset headers give it: Unix seconds, rounded up."""
    return math.ceil(moment.timestamp())


class XRateLimits:
    """Per user and endpoint: `x-rate-limit-*`; on POST /2/tweets also `x-user-limit-24hour-*`."""

    def __init__(self, tier: XTier, clock: Clock) -> None:
        self.tier = tier
        self.windows = Windows(clock)

    def window(self, user_id: str, endpoint: str) -> Window:
        limit = self.tier.requests_per_window[endpoint]
        return self.windows.current((user_id, endpoint), limit, self.tier.window)

    def daily(self, user_id: str) -> Window:
        return self.windows.current((user_id, "24h"), self.tier.posts_per_24_hours, DAY)

    def admit(self, user_id: str, endpoint: str) -> Admission:
        """Count one request if both its limits allow it."""
        window = self.window(user_id, endpoint)
        daily = self.daily(user_id) if endpoint == CREATE_POST else None
        exhausted = None
        if window.remaining == 0:
            exhausted = "window"
        elif daily is not None and daily.remaining == 0:
            exhausted = "daily"
        else:
            window.used += 1
            if daily is not None:
                daily.used += 1
        headers = {
            "x-rate-limit-limit": str(window.limit),
            "x-rate-limit-remaining": str(window.remaining),
            "x-rate-limit-reset": str(reset_seconds(window.ends_at)),
        }
        if daily is not None:
            headers |= {
                "x-user-limit-24hour-limit": str(daily.limit),
                "x-user-limit-24hour-remaining": str(daily.remaining),
                "x-user-limit-24hour-reset": str(reset_seconds(daily.ends_at)),
            }
        return Admission(exhausted is None, headers, exhausted)


class MetaUsage:
    """Graph API calls per Instagram account per hour (Meta's business use case limit),
    reported in `X-Business-Use-Case-Usage`; the app's share in `X-App-Usage`."""

    def __init__(self, calls_per_hour: int, clock: Clock) -> None:
        self.calls_per_hour = calls_per_hour
        self.windows = Windows(clock)
        self._clock = clock

    def window(self, ig_user_id: str) -> Window:
        return self.windows.current((ig_user_id, "calls"), self.calls_per_hour, HOUR)

    def admit(self, ig_user_id: str | None, accounts: int) -> Admission:
        """Count one call of `ig_user_id` (None: a call not tied to an account)."""
        app = self.windows.current(("app", "calls"), self.calls_per_hour * max(accounts, 1), HOUR)
        app.used += 1
        headers = {"X-App-Usage": json.dumps(_usage(app))}
        if ig_user_id is None:
            return Admission(True, headers)
        window = self.window(ig_user_id)
        allowed = window.remaining > 0
        if allowed:
            window.used += 1
        regain = 0
        if window.remaining == 0:
            regain = math.ceil((window.ends_at - self._clock.now()) / timedelta(minutes=1))
        usage = _usage(window) | {"type": "instagram", "estimated_time_to_regain_access": regain}
        headers["X-Business-Use-Case-Usage"] = json.dumps({ig_user_id: [usage]})
        return Admission(allowed, headers, None if allowed else "hourly")


def _usage(window: Window) -> dict[str, int | str]:
    """Percentages of the budget used, as Meta reports them (CPU and time follow calls here)."""
    percent = min(100, math.ceil(100 * window.used / window.limit)) if window.limit else 100
    return {"call_count": percent, "total_cputime": percent // 2, "total_time": percent // 2}
