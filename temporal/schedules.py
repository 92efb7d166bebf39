"""Temporal Schedules from `trigger.schedule` parameters: spec, policy, and the start action."""

from __future__ import annotations

from temporalio.client import (
    Schedule,
    ScheduleActionStartWorkflow,
    ScheduleCalendarSpec,
    ScheduleIntervalSpec,
    ScheduleOverlapPolicy,
    SchedulePolicy,
    ScheduleRange,
    ScheduleSpec,
    ScheduleState,
)
from temporalio.common import TypedSearchAttributes

from app.contract.polling import POLL_WORKFLOW, PollInput
from app.language.nodes.fields import CalendarValue
from app.language.nodes.triggers import (
    CalendarEntry,
    PollTriggerParameters,
    ScheduleTriggerParameters,
)
from temporal.fairness import run_priority
from workflows.state import INTERPRETER_WORKFLOW, RunInput

OVERLAP: dict[str, ScheduleOverlapPolicy] = {
    "skip": ScheduleOverlapPolicy.SKIP,
    "buffer_one": ScheduleOverlapPolicy.BUFFER_ONE,
    "buffer_all": ScheduleOverlapPolicy.BUFFER_ALL,
    "cancel_other": ScheduleOverlapPolicy.CANCEL_OTHER,
    "terminate_other": ScheduleOverlapPolicy.TERMINATE_OTHER,
    "allow_all": ScheduleOverlapPolicy.ALLOW_ALL,
}


def schedule_id(workflow_id: str, node_id: str) -> str:
    """One schedule per trigger node; stable across versions so an update keeps its history."""
    return f"{workflow_id}.{node_id}"


def _ranges(value: CalendarValue, low: int, high: int) -> list[ScheduleRange]:
    if value == "*":
        return [ScheduleRange(low, high)]
    numbers = value if isinstance(value, list) else [value]
    return [ScheduleRange(number) for number in sorted(set(numbers))]


def _calendar(entry: CalendarEntry) -> ScheduleCalendarSpec:
    return ScheduleCalendarSpec(
        second=[ScheduleRange(0)],
        minute=_ranges(entry.minute, 0, 59),
        hour=_ranges(entry.hour, 0, 23),
        day_of_month=_ranges(entry.day_of_month, 1, 31),
        month=_ranges(entry.month, 1, 12),
        day_of_week=_ranges(entry.day_of_week, 0, 6),
    )


def schedule_spec(parameters: ScheduleTriggerParameters) -> ScheduleSpec:
    intervals = (
        [ScheduleIntervalSpec(every=parameters.interval.every, offset=parameters.interval.offset)]
        if parameters.interval
        else []
    )
    return ScheduleSpec(
        cron_expressions=list(parameters.cron or []),
        intervals=intervals,
        calendars=[_calendar(entry) for entry in parameters.calendar or []],
        time_zone_name=parameters.timezone,
        jitter=parameters.jitter,
        start_at=parameters.start_at,
        end_at=parameters.end_at,
    )


def build_schedule(
    parameters: ScheduleTriggerParameters,
    *,
    run_input: RunInput,
    run_id_prefix: str,
    task_queue: str,
    search_attributes: TypedSearchAttributes,
    paused: bool,
    summary: str | None = None,
) -> Schedule:
    """The schedule whose every action starts the interpreter on `run_input`'s plan.

    Temporal appends the scheduled time to `run_id_prefix` to make each run's id.
    """
    return Schedule(
        action=ScheduleActionStartWorkflow(
            INTERPRETER_WORKFLOW,
            run_input,
            id=run_id_prefix,
            task_queue=task_queue,
            typed_search_attributes=search_attributes,
            priority=run_priority(run_input.metadata.organization_id),
            static_summary=summary,
        ),
        spec=schedule_spec(parameters),
        policy=SchedulePolicy(
            overlap=OVERLAP[parameters.overlap], catchup_window=parameters.catchup_window
        ),
        state=ScheduleState(
            paused=paused, note="workflow inactive" if paused else "workflow active"
        ),
    )


def build_poll_schedule(
    parameters: PollTriggerParameters,
    *,
    poll: PollInput,
    poll_id_prefix: str,
    task_queue: str,
    paused: bool,
) -> Schedule:
    """The schedule whose every action is one poll (`workflows.poll`): a poll due while the
    last one still runs is skipped, so the cursor is only ever moved by one poll at a time.
    A poll missed while nothing ran is not caught up: the next one reads the same source."""
    spec = ScheduleSpec(
        cron_expressions=list(parameters.cron or []),
        intervals=(
            [
                ScheduleIntervalSpec(
                    every=parameters.interval.every, offset=parameters.interval.offset
                )
            ]
            if parameters.interval
            else []
        ),
        time_zone_name=parameters.timezone,
    )
    return Schedule(
        action=ScheduleActionStartWorkflow(
            POLL_WORKFLOW,
            poll,
            id=poll_id_prefix,
            task_queue=task_queue,
            priority=run_priority(poll.organization_id),
        ),
        spec=spec,
        policy=SchedulePolicy(overlap=ScheduleOverlapPolicy.SKIP),
        state=ScheduleState(
            paused=paused, note="workflow inactive" if paused else "workflow active"
        ),
    )
