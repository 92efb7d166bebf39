"""`sub_workflow` nodes run the pinned version of another workflow as a child run."""

from __future__ import annotations

import pytest
from temporalio.client import Client, WorkflowExecutionStatus, WorkflowFailureError
from temporalio.exceptions import ApplicationError, CancelledError

from app.language.calls import MAX_SUB_WORKFLOW_DEPTH
from tests.workflows.harness import (
    DOUBLER,
    FAILER,
    WAITER,
    calling,
    graph,
    node,
    start,
    state_of,
    value,
    wait_until_waiting,
)
from workflows.state import EVENT_SIGNAL, EventInput, RunState


async def test_a_sub_workflow_runs_as_a_child_and_outputs_its_result(
    client: Client, task_queue: str
) -> None:
    document = calling(input={"n": "{{ trigger.n }}"})
    handle = await start(client, task_queue, document, {"n": 21}, workflows={"wf_child": DOUBLER})
    state = await handle.result()
    assert state.output == {"after": {"double": {"doubled": 42}}}
    child = client.get_workflow_handle(f"{handle.id}~call~0", result_type=RunState)
    described = await child.describe()
    assert described.status == WorkflowExecutionStatus.COMPLETED
    assert described.parent_id == handle.id
    child_state = await child.result()
    assert child_state.nodes["start"].output == {"n": 21}


async def test_each_loop_iteration_runs_its_own_child(client: Client, task_queue: str) -> None:
    document = graph(
        node("each", "loop", {"items": "trigger.items", "max_concurrency": 2}),
        node("call", "sub_workflow", {"workflow_id": "wf_child", "input": {"n": "{{ item }}"}}),
        edges=[("start", "each"), ("each", "call", "body"), ("call", "each")],
    )
    handle = await start(
        client, task_queue, document, {"items": [1, 2, 3]}, workflows={"wf_child": DOUBLER}
    )
    state = await handle.result()
    assert state.nodes["each"].output["results"] == [{"double": {"doubled": n}} for n in (2, 4, 6)]
    for index in range(3):
        described = await client.get_workflow_handle(f"{handle.id}~call~{index}").describe()
        assert described.parent_id == handle.id


async def test_children_of_nested_loops_get_distinct_ids(client: Client, task_queue: str) -> None:
    document = graph(
        node("rows", "loop", {"items": "trigger.rows"}),
        node("cells", "loop", {"items": "item"}),
        node("call", "sub_workflow", {"workflow_id": "wf_child", "input": {"n": "{{ item }}"}}),
        edges=[
            ("start", "rows"),
            ("rows", "cells", "body"),
            ("cells", "call", "body"),
            ("call", "cells"),
            ("cells", "rows", "done"),
        ],
    )
    handle = await start(
        client, task_queue, document, {"rows": [[1, 2], [3]]}, workflows={"wf_child": DOUBLER}
    )
    await handle.result()
    for path, n in (("0-0", 1), ("0-1", 2), ("1-0", 3)):
        child = client.get_workflow_handle(f"{handle.id}~call~{path}", result_type=RunState)
        assert (await child.result()).output == {"double": {"doubled": 2 * n}}


async def test_a_failed_child_fails_the_run_naming_the_node_and_the_cause(
    client: Client, task_queue: str
) -> None:
    handle = await start(
        client, task_queue, calling(input={"n": 3}), workflows={"wf_child": FAILER}
    )
    with pytest.raises(WorkflowFailureError) as failure:
        await handle.result()
    cause = failure.value.cause
    assert isinstance(cause, ApplicationError)
    assert cause.type == "NoGood"
    assert cause.message == (
        f"node 'call' failed: run {handle.id}~call~0 failed: node 'boom' failed: no 3"
    )


async def test_a_failed_child_follows_the_error_route(client: Client, task_queue: str) -> None:
    handle = await start(
        client,
        task_queue,
        calling(input={"n": 3}, on_error="route"),
        workflows={"wf_child": FAILER},
    )
    state = await handle.result()
    assert state.nodes["after"].status == "skipped"
    assert state.output is not None
    assert state.output["handled"].startswith("NoGood: run ")


