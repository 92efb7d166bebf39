"""A rerun from the failed step on a time-skipping server: a wait the failed run already
went through is kept, not waited again (no timer in the rerun's history); one still under
way when the run failed is waited again."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client, WorkflowFailureError
from temporalio.exceptions import ApplicationError

from app.services.runs.rerunning import resumed_from_failure, reused_nodes, without_triggers
from tests.workflows.harness import Handle, graph, node, run_input, start, value
from workflows.state import INTERPRETER_WORKFLOW, RunState, ScopeSnapshot

WAIT_THEN_ADD = graph(
    node("pause", "delay", {"duration": "PT1H"}),
    value("add", "{{ trigger.n + 1 }}"),
    edges=[("start", "pause"), ("pause", "add")],
)


ADD_BESIDE_A_WAIT = graph(
    node("pause", "delay", {"duration": "PT1H"}),
    value("add", "{{ trigger.n + 1 }}"),
    edges=[("start", "pause"), ("start", "add")],
)


async def rerun_with(
    client: Client, task_queue: str, graph_: dict[str, Any], payload: Any
) -> tuple[RunState, list[str], Handle]:
    """Run `graph_` until it fails, then rerun it from its failed step with `payload`: the
    failed run's state, the nodes the rerun kept, and the rerun."""
    failed = await start(client, task_queue, graph_, {})
    with pytest.raises(WorkflowFailureError) as raised:
        await failed.result()
    cause = raised.value.cause
    assert isinstance(cause, ApplicationError)
    state = RunState.model_validate(cause.details[0])
    plan = run_input(graph_).plan
    kept = without_triggers(ScopeSnapshot.model_validate(cause.details[1]), plan)
    rerun_input = resumed_from_failure(run_input(graph_, payload), state, kept)
    rerun = await client.start_workflow(
        INTERPRETER_WORKFLOW, rerun_input, id=f"run_{uuid.uuid4().hex}", task_queue=task_queue,
        result_type=RunState,
    )  # fmt: skip
    return state, reused_nodes(kept), rerun


async def timers_of(handle: Handle) -> int:
    return len(
        [
            event
            async for event in handle.fetch_history_events()
            if event.event_type == EventType.EVENT_TYPE_TIMER_STARTED
        ]
    )


async def test_a_rerun_keeps_a_delay_already_waited_and_runs_the_failed_node(
    client: Client, task_queue: str
) -> None:
    state, kept, rerun = await rerun_with(client, task_queue, WAIT_THEN_ADD, {"n": 1})
    assert kept == ["pause"]
    final = await rerun.result()

    assert final.status == "succeeded"
    assert final.output == {"add": 2}
    assert final.nodes["pause"].output == state.nodes["pause"].output
    assert await timers_of(rerun) == 0, "the delay was waited by the failed run, not again"


async def test_a_wait_under_way_when_the_run_failed_is_waited_again(
    client: Client, task_queue: str
) -> None:
    state, kept, rerun = await rerun_with(client, task_queue, ADD_BESIDE_A_WAIT, {"n": 1})
    assert state.nodes["pause"].status == "cancelled"
    assert kept == []
    final = await rerun.result()

    assert final.status == "succeeded"
    assert final.output is not None
    assert final.output["add"] == 2
    assert final.nodes["pause"].status == "succeeded"
    assert await timers_of(rerun) == 1
