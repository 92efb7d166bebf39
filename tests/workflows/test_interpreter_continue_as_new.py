"""Bounded history: a long run continues as new and loses nothing on the way."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from temporalio.api.enums.v1 import EventType
from temporalio.client import Client

from app.services.runs.details import run_input_of
from tests.workflows.harness import (
    Handle,
    cancel_and_wait,
    chain_of,
    graph,
    histories_of,
    node,
    start,
    state_of,
    value,
    wait_until_continued,
    wait_until_waiting,
)
from tests.workflows.scenarios import (
    WAITING_BRANCHES,
    WAITING_LIMITS,
    flood_of_stale_events,
    the_event_on_the_signal_that_ends_the_run,
)
from workflows.bounded import MAX_OUTPUT_BYTES
from workflows.state import (
    DECIDE_UPDATE,
    EVENT_SIGNAL,
    Continuation,
    DecisionInput,
    DroppedEvents,
    EventInput,
    RunInput,
    RunLimits,
    RunState,
)

SMALL_HISTORY = RunLimits(history_events=30)
"""A few loop iterations' worth of events (an iteration with a delay adds five)."""


def counting_loop(concurrency: int = 1) -> dict[str, Any]:
    """Before, a loop whose body waits, counts in a variable and greets; after, a summary."""
    return graph(
        value("intro", "hello"),
        node("each", "loop", {"items": "trigger.items", "max_concurrency": concurrency}),
        node("pause", "delay", {"duration": "PT1M"}),
        node("count", "set", {"values": {"seen": "{{ vars.seen + 1 }}"}}),
        value("greet", "hi {{ item }} #{{ index }}"),
        value("after", "{{ nodes.intro }}: {{ nodes.each.count }} items, {{ vars.seen }} seen"),
        edges=[
            ("start", "intro"),
            ("intro", "each"),
            ("each", "pause", "body"),
            ("pause", "count"),
            ("count", "greet"),
            ("greet", "each"),
            ("each", "after", "done"),
        ],
    ) | {"settings": {"variables": {"seen": 0}}}


async def test_a_long_loop_continues_as_new_and_finishes_with_every_result(
    client: Client, task_queue: str
) -> None:
    names = [f"n{i}" for i in range(12)]
    handle = await start(
        client, task_queue, counting_loop(), {"items": names}, limits=SMALL_HISTORY
    )
    state = await handle.result()
    assert state.status == "succeeded"
    assert state.nodes["each"].output == {
        "results": [f"hi {name} #{index}" for index, name in enumerate(names)],
        "count": 12,
    }
    assert state.output == {"after": "hello: 12 items, 12 seen"}
    assert state.nodes["greet"].attempts == 12
    assert state.nodes["each"].attempts == 1
    assert state.nodes["intro"].attempts == 1
    assert len(await chain_of(client, handle)) >= 3


async def test_each_history_of_the_chain_stays_near_the_limit(
    client: Client, task_queue: str
) -> None:
    handle = await start(
        client,
        task_queue,
        counting_loop(concurrency=3),
        {"items": list(range(30))},
        limits=SMALL_HISTORY,
    )
    assert (await handle.result()).nodes["each"].output["count"] == 30
    chain = await chain_of(client, handle)
    # Past the limit a run only lets the iterations under way finish (three at a time).
    assert all(len(events) <= SMALL_HISTORY.history_events + 3 * 6 for events in chain)
    assert len(chain) >= 4


# Signals racing a continue-as-new confuse the time-skipping server: these run on the dev
# server, driven by events instead of timers.


def ticking_loop(concurrency: int = 1) -> dict[str, Any]:
    """A loop whose iterations each wait for a `tick` event carrying their index."""
    return graph(
        node("each", "loop", {"items": "trigger.items", "max_concurrency": concurrency}),
        node("tick", "wait_for_event", {"event": "tick", "match": "event == index"}),
        value("got", "{{ item }}"),
        edges=[("start", "each"), ("each", "tick", "body"), ("tick", "got"), ("got", "each")],
    )


async def tick(handle: Handle, count: int) -> None:
    for index in range(count):
        await wait_until_waiting(handle, "tick")
        await handle.signal(EVENT_SIGNAL, EventInput(name="tick", payload=index))


