"""Cancelling a run reaches whatever it is doing: an action's activity, a loop's iterations.

(Waits are in test_interpreter_waits.py, child runs in test_interpreter_sub_workflows.py.)
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from fastapi import FastAPI, Request
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client, WorkflowExecutionStatus, WorkflowFailureError
from temporalio.exceptions import CancelledError
from temporalio.testing import WorkflowEnvironment

from tests.utils.servers import serve
from tests.workflows.harness import graph, node, start, state_of, wait_until_waiting, worker


@dataclass
class SlowServer:
    """An HTTP server whose `/slow` answers only when the client gives up."""

    url: str
    started: asyncio.Event = field(default_factory=asyncio.Event)
    abandoned: asyncio.Event = field(default_factory=asyncio.Event)


@pytest.fixture
async def slow_server() -> AsyncIterator[SlowServer]:
    app = FastAPI()
    server = SlowServer(url="")

    @app.get("/slow")
    async def slow(request: Request) -> dict[str, str]:
        server.started.set()
        while True:
            if await request.is_disconnected():
                server.abandoned.set()
                return {}
            await asyncio.sleep(0.05)

    async with serve(app) as url:
        server.url = url
        yield server


async def test_cancelling_a_run_cancels_the_action_it_waits_for(
    temporal_env: WorkflowEnvironment, task_queue: str, slow_server: SlowServer
) -> None:
    client = temporal_env.client
    document = graph(
        node("call", "http.request", {"url": f"{slow_server.url}/slow", "timeout": "PT5M"}),
        edges=[("start", "call")],
    )
    # Heartbeats reach the server at once instead of every 24 s (0.8 x the heartbeat timeout).
    async with worker(
        client, task_queue, max_heartbeat_throttle_interval=timedelta(milliseconds=100)
    ):
        handle = await start(client, task_queue, document)
        async with asyncio.timeout(20):
            await slow_server.started.wait()
        await handle.cancel()
        with pytest.raises(WorkflowFailureError) as failure:
            await handle.result()
        assert isinstance(failure.value.cause, CancelledError)
        async with asyncio.timeout(20):
            await slow_server.abandoned.wait()
        state = await state_of(handle)
    assert state.status == "cancelled"
    assert state.nodes["call"].status == "cancelled"
    assert (await handle.describe()).status == WorkflowExecutionStatus.CANCELED
    events = [event.event_type for event in (await handle.fetch_history()).events]
    # The run ended only once the activity had stopped.
    cancelled = events.index(EventType.EVENT_TYPE_ACTIVITY_TASK_CANCELED)
    assert cancelled < events.index(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED)


async def test_cancelling_a_run_cancels_every_iteration_of_its_loop(
    client: Client, task_queue: str
) -> None:
    document = graph(
        node("each", "loop", {"items": "trigger.items", "max_concurrency": 2}),
        node("pause", "delay", {"duration": "P1D"}),
        edges=[("start", "each"), ("each", "pause", "body"), ("pause", "each")],
    )
    handle = await start(client, task_queue, document, {"items": [1, 2, 3]})
    await wait_until_waiting(handle, "pause")
    await handle.cancel()
    with pytest.raises(WorkflowFailureError) as failure:
        await handle.result()
    assert isinstance(failure.value.cause, CancelledError)
    state = await state_of(handle)
    assert state.status == "cancelled"
    assert state.nodes["each"].status == "cancelled"
    assert state.nodes["pause"].status == "cancelled"
    assert state.nodes["pause"].attempts == 2
    assert state.waiting_for == []
