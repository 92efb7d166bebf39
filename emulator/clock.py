"""The emulator's clock: real time plus an offset that tests move, so rate-limit windows,
token expiries and container expiries are testable without sleeping."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta


def _utc_now() -> datetime:
    return datetime.now(UTC)


class Clock:
    """Every time the emulator reads (ids, windows, expiries, `created_at`) comes from here."""

    def __init__(self, source: Callable[[], datetime] = _utc_now) -> None:
        """`source` gives the underlying time (aware, UTC); the offset is added to it."""
        self._source = source
        self._offset = timedelta()

    def now(self) -> datetime:
        return self._source() + self._offset

    def timestamp(self) -> int:
        """Unix seconds, as X's `x-rate-limit-reset` headers carry them."""
        return int(self.now().timestamp())

    def advance(self, delta: timedelta) -> None:
        """Move time forward; going back would let ids and windows run backwards."""
        if delta < timedelta():
            raise ValueError("the emulator's clock only moves forward")
        self._offset += delta

    @property
    def offset(self) -> timedelta:
        """How far the clock is ahead of its source."""
        return self._offset
