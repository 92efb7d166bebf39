"""A workflow's Temporal Schedules: one per `trigger.schedule` or `trigger.poll` node of its
latest version.

Activating a workflow creates or unpauses them, deactivating pauses them, a new version
updates them (and deletes those of removed nodes), deleting the workflow deletes them.
Each `trigger.schedule` schedule's action starts the interpreter with the plan of the version
it was made from; each `trigger.poll` schedule's action starts one poll (`workflows.poll`),
never two at once.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from google.protobuf.timestamp_pb2 import Timestamp
from pydantic import ValidationError
from temporalio.api.workflowservice.v1 import ListScheduleMatchingTimesRequest
from temporalio.client import (
    Client,
    Schedule,
    ScheduleActionExecutionStartWorkflow,
    ScheduleBackfill,
    ScheduleInfo,
    ScheduleUpdate,
    ScheduleUpdateInput,
)
from temporalio.service import RPCError, RPCStatusCode

from app.catalog import CATALOG
from app.contract.polling import PollInput
from app.db.models import WorkflowVersion
from app.errors import ConflictError, ErrorDetail, InvalidInputError, NotFoundError
from app.language.nodes.triggers import PollTriggerParameters, ScheduleTriggerParameters
from app.language.plan import Plan
from app.services.runs import RunStart
from temporal.schedules import OVERLAP, build_poll_schedule, build_schedule, schedule_id

log = logging.getLogger(__name__)

SCHEDULE_TRIGGER = "trigger.schedule"
POLL_TRIGGER = "trigger.poll"
MAX_BACKFILL = timedelta(days=366)


def schedule_nodes(plan: Plan) -> list[str]:
    """The triggers that have a Temporal Schedule, schedule and poll triggers: a disabled one
    has none."""
    return [
        node_id
        for node_id in plan.triggers
        if plan.nodes[node_id].type in (SCHEDULE_TRIGGER, POLL_TRIGGER)
        and not plan.nodes[node_id].disabled
    ]


def _timed_nodes(plan: Plan) -> list[str]:
    """The schedule triggers: those shown, run now and backfilled (a poll is none of these)."""
    return [
        node_id for node_id in schedule_nodes(plan) if plan.nodes[node_id].type == SCHEDULE_TRIGGER
    ]


def _parameters(plan: Plan, node_id: str) -> ScheduleTriggerParameters:
    try:
        return ScheduleTriggerParameters.model_validate(plan.nodes[node_id].parameters)
    except ValidationError as error:
        raise _unschedulable(node_id, error) from None


def _poll_parameters(plan: Plan, node_id: str) -> PollTriggerParameters:
    try:
        return PollTriggerParameters.model_validate(plan.nodes[node_id].parameters)
    except ValidationError as error:
        raise _unschedulable(node_id, error) from None


def _unschedulable(node_id: str, error: ValidationError) -> InvalidInputError:
    return InvalidInputError(
        f"trigger '{node_id}' cannot be scheduled",
        [
            ErrorDetail(
                message=problem["msg"],
                path=("graph", "nodes", node_id, "parameters", *problem["loc"]),
                node_id=node_id,
            )
            for problem in error.errors(include_url=False)
        ],
    )


def _poll_input(version: WorkflowVersion, node_id: str) -> PollInput:
    """What each poll of `node_id` calls: its source, as the catalog runs that action."""
    source = _poll_parameters(version.plan, node_id).source
    source_type = CATALOG.get(source.type)
    if source_type is None or source_type.activity is None:
        raise InvalidInputError(
            f"poll trigger '{node_id}' cannot be scheduled: this installation has no "
            f"action '{source.type}'",
            [
                ErrorDetail(
                    message=f"unknown action node type '{source.type}'",
                    path=("graph", "nodes", node_id, "parameters", "source", "type"),
                    node_id=node_id,
                )
            ],
        )
    return PollInput(
        organization_id=version.organization_id,
        workflow_id=version.workflow_id,
        workflow_version=version.version,
        node_id=node_id,
        source_type=source.type,
        source_activity=source_type.activity,
        source_parameters=source.parameters,
        source_account_id=source.account_id,
        source_timeout_seconds=source_type.default_timeout_for(source.parameters) or 60.0,
    )


def _schedule(
    version: WorkflowVersion,
    workflows: Mapping[str, Plan],
    node_id: str,
    task_queue: str,
    paused: bool,
    error_workflow_id: str | None,
    workflow_name: str | None,
) -> Schedule:
    if version.plan.nodes[node_id].type == POLL_TRIGGER:
        return build_poll_schedule(
            _poll_parameters(version.plan, node_id),
            poll=_poll_input(version, node_id),
            poll_id_prefix=f"poll_{schedule_id(version.workflow_id, node_id)}",
            task_queue=task_queue,
            paused=paused,
        )
    parameters = _parameters(version.plan, node_id)
    start = RunStart.of(
        version,
        trigger="schedule",
        payload=parameters.input or {},
        carried=workflows,
        trigger_node=node_id,
        error_workflow_id=error_workflow_id,
        workflow_name=workflow_name,
        # The API's quota check never sees a run a schedule fires: the run asks itself.
        admit_by_quota=True,
    )
    return build_schedule(
        parameters,
        run_input=start.input,
        run_id_prefix=f"run_{schedule_id(version.workflow_id, node_id)}",
        task_queue=task_queue,
        search_attributes=start.search_attributes,
        paused=paused,
        summary=start.summary,
    )


Undo = Callable[[], Awaitable[None]]
"""Puts Temporal's schedules back as they were before a sync, if the database change fails."""


