"""One run of a plan, from its start to its end or its next run (continue-as-new).

The workflow class in `interpreter.py` only routes Temporal's calls here: the workflow
sandbox re-imports that module for every run, so the logic lives in this module, imported once.
"""

from __future__ import annotations

import asyncio
import contextlib
from datetime import timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError

from app.contract import search_attributes as attributes
from app.contract.failed_runs import (
    ERROR_RUN_SUFFIX,
    ERROR_WORKFLOW_ACTIVITY,
    FailedRun,
    FailedRunError,
)
from app.contract.failures import FailureType
from app.contract.run_admission import ADMIT_ACTIVITY, RunAdmissionRequest
from app.contract.run_events import PUBLISH_ACTIVITY, RunEvent, RunEventError, RunEventType
from workflows.errors import NodeFailure, RunStopped
from workflows.node_status import RUN_ENDED, move
from workflows.nodes import NodeRunner
from workflows.scheduled import with_scheduled_time
from workflows.scope import Gate, Scope
from workflows.state import (
    Continuation,
    DecisionInput,
    EventInput,
    NodeError,
    NodeState,
    RunInput,
    RunLimits,
    RunState,
    RunStatus,
)
from workflows.waits import Waits

CONTINUE_AS_NEW_PATCH = "continue-as-new"
"""Runs recorded before runs could continue as new never do (see INVARIANTS.md)."""
CONTINUE_ON_MESSAGES_PATCH = "continue-as-new-on-messages"
"""Runs recorded before checked the history only when a node or an iteration started, so
signals and updates alone never made them continue as new (see INVARIANTS.md)."""
FAILURE_KEEPS_PROGRESS_PATCH = "failure-keeps-progress"
"""A failed run's failure carries, after its state, what a rerun from the failed step keeps
(`Scope.retry_snapshot`); runs recorded before failed with their state alone."""


ERROR_WORKFLOW_PATCH = "start-error-workflow"
"""Runs recorded before error workflows existed end their failure without the activity."""
ERROR_WORKFLOW_TIMEOUT = timedelta(seconds=30)
ERROR_WORKFLOW_RETRIES = RetryPolicy(
    initial_interval=timedelta(seconds=1),
    maximum_interval=timedelta(minutes=1),
    maximum_attempts=20,
)
"""About 15 minutes of a database or Temporal being away, then the run fails without it."""

RUN_EVENTS_TIMEOUT = timedelta(seconds=30)
RUN_EVENTS_RETRIES = RetryPolicy(
    initial_interval=timedelta(seconds=1),
    maximum_interval=timedelta(seconds=10),
    maximum_attempts=5,
)
"""About 15 s of a database or Temporal being away, then the event is not delivered: the run
waits for it before it ends, and a run's end must not hang on its subscribers' plumbing."""

ADMISSION_TIMEOUT = timedelta(seconds=30)
ADMISSION_RETRIES = RetryPolicy(
    initial_interval=timedelta(seconds=1),
    maximum_interval=timedelta(seconds=30),
    non_retryable_error_types=[FailureType.QuotaExceeded.value],
)
"""Retried until the database and Temporal answer: a scheduled run that cannot be admitted
waits rather than running unchecked or failing for plumbing. A refusal is final."""


