"""Cancelling a run reaches whatever it is doing: an action's activity, a loop's iterations.

(Waits are in test_interpreter_waits.py, child runs in test_interpreter_sub_workflows.py.)
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from fastapi import FastAPI, Request
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client, WorkflowExecutionStatus, WorkflowFailureError
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.exceptions import CancelledError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Replayer, Worker

from tests.utils.servers import serve
from tests.workflows.harness import (
    WAITER,
    graph,
    node,
    start,
    state_of,
    wait_until_state,
    wait_until_waiting,
    worker,
)
from workflows.children import child_run_id
from workflows.interpreter import FlowRunWorkflow


def replayer() -> Replayer:
    return Replayer(workflows=[FlowRunWorkflow], data_converter=pydantic_data_converter)


@dataclass
class SlowServer:
    """An HTTP server whose `/slow` answers only when the client gives up."""

    url: str
    started: asyncio.Event = field(default_factory=asyncio.Event)
    abandoned: asyncio.Event = field(default_factory=asyncio.Event)

    def call(self, node_id: str) -> dict[str, object]:
        """An `http.request` node calling `/slow`."""
        return node(node_id, "http.request", {"url": f"{self.url}/slow", "timeout": "PT5M"})


def quick_heartbeats(client: Client, task_queue: str) -> AbstractAsyncContextManager[Worker]:
    """A worker whose heartbeats reach the server at once instead of every 24 s (0.8 x the
    heartbeat timeout), so a cancellation reaches its actions at once."""
    return worker(client, task_queue, max_heartbeat_throttle_interval=timedelta(milliseconds=100))


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
    document = graph(slow_server.call("call"), edges=[("start", "call")])
    async with quick_heartbeats(client, task_queue):
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


async def test_cancelling_a_fan_out_cancels_everything_in_flight_at_once(
    temporal_env: WorkflowEnvironment, task_queue: str, slow_server: SlowServer
) -> None:
    client = temporal_env.client
    document = graph(
        slow_server.call("call"),
        node("child", "sub_workflow", {"workflow_id": "wf_child"}),
        node("each", "loop", {"items": "range(3)", "max_concurrency": 3}),
        node("pause", "delay", {"duration": "P1D"}),
        node("nap", "delay", {"duration": "P1D"}),
        node("review", "approval", {"message": "ok?"}),
        edges=[
            ("start", "call"),
            ("start", "child"),
            ("start", "each"),
            ("each", "pause", "body"),
            ("pause", "each"),
            ("start", "nap"),
            ("start", "review"),
        ],
    )
    async with quick_heartbeats(client, task_queue):
        handle = await start(client, task_queue, document, workflows={"wf_child": WAITER})
        async with asyncio.timeout(20):
            await slow_server.started.wait()
        await wait_until_waiting(handle, "review")
        child = client.get_workflow_handle(child_run_id(handle.id, "child", "0"))
        await wait_until_waiting(child, "hold")
        await wait_until_state(handle, lambda state: len(state.waiting_for) == 5)
        await handle.cancel()
        with pytest.raises(WorkflowFailureError) as failure:
            await handle.result()
        assert isinstance(failure.value.cause, CancelledError)
        state = await state_of(handle)
    assert state.status == "cancelled"
    assert state.waiting_for == []
    assert {node_id: node.status for node_id, node in state.nodes.items()} == {
        "start": "succeeded",
        **dict.fromkeys(["call", "child", "each", "pause", "nap", "review"], "cancelled"),
    }
    assert state.nodes["pause"].attempts == 3
    assert (await child.describe()).status == WorkflowExecutionStatus.CANCELED
    history = await handle.fetch_history()
    requested = {
        EventType.EVENT_TYPE_ACTIVITY_TASK_CANCEL_REQUESTED: "activity_task_cancel_requested",
        EventType.EVENT_TYPE_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED: (
            "request_cancel_external_workflow_execution_initiated"
        ),
        EventType.EVENT_TYPE_TIMER_CANCELED: "timer_canceled",
    }
    cancels = [
        getattr(event, f"{requested[event.event_type]}_event_attributes")
        for event in history.events
        if event.event_type in requested
    ]
    # The activity, the child, the loop's three timers and the delay's: all cancelled in
    # the one workflow task that took the cancellation, nothing else started meanwhile.
    assert len(cancels) == 6
    assert len({cancel.workflow_task_completed_event_id for cancel in cancels}) == 1
    # The order of those commands is the interpreter's own: replaying gives the same.
    await replayer().replay_workflow(history)
    types = [event.event_type for event in history.events]
    assert types[-1] == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED
    # The run ended only once the activity and the child had stopped.
    assert EventType.EVENT_TYPE_ACTIVITY_TASK_CANCELED in types
    assert EventType.EVENT_TYPE_EXTERNAL_WORKFLOW_EXECUTION_CANCEL_REQUESTED in types