async def _described(client: Client, id_: str) -> Schedule | None:
    try:
        return (await client.get_schedule_handle(id_).describe()).schedule
    except RPCError as error:
        if error.status == RPCStatusCode.NOT_FOUND:
            return None
        raise


class _Changes:
    """Schedule changes made one by one, each with how to take it back.

    Temporal has no transaction across schedules: a sync that fails half-way takes back
    what it did, newest first, so Temporal is left as the database (rolled back) says.
    """

    def __init__(self, client: Client) -> None:
        self._client = client
        self._undo: list[Undo] = []

    async def create(self, id_: str, schedule: Schedule, node_id: str) -> None:
        await _refused_as_invalid(node_id, self._client.create_schedule(id_, schedule))
        self._undo.append(lambda: self._delete(id_))

    async def replace(self, id_: str, schedule: Schedule, previous: Schedule, node_id: str) -> None:
        await _refused_as_invalid(node_id, self._replace(id_, schedule))
        self._undo.append(lambda: self._replace(id_, previous))

    async def delete(self, id_: str) -> None:
        previous = await _described(self._client, id_)
        if previous is None:
            return
        await self._delete(id_)

        async def recreate() -> None:
            await self._client.create_schedule(id_, previous)

        self._undo.append(recreate)

    async def undo(self) -> None:
        while self._undo:
            step = self._undo.pop()
            try:
                await step()
            except Exception:  # undo the rest; the error that made us undo is the one reported
                log.exception("could not undo a schedule change")

    async def _replace(self, id_: str, schedule: Schedule) -> None:
        def replace(_: ScheduleUpdateInput) -> ScheduleUpdate:
            return ScheduleUpdate(schedule=schedule)

        await self._client.get_schedule_handle(id_).update(replace)

    async def _delete(self, id_: str) -> None:
        try:
            await self._client.get_schedule_handle(id_).delete()
        except RPCError as error:
            if error.status != RPCStatusCode.NOT_FOUND:
                raise


async def _refused_as_invalid(node_id: str, call: Awaitable[object]) -> None:
    """Temporal's INVALID_ARGUMENT on a schedule is the trigger's input at fault: a 422."""
    try:
        await call
    except RPCError as error:
        if error.status != RPCStatusCode.INVALID_ARGUMENT:
            raise
        raise InvalidInputError(
            f"Temporal refused the schedule of trigger '{node_id}': {error.message}",
            [
                ErrorDetail(
                    message=error.message,
                    path=("graph", "nodes", node_id, "parameters"),
                    node_id=node_id,
                    code="schedule_refused",
                )
            ],
        ) from None


async def _all_or_nothing(changes: _Changes, work: Awaitable[None]) -> Undo:
    try:
        await work
    except BaseException:
        await changes.undo()
        raise
    return changes.undo


