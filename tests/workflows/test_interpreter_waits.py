"""Waits: durable timers, events through a signal, approvals through an update, cancellation."""

from __future__ import annotations

from datetime import timedelta

import pytest
from temporalio.client import Client, WorkflowFailureError, WorkflowUpdateFailedError
from temporalio.exceptions import CancelledError

from tests.workflows.harness import (
    cancel_and_wait,
    graph,
    node,
    start,
    state_of,
    value,
    wait_until_waiting,
)
from workflows.state import (
    DECIDE_UPDATE,
    EVENT_SIGNAL,
    DecisionInput,
    DroppedEvents,
    EventInput,
    RunLimits,
)


def waiting_for_event(timeout: str | None = None, match: str | None = None) -> dict[str, object]:
    parameters: dict[str, object] = {"event": "paid"}
    if timeout:
        parameters["timeout"] = timeout
    if match:
        parameters["match"] = match
    return graph(
        node("pay", "wait_for_event", parameters),
        value("thanks", "thanks for {{ nodes.pay.amount }}"),
        value("late", "too late"),
        edges=[("start", "pay"), ("pay", "thanks"), ("pay", "late", "timeout")],
    )


async def test_a_delay_is_a_durable_timer(client: Client, task_queue: str) -> None:
    handle = await start(
        client,
        task_queue,
        graph(node("nap", "delay", {"duration": "P2D"}), edges=[("start", "nap")]),
    )
    state = await handle.result()
    assert state.nodes["nap"].status == "succeeded"
    assert state.nodes["nap"].ended_at is not None
    assert state.nodes["nap"].started_at is not None
    assert state.nodes["nap"].ended_at - state.nodes["nap"].started_at >= timedelta(days=2)


async def test_a_delay_until_a_timestamp_waits_until_then(client: Client, task_queue: str) -> None:
    handle = await start(
        client,
        task_queue,
        graph(node("nap", "delay", {"until": "{{ trigger.at }}"}), edges=[("start", "nap")]),
        {"at": "2999-01-01T00:00:00+00:00"},
    )
    waiting = await wait_until_waiting(handle, "nap")
    assert waiting.waiting_for[0].kind == "delay"
    assert waiting.waiting_for[0].until is not None
    assert waiting.waiting_for[0].until.year == 2999
    assert waiting.nodes["nap"].status == "waiting"
    await cancel_and_wait(handle)


async def test_an_event_resumes_the_waiting_node_with_its_payload(
    client: Client, task_queue: str
) -> None:
    handle = await start(client, task_queue, waiting_for_event())
    state = await wait_until_waiting(handle, "pay")
    assert state.waiting_for[0].event == "paid"
    await handle.signal(EVENT_SIGNAL, EventInput(name="other", payload={"amount": 1}))
    await handle.signal(EVENT_SIGNAL, EventInput(name="paid", payload={"amount": 30}))
    final = await handle.result()
    assert final.output == {"thanks": "thanks for 30"}
    assert final.nodes["late"].status == "skipped"
    assert final.waiting_for == []


async def test_an_event_that_does_not_match_is_not_taken(client: Client, task_queue: str) -> None:
    handle = await start(
        client, task_queue, waiting_for_event(match="event.order == trigger.order"), {"order": 7}
    )
    await wait_until_waiting(handle, "pay")
    await handle.signal(EVENT_SIGNAL, EventInput(name="paid", payload={"order": 8, "amount": 1}))
    await handle.signal(EVENT_SIGNAL, EventInput(name="paid", payload={"order": 7, "amount": 2}))
    assert (await handle.result()).output == {"thanks": "thanks for 2"}


async def test_an_event_delivered_before_the_wait_is_kept_for_it(
    client: Client, task_queue: str
) -> None:
    document = graph(
        node("first", "delay", {"duration": "PT1H"}),
        node("pay", "wait_for_event", {"event": "paid"}),
        edges=[("start", "first"), ("first", "pay")],
    )
    handle = await start(client, task_queue, document)
    await handle.signal(EVENT_SIGNAL, EventInput(name="paid", payload={"early": True}))
    assert (await handle.result()).output == {"pay": {"early": True}}


async def test_an_event_no_wait_is_for_is_dropped_and_counted(
    client: Client, task_queue: str
) -> None:
    handle = await start(client, task_queue, waiting_for_event())
    await wait_until_waiting(handle, "pay")
    for _ in range(3):
        await handle.signal(EVENT_SIGNAL, EventInput(name="refunded", payload={"amount": 1}))
    await handle.signal(EVENT_SIGNAL, EventInput(name="paid", payload={"amount": 30}))
    final = await handle.result()
    assert final.output == {"thanks": "thanks for 30"}
    assert final.dropped_events == DroppedEvents(unexpected=3)


OPEN_THEN_ITEM = graph(
    node("open", "wait_for_event", {"event": "open"}),
    node("item", "wait_for_event", {"event": "item"}),
    edges=[("start", "open"), ("open", "item")],
)
"""Items delivered while `open` waits stay buffered until `item` takes the oldest left."""