class Run:
    """A run's state and how it moves: what the interpreter workflow delegates to."""

    def __init__(self, run_input: RunInput) -> None:
        info = workflow.info()
        run_input = with_scheduled_time(
            run_input, info.typed_search_attributes, info.workflow_start_time
        )
        self.input = run_input
        """What the run started with (and hands on when it continues as new)."""
        if run_input.resume is not None:
            # Parked waits show themselves again when they are picked up.
            resumed = run_input.resume.state
            self.state = resumed.model_copy(deep=True, update={"waiting_for": []})
        else:
            self.state = RunState(
                nodes={node_id: NodeState() for node_id in run_input.plan.nodes},
                variables=dict(run_input.plan.variables),
            )
        self._gate = Gate(lambda: _history_too_long(run_input.limits))
        self._runner = NodeRunner(run_input, self.state, self._gate)
        self._runner.waits.announce_approval = self._announce_approval

    @property
    def waits(self) -> Waits:
        return self._runner.waits

    def deliver(self, event: EventInput) -> None:
        self.waits.deliver(event)
        self._check_history()

    def decide(self, decision: DecisionInput) -> str:
        node_id = self.waits.check_decision(decision)
        self.waits.decisions[node_id] = decision
        self._check_history()
        return node_id

    def _check_history(self) -> None:
        """After a signal or an update: each one adds events, and a run whose branches all
        wait starts nothing that would check the history, so a flood of them would grow it
        until Temporal's hard limit. Closing the gate here lets the run park its waits and
        continue as new as it does when a node starts."""
        if self._gate.closed or not _history_due(self.input.limits):
            return
        # This patch alone guards it: a run that has it continues as new, so the
        # `continue-as-new` marker (and its search attribute update) would be two events more.
        if workflow.patched(CONTINUE_ON_MESSAGES_PATCH):
            self._gate.close()

    async def execute(self) -> RunState:
        resume = self.input.resume
        if resume is None:
            self.state.started_at = workflow.now()
        plan = self.input.plan
        top = Scope(
            plan=plan,
            members=frozenset(node_id for node_id, node in plan.nodes.items() if node.loop is None),
            starts=(self.input.trigger.node_id,),
            run_node=self._runner.run_node,
            skip_node=self._runner.skip,
            gate=self._gate,
            ledger=self._runner.ledger,
            resume=resume.scope if resume else None,
        )
        try:
            if resume is None and self.input.admit_by_quota:
                await self._admit()
            output = await self._run_or_pause(top)
        except RunStopped as stopped:
            output = {stopped.node_id: self.state.nodes[stopped.node_id].output}
            self._cancel_the_rest()
        except NodeFailure as failure:
            await self._start_error_workflow(failure.error)
            error = failure.error
            await self.publish(
                "run.failed",
                status="failed",
                node_id=error.node_id,
                error=RunEventError(type=error.type, message=error.message),
            )
            return self._end_failed(failure.error, top)
        except asyncio.CancelledError:
            self._end("cancelled")
            raise
        if output is None:
            self._continue_as_new(top)
        self.state.output = output
        self._end("succeeded")
        await self.publish("run.succeeded", status="succeeded")
        return self.state

    async def _admit(self) -> None:
        """Have the organization's run quotas admit this run before its first node. A local
        activity: it runs in the run's first workflow task, with no task of its own.

        Keyed on what the run started with (`RunInput.admit_by_quota`, set by schedules), not
        on `workflow.patched`, for the reason `publish` gives.

        Raises:
            NodeFailure: The quotas refused it: a `QuotaExceeded` failure of its trigger.
        """
        request = RunAdmissionRequest(
            organization_id=self.input.metadata.organization_id,
            run_id=workflow.info().workflow_id,
            execution_id=workflow.info().run_id,
        )
        try:
            await workflow.execute_local_activity(
                ADMIT_ACTIVITY,
                request,
                start_to_close_timeout=ADMISSION_TIMEOUT,
                retry_policy=ADMISSION_RETRIES,
            )
        except (ActivityError, ApplicationError) as error:
            # A local activity's non-retryable failure may reach the workflow unwrapped.
            refused = error.cause if isinstance(error, ActivityError) else error
            if not (
                isinstance(refused, ApplicationError)
                and refused.type == FailureType.QuotaExceeded.value
            ):
                raise
            raise NodeFailure(
                NodeError(
                    type=FailureType.QuotaExceeded.value,
                    message=f"the run was not admitted: {refused.message}",
                    node_id=self.input.trigger.node_id,
                )
            ) from None

    async def _run_or_pause(self, top: Scope) -> dict[str, Any] | None:
        """The top scope's outputs, or None once everything under way is parked and the
        run should continue as new."""
        task = asyncio.create_task(top.run())

        def paused() -> bool:
            return self._gate.closed and top.parkable() and workflow.all_handlers_finished()

        try:
            while not task.done():
                await workflow.wait_condition(lambda: task.done() or paused())
                # A node may have finished since the condition was checked.
                if not task.done() and paused():
                    return None
        except asyncio.CancelledError:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
            raise
        return task.result()

    def _continue_as_new(self, top: Scope) -> None:
        waits = self._runner.waits
        previous = self.input.resume.runs if self.input.resume else 0
        continuation = Continuation(
            state=self.state.model_copy(deep=True),
            scope=top.snapshot(),
            events=waits.events,
            decisions=waits.decisions,
            last_error=self._runner.last_error,
            runs=previous + 1,
        )
        workflow.continue_as_new(self.input.model_copy(update={"resume": continuation}))

    def _cancel_the_rest(self) -> None:
        for node in self.state.nodes.values():
            move(node, RUN_ENDED)

    def _end(self, status: RunStatus) -> None:
        self._cancel_the_rest()
        self.state.waiting_for.clear()
        self.state.status = status
        self.state.ended_at = workflow.now()
        # Only runs started with the old `FlowRunStatus` attribute upsert it: their histories
        # have this command. Runs started now have none (their status is Temporal's
        # `ExecutionStatus`), which saves a command and an event. The start's attributes are
        # part of the first event, so a replay takes the same branch.
        if workflow.info().typed_search_attributes.get(attributes.RUN_STATUS) is not None:
            workflow.upsert_search_attributes([attributes.RUN_STATUS.value_set(status)])

    async def _start_error_workflow(self, error: NodeError) -> None:
        """Have the workflow's error workflow started with this failure's details, once: the
        activity is recorded in this run's history (the last of its chain: only it fails).
        Should it fail for good, the run still fails as it would have."""
        info = workflow.info()
        error_workflow_id = self.input.error_workflow_id
        if (
            error_workflow_id is None
            or info.workflow_id.endswith(ERROR_RUN_SUFFIX)
            or not workflow.patched(ERROR_WORKFLOW_PATCH)
        ):
            return
        metadata = self.input.metadata
        failed = FailedRun(
            organization_id=metadata.organization_id,
            error_workflow_id=error_workflow_id,
            run_id=info.workflow_id,
            workflow_id=metadata.workflow_id,
            workflow_version=metadata.workflow_version,
            trigger=self.input.trigger.kind,
            node_id=error.node_id,
            error=FailedRunError(type=error.type, message=error.message),
            input=self.input.trigger.payload,
        )
        # Its failure is in the history; the run's own error is what the run reports.
        with contextlib.suppress(ActivityError):
            await workflow.execute_activity(
                ERROR_WORKFLOW_ACTIVITY,
                failed,
                start_to_close_timeout=ERROR_WORKFLOW_TIMEOUT,
                retry_policy=ERROR_WORKFLOW_RETRIES,
                priority=info.priority,
            )

    async def publish(
        self,
        event_type: RunEventType,
        *,
        status: str,
        node_id: str | None = None,
        error: RunEventError | None = None,
    ) -> None:
        """Have the event delivered to the organization's subscriptions. A local activity:
        it runs in the workflow task that reached the event, so a run that ends pays no
        extra task for it, and its result is recorded before the run goes on, so it is
        published once per run (the deliveries are deduplicated by event id besides).
        Should it fail for good, the run goes on as it would have.

        Keyed on what the run started with (`RunInput.run_events`), which no run recorded
        before has, rather than on `workflow.patched`: a patch would upsert
        `TemporalChangeVersion` in every run, an event and a command a run does not spend on
        its own status either (workflows/INVARIANTS.md, "`patched` is not free")."""
        if not self.input.run_events:
            return
        metadata = self.input.metadata
        event = RunEvent(
            type=event_type,
            organization_id=metadata.organization_id,
            run_id=workflow.info().workflow_id,
            workflow_id=metadata.workflow_id,
            workflow_version=metadata.workflow_version,
            status=status,
            at=workflow.now(),
            node_id=node_id,
            error=error,
        )
        with contextlib.suppress(ActivityError):
            await workflow.execute_local_activity(
                PUBLISH_ACTIVITY,
                event,
                start_to_close_timeout=RUN_EVENTS_TIMEOUT,
                retry_policy=RUN_EVENTS_RETRIES,
            )

    async def _announce_approval(self, node_id: str) -> None:
        await self.publish("run.waiting_for_approval", status="waiting", node_id=node_id)

    def _end_failed(self, error: NodeError, top: Scope) -> RunState:
        self.state.error = NodeError(
            type=error.type,
            message=f"node '{error.node_id}' failed: {error.message}",
            node_id=error.node_id,
        )
        self._end("failed")
        details: list[Any] = [self.state]
        # Called only as a run fails: a run that ends otherwise records no marker.
        if workflow.patched(FAILURE_KEEPS_PROGRESS_PATCH):
            details.append(top.retry_snapshot())
        raise ApplicationError(
            self.state.error.message, *details, type=error.type, non_retryable=True
        )


def _history_due(limits: RunLimits) -> bool:
    """Whether the server suggests continuing as new, or one of the run's limits is reached."""
    info = workflow.info()
    return (
        info.is_continue_as_new_suggested()
        or info.get_current_history_length() >= limits.history_events
        or info.get_current_history_size() >= limits.history_bytes
    )


def _history_too_long(limits: RunLimits) -> bool:
    """Whether to continue as new. Runs whose history was recorded before this existed go
    on as they did (`patched`)."""
    return _history_due(limits) and workflow.patched(CONTINUE_AS_NEW_PATCH)
