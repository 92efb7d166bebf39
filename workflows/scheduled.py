"""The `scheduled_time` a `trigger.schedule` run promises its nodes.

A Temporal Schedule starts every run with the same arguments, so the moment a run was due
cannot be in its input; the schedule records it on the run as the `TemporalScheduledStartTime`
search attribute, which is part of the run's start event and so safe to read on replay.
"""

from __future__ import annotations

from datetime import datetime

from temporalio.common import SearchAttributeKey, TypedSearchAttributes

from workflows.state import RunInput

SCHEDULED_START_TIME = SearchAttributeKey.for_datetime("TemporalScheduledStartTime")


def with_scheduled_time(
    run: RunInput, attributes: TypedSearchAttributes, started_at: datetime
) -> RunInput:
    """`run` with `scheduled_time` in a scheduled run's trigger payload; others unchanged."""
    payload = run.trigger.payload
    if run.trigger.kind != "schedule" or (
        isinstance(payload, dict) and "scheduled_time" in payload
    ):
        return run
    due = attributes.get(SCHEDULED_START_TIME) or started_at
    base = payload if isinstance(payload, dict) else {}
    trigger = run.trigger.model_copy(
        update={"payload": {**base, "scheduled_time": due.isoformat().replace("+00:00", "Z")}}
    )
    return run.model_copy(update={"trigger": trigger})
