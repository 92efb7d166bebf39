"""When a step began and when its attempt must end, by this worker's clock.

A retry that looks on a platform for what an earlier attempt made compares the platform's
timestamps with when the step was first scheduled, and a long attempt compares its own time
with its deadline. The platform's clock and the worker's agree (within a clock skew);
Temporal's server clock need not: a time-skipping server runs ahead of the wall clock by
every timer it ever skipped, so its `scheduled_time` can lie after a reply the platform
stamped a second ago. So only durations are read from the server's clock (from first
scheduled to this attempt's start, both its own) and laid back from the worker's now.

Read them when the attempt starts: the worker's now then trails the server's start by the
task's delivery, which only moves the window earlier, the safe way for a lookup.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from temporalio import activity


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@dataclass(frozen=True)
class StepClock:
    first_scheduled: datetime
    """When the step's first attempt was scheduled, by this worker's clock."""
    attempt_ends: datetime | None
    """When this attempt's start-to-close timeout ends, by this worker's clock (None: none)."""


def step_clock() -> StepClock:
    """The current activity's times, by this worker's clock."""
    info = activity.info()
    now = datetime.now(UTC)
    started = _aware(info.started_time)
    timeout: timedelta | None = info.start_to_close_timeout
    return StepClock(
        first_scheduled=now - (started - _aware(info.scheduled_time)),
        attempt_ends=now + timeout if timeout else None,
    )
