"""A workflow's schedules: next fire times, a run now, and backfilling a past range."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from fastapi import APIRouter, status
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from app.api.deps import CallerDep, SessionDep, TemporalDep, WriterDep
from app.api.responses import AUTHENTICATED, WRITES, errors
from app.db.engine import release
from app.services import schedules
from app.store import workflows as store

router = APIRouter(
    prefix="/workflows", tags=["schedules"], responses={**AUTHENTICATED, **errors(404, 503)}
)


class ScheduledRun(BaseModel):
    run_id: str
    scheduled_at: datetime


class SchedulePublic(BaseModel):
    node_id: str = Field(description="The `trigger.schedule` node.")
    schedule_id: str = Field(description="The Temporal Schedule's id.")
    paused: bool = Field(description="Paused while the workflow is inactive.")
    next_fire_times: list[datetime] = Field(description="The next (up to 10) due times, UTC.")
    recent_runs: list[ScheduledRun] = Field(description="The latest runs it started.")
    action_count: int = Field(description="Runs started so far.")


class SchedulesPublic(BaseModel):
    data: list[SchedulePublic]
    count: int


class ScheduleAccepted(BaseModel):
    node_id: str
    action: Literal["trigger", "backfill"]


class ScheduleTriggered(ScheduleAccepted):
    action: Literal["trigger", "backfill"] = "trigger"
    run_id: str | None = Field(
        description="The run it started (null only if the schedule had not said within 10 s)."
    )


class ScheduleBackfilled(ScheduleAccepted):
    action: Literal["trigger", "backfill"] = "backfill"
    overlap: str = Field(description="The overlap policy the backfill used.")
    due: int = Field(description="Due times in the range.")
    starting: int = Field(description="Runs that will start (at most, with `skip`).")
    message: str = Field(description="What will happen, in words.")


class ScheduleBackfill(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"start_at": "2025-01-01T00:00:00Z", "end_at": "2025-01-08T00:00:00Z"}]
        },
    )

    start_at: AwareDatetime = Field(description="Start of the range (exclusive).")
    end_at: AwareDatetime = Field(description="End of the range; at most 366 days later.")
    overlap: (
        Literal["skip", "buffer_one", "buffer_all", "cancel_other", "terminate_other", "allow_all"]
        | None
    ) = Field(
        default=None,
        description=(
            "Default: `buffer_all`, one run for each due time, one after another (the "
            "trigger's own `skip` would start only the first, as all come due at once)."
        ),
    )


@router.get(
    "/{workflow_id}/schedules", operation_id="list_schedules", response_model=SchedulesPublic
)
async def list_schedules(
    workflow_id: str, caller: CallerDep, session: SessionDep, temporal: TemporalDep
) -> SchedulesPublic:
    """Each schedule trigger's Temporal Schedule (created on first activation): paused or
    not, its next fire times and latest runs."""
    version = await store.get_version(
        session, organization_id=caller.organization_id, workflow_id=workflow_id
    )
    await release(session)
    views = await schedules.describe_all(temporal, version=version)
    data = [
        SchedulePublic(
            node_id=view.node_id,
            schedule_id=view.schedule_id,
            paused=view.paused,
            next_fire_times=view.next_fire_times,
            recent_runs=[
                ScheduledRun(run_id=run_id, scheduled_at=at) for run_id, at in view.recent_runs
            ],
            action_count=view.action_count,
        )
        for view in views
    ]
    return SchedulesPublic(data=data, count=len(data))


@router.post(
    "/{workflow_id}/schedules/{node_id}/trigger",
    operation_id="trigger_schedule",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=ScheduleTriggered,
    responses={**WRITES, **errors(409)},
)
async def trigger_schedule(
    workflow_id: str, node_id: str, caller: WriterDep, session: SessionDep, temporal: TemporalDep
) -> ScheduleTriggered:
    """Start one run now, as if the schedule were due, and answer its id. Its overlap policy
    applies: a run it skips is a 409."""
    workflow = await store.get_workflow(
        session, organization_id=caller.organization_id, workflow_id=workflow_id
    )
    version = await store.get_version(
        session, organization_id=caller.organization_id, workflow_id=workflow_id
    )
    await release(session)
    run_id = await schedules.trigger_now(
        temporal, version=version, active=workflow.active, node_id=node_id
    )
    return ScheduleTriggered(node_id=node_id, run_id=run_id)


@router.post(
    "/{workflow_id}/schedules/{node_id}/backfill",
    operation_id="backfill_schedule",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=ScheduleBackfilled,
    responses={**WRITES, **errors(409)},
)
async def backfill_schedule(
    workflow_id: str,
    node_id: str,
    body: ScheduleBackfill,
    caller: WriterDep,
    session: SessionDep,
    temporal: TemporalDep,
) -> ScheduleBackfilled:
    """Start the runs that were due in a past range, as if that time passed now; each run's
    `trigger.scheduled_time` is the time it was due. Answers how many were due and how many
    start under the overlap policy."""
    workflow = await store.get_workflow(
        session, organization_id=caller.organization_id, workflow_id=workflow_id
    )
    version = await store.get_version(
        session, organization_id=caller.organization_id, workflow_id=workflow_id
    )
    await release(session)
    plan = await schedules.backfill(
        temporal,
        version=version,
        active=workflow.active,
        node_id=node_id,
        start_at=body.start_at,
        end_at=body.end_at,
        overlap=body.overlap,
    )
    return ScheduleBackfilled(
        node_id=node_id,
        overlap=plan.overlap,
        due=plan.due,
        starting=plan.starting,
        message=plan.message,
    )