async def test_iterations_parked_in_a_wait_carry_over(dev_client: Client, task_queue: str) -> None:
    items = [f"item{i}" for i in range(8)]
    handle = await start(
        dev_client, task_queue, ticking_loop(concurrency=2), {"items": items},
        limits=SMALL_HISTORY,
    )  # fmt: skip
    await tick(handle, len(items))
    state = await handle.result()
    assert state.nodes["each"].output == {"results": items, "count": 8}
    assert state.nodes["tick"].attempts == 8
    assert len(await chain_of(dev_client, handle)) >= 2


async def test_an_event_delivered_before_continuing_is_taken_after(
    dev_client: Client, task_queue: str
) -> None:
    document = ticking_loop()
    document["nodes"].append(node("late", "wait_for_event", {"event": "late"}))
    document["edges"].append({"source": "each", "target": "late", "sourceHandle": "done"})
    handle = await start(
        dev_client, task_queue, document, {"items": list(range(10))}, limits=SMALL_HISTORY
    )
    await handle.signal(EVENT_SIGNAL, EventInput(name="late", payload={"kept": True}))
    await tick(handle, 10)
    state = await handle.result()
    assert state.output == {"late": {"kept": True}}
    assert len(await chain_of(dev_client, handle)) >= 2


async def continuations(client: Client, handle: Handle) -> list[Continuation]:
    """What each run of the chain handed to the next."""
    carried = []
    for history in await histories_of(client, handle):
        last = history.events[-1]
        if last.event_type != EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW:
            continue
        payloads = last.workflow_execution_continued_as_new_event_attributes.input.payloads
        [next_input] = await client.data_converter.decode(payloads, [RunInput])
        assert isinstance(next_input, RunInput)
        assert next_input.resume is not None
        carried.append(next_input.resume)
    return carried


async def carried_events(client: Client, handle: Handle) -> list[list[EventInput]]:
    """The undelivered events each run of the chain handed to the next."""
    return [continuation.events for continuation in await continuations(client, handle)]


async def flood(handle: Handle, count: int) -> None:
    """`count` events nothing waits for, and `count` ticks no iteration will ever match."""
    for _ in range(count):
        await handle.signal(EVENT_SIGNAL, EventInput(name="noise", payload="x" * 100))
        await handle.signal(EVENT_SIGNAL, EventInput(name="tick", payload=-1))


async def test_a_flood_of_unmatched_events_stays_bounded_across_runs(
    dev_client: Client, task_queue: str
) -> None:
    limits = RunLimits(history_events=30, buffered_events=5)
    handle = await start(
        dev_client, task_queue, ticking_loop(), {"items": list(range(6))}, limits=limits
    )
    await flood(handle, 10)
    await tick(handle, 3)
    await wait_until_continued(dev_client, handle)
    await flood(handle, 10)
    for index in range(3, 6):
        await wait_until_waiting(handle, "tick")
        await handle.signal(EVENT_SIGNAL, EventInput(name="tick", payload=index))
    state = await handle.result()
    assert state.nodes["each"].output["count"] == 6
    # Each tick an iteration matches arrives as the sixth buffered event and drops the oldest
    # stale one; four stale ticks are left at the end, the other 16 were dropped.
    assert state.dropped_events == DroppedEvents(unexpected=20, overflow=16)
    carried = await carried_events(dev_client, handle)
    assert carried
    for events in carried:
        assert len(events) <= limits.buffered_events
        assert all(event == EventInput(name="tick", payload=-1) for event in events)


async def test_an_approval_waits_across_runs_and_is_decided_in_a_later_one(
    dev_client: Client, task_queue: str
) -> None:
    document = ticking_loop()
    document["nodes"].append(node("review", "approval", {"message": "ok?", "timeout": "P30D"}))
    document["edges"].append({"source": "start", "target": "review"})
    handle = await start(
        dev_client, task_queue, document, {"items": list(range(10))}, limits=SMALL_HISTORY
    )
    first = await wait_until_waiting(handle, "review")
    await tick(handle, 10)
    await wait_until_continued(dev_client, handle)
    later = await wait_until_waiting(handle, "review")
    assert later.started_at == first.started_at
    assert later.waiting_for == [wait for wait in first.waiting_for if wait.node_id == "review"]
    await handle.execute_update(
        DECIDE_UPDATE, DecisionInput(approved=True, by="ann", verified=True)
    )
    state = await handle.result()
    assert state.nodes["review"].output["by"] == "ann"
    assert state.nodes["review"].attempts == 1
    assert state.nodes["got"].attempts == 10


