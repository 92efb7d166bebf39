"""The `sub_workflow` node: another workflow of the organization, run as a child run.

The child's plan is the version pinned when the parent was stored, carried by the parent
run (`RunInput.workflows`): starting it reads nothing. Its id derives from the parent
run, the node and the loop iteration (`child_run_id`), so a replayed or retried parent
never starts it twice. Cancelling the parent cancels the child and waits for it; a child
cancelled on its own fails its node, which then follows the node's failure policy.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from temporalio import workflow
from temporalio.exceptions import (
    ApplicationError,
    CancelledError,
    ChildWorkflowError,
    TerminatedError,
    WorkflowAlreadyStartedError,
)
from temporalio.exceptions import TimeoutError as WorkflowTimeoutError

with workflow.unsafe.imports_passed_through():
    import jsonschema
    import referencing.exceptions

    from app.contract import search_attributes as attributes
    from app.contract.failures import FailureType
    from app.language.calls import (
        MAX_SUB_WORKFLOW_DEPTH,
        carried_for,
        plan_key,
        start_trigger,
    )
    from app.language.nodes.flow import SubWorkflowParameters
    from app.language.plan import Plan, PlanNode
    from workflows.errors import NodeFailedError
    from workflows.operations import settled
    from workflows.scope import Outcome, Scope
    from workflows.state import (
        INTERPRETER_WORKFLOW,
        SUB_WORKFLOW_TRIGGER,
        RunInput,
        RunMetadata,
        RunState,
        TriggerInput,
    )
    from workflows.state_budget import check_node_input
    from workflows.summaries import node_summary


def child_run_id(parent_run_id: str, node_id: str, iteration: str) -> str:
    """`<parent>~<node>~<iteration>` (`run_x~call~2-0`): unique, since node ids never hold a
    `~`, and one URL path segment, so the API can address a child like any run."""
    return f"{parent_run_id}~{node_id}~{iteration.replace('/', '-')}"


def child_input(parent: RunInput, parameters: SubWorkflowParameters) -> RunInput:
    """What the child run starts with; raises `NodeFailedError` when it cannot start."""
    wanted = f"version {parameters.version} of workflow {parameters.workflow_id}"
    plan = (
        parent.workflows.get(plan_key(parameters.workflow_id, parameters.version))
        if parameters.version is not None
        else None
    )
    if plan is None:
        raise NodeFailedError(
            f"this run does not carry {wanted}: runs started through the API carry every "
            "sub-workflow their version calls",
            type=FailureType.SubWorkflowMissing,
        )
    if parent.depth >= MAX_SUB_WORKFLOW_DEPTH:
        raise NodeFailedError(
            f"runs may nest at most {MAX_SUB_WORKFLOW_DEPTH} levels deep",
            type=FailureType.NestingTooDeep,
        )
    trigger = start_trigger(plan)
    if trigger is None:
        raise NodeFailedError(
            f"{wanted} has no manual trigger to start from", type=FailureType.NoTrigger
        )
    _check_input(plan, trigger, parameters.input, wanted)
    assert parameters.version is not None
    return RunInput(
        plan=plan,
        trigger=TriggerInput(kind=SUB_WORKFLOW_TRIGGER, node_id=trigger, payload=parameters.input),
        metadata=RunMetadata(
            organization_id=parent.metadata.organization_id,
            workflow_id=parameters.workflow_id,
            workflow_version=parameters.version,
            plan_hash=plan.content_hash(),
        ),
        workflows=carried_for(plan, parent.workflows),
        depth=parent.depth + 1,
        limits=parent.limits,
    )


def _check_input(plan: Plan, trigger: str, payload: Any, wanted: str) -> None:
    """The manual trigger's input schema holds for child runs too."""
    schema = plan.nodes[trigger].parameters.get("input_schema")
    if not schema:
        return
    try:
        error = jsonschema.exceptions.best_match(
            jsonschema.Draft202012Validator(schema).iter_errors(payload)
        )
    except (jsonschema.exceptions.SchemaError, referencing.exceptions.Unresolvable) as problem:
        raise NodeFailedError(
            f"cannot check the input of {wanted}: {problem}", type=FailureType.InvalidInput
        ) from None
    if error is not None:
        where = error.json_path if error.path else "the input"
        raise NodeFailedError(
            f"the input does not fit {wanted}: {error.message} (at {where})",
            type=FailureType.InvalidInput,
        )


async def run_sub_workflow(
    node: PlanNode, parameters: SubWorkflowParameters, scope: Scope, parent: RunInput
) -> Outcome:
    run_input = child_input(parent, parameters)
    check_node_input(run_input, "the child run's input (its plans and payload)")
    child_id = child_run_id(workflow.info().workflow_id, node.id, scope.iteration())
    options: dict[str, Any] = {
        "id": child_id,
        "result_type": RunState,
        "static_summary": node_summary(node),
    }
    if node.timeout_seconds:
        options["execution_timeout"] = timedelta(seconds=node.timeout_seconds)
    # Runs started without our search attributes (tests, tools) have none to pass on.
    if workflow.info().typed_search_attributes.get(attributes.ORGANIZATION_ID) is not None:
        options["search_attributes"] = attributes.for_run(
            organization_id=run_input.metadata.organization_id,
            workflow_id=run_input.metadata.workflow_id,
            version=run_input.metadata.workflow_version,
            trigger_kind=SUB_WORKFLOW_TRIGGER,
        )
    policy = (
        workflow.ParentClosePolicy.REQUEST_CANCEL
        if parameters.wait
        else workflow.ParentClosePolicy.ABANDON
    )
    try:
        child = await workflow.start_child_workflow(
            INTERPRETER_WORKFLOW, run_input, parent_close_policy=policy, **options
        )
    except WorkflowAlreadyStartedError:
        raise NodeFailedError(
            f"run {child_id} exists already", type=FailureType.AlreadyStarted
        ) from None
    if not parameters.wait:
        return Outcome("out", {"run_id": child_id})
    try:
        state = await settled(child)
    except ChildWorkflowError as error:
        raise _child_failure(child_id, error.cause) from None
    return Outcome("out", state.output)


def _child_failure(child_id: str, cause: BaseException | None) -> NodeFailedError:
    if isinstance(cause, CancelledError):
        return NodeFailedError(f"run {child_id} was cancelled", type=FailureType.Cancelled)
    if isinstance(cause, TerminatedError):
        return NodeFailedError(f"run {child_id} was terminated", type=FailureType.Terminated)
    if isinstance(cause, WorkflowTimeoutError):
        return NodeFailedError(f"run {child_id} timed out", type=FailureType.Timeout)
    if isinstance(cause, ApplicationError):
        message = f"run {child_id} failed: {cause.message}"
        return NodeFailedError(message, type=cause.type or FailureType.ChildFailed)
    return NodeFailedError(f"run {child_id} failed: {cause}", type=FailureType.ChildFailed)
