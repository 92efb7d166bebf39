"""A loop with `until` polls: its body again, a durable delay between iterations, until a
condition over the last result holds or `max_iterations` have run."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from fastapi import FastAPI
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client

from tests.utils.servers import serve
from tests.workflows.harness import graph, histories_of, node, start, value
from workflows.state import RunLimits

READY_AFTER = 3
"""How many status reads the video takes to finish processing."""


@pytest.fixture
async def videos() -> AsyncIterator[tuple[str, dict[str, int]]]:
    """A real HTTP server of videos: /videos/slow is `processing` for its first
    `READY_AFTER - 1` reads, then `ready`; /videos/stuck never finishes."""
    app = FastAPI()
    reads = {"slow": 0, "stuck": 0}

    @app.get("/videos/{video}")
    async def status(video: str) -> dict[str, Any]:
        reads[video] += 1
        ready = video == "slow" and reads[video] >= READY_AFTER
        return {"id": video, "status": "ready" if ready else "processing"}

    async with serve(app) as url:
        yield url, reads


def polling(url: str, **loop: Any) -> dict[str, Any]:
    """`wait` reads the video at `url` until it is ready, then `publish` reads its result;
    an `UntilNotMet` failure goes to `gave_up`."""
    parameters = {"until": "item.body.status == 'ready'", "delay": "PT30S"} | loop
    return graph(
        node("wait", "loop", parameters, on_error="route"),
        node("check", "http.request", {"method": "GET", "url": url}),
        value("publish", "{{ nodes.wait.last.body.id }} after {{ nodes.wait.count }}"),
        value("gave_up", "{{ error.type }}: {{ error.message }}"),
        edges=[
            ("start", "wait"),
            ("wait", "check", "body"),
            ("check", "wait"),
            ("wait", "publish", "done"),
            ("wait", "gave_up", "error"),
        ],
    )


def timers(history: Any) -> int:
    return sum(
        1 for event in history.events if event.event_type == EventType.EVENT_TYPE_TIMER_STARTED
    )


async def test_a_loop_polls_until_the_video_is_ready_waiting_between_reads(
    client: Client, task_queue: str, videos: tuple[str, dict[str, int]]
) -> None:
    url, reads = videos
    handle = await start(client, task_queue, polling(f"{url}/videos/slow", max_iterations=10))
    state = await handle.result()
    assert state.status == "succeeded"
    assert state.output == {"publish": f"slow after {READY_AFTER}"}
    assert reads["slow"] == READY_AFTER
    output = state.nodes["wait"].output
    assert output["count"] == READY_AFTER
    assert [r["body"]["status"] for r in output["results"]] == ["processing"] * (
        READY_AFTER - 1
    ) + ["ready"]
    # One durable timer between two reads, none after the last.
    [history] = await histories_of(client, handle)
    assert timers(history) == READY_AFTER - 1


async def test_a_loop_that_never_meets_until_fails_with_until_not_met(
    client: Client, task_queue: str, videos: tuple[str, dict[str, int]]
) -> None:
    url, reads = videos
    handle = await start(client, task_queue, polling(f"{url}/videos/stuck", max_iterations=3))
    state = await handle.result()
    assert reads["stuck"] == 3
    assert state.nodes["wait"].status == "failed"
    assert state.nodes["wait"].error is not None
    assert state.nodes["wait"].error.type == "UntilNotMet"
    assert state.nodes["publish"].status == "skipped"
    assert state.output == {
        "gave_up": "UntilNotMet: until was still false after 3 iterations (max_iterations)"
    }


async def test_each_iteration_gets_the_previous_result_as_item(
    client: Client, task_queue: str
) -> None:
    handle = await start(
        client,
        task_queue,
        graph(
            node("count", "loop", {"until": "item.n >= 4"}),
            value("step", {"n": "{{ index + 1 }}", "previous": "{{ item }}"}),
            edges=[("start", "count"), ("count", "step", "body"), ("step", "count")],
        ),
    )
    state = await handle.result()
    output = state.nodes["count"].output
    assert output["count"] == 4
    assert output["last"] == {"n": 4, "previous": {"n": 3, "previous": output["results"][1]}}
    assert output["results"][0] == {"n": 1, "previous": None}


async def test_a_polling_loop_continues_as_new_while_it_waits_and_keeps_its_count(
    client: Client, task_queue: str
) -> None:
    handle = await start(
        client,
        task_queue,
        graph(
            node("count", "loop", {"until": "index == 9", "delay": "PT1H", "max_iterations": 10}),
            value("step", "{{ index }}"),
            edges=[("start", "count"), ("count", "step", "body"), ("step", "count")],
        ),
        limits=RunLimits(history_events=30),
    )
    state = await handle.result()
    assert state.status == "succeeded"
    assert state.nodes["count"].output == {
        "results": list(range(10)),
        "count": 10,
        "last": 9,
    }
    histories = await histories_of(client, handle)
    assert len(histories) > 1
    # Nine delays in all, across the runs: none is lost or taken twice when continuing.
    assert sum(timers(history) for history in histories) == 9


async def test_an_iteration_parked_in_a_wait_is_picked_up_after_continuing_as_new(
    client: Client, task_queue: str
) -> None:
    """While an iteration waits two hours, a loop beside it fills the history: the run
    continues as new with the iteration parked in its delay, and the next run goes on."""
    handle = await start(
        client,
        task_queue,
        graph(
            node("count", "loop", {"until": "item.n == 3"}),
            node("pause", "delay", {"duration": "PT2H"}),
            value("step", {"n": "{{ index + 1 }}", "previous": "{{ item.n if item else 0 }}"}),
            node("ticks", "loop", {"items": "range(30)"}),
            node("tick", "delay", {"duration": "PT1M"}),
            edges=[
                ("start", "count"),
                ("count", "pause", "body"),
                ("pause", "step"),
                ("step", "count"),
                ("start", "ticks"),
                ("ticks", "tick", "body"),
                ("tick", "ticks"),
            ],
        ),
        limits=RunLimits(history_events=30),
    )
    state = await handle.result()
    assert state.status == "succeeded"
    output = state.nodes["count"].output
    assert output["count"] == 3
    assert [result["previous"] for result in output["results"]] == [0, 1, 2]
    assert state.nodes["ticks"].output["count"] == 30
    histories = await histories_of(client, handle)
    # The first pause (two hours) outlasts the thirty ticks, over several runs: it was
    # carried over as the same attempt, not started again.
    assert len(histories) > 2
    assert (state.nodes["pause"].attempts, state.nodes["step"].attempts) == (3, 3)
