"""One event, several waits for it: the event goes to exactly one waiting node, the first in
plan order (node id, then loop iteration); the others keep waiting."""

from __future__ import annotations

from temporalio.client import Client

from tests.workflows.harness import graph, node, start, value, wait_until_state
from tests.workflows.scenarios import TWO_WAITS_FOR_ONE_EVENT
from workflows.state import EVENT_SIGNAL, EventInput, RunState


async def test_an_event_two_nodes_wait_for_goes_to_the_first_in_plan_order(
    client: Client, task_queue: str
) -> None:
    handle = await start(client, task_queue, TWO_WAITS_FOR_ONE_EVENT)
    await wait_until_state(handle, lambda state: len(state.waiting_for) == 2)
    await handle.signal(EVENT_SIGNAL, EventInput(name="go", payload=1))
    state = await wait_until_state(handle, lambda state: state.nodes["a_wait"].status != "waiting")
    assert state.nodes["a_wait"].status == "succeeded"
    assert state.nodes["a_wait"].output == 1
    assert [wait.node_id for wait in state.waiting_for] == ["b_wait"]
    await handle.signal(EVENT_SIGNAL, EventInput(name="go", payload=2))
    final = await handle.result()
    assert final.output == {"a_wait": 1, "b_wait": 2}


async def test_an_event_two_iterations_wait_for_goes_to_the_first_iteration(
    client: Client, task_queue: str
) -> None:
    document = graph(
        node("each", "loop", {"items": "trigger.items", "max_concurrency": 3}),
        node("hold", "wait_for_event", {"event": "go", "match": "event != item"}),
        value("got", "{{ item }}: {{ nodes.hold }}"),
        edges=[("start", "each"), ("each", "hold", "body"), ("hold", "got"), ("got", "each")],
    )
    handle = await start(client, task_queue, document, {"items": ["x", "y", "z"]})
    await wait_until_state(handle, lambda state: len(state.waiting_for) == 3)
    # Every iteration's match takes 1; iteration 0 gets it, 1 and 2 keep waiting.
    await handle.signal(EVENT_SIGNAL, EventInput(name="go", payload=1))
    state: RunState = await wait_until_state(handle, lambda state: len(state.waiting_for) == 2)
    # Iteration 1 is first among those left; "y" it refuses, so iteration 2 takes it.
    await handle.signal(EVENT_SIGNAL, EventInput(name="go", payload="y"))
    await wait_until_state(handle, lambda state: len(state.waiting_for) == 1)
    await handle.signal(EVENT_SIGNAL, EventInput(name="go", payload=3))
    final = await handle.result()
    assert state.nodes["hold"].status == "waiting"
    assert final.nodes["each"].output == {"results": ["x: 1", "y: 3", "z: y"], "count": 3}
    assert final.nodes["hold"].attempts == 3
    assert final.status == "succeeded"