async def sync(
    client: Client,
    *,
    version: WorkflowVersion,
    workflows: Mapping[str, Plan],
    active: bool,
    task_queue: str,
    removed_nodes: Iterable[str] = (),
    create: bool = True,
    error_workflow_id: str | None = None,
    workflow_name: str | None = None,
) -> Undo:
    """Make Temporal's schedules match `version`: running when active, paused otherwise.

    All or nothing: when one schedule fails (a 422 naming its trigger when Temporal refuses
    it), those already changed are put back. The returned `Undo` puts them back later, for
    when the database change that goes with them fails.

    `workflows`: the plans its runs' sub-workflows may start
    (`app.services.sub_workflows.plans_for`).
    Without `create`, only schedules that exist already are updated (a workflow never
    activated has none, and gets none by being edited). `error_workflow_id`: the workflow's
    error workflow, which the runs the schedules start carry. `workflow_name`: the runs'
    summary in the Temporal UI.
    """
    changes = _Changes(client)

    async def work() -> None:
        kept = schedule_nodes(version.plan)
        for node_id in kept:
            id_ = schedule_id(version.workflow_id, node_id)
            wanted = _schedule(
                version,
                workflows,
                node_id,
                task_queue,
                paused=not active,
                error_workflow_id=error_workflow_id,
                workflow_name=workflow_name,
            )
            previous = await _described(client, id_)
            if previous is not None:
                await changes.replace(id_, wanted, previous, node_id)
            elif create:
                await changes.create(id_, wanted, node_id)
        for node_id in removed_nodes:
            if node_id not in kept:
                await changes.delete(schedule_id(version.workflow_id, node_id))

    return await _all_or_nothing(changes, work())


async def delete_all(
    client: Client, *, workflow_id: str, versions: Iterable[WorkflowVersion]
) -> Undo:
    """Delete the schedules of every schedule node any version ever had; all or nothing."""
    nodes = {node_id for version in versions for node_id in schedule_nodes(version.plan)}
    changes = _Changes(client)

    async def work() -> None:
        for node_id in sorted(nodes):
            await changes.delete(schedule_id(workflow_id, node_id))

    return await _all_or_nothing(changes, work())


@dataclass(frozen=True)
class ScheduleView:
    node_id: str
    schedule_id: str
    paused: bool
    next_fire_times: list[datetime]
    recent_runs: list[tuple[str, datetime]]
    """(run id, scheduled time) of the latest runs, newest last."""
    action_count: int


async def describe_all(client: Client, *, version: WorkflowVersion) -> list[ScheduleView]:
    views = []
    for node_id in _timed_nodes(version.plan):
        id_ = schedule_id(version.workflow_id, node_id)
        try:
            description = await client.get_schedule_handle(id_).describe()
        except RPCError as error:
            if error.status == RPCStatusCode.NOT_FOUND:
                continue
            raise
        views.append(
            ScheduleView(
                node_id=node_id,
                schedule_id=id_,
                paused=description.schedule.state.paused,
                next_fire_times=list(description.info.next_action_times),
                recent_runs=[
                    (result.action.workflow_id, result.scheduled_at)
                    for result in description.info.recent_actions
                    if isinstance(result.action, ScheduleActionExecutionStartWorkflow)
                ],
                action_count=description.info.num_actions,
            )
        )
    return views


def _active_schedule(version: WorkflowVersion, active: bool, node_id: str) -> str:
    if node_id not in _timed_nodes(version.plan):
        raise NotFoundError(f"workflow '{version.workflow_id}' has no schedule trigger '{node_id}'")
    if not active:
        raise ConflictError("the workflow is inactive: activate it first")
    return schedule_id(version.workflow_id, node_id)


TRIGGER_ANSWER_WITHIN = timedelta(seconds=10)
"""How long a manual trigger waits for the schedule to say which run it started."""


