"""The interpreter: one generic workflow that runs any compiled plan.

Control nodes run in workflow code and cost no activity; each action node is exactly one
activity, called by its registered name with the node's retry policy. Before its history
grows past what Temporal handles well, a run continues as new, handing its whole progress
to the next run of the chain (`RunInput.resume`). The logic is in `workflows.run`; the
worker's sandbox passes this package through (`temporal.worker.workflow_runner`), and
this module stays this small for a sandbox that would not, which re-imports it per run.
"""

from __future__ import annotations

from temporalio import workflow

# Import names from modules (`from workflows.x import Y`), never modules from the package
# (`from workflows import x`): a sandbox may re-import this module's package, and a module
# reached through it would be a second copy whose exception classes never match.
with workflow.unsafe.imports_passed_through():
    from workflows.run import Run
    from workflows.state import (
        DECIDE_UPDATE,
        EVENT_SIGNAL,
        INTERPRETER_WORKFLOW,
        STATE_QUERY,
        DecisionInput,
        EventInput,
        RunInput,
        RunState,
    )


@workflow.defn(name=INTERPRETER_WORKFLOW)
class FlowRunWorkflow:
    @workflow.init
    def __init__(self, input: RunInput) -> None:
        self._run = Run(input)

    @workflow.query(name=STATE_QUERY)
    def state(self) -> RunState:
        return self._run.state

    @workflow.signal(name=EVENT_SIGNAL)
    def event(self, event: EventInput) -> None:
        self._run.deliver(event)

    @workflow.update(name=DECIDE_UPDATE)
    def decide(self, decision: DecisionInput) -> str:
        return self._run.decide(decision)

    @decide.validator
    def _check_decision(self, decision: DecisionInput) -> None:
        self._run.waits.check_approver(decision)

    @workflow.run
    async def run(self, input: RunInput) -> RunState:
        return await self._run.execute()
