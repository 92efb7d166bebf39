"""Whatever goes wrong inside one node fails that node, never the workflow task.

A workflow task that raises is retried by Temporal forever and the run stops moving, so
every failure while running a node ends as that node's failure, under its `on_error`.
"""

from __future__ import annotations

from typing import Any

import pytest
from temporalio.client import Client, WorkflowFailureError
from temporalio.testing import WorkflowEnvironment

from tests.workflows.harness import graph, node, start, value, wait_until_waiting, worker
from workflows.state import EVENT_SIGNAL, EventInput


def nesting_loop(items: int, **fields: Any) -> dict[str, Any]:
    """A loop whose body wraps a variable in itself once per item: deeper and deeper."""
    return graph(
        node("each", "loop", {"items": f"range({items})"}),
        node("nest", "set", {"values": {"v": {"in": "{{ vars.v }}"}}}, **fields),
        value("done", "{{ index }}"),
        value("after", "{{ error.type }}"),
        edges=[
            ("start", "each"),
            ("each", "nest", "body"),
            ("nest", "done"),
            ("done", "each"),
            ("each", "after", "done"),
        ],
    )


async def test_a_value_nested_too_deeply_fails_its_node_and_the_run(
    client: Client, task_queue: str
) -> None:
    # Unchecked, the depth reached Python's recursion limit while encoding the output and
    # the workflow task failed on every retry.
    handle = await start(client, task_queue, nesting_loop(1200))
    with pytest.raises(WorkflowFailureError) as failure:
        await handle.result()
    assert "node 'nest' failed" in str(failure.value.cause)
    state = await handle.query("state")
    assert state["status"] == "failed"
    assert state["nodes"]["nest"]["status"] == "failed"
    assert state["nodes"]["nest"]["error"]["type"] == "ValueTooDeep"
    assert state["nodes"]["each"]["status"] == "cancelled"


async def test_a_value_nested_too_deeply_follows_the_nodes_failure_policy(
    client: Client, task_queue: str
) -> None:
    final = await (await start(client, task_queue, nesting_loop(100, on_error="continue"))).result()
    assert final.status == "succeeded"
    assert final.nodes["nest"].status == "failed"
    assert final.output == {"after": "ValueTooDeep"}


def waiting_with_match(match: str, *, routed: bool = False) -> dict[str, Any]:
    """`pay` waits for a `paid` event matching `match`; routed, its errors reach `handled`."""
    return graph(
        node(
            "pay", "wait_for_event", {"event": "paid", "match": match},
            on_error="route" if routed else "fail",
        ),
        value("thanks", "{{ nodes.pay.amount }}"),
        *([value("handled", "{{ error.type }}: {{ error.message }}")] if routed else []),
        edges=[
            ("start", "pay"),
            ("pay", "thanks"),
            *([("pay", "handled", "error")] if routed else []),
        ],
    )  # fmt: skip


async def test_a_match_that_raises_on_an_event_fails_the_wait(
    client: Client, task_queue: str
) -> None:
    handle = await start(client, task_queue, waiting_with_match("event.amount > 10"))
    await wait_until_waiting(handle, "pay")
    await handle.signal(EVENT_SIGNAL, EventInput(name="paid", payload={"amount": "lots"}))
    with pytest.raises(WorkflowFailureError) as failure:
        await handle.result()
    message = str(failure.value.cause)
    assert "node 'pay' failed" in message
    assert "event 'paid'" in message
    assert "cannot use '>' between text and number" in message
    state = await handle.query("state")
    assert state["nodes"]["pay"]["error"]["type"] == "ExpressionError"
    assert state["waiting_for"] == []


async def test_a_match_that_raises_follows_the_nodes_error_route(
    client: Client, task_queue: str
) -> None:
    handle = await start(client, task_queue, waiting_with_match("event.amount > 10", routed=True))
    await wait_until_waiting(handle, "pay")
    await handle.signal(EVENT_SIGNAL, EventInput(name="paid", payload={"amount": "lots"}))
    final = await handle.result()
    assert final.nodes["pay"].status == "failed"
    assert final.nodes["thanks"].status == "skipped"
    assert final.output is not None
    assert final.output["handled"].startswith("ExpressionError: the match expression failed")


async def test_events_before_the_one_that_breaks_the_match_are_still_taken(
    temporal_env: WorkflowEnvironment, task_queue: str
) -> None:
    client = temporal_env.client
    async with worker(client, task_queue):
        handle = await start(client, task_queue, waiting_with_match("event.amount > 10"))
        await wait_until_waiting(handle, "pay")
    # Both events reach the run in one workflow task: with a worker polling, the first
    # could end the run before the second was sent. (On the dev server: a run left without
    # a worker would stop the time-skipping server's clock.)
    await handle.signal(EVENT_SIGNAL, EventInput(name="paid", payload={"amount": 20}))
    await handle.signal(EVENT_SIGNAL, EventInput(name="paid", payload={"amount": "lots"}))
    async with worker(client, task_queue):
        final = await handle.result()
    assert final.output == {"thanks": 20}
