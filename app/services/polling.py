"""Polling triggers: starting one run per new item a `trigger.poll` node's source lists.

Each poll is a short `FlowPoll` workflow (`workflows.poll`) that its node's Temporal Schedule
starts (`app.services.schedules`); it calls the source's action, then this activity with the
answer. Here the items are read from the answer, compared with the node's cursor (the ids it
has seen, in the database, kept across versions and (de)activations), a run is started for
each new one, oldest first and at most `max_runs_per_poll`, and only then the cursor moves.

Exactly one run per item, whatever fails: a run's id derives from (workflow, node, item id)
(`keyed_run_id`), and Temporal refuses a second run of an id, so a poll retried after a
worker died between starting runs and moving the cursor, or repeated, starts nothing twice.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any

from pydantic import ValidationError
from temporalio import activity
from temporalio.exceptions import ApplicationError

from app.contract.polling import POLL_RUNS_ACTIVITY, PolledItems, PollInput
from app.db.engine import Database
from app.db.models import Workflow, WorkflowVersion
from app.db.types import utcnow
from app.errors import PayloadTooLargeError
from app.language.nodes.triggers import MAX_POLL_ITEMS, PollTriggerParameters
from app.services import sub_workflows
from app.services.runs.starting import RunStart, keyed_run_id, start_run
from app.store import poll_cursors
from app.store import workflows as store

logger = logging.getLogger(__name__)

POLL_TRIGGER = "trigger.poll"
SEEN_IDS = 10_000
"""The most item ids a cursor keeps, newest last: ten times the most items one poll reads,
so an item still listed is never forgotten while the source lists at most that many."""
INVALID_ANSWER = "PollSourceInvalid"
"""The failure of a poll whose source answered without a list of items with ids."""


def poll_nodes(version: WorkflowVersion) -> list[str]:
    """The polling triggers that poll: a disabled one has no schedule."""
    plan = version.plan
    return [
        node_id
        for node_id in plan.triggers
        if plan.nodes[node_id].type == POLL_TRIGGER and not plan.nodes[node_id].disabled
    ]


def value_at(value: Any, path: str) -> Any:
    """The value at a dotted `path` (keys, or positions in lists); None when absent."""
    for step in path.split(".") if path else ():
        if isinstance(value, dict):
            value = value.get(step)
        elif isinstance(value, list) and step.isdigit() and int(step) < len(value):
            value = value[int(step)]
        else:
            return None
    return value


def listed_items(output: Any, parameters: PollTriggerParameters) -> list[tuple[str, Any]]:
    """The items of the source's answer with their ids, oldest first.

    Raises:
        ApplicationError: (not retried) No list where `items` says, or an item without an id.
    """
    items = value_at(output, parameters.items)
    if not isinstance(items, list):
        kind = "nothing" if items is None else type(items).__name__
        raise ApplicationError(
            f"the source's answer has no list at '{parameters.items}' (found {kind})",
            type=INVALID_ANSWER,
            non_retryable=True,
        )
    items = items[:MAX_POLL_ITEMS]
    if parameters.order == "newest_first":
        items = list(reversed(items))
    found: list[tuple[str, Any]] = []
    for index, item in enumerate(items):
        item_id = value_at(item, parameters.item_id)
        if isinstance(item_id, bool) or not isinstance(item_id, str | int) or item_id == "":
            raise ApplicationError(
                f"item {index} of the source's list has no text or integer id at "
                f"'{parameters.item_id}'",
                type=INVALID_ANSWER,
                non_retryable=True,
            )
        found.append((str(item_id), item))
    return found


def poll_run_id(organization_id: str, workflow_id: str, node_id: str, item_id: str) -> str:
    """The run an item starts: the same item of the same trigger, the same run."""
    return keyed_run_id(organization_id, "poll", f"{workflow_id}\n{node_id}\n{item_id}")


class PolledRuns:
    """The activity, on the worker's database and task queue."""

    def __init__(self, database: Database, task_queue: str) -> None:
        self._database = database
        self._task_queue = task_queue

    @activity.defn(name=POLL_RUNS_ACTIVITY)
    async def start_runs(self, poll: PollInput, output: Any) -> PolledItems:
        """Start a run per new item of `output`, then move the cursor past them."""
        async with self._database.session() as session:
            workflow = await session.get(Workflow, poll.workflow_id)
            if workflow is None or workflow.organization_id != poll.organization_id:
                return _skipped("the workflow no longer exists")
            if not workflow.active:
                # A poll under way when the workflow was deactivated starts nothing.
                return _skipped("the workflow is inactive")
            version = await store.get_version(
                session, organization_id=poll.organization_id, workflow_id=poll.workflow_id
            )
            if poll.node_id not in poll_nodes(version):
                return _skipped(f"the latest version has no enabled poll trigger '{poll.node_id}'")
            try:
                parameters = PollTriggerParameters.model_validate(
                    version.plan.nodes[poll.node_id].parameters
                )
            except ValidationError:
                return _skipped(f"the poll trigger '{poll.node_id}' cannot be read")
            cursor = await poll_cursors.get_cursor(
                session,
                organization_id=poll.organization_id,
                workflow_id=poll.workflow_id,
                node_id=poll.node_id,
            )
            items = listed_items(output, parameters)
            seen = list(cursor.seen) if cursor is not None else []
            if cursor is None and parameters.start_with == "new_items":
                await self._move(poll, seen, [item_id for item_id, _ in items], 0)
                return PolledItems(listed=len(items), new=0, started=[], first_poll=True)
            known = set(seen)
            new: list[tuple[str, Any]] = []
            for item_id, item in items:
                if item_id not in known:
                    known.add(item_id)
                    new.append((item_id, item))
            batch = new[: parameters.max_runs_per_poll]
            carried = await sub_workflows.plans_for(session, version)
            error_workflow_id = workflow.error_workflow_id
        started = []
        polled_at = utcnow().isoformat().replace("+00:00", "Z")
        for item_id, item in batch:
            start = RunStart.of(
                version,
                trigger="poll",
                payload={"item": item, "item_id": item_id, "polled_at": polled_at},
                carried=carried,
                trigger_node=poll.node_id,
                error_workflow_id=error_workflow_id,
            )
            run_id = poll_run_id(poll.organization_id, poll.workflow_id, poll.node_id, item_id)
            try:
                run = await start_run(
                    activity.client(), start, task_queue=self._task_queue, run_id=run_id
                )
            except PayloadTooLargeError as error:
                # Retrying would not make it smaller: the item is passed over, and said so.
                logger.warning(
                    "poll trigger %s of %s: item %s starts no run: %s",
                    poll.node_id,
                    poll.workflow_id,
                    item_id,
                    error.message,
                )
                continue
            started.append(run.id)
        await self._move(poll, seen, [item_id for item_id, _ in batch], len(started))
        return PolledItems(listed=len(items), new=len(new), started=started)

    async def _move(
        self, poll: PollInput, seen: list[str], passed: list[str], runs_started: int
    ) -> None:
        again = set(passed)
        kept = [item_id for item_id in seen if item_id not in again] + passed
        async with self._database.session() as session:
            await poll_cursors.move_cursor(
                session,
                organization_id=poll.organization_id,
                workflow_id=poll.workflow_id,
                node_id=poll.node_id,
                seen=kept[-SEEN_IDS:],
                runs_started=runs_started,
            )


def _skipped(why: str) -> PolledItems:
    return PolledItems(listed=0, new=0, started=[], skipped=why)


def poll_activities(database: Database, task_queue: str) -> Sequence[Callable[..., Any]]:
    return [PolledRuns(database, task_queue).start_runs]
