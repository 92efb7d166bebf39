"""Slowing down whoever keeps failing: after too many failed attempts from one source (a bad
API key, a webhook delivery that does not verify), that source gets 429 with `Retry-After`
until its oldest failure leaves the window.

Counted per API process, in memory: a guessing source is slowed on every process it reaches,
and a restart forgets. The table is bounded, so a flood of sources cannot grow it forever.
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict, deque
from collections.abc import Callable

from app.errors import TooManyRequestsError

MAX_SOURCES = 10_000
"""Sources remembered at once; the least recently failing are forgotten first."""


class FailureLimiter:
    """At most `limit` failures per source within `window` seconds."""

    def __init__(
        self,
        *,
        limit: int,
        window: float,
        what: str,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.limit = limit
        self.window = window
        self.what = what
        self._clock = clock
        self._failures: OrderedDict[str, deque[float]] = OrderedDict()

    def check(self, source: str) -> None:
        """Raise `TooManyRequestsError` while `source` has used up its failures."""
        failures = self._recent(source)
        if failures is not None and len(failures) >= self.limit:
            wait = failures[0] + self.window - self._clock()
            raise TooManyRequestsError(
                f"too many {self.what} from this address: try again in {math.ceil(wait)} s",
                retry_after=max(1, math.ceil(wait)),
            )

    def failed(self, source: str) -> None:
        failures = self._recent(source)
        if failures is None:
            failures = self._failures[source] = deque()
        failures.append(self._clock())
        self._failures.move_to_end(source)
        while len(self._failures) > MAX_SOURCES:
            self._failures.popitem(last=False)

    def _recent(self, source: str) -> deque[float] | None:
        failures = self._failures.get(source)
        if failures is None:
            return None
        horizon = self._clock() - self.window
        while failures and failures[0] <= horizon:
            failures.popleft()
        if not failures:
            del self._failures[source]
            return None
        return failures
