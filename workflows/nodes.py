"""Running one node of a plan: its work, its failure policy, and what the run shows of it."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from pydantic import ValidationError
from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from activities.base import ActionInput
    from app.language import catalog
    from app.language.expressions import ExpressionError
    from app.language.nodes.flow import (
        ApprovalParameters,
        DelayParameters,
        LoopParameters,
        WaitForEventParameters,
    )
    from app.language.plan import PlanNode, RetrySpec
    from workflows import control
    from workflows.bounded import bounded
    from workflows.context import expression_context, render_parameters
    from workflows.scope import Outcome, Scope
    from workflows.state import (
        DecisionInput,
        EventInput,
        NodeError,
        RunInput,
        RunState,
        WaitingFor,
    )

DEFAULT_ACTION_TIMEOUT = timedelta(minutes=5)
DEFAULT_HEARTBEAT_TIMEOUT = timedelta(minutes=2)


def retry_policy(spec: RetrySpec | None) -> RetryPolicy:
    spec = spec or RetrySpec()
    return RetryPolicy(
        maximum_attempts=spec.maximum_attempts,
        initial_interval=timedelta(seconds=spec.initial_interval_seconds),
        backoff_coefficient=spec.backoff_coefficient,
        maximum_interval=timedelta(seconds=spec.maximum_interval_seconds),
        non_retryable_error_types=list(spec.non_retryable_error_types),
    )


def _error_of(error: BaseException, node_id: str) -> NodeError:
    cause: BaseException = error
    while isinstance(cause, ActivityError) and cause.cause is not None:
        cause = cause.cause
    if isinstance(cause, control.NodeFailedError):
        return NodeError(type=cause.type, message=cause.message, node_id=node_id)
    if isinstance(cause, ApplicationError):
        return NodeError(
            type=cause.type or "ApplicationError", message=cause.message, node_id=node_id
        )
    if isinstance(cause, ValidationError):
        first = cause.errors(include_url=False)[0]
        where = ".".join(str(part) for part in first["loc"])
        return NodeError(
            type="InvalidParameters", message=f"{where}: {first['msg']}", node_id=node_id
        )
    if isinstance(cause, ExpressionError):
        return NodeError(type="ExpressionError", message=cause.message, node_id=node_id)
    return NodeError(type=type(cause).__name__, message=str(cause), node_id=node_id)


def _idempotency_key(node_id: str, iteration: tuple[Any, int] | None) -> str:
    """The same logical step always gets the same key: run, node and loop iteration."""
    return f"{workflow.info().workflow_id}/{node_id}/{iteration[1] if iteration else 0}"


class NodeFailure(Exception):
    """A node failed and its policy is to fail the run."""

    def __init__(self, error: NodeError) -> None:
        super().__init__(error.message)
        self.error = error


class NodeRunner:
    """Runs nodes against one run's state; the workflow owns it and routes signals to it."""

    def __init__(self, run: RunInput, state: RunState) -> None:
        self.run = run
        self.state = state
        self.events: list[EventInput] = []
        self.decisions: dict[str, DecisionInput] = {}
        self.last_error: NodeError | None = None

    # -- signals and updates ------------------------------------------------------------

    def deliver(self, event: EventInput) -> None:
        self.events.append(event)

    def pending_approvals(self) -> list[str]:
        return [wait.node_id for wait in self.state.waiting_for if wait.kind == "approval"]

    def check_decision(self, decision: DecisionInput) -> str:
        """The approval node the decision is for; raises if it answers nothing waiting."""
        pending = self.pending_approvals()
        if decision.node_id is None:
            if len(pending) != 1:
                raise ValueError(f"{len(pending)} approvals are waiting: name the node_id")
            node_id = pending[0]
        elif decision.node_id not in pending:
            raise ValueError(f"node '{decision.node_id}' is not waiting for an approval")
        else:
            node_id = decision.node_id
        approvers = self.run.plan.nodes[node_id].parameters.get("approvers") or []
        if approvers and decision.by not in approvers:
            raise ValueError(f"'{decision.by}' may not decide this approval")
        return node_id

    # -- nodes ----------------------------------------------------------------------------

    def context(self, scope: Scope) -> dict[str, Any]:
        return expression_context(
            self.run,
            outputs=scope.visible_outputs(),
            variables=self.state.variables,
            now=workflow.now(),
            run_id=workflow.info().workflow_id,
            loop=scope.loop_binding(),
            error=self.last_error.model_dump() if self.last_error else None,
        )

    def skip(self, node: PlanNode) -> None:
        self.state.nodes[node.id].status = "skipped"

    async def run_node(self, node: PlanNode, scope: Scope) -> Outcome:
        """Run a node and apply its failure policy: fail the run, continue, or route."""
        node_state = self.state.nodes[node.id]
        node_state.status = "running"
        node_state.attempts += 1
        node_state.started_at = workflow.now()
        node_state.ended_at = None
        node_state.error = None
        try:
            if node.disabled:
                outcome = Outcome(self._default_handle(node), None)
                node_state.status = "skipped"
            else:
                outcome = await self._execute(node, scope)
                node_state.status = "succeeded"
        except asyncio.CancelledError:
            node_state.status = "cancelled"
            node_state.ended_at = workflow.now()
            raise
        except control.RunStopped as stopped:
            node_state.status = "succeeded"
            node_state.output = bounded(stopped.output)
            node_state.ended_at = workflow.now()
            raise
        except (ActivityError, control.NodeFailedError, ValidationError, ExpressionError) as error:
            outcome = self._failed(node, _error_of(error, node.id))
        node_state.output = bounded(outcome.output)
        node_state.ended_at = workflow.now()
        return Outcome(outcome.handle, node_state.output)

    def _failed(self, node: PlanNode, error: NodeError) -> Outcome:
        node_state = self.state.nodes[node.id]
        node_state.status = "failed"
        node_state.error = error
        if node.on_error == "fail":
            node_state.ended_at = workflow.now()
            raise NodeFailure(error)
        self.last_error = error
        output = {"error": error.model_dump()}
        if node.on_error == "route":
            return Outcome("error", output)
        return Outcome(self._default_handle(node), output)

    def _default_handle(self, node: PlanNode) -> str | None:
        node_type = catalog.get(node.type)
        handles = node_type.handles if node_type else ()
        return handles[0] if handles else None

    async def _execute(self, node: PlanNode, scope: Scope) -> Outcome:
        if node.kind == "trigger":
            return Outcome("out", self.run.trigger.payload)
        context = self.context(scope)
        parameters = render_parameters(node.parameters, node.expression_fields, context)
        if node.kind == "action":
            return Outcome("out", await self._action(node, parameters, scope))
        node_type = catalog.get(node.type)
        if node_type is None:
            raise control.NodeFailedError(
                f"this worker cannot run '{node.type}' nodes", type="UnsupportedNode"
            )
        typed = node_type.parameters.model_validate(parameters)
        immediate = control.IMMEDIATE.get(node.type)
        if immediate is not None:
            arrived = {n: scope.outputs[n] for n in node.incoming if n in scope.outputs}
            return immediate(typed, control.Call(node.id, context, self.state.variables, arrived))
        waiting = {
            "delay": self._delay, "wait_for_event": self._wait_for_event,
            "approval": self._approval, "loop": self._loop,
        }[node.type]  # fmt: skip
        outcome: Outcome = await waiting(node, typed, context, scope)
        return outcome

    async def _delay(
        self, node: PlanNode, parameters: Any, context: dict[str, Any], scope: Scope
    ) -> Outcome:
        delay: DelayParameters = parameters
        now = workflow.now()
        if delay.duration is not None:
            until = now + delay.duration
        else:
            try:
                until = datetime.fromisoformat(str(delay.until))
            except ValueError:
                raise control.NodeFailedError(
                    f"'{delay.until}' is not an ISO 8601 timestamp", type="InvalidTimestamp"
                ) from None
            if until.tzinfo is None:
                raise control.NodeFailedError(
                    "the timestamp has no time zone", type="InvalidTimestamp"
                )
        async with self._waiting(WaitingFor(node_id=node.id, kind="delay", until=until)):
            if until > now:
                await workflow.sleep(until - now)
        return Outcome("out", {"resumed_at": workflow.now().isoformat()})

    async def _wait_for_event(
        self, node: PlanNode, parameters: Any, context: dict[str, Any], scope: Scope
    ) -> Outcome:
        wait: WaitForEventParameters = parameters
        found: list[EventInput] = []

        def matching() -> bool:
            for event in self.events:
                if event.name != wait.event:
                    continue
                if wait.match and not control.evaluate(
                    wait.match, {**context, "event": event.payload}
                ):
                    continue
                found.append(event)
                return True
            return False

        async with self._waiting(WaitingFor(node_id=node.id, kind="event", event=wait.event)):
            if not await self._wait_until(matching, wait.timeout):
                return Outcome("timeout", None)
        self.events.remove(found[0])
        return Outcome("out", found[0].payload)

    async def _approval(
        self, node: PlanNode, parameters: Any, context: dict[str, Any], scope: Scope
    ) -> Outcome:
        approval: ApprovalParameters = parameters
        async with self._waiting(WaitingFor(node_id=node.id, kind="approval")):
            if not await self._wait_until(lambda: node.id in self.decisions, approval.timeout):
                return Outcome("timeout", None)
        decision = self.decisions.pop(node.id)
        output = {
            "decision": "approved" if decision.approved else "rejected",
            "by": decision.by,
            "comment": decision.comment,
            "decided_at": workflow.now().isoformat(),
        }
        return Outcome("approved" if decision.approved else "rejected", output)

    async def _loop(
        self, node: PlanNode, parameters: Any, context: dict[str, Any], scope: Scope
    ) -> Outcome:
        loop: LoopParameters = parameters
        items = control.loop_items(loop, context)
        members = frozenset(
            n for n, planned in self.run.plan.nodes.items() if planned.loop == node.id
        )
        results: list[Any] = [None] * len(items)
        limit = asyncio.Semaphore(loop.max_concurrency)

        async def iterate(index: int, item: Any) -> None:
            async with limit:
                body = Scope(
                    plan=self.run.plan, members=members, starts=node.next.get("body", ()),
                    run_node=self.run_node, skip_node=self.skip, parent=scope, loop=(item, index),
                )  # fmt: skip
                ended = await body.run()
                results[index] = next(iter(ended.values())) if len(ended) == 1 else ended

        await _all_or_none([iterate(index, item) for index, item in enumerate(items)])
        return Outcome("done", {"results": results, "count": len(items)})

    async def _action(self, node: PlanNode, parameters: dict[str, Any], scope: Scope) -> Any:
        assert node.activity is not None
        iteration = scope.loop_binding()
        return await workflow.execute_activity(
            node.activity,
            ActionInput(
                node_id=node.id,
                node_type=node.type,
                parameters=parameters,
                organization_id=self.run.metadata.organization_id,
                account_id=node.account_id,
                idempotency_key=_idempotency_key(node.id, iteration),
            ),
            start_to_close_timeout=(
                timedelta(seconds=node.timeout_seconds)
                if node.timeout_seconds
                else DEFAULT_ACTION_TIMEOUT
            ),
            heartbeat_timeout=DEFAULT_HEARTBEAT_TIMEOUT,
            retry_policy=retry_policy(node.retry),
        )

    # -- waiting --------------------------------------------------------------------------

    def _waiting(self, what: WaitingFor) -> _Waiting:
        return _Waiting(self.state, what)

    async def _wait_until(self, condition: Callable[[], bool], limit: timedelta | None) -> bool:
        try:
            await workflow.wait_condition(condition, timeout=limit)
        except TimeoutError:
            return False
        return True


class _Waiting:
    """Shows a wait in the run's state for as long as it lasts."""

    def __init__(self, state: RunState, what: WaitingFor) -> None:
        self.state = state
        self.what = what

    async def __aenter__(self) -> None:
        self.state.nodes[self.what.node_id].status = "waiting"
        self.state.waiting_for.append(self.what)

    async def __aexit__(self, *_: object) -> None:
        self.state.waiting_for.remove(self.what)
        self.state.nodes[self.what.node_id].status = "running"


async def _all_or_none(coroutines: list[Any]) -> None:
    """Run all; when one fails, cancel the others and raise the failure."""
    tasks = [asyncio.create_task(coroutine) for coroutine in coroutines]
    pending = set(tasks)
    try:
        while pending:
            done, still = await workflow.wait(pending, return_when=asyncio.FIRST_EXCEPTION)
            pending = set(still)
            for task in sorted(done, key=tasks.index):
                task.result()
    except (Exception, asyncio.CancelledError):
        # Not BaseException: GeneratorExit, thrown in when the worker evicts the run from its
        # cache, must pass through without awaiting anything.
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        raise
