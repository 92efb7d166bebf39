"""Running one node of a plan: its work, its failure policy, and what the run shows of it."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

from pydantic import ValidationError
from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError, FailureError
from temporalio.workflow import ActivityCancellationType

with workflow.unsafe.imports_passed_through():
    from app.contract.actions import ActionInput, failed_attempt, output_of
    from app.contract.failures import FailureType
    from app.language.expressions import ExpressionError, Meter, Size
    from app.language.field_paths import field_name
    from app.language.graph import MAX_ACCOUNT_ID_LENGTH
    from app.language.node_type import DEFAULT_ACTION_TIMEOUT_SECONDS, Parameters
    from app.language.nodes import CORE
    from app.language.nodes.fields import EXPRESSION_SYNTAX
    from app.language.nodes.flow import LoopParameters, SubWorkflowParameters
    from app.language.parameter_validators import RENDERED, message_of
    from app.language.plan import PlanNode, RetrySpec
    from workflows import control
    from workflows.bounded import bounded_and_size, json_size
    from workflows.children import run_sub_workflow
    from workflows.context import (
        Path,
        expression_context,
        node_meter,
        payload_sizes,
        render_parameters,
        run_root,
    )
    from workflows.engine_metrics import EngineMetrics
    from workflows.errors import NodeFailedError, NodeFailure, RunStopped
    from workflows.loop import run_loop
    from workflows.node_status import (
        CANCEL,
        FAIL,
        SKIP,
        START,
        STILL_RUNNING,
        STILL_WAITING,
        SUCCEED,
        move,
    )
    from workflows.operations import settled
    from workflows.pace import Pace
    from workflows.scope import Gate, Outcome, Scope
    from workflows.state import NodeError, Parked, RunInput, RunState
    from workflows.state_budget import StateLedger, check_node_input, run_budget, variable_size
    from workflows.summaries import node_summary
    from workflows.waits import Waits

DEFAULT_ACTION_TIMEOUT = timedelta(seconds=DEFAULT_ACTION_TIMEOUT_SECONDS)
"""For plans compiled before node types had their own default (`PlanNode.timeout_seconds`
is then None); newer plans carry the time limit of each action."""
RENDERED_TEXT_PATCH = "rendered-templates-as-text"
"""Control nodes give a text field a rendered template's text (`_typed`); only called when
their parameters fail to validate as they did before."""
DEFAULT_HEARTBEAT_TIMEOUT = timedelta(seconds=10)
"""A live activity heartbeats every second (activities.base.heartbeating), waits included;
the SDK sends beats to the server at most every 0.8 x this, which bounds how late a
cancellation reaches an action, and an attempt whose worker died is retried this long after
its last beat. It was 30 s: a crash cost every step under way 30 s (bench/README.md,
"Recovery after a crash"). 10 s leaves a worker's event loop 9 s of stall before a live
attempt is given up. Not behind `workflow.patched`: replay compares a scheduled activity's
type and id, never its timeouts, and an activity scheduled before keeps its own."""


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
    if isinstance(cause, NodeFailedError):
        return NodeError(type=cause.type, message=cause.message, node_id=node_id)
    if isinstance(cause, ApplicationError):
        return NodeError(
            type=cause.type or FailureType.ApplicationError, message=cause.message, node_id=node_id
        )
    if isinstance(cause, ValidationError):
        first = cause.errors(include_url=False)[0]
        # A condition that does not compile is the same mistake as a template that does not.
        kind = (
            FailureType.ExpressionError
            if first["type"] == EXPRESSION_SYNTAX
            else FailureType.InvalidParameters
        )
        message = f"{field_name(first['loc'])}: {message_of(first)}"
        return NodeError(type=kind, message=message, node_id=node_id)
    if isinstance(cause, ExpressionError):
        # Worded as validation words it: the message, then its position when known.
        message = f"{field_name(cause.path)}: {cause.located()}" if cause.path else cause.located()
        return NodeError(type=FailureType.ExpressionError, message=message, node_id=node_id)
    if isinstance(cause, FailureError):
        # Temporal's own failures of the activity or child, by class name: `TimeoutError`...
        return NodeError(type=type(cause).__name__, message=str(cause), node_id=node_id)
    # Anything else is a bug or a value nothing checked: still this node's failure.
    return NodeError(
        type=FailureType.InternalError,
        message=f"unexpected {type(cause).__name__}: {cause}",
        node_id=node_id,
    )


def _output_sizes(node_id: str, scope: Scope, size: int) -> dict[tuple[Any, ...], int]:
    """Where a node's output is kept: in the run's state, and in its scope for the nodes
    after it (a continuation carries both)."""
    return {("node", node_id): size, ("scope", id(scope), node_id): size}


def typed_parameters(
    model: type[Parameters], parameters: dict[str, Any], *, as_text: Callable[[], bool]
) -> Parameters:
    """A control node's rendered parameters as its model, read as an action's are.

    Args:
        as_text: Whether a text field takes a rendered template's text; asked only when the
            parameters fail without it (runs recorded before failed then).
    """
    try:
        return model.model_validate(parameters)
    except ValidationError:
        if not as_text():
            raise
        return model.model_validate(parameters, context=RENDERED)


NULL_TEMPLATES_PATCH = "invalid-parameters-name-null-templates"


@contextmanager
def _naming_null_templates(node_id: str, nulls: list[tuple[Path, str]]) -> Iterator[None]:
    """Invalid parameters after a template gave null also say which template it was: the
    field alone ("url: Input should be a valid string") leaves a person guessing."""
    try:
        yield
    except Exception as error:
        if not nulls:
            raise
        found = _error_of(error, node_id)
        if found.type != FailureType.InvalidParameters or not workflow.patched(
            NULL_TEMPLATES_PATCH
        ):
            raise
        named = "; ".join(
            f"{field_name(path)} is {text!r}, which gave null" for path, text in nulls
        )
        raise NodeFailedError(f"{found.message} ({named})", type=found.type) from error


ACCOUNT_TEMPLATE_PATCH = "account-id-templates"
"""An action's `account_id` may be a template, rendered before the action is called; the
action checks the account it gives against the run's organization and the node's platform.
Called only for a templated id, which versions saved before were refused: no recorded run
has one, and runs with a plain id record no marker."""
_JSON_KINDS = {
    bool: "a boolean", int: "a number", float: "a number", list: "a list", dict: "an object"
}  # fmt: skip


def _account_id(node: PlanNode, context: Mapping[str, Any], meter: Meter) -> str | None:
    """The account the action uses: its id as saved, or what its template gives now."""
    written = node.account_id
    if written is None or "{{" not in written or not workflow.patched(ACCOUNT_TEMPLATE_PATCH):
        return written
    rendered = render_parameters({"account_id": written}, (), context, meter)["account_id"]
    if not isinstance(rendered, str) or not rendered or len(rendered) > MAX_ACCOUNT_ID_LENGTH:
        if isinstance(rendered, str):
            what = "an empty text" if not rendered else "a text too long for an account id"
        else:
            what = "null" if rendered is None else _JSON_KINDS.get(type(rendered), "a value")
        raise NodeFailedError(
            f"account_id: {written!r} gave {what}, not an account id",
            type=FailureType.InvalidParameters,
        )
    return rendered


def _text_fields_take_text() -> bool:
    return workflow.patched(RENDERED_TEXT_PATCH)


def _idempotency_key(node_id: str, scope: Scope) -> str:
    """The same logical step always gets the same key: run, node and loop iteration(s)."""
    return f"{workflow.info().workflow_id}/{node_id}/{scope.iteration()}"


class NodeRunner:
    """Runs nodes against one run's state; the workflow owns it and routes signals to it."""

    def __init__(self, run: RunInput, state: RunState, gate: Gate) -> None:
        self.run = run
        self.state = state
        self.gate = gate
        resume = run.resume
        self.waits = Waits(
            run.plan,
            state,
            events=list(resume.events) if resume else [],
            decisions=dict(resume.decisions) if resume else {},
            limits=run.limits,
        )
        self.last_error: NodeError | None = resume.last_error if resume else None
        self.pace = Pace()
        self.metrics = EngineMetrics()
        self._run_info = run_root(run, workflow.info().workflow_id)
        """What expressions read as `run`; expressions never change what they read."""
        self._in_flight: dict[str, int] = {}
        """How many loop iterations run each node now."""
        self._payload_sizes: Mapping[int, tuple[Any, Size]] | None = None
        self.ledger = StateLedger(run_budget(run))
        # What the state holds already (the plan's variables, or what the previous run of
        # the chain kept), counted whatever its size: that run checked it.
        self.ledger.put({("var", name): variable_size(name, value)
                         for name, value in state.variables.items()})  # fmt: skip
        self.ledger.put({("node", node_id): json_size(node.output).text
                         for node_id, node in state.nodes.items()})  # fmt: skip

    def meter(self) -> Meter:
        """A node's allowance for its expressions, counted for pacing; the trigger's payload
        is measured once for the run, by the first node that needs a meter."""
        if self._payload_sizes is None:
            self._payload_sizes = payload_sizes(self.run.trigger.payload, self.pace.spend)
        return self.pace.watch(node_meter(self._payload_sizes))

    def context(self, scope: Scope) -> dict[str, Any]:
        return expression_context(
            self.run,
            outputs=scope.visible_outputs(),
            variables=self.state.variables,
            now=workflow.now(),
            run_info=self._run_info,
            loop=scope.loop_binding(),
            error=self.last_error.model_dump() if self.last_error else None,
        )

    def skip(self, node: PlanNode) -> None:
        move(self.state.nodes[node.id], SKIP)

    async def run_node(self, node: PlanNode, scope: Scope, parked: Parked | None = None) -> Outcome:
        """Run a node and apply its failure policy: fail the run, continue, or route.

        A `parked` node was under way when the previous run continued as new: it goes on
        where it stood, as the same attempt.
        """
        await self.pace.step()
        node_state = self.state.nodes[node.id]
        if parked is None:
            move(node_state, START)
            node_state.attempts += 1
            node_state.started_at = workflow.now()
            node_state.ended_at = None
            node_state.error = None
        self._in_flight[node.id] = self._in_flight.get(node.id, 0) + 1
        try:
            return await self._run_and_settle(node, scope, parked)
        finally:
            self._in_flight[node.id] -= 1
            if self._in_flight[node.id]:
                # Other iterations of a loop still run this node: the state shows them
                # until the last one ends (a failure stays shown: it is what matters).
                move(node_state, STILL_WAITING if self.waits.waits_in(node.id) else STILL_RUNNING)

    async def _run_and_settle(self, node: PlanNode, scope: Scope, parked: Parked | None) -> Outcome:
        node_state = self.state.nodes[node.id]
        try:
            if node.disabled:
                outcome = Outcome(self._default_handle(node), None)
                move(node_state, SKIP)
            else:
                outcome = await self._execute(node, scope, parked)
                move(node_state, SUCCEED)
            output, size = bounded_and_size(outcome.output, spend=self.pace.spend)
            self.ledger.keep(_output_sizes(node.id, scope, size), f"the output of '{node.id}'")
            self.metrics.node_ended(node.type, "skipped" if node.disabled else "succeeded")
        except asyncio.CancelledError:
            move(node_state, CANCEL)  # a failure of another iteration stays shown
            node_state.ended_at = workflow.now()
            self.metrics.node_ended(node.type, "cancelled")
            raise
        except RunStopped as stopped:
            self.metrics.node_ended(node.type, "succeeded")
            move(node_state, SUCCEED)
            node_state.output, size = bounded_and_size(stopped.output, spend=self.pace.spend)
            # The run ends with it: no later node could be failed instead.
            self.ledger.put({("node", node.id): size})
            node_state.ended_at = workflow.now()
            raise
        except NodeFailure:
            raise  # a node inside this one (a loop's body) failed the run
        except (workflow.NondeterminismError, workflow.ReadOnlyContextError):
            raise  # the code, not the node, is wrong: the task must fail until it is fixed
        except Exception as error:
            # Whatever else escapes a node fails the node: raised out of the workflow, it
            # would fail the workflow task, which Temporal retries forever.
            outcome = self._failed(node, _error_of(error, node.id))
            output = outcome.output
            # An error is small: kept whatever the budget, it replaces the output.
            self.ledger.put(_output_sizes(node.id, scope, json_size(output).text))
        node_state.output = output
        node_state.ended_at = workflow.now()
        return Outcome(outcome.handle, output)

    def _failed(self, node: PlanNode, error: NodeError) -> Outcome:
        node_state = self.state.nodes[node.id]
        move(node_state, FAIL)
        self.metrics.node_ended(node.type, "failed")
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
        if node.kind == "action":
            return "out"  # every action has one output; its type is the platform's, not CORE's
        node_type = CORE.get(node.type)
        handles = node_type.handles if node_type else ()
        return handles[0] if handles else None

    async def _execute(self, node: PlanNode, scope: Scope, parked: Parked | None) -> Outcome:
        if node.kind == "trigger":
            return Outcome("out", self.run.trigger.payload)
        context = self.context(scope)
        meter = self.meter()
        nulls: list[tuple[Path, str]] = []
        parameters = render_parameters(
            node.parameters, node.expression_fields, context, meter, nulls
        )
        if node.kind == "action":
            account_id = _account_id(node, context, meter)
            with _naming_null_templates(node.id, nulls):
                return Outcome("out", await self._action(node, parameters, scope, account_id))
        node_type = CORE.get(node.type)
        if node_type is None:
            raise NodeFailedError(
                f"this worker cannot run '{node.type}' nodes", type=FailureType.UnsupportedNode
            )
        with _naming_null_templates(node.id, nulls):
            typed = typed_parameters(
                node_type.parameters, parameters, as_text=_text_fields_take_text
            )
        immediate = control.IMMEDIATE.get(node.type)
        if immediate is not None:
            arrived = {n: scope.outputs[n] for n in node.incoming if n in scope.outputs}
            call = control.Call(node.id, context, self.state.variables, arrived, meter, self.ledger)
            return immediate(typed, call)
        if isinstance(typed, LoopParameters):
            return await run_loop(
                node, typed, context, scope, parked,
                run_node=self.run_node, skip_node=self.skip, gate=self.gate, meter=meter,
                contexts=lambda: self.context(scope), meters=self.meter,
            )  # fmt: skip
        if isinstance(typed, SubWorkflowParameters):
            return await run_sub_workflow(node, typed, scope, self.run)
        waiting = {
            "delay": self.waits.delay,
            "wait_for_event": self.waits.wait_for_event,
            "approval": self.waits.approval,
        }[node.type]
        outcome: Outcome = await waiting(node, typed, context, scope, parked)
        return outcome

    async def _action(
        self, node: PlanNode, parameters: dict[str, Any], scope: Scope, account_id: str | None
    ) -> Any:
        assert node.activity is not None
        action_input = ActionInput(
            node_id=node.id,
            node_type=node.type,
            parameters=parameters,
            organization_id=self.run.metadata.organization_id,
            account_id=account_id,
            idempotency_key=_idempotency_key(node.id, scope),
            report_attempt=True,
        )
        check_node_input(action_input, "the action's input (its rendered parameters)")
        activity_task = workflow.start_activity(
            node.activity,
            action_input,
            start_to_close_timeout=(
                timedelta(seconds=node.timeout_seconds)
                if node.timeout_seconds
                else DEFAULT_ACTION_TIMEOUT
            ),
            heartbeat_timeout=DEFAULT_HEARTBEAT_TIMEOUT,
            retry_policy=retry_policy(node.retry),
            # A cancelled run ends only once its actions have really stopped.
            cancellation_type=ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
            # The server would inherit it too, but only where the activity's own task and
            # history do not show it; said here, the organization's fairness key is seen
            # wherever the task is (temporal/fairness.py). Replay ignores a command's priority.
            priority=workflow.info().priority,
            summary=node_summary(node),
        )
        try:
            output, attempt = output_of(await settled(activity_task))
        except ActivityError as error:
            maximum = (node.retry or RetrySpec()).maximum_attempts
            self._count_retries(node, failed_attempt(error, maximum))
            raise
        self._count_retries(node, attempt)
        return output

    def _count_retries(self, node: PlanNode, attempt: int | None) -> None:
        """The run counted the node's start as one attempt; Temporal may have made more."""
        if attempt is not None:
            self.state.nodes[node.id].attempts += attempt - 1
            self.metrics.retried(node.type, attempt - 1)