async def items_then_open(
    client: Client, task_queue: str, limits: RunLimits, items: list[object]
) -> tuple[object, DroppedEvents]:
    """The item `item` took, and what the run dropped, after `items` then `open`."""
    handle = await start(client, task_queue, OPEN_THEN_ITEM, limits=limits)
    await wait_until_waiting(handle, "open")
    for item in items:
        await handle.signal(EVENT_SIGNAL, EventInput(name="item", payload=item))
    await handle.signal(EVENT_SIGNAL, EventInput(name="open"))
    final = await handle.result()
    return final.nodes["item"].output, final.dropped_events


async def test_past_the_buffered_count_the_oldest_events_are_dropped(
    client: Client, task_queue: str
) -> None:
    taken, dropped = await items_then_open(
        client, task_queue, RunLimits(buffered_events=3), [0, 1, 2, 3, 4]
    )
    # Items 0 and 1 made room for 3 and 4, then item 2 for `open`.
    assert taken == 3
    assert dropped == DroppedEvents(overflow=3)


async def test_past_the_buffered_bytes_the_oldest_events_are_dropped(
    client: Client, task_queue: str
) -> None:
    # As JSON the first event takes 227 bytes, the second 77 and `open` 30.
    taken, dropped = await items_then_open(
        client, task_queue, RunLimits(buffered_event_bytes=300), ["x" * 200, "y" * 50]
    )
    assert taken == "y" * 50
    assert dropped == DroppedEvents(overflow=1)


async def test_a_wait_that_times_out_follows_its_timeout_handle(
    client: Client, task_queue: str
) -> None:
    handle = await start(client, task_queue, waiting_for_event(timeout="PT6H"))
    final = await handle.result()
    assert final.output == {"late": "too late"}
    assert final.nodes["thanks"].status == "skipped"


def approval_graph(approvers: list[str] | None = None) -> dict[str, object]:
    return graph(
        node(
            "review",
            "approval",
            {"message": "Publish?", "timeout": "P1D", "approvers": approvers or []},
        ),
        value("publish", "{{ nodes.review.by }} said yes"),
        value("drop", "{{ nodes.review.comment }}"),
        value("expired", "nobody answered"),
        edges=[
            ("start", "review"),
            ("review", "publish", "approved"),
            ("review", "drop", "rejected"),
            ("review", "expired", "timeout"),
        ],
    )


@pytest.mark.parametrize(
    ("approved", "output"),
    [(True, {"publish": "ann said yes"}), (False, {"drop": "not today"})],
)
async def test_an_approval_follows_the_decision(
    client: Client, task_queue: str, approved: bool, output: dict[str, str]
) -> None:
    handle = await start(client, task_queue, approval_graph())
    await wait_until_waiting(handle, "review")
    decided = await handle.execute_update(
        DECIDE_UPDATE,
        DecisionInput(approved=approved, by="ann", comment="not today", verified=True),
    )
    assert decided == "review"
    final = await handle.result()
    assert final.output == output
    assert final.nodes["review"].output["by"] == "ann"


async def test_an_approval_nobody_answers_times_out(client: Client, task_queue: str) -> None:
    final = await (await start(client, task_queue, approval_graph())).result()
    assert final.output == {"expired": "nobody answered"}


async def test_a_decision_from_someone_not_listed_is_refused(
    client: Client, task_queue: str
) -> None:
    handle = await start(client, task_queue, approval_graph(approvers=["boss"]))
    await wait_until_waiting(handle, "review")
    with pytest.raises(WorkflowUpdateFailedError):
        await handle.execute_update(
            DECIDE_UPDATE, DecisionInput(approved=True, by="intern", verified=True)
        )
    state = await state_of(handle)
    assert state.nodes["review"].status == "waiting"
    await handle.execute_update(
        DECIDE_UPDATE, DecisionInput(approved=True, by="boss", verified=True)
    )
    assert (await handle.result()).output == {"publish": "boss said yes"}


async def test_a_decision_when_nothing_waits_is_refused(client: Client, task_queue: str) -> None:
    handle = await start(client, task_queue, waiting_for_event())
    await wait_until_waiting(handle, "pay")
    with pytest.raises(WorkflowUpdateFailedError):
        await handle.execute_update(
            DECIDE_UPDATE, DecisionInput(approved=True, by="ann", verified=True)
        )
    await cancel_and_wait(handle)


@pytest.mark.parametrize(
    ("waiting_node", "document"),
    [
        ("nap", graph(node("nap", "delay", {"duration": "P1D"}), edges=[("start", "nap")])),
        ("pay", waiting_for_event()),
        ("review", approval_graph()),
    ],
)
async def test_cancelling_during_a_wait_cancels_the_run_cleanly(
    client: Client, task_queue: str, waiting_node: str, document: dict[str, object]
) -> None:
    handle = await start(client, task_queue, document)
    await wait_until_waiting(handle, waiting_node)
    await handle.cancel()
    with pytest.raises(WorkflowFailureError) as failure:
        await handle.result()
    assert isinstance(failure.value.cause, CancelledError)
    description = await handle.describe()
    assert description.status is not None
    assert description.status.name == "CANCELED"
    state = await state_of(handle)
    assert state.status == "cancelled"
    assert state.nodes[waiting_node].status == "cancelled"
    assert state.waiting_for == []