async def test_a_child_not_waited_for_outputs_its_run_id_and_outlives_the_parent(
    dev_client: Client, task_queue: str
) -> None:
    # On the dev server: the time-skipping one skips the lone child to its time-out.
    handle = await start(
        dev_client, task_queue, calling(wait=False), workflows={"wf_child": WAITER}
    )
    state = await handle.result()
    child_id = f"{handle.id}~call~0"
    assert state.nodes["call"].output == {"run_id": child_id}
    child = dev_client.get_workflow_handle(child_id, result_type=RunState)
    await wait_until_waiting(child, "hold")
    await child.signal(EVENT_SIGNAL, EventInput(name="go", payload="later"))
    assert (await child.result()).output == {"hold": "later"}


async def test_cancelling_the_parent_cancels_the_child_it_waits_for(
    dev_client: Client, task_queue: str
) -> None:
    # On the dev server: the time-skipping one never reports the child's cancellation.
    handle = await start(dev_client, task_queue, calling(), workflows={"wf_child": WAITER})
    child = dev_client.get_workflow_handle(f"{handle.id}~call~0", result_type=RunState)
    await wait_until_waiting(child, "hold")
    await handle.cancel()
    with pytest.raises(WorkflowFailureError) as failure:
        await handle.result()
    assert isinstance(failure.value.cause, CancelledError)
    assert (await child.describe()).status == WorkflowExecutionStatus.CANCELED
    assert (await state_of(child)).status == "cancelled"
    assert (await state_of(handle)).nodes["call"].status == "cancelled"


async def test_a_child_cancelled_on_its_own_fails_its_node(client: Client, task_queue: str) -> None:
    handle = await start(
        client, task_queue, calling(on_error="route"), workflows={"wf_child": WAITER}
    )
    child = client.get_workflow_handle(f"{handle.id}~call~0", result_type=RunState)
    await wait_until_waiting(child, "hold")
    await child.cancel()
    state = await handle.result()
    assert state.status == "succeeded"
    assert state.nodes["call"].status == "failed"
    assert state.output == {"handled": f"Cancelled: run {handle.id}~call~0 was cancelled"}


async def test_an_input_that_breaks_the_childs_schema_fails_before_it_starts(
    client: Client, task_queue: str
) -> None:
    strict = graph(value("echo", "{{ trigger.n }}"), edges=[("start", "echo")])
    strict["nodes"][0]["parameters"] = {
        "input_schema": {"type": "object", "properties": {"n": {"type": "integer"}}}
    }
    handle = await start(
        client,
        task_queue,
        calling(input={"n": "many"}, on_error="route"),
        workflows={"wf_child": strict},
    )
    state = await handle.result()
    assert state.output is not None
    assert state.output["handled"].startswith("InvalidInput: the input does not fit version 1")
    assert "(at $.n)" in state.output["handled"]


async def test_a_run_that_does_not_carry_the_plan_fails_the_node(
    client: Client, task_queue: str
) -> None:
    state = await (await start(client, task_queue, calling(on_error="route"))).result()
    assert state.output is not None
    assert state.output["handled"].startswith("SubWorkflowMissing: this run does not carry")


async def test_a_run_nested_too_deep_starts_no_child(client: Client, task_queue: str) -> None:
    handle = await start(
        client,
        task_queue,
        calling(on_error="route"),
        workflows={"wf_child": DOUBLER},
        depth=MAX_SUB_WORKFLOW_DEPTH,
    )
    state = await handle.result()
    assert state.output == {
        "handled": f"NestingTooDeep: runs may nest at most {MAX_SUB_WORKFLOW_DEPTH} levels deep"
    }


async def test_a_child_can_call_a_workflow_of_its_own(client: Client, task_queue: str) -> None:
    middle = calling("wf_leaf", input={"n": "{{ trigger.n + 1 }}"})
    handle = await start(
        client,
        task_queue,
        calling("wf_middle", input={"n": "{{ trigger.n }}"}),
        {"n": 1},
        workflows={"wf_middle": middle, "wf_leaf": DOUBLER},
    )
    state = await handle.result()
    assert state.output == {"after": {"after": {"double": {"doubled": 4}}}}
