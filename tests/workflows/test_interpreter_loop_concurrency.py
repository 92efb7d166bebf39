"""Loop iterations running at the same time share the run's variables and node states."""

from __future__ import annotations

import pytest
from temporalio.client import Client, WorkflowFailureError

from tests.workflows.harness import graph, node, start, value, wait_until_state
from workflows.state import EVENT_SIGNAL, EventInput


def racing_loop(**loop: object) -> dict[str, object]:
    """Four iterations at once; the later the item, the sooner its delay ends."""
    return graph(
        node("each", "loop", {"items": "[3, 2, 1, 0]", "max_concurrency": 4, **loop}),
        node("pause", "delay", {"duration": "{{ (item + 1) * 60 }}"}),
        node("note", "set", {"values": {"last": "{{ item }}", "seen": "{{ vars.seen + 1 }}"}}),
        value("result", "{{ item }}:{{ vars.last }}"),
        edges=[
            ("start", "each"),
            ("each", "pause", "body"),
            ("pause", "note"),
            ("note", "result"),
            ("result", "each"),
        ],
    ) | {"settings": {"variables": {"seen": 0, "last": None}}}


async def test_iterations_write_shared_variables_in_the_order_they_finish(
    client: Client, task_queue: str
) -> None:
    final = await (await start(client, task_queue, racing_loop())).result()
    # Item 0 waits one minute and item 3 four: writes land in that order, none is lost,
    # and each iteration reads the value as it stood when it ran.
    assert final.variables == {"seen": 4, "last": 3}
    assert final.nodes["each"].output == {
        "results": ["3:3", "2:2", "1:1", "0:0"],
        "count": 4,
    }
    for body in ("pause", "note", "result"):
        assert final.nodes[body].status == "succeeded"
        assert final.nodes[body].attempts == 4


async def test_a_failing_iteration_cancels_the_iterations_in_flight(
    client: Client, task_queue: str
) -> None:
    # Item 0 fails at once; the other three are still in their delays.
    handle = await start(client, task_queue, failing_first_iteration())
    with pytest.raises(WorkflowFailureError):
        await handle.result()
    state = await handle.query("state")
    assert state["nodes"]["boom"]["status"] == "failed"
    assert state["nodes"]["pause"]["status"] == "cancelled"
    assert state["nodes"]["each"]["status"] == "cancelled"
    assert state["waiting_for"] == []
    assert not [n for n, s in state["nodes"].items() if s["status"] in ("running", "waiting")]


def failing_first_iteration() -> dict[str, object]:
    return graph(
        node("each", "loop", {"items": "[3, 2, 1, 0]", "max_concurrency": 4}),
        node("check", "if", {"condition": "item == 0"}),
        node("boom", "fail", {"message": "item {{ item }}"}),
        node("pause", "delay", {"duration": "{{ (item + 1) * 60 }}"}),
        edges=[
            ("start", "each"),
            ("each", "check", "body"),
            ("check", "boom", "true"),
            ("check", "pause", "false"),
            ("pause", "each"),
        ],
    )


async def test_a_node_shows_waiting_while_any_iteration_still_waits_in_it(
    client: Client, task_queue: str
) -> None:
    document = graph(
        node("each", "loop", {"items": "range(3)", "max_concurrency": 3}),
        node("tick", "wait_for_event", {"event": "tick", "match": "event == index"}),
        edges=[("start", "each"), ("each", "tick", "body"), ("tick", "each")],
    )
    handle = await start(client, task_queue, document)
    await wait_until_state(handle, lambda state: len(state.waiting_for) == 3)
    await handle.signal(EVENT_SIGNAL, EventInput(name="tick", payload=0))
    state = await wait_until_state(handle, lambda state: len(state.waiting_for) == 2)
    assert state.nodes["tick"].status == "waiting"
    await handle.signal(EVENT_SIGNAL, EventInput(name="tick", payload=1))
    await handle.signal(EVENT_SIGNAL, EventInput(name="tick", payload=2))
    final = await handle.result()
    assert final.nodes["tick"].status == "succeeded"
    assert final.nodes["tick"].attempts == 3