async def test_loop_results_past_the_output_limit_keep_the_count_and_a_preview(
    client: Client, task_queue: str
) -> None:
    document = graph(
        node("each", "loop", {"items": "trigger.items", "max_concurrency": 5}),
        value("big", "{{ 'x' * 2000 }}"),
        value("after", "{{ nodes.each.count }}"),
        edges=[
            ("start", "each"),
            ("each", "big", "body"),
            ("big", "each"),
            ("each", "after", "done"),
        ],
    )
    state = await (await start(client, task_queue, document, {"items": list(range(40))})).result()
    results = state.nodes["each"].output["results"]
    assert results["truncated"] is True
    assert results["size_bytes"] > MAX_OUTPUT_BYTES
    assert results["preview"].startswith('["xxx')
    assert state.output == {"after": 40}


async def test_a_run_whose_branches_all_wait_continues_as_new_on_a_flood_of_events(
    client: Client, task_queue: str
) -> None:
    handle = await start(client, task_queue, WAITING_BRANCHES, {"order": 7}, limits=WAITING_LIMITS)
    first = await wait_until_waiting(handle, "nap")
    await flood_of_stale_events(client, handle, 12)
    chain = await chain_of(client, handle)
    assert len(chain) >= 3
    # A signal adds four events, continuing as new four more (the patch marker and its
    # search attribute, the task, the continuation).
    assert all(len(events) <= WAITING_LIMITS.history_events + 8 for events in chain)
    later = await state_of(handle)
    assert later.started_at == first.started_at
    assert sorted(later.waiting_for, key=lambda wait: wait.node_id) == sorted(
        first.waiting_for, key=lambda wait: wait.node_id
    )
    await handle.signal(EVENT_SIGNAL, EventInput(name="paid", payload={"order": 7, "amount": 5}))
    await handle.execute_update(
        DECIDE_UPDATE, DecisionInput(approved=True, by="ana", verified=True)
    )
    state = await handle.result()
    assert state.output == {"done": "5 by ana"}
    assert state.dropped_events == DroppedEvents(overflow=12)
    nap = state.nodes["nap"]
    assert nap.started_at is not None
    assert nap.ended_at is not None
    assert nap.ended_at - nap.started_at >= timedelta(hours=6)
    assert [state.nodes[node_id].attempts for node_id in ("paid", "review", "nap")] == [1, 1, 1]


async def test_the_input_a_chain_started_with_is_read_from_its_first_run(
    client: Client, task_queue: str
) -> None:
    handle = await start(client, task_queue, WAITING_BRANCHES, {"order": 7}, limits=WAITING_LIMITS)
    await flood_of_stale_events(client, handle, 8)
    assert len(await chain_of(client, handle)) >= 2
    latest = client.get_workflow_handle(handle.id, result_type=RunState)
    description = await latest.describe()
    started = await run_input_of(client, latest, description)
    # A server that does not report the first run id (older ones): found from the latest run.
    description.raw_description.workflow_execution_info.first_run_id = ""
    assert await run_input_of(client, latest, description) == started
    assert started.resume is None
    assert started.limits == WAITING_LIMITS
    assert started.trigger.payload == {"order": 7}
    await cancel_and_wait(latest)


async def test_an_event_found_on_the_signal_that_ends_the_run_is_taken_before_it_continues(
    client: Client, task_queue: str
) -> None:
    handle = await start(client, task_queue, WAITING_BRANCHES, {"order": 7}, limits=WAITING_LIMITS)
    await the_event_on_the_signal_that_ends_the_run(client, handle)
    await wait_until_continued(client, handle)
    first = (await continuations(client, handle))[0]
    # Taken in the run it arrived in, not carried where later signals could push it out.
    assert first.events == []
    assert first.state.nodes["paid"].status == "succeeded"
    assert first.state.nodes["paid"].output == {"order": 7, "amount": 5}
    assert (await handle.result()).output == {"done": "5 by ana"}