async def trigger_now(
    client: Client, *, version: WorkflowVersion, active: bool, node_id: str
) -> str | None:
    """Start one run of the schedule now, as if it were due (overlap policy applies).

    Returns the run's id once the schedule reports it (it starts the run on its own, a
    moment later; None if it has not within `TRIGGER_ANSWER_WITHIN`). A trigger the
    overlap policy skips is a 409.
    """
    id_ = _active_schedule(version, active, node_id)
    handle = client.get_schedule_handle(id_)
    before = (await handle.describe()).info
    started = set(_started_runs(before))
    await handle.trigger()
    deadline = asyncio.get_running_loop().time() + TRIGGER_ANSWER_WITHIN.total_seconds()
    while asyncio.get_running_loop().time() < deadline:
        info = (await handle.describe()).info
        new = [run_id for run_id in _started_runs(info) if run_id not in started]
        if new:
            return new[-1]
        if info.num_actions_skipped_overlap > before.num_actions_skipped_overlap:
            raise ConflictError(
                f"schedule trigger '{node_id}' skipped this run: its previous run is still "
                "running and its overlap policy is 'skip'"
            )
        await asyncio.sleep(0.1)
    return None


def _started_runs(info: ScheduleInfo) -> list[str]:
    """The ids of the runs among the schedule's recent actions, oldest first."""
    return [
        result.action.workflow_id
        for result in info.recent_actions
        if isinstance(result.action, ScheduleActionExecutionStartWorkflow)
    ]


BACKFILL_OVERLAP = "buffer_all"
"""A backfill's default: every due time of the range gets its run, one after another. The
trigger's own policy (`skip` by default) would start only the first, since the backfilled
times all come due at once."""


@dataclass(frozen=True)
class BackfillPlan:
    due: int
    """Due times in the range."""
    starting: int
    """Runs that will start (at most, when the policy may skip)."""
    overlap: str
    message: str


def _backfill_plan(due: int, overlap: str) -> BackfillPlan:
    if overlap == "skip":
        starting = min(due, 1)
        what = (
            "with overlap 'skip' the times come due at once, so only the first starts (none "
            "while a run is still running); pass overlap 'buffer_all' for one run each"
        )
    elif overlap == "buffer_one":
        starting = min(due, 2)
        what = (
            "with overlap 'buffer_one' the first starts and one more waits for it; the rest "
            "are skipped"
        )
    elif overlap in ("cancel_other", "terminate_other"):
        starting = due
        what = (
            f"with overlap '{overlap}' each starts and stops the one before, so only the "
            "last finishes"
        )
    else:
        starting = due
        what = (
            "each starts, one after another"
            if overlap == "buffer_all"
            else "each starts at once, side by side"
        )
    return BackfillPlan(due, starting, overlap, f"{due} runs were due in the range: {what}")


async def backfill(
    client: Client,
    *,
    version: WorkflowVersion,
    active: bool,
    node_id: str,
    start_at: datetime,
    end_at: datetime,
    overlap: str | None,
) -> BackfillPlan:
    """Start the runs that were due between `start_at` and `end_at`, as if that time passed
    now (with `BACKFILL_OVERLAP` unless `overlap` says otherwise); says how many start."""
    if end_at <= start_at:
        raise InvalidInputError(
            "the range is empty",
            [ErrorDetail(path=("body", "end_at"), message="must be after start_at")],
        )
    if end_at - start_at > MAX_BACKFILL:
        raise InvalidInputError(
            "the range is too long",
            [ErrorDetail(path=("body", "end_at"), message="at most 366 days after start_at")],
        )
    id_ = _active_schedule(version, active, node_id)
    overlap = overlap or BACKFILL_OVERLAP
    matching = await client.workflow_service.list_schedule_matching_times(
        ListScheduleMatchingTimesRequest(
            namespace=client.namespace,
            schedule_id=id_,
            start_time=_timestamp(start_at),
            end_time=_timestamp(end_at),
        )
    )
    # Temporal's range excludes its start, as the backfill does.
    due = sum(1 for time in matching.start_time if time.ToDatetime(UTC) > start_at)
    await client.get_schedule_handle(id_).backfill(
        ScheduleBackfill(start_at=start_at, end_at=end_at, overlap=OVERLAP[overlap])
    )
    return _backfill_plan(due, overlap)


def _timestamp(moment: datetime) -> Timestamp:
    stamp = Timestamp()
    stamp.FromDatetime(moment)
    return stamp
