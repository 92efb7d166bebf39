"""The interpreter: one generic workflow that runs any compiled plan.

Control nodes run here, in workflow code, and cost no activity; each action node is
exactly one activity, called by its registered name with the node's retry policy.
"""

from __future__ import annotations

import asyncio
from typing import Any

from temporalio import workflow
from temporalio.exceptions import ApplicationError

# Import names from modules (`from workflows.x import Y`), never modules from the package
# (`from workflows import x`): the sandbox re-imports this module's package, and a module
# reached through it would be a second copy whose exception classes never match.
with workflow.unsafe.imports_passed_through():
    from temporal import search_attributes as attributes
    from workflows.control import RunStopped
    from workflows.nodes import NodeFailure, NodeRunner
    from workflows.scheduled import with_scheduled_time
    from workflows.scope import Scope
    from workflows.state import (
        DECIDE_UPDATE,
        EVENT_SIGNAL,
        INTERPRETER_WORKFLOW,
        STATE_QUERY,
        DecisionInput,
        EventInput,
        NodeError,
        NodeState,
        RunInput,
        RunState,
        RunStatus,
    )


@workflow.defn(name=INTERPRETER_WORKFLOW)
class FlowRunWorkflow:
    @workflow.init
    def __init__(self, input: RunInput) -> None:
        info = workflow.info()
        input = with_scheduled_time(input, info.typed_search_attributes, info.workflow_start_time)
        self._state = RunState(
            nodes={node_id: NodeState() for node_id in input.plan.nodes},
            variables=dict(input.plan.variables),
        )
        self._runner = NodeRunner(input, self._state)

    @workflow.query(name=STATE_QUERY)
    def state(self) -> RunState:
        return self._state

    @workflow.signal(name=EVENT_SIGNAL)
    def event(self, event: EventInput) -> None:
        self._runner.deliver(event)

    @workflow.update(name=DECIDE_UPDATE)
    def decide(self, decision: DecisionInput) -> str:
        node_id = self._runner.check_decision(decision)
        self._runner.decisions[node_id] = decision
        return node_id

    @decide.validator
    def _check_decision(self, decision: DecisionInput) -> None:
        self._runner.check_decision(decision)

    @workflow.run
    async def run(self, input: RunInput) -> RunState:
        self._state.started_at = workflow.now()
        plan = input.plan
        top = Scope(
            plan=plan,
            members=frozenset(node_id for node_id, node in plan.nodes.items() if node.loop is None),
            starts=(input.trigger.node_id,),
            run_node=self._runner.run_node,
            skip_node=self._runner.skip,
        )
        try:
            output: dict[str, Any] = await top.run()
        except RunStopped as stopped:
            output = {stopped.node_id: self._state.nodes[stopped.node_id].output}
            self._cancel_the_rest()
        except NodeFailure as failure:
            return self._end_failed(failure.error)
        except asyncio.CancelledError:
            self._end("cancelled")
            raise
        self._state.output = output
        self._end("succeeded")
        return self._state

    def _cancel_the_rest(self) -> None:
        for node in self._state.nodes.values():
            if node.status in ("running", "waiting"):
                node.status = "cancelled"

    def _end(self, status: RunStatus) -> None:
        self._cancel_the_rest()
        self._state.waiting_for.clear()
        self._state.status = status
        self._state.ended_at = workflow.now()
        # Runs started without our search attributes (tests, tools) have none to update.
        if workflow.info().typed_search_attributes.get(attributes.ORGANIZATION_ID) is not None:
            workflow.upsert_search_attributes([attributes.RUN_STATUS.value_set(status)])

    def _end_failed(self, error: NodeError) -> RunState:
        self._state.error = NodeError(
            type=error.type,
            message=f"node '{error.node_id}' failed: {error.message}",
            node_id=error.node_id,
        )
        self._end("failed")
        raise ApplicationError(
            self._state.error.message, self._state, type=error.type, non_retryable=True
        )
