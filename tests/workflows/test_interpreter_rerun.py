"""A rerun from the failed step on a time-skipping server: a wait the failed run already
went through is kept, not waited again (no timer in the rerun's history)."""

from __future__ import annotations

import uuid

import pytest
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client, WorkflowFailureError
from temporalio.exceptions import ApplicationError

from app.services.runs.rerunning import resumed_from_failure, reused_nodes, without_triggers
from tests.workflows.harness import graph, node, run_input, start, value
from workflows.state import INTERPRETER_WORKFLOW, RunState, ScopeSnapshot

WAIT_THEN_ADD = graph(
    node("pause", "delay", {"duration": "PT1H"}),
    value("add", "{{ trigger.n + 1 }}"),
    edges=[("start", "pause"), ("pause", "add")],
)


async def test_a_rerun_keeps_a_delay_already_waited_and_runs_the_failed_node(
    client: Client, task_queue: str
) -> None:
    failed = await start(client, task_queue, WAIT_THEN_ADD, {})
    with pytest.raises(WorkflowFailureError) as raised:
        await failed.result()
    cause = raised.value.cause
    assert isinstance(cause, ApplicationError)
    state = RunState.model_validate(cause.details[0])
    plan = run_input(WAIT_THEN_ADD).plan
    kept = without_triggers(ScopeSnapshot.model_validate(cause.details[1]), plan)
    assert reused_nodes(kept) == ["pause"]

    rerun_input = resumed_from_failure(run_input(WAIT_THEN_ADD, {"n": 1}), state, kept)
    rerun = await client.start_workflow(
        INTERPRETER_WORKFLOW, rerun_input, id=f"run_{uuid.uuid4().hex}", task_queue=task_queue,
        result_type=RunState,
    )  # fmt: skip
    final = await rerun.result()

    assert final.status == "succeeded"
    assert final.output == {"add": 2}
    assert final.nodes["pause"].output == state.nodes["pause"].output
    timers = [
        event
        async for event in rerun.fetch_history_events()
        if event.event_type == EventType.EVENT_TYPE_TIMER_STARTED
    ]
    assert timers == [], "the delay was waited by the failed run, not again"
