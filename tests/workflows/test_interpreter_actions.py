"""Action nodes are activities with the node's retry policy; failures follow the node's policy."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.responses import JSONResponse
from temporalio.client import Client, WorkflowFailureError
from temporalio.testing import WorkflowEnvironment

from tests.utils.servers import serve
from tests.workflows.harness import (
    graph,
    node,
    start,
    state_of,
    value,
    wait_until_waiting,
    worker,
)
from workflows.bounded import MAX_OUTPUT_BYTES
from workflows.state import EVENT_SIGNAL, EventInput

FAST_RETRY = {"maximum_attempts": 3, "initial_interval_seconds": 1, "backoff_coefficient": 1}


@pytest.fixture
async def platform() -> AsyncIterator[tuple[str, dict[str, int]]]:
    """A real HTTP server: /ok answers, /missing is a 404, /flaky fails twice then answers,
    /down always fails (retryable), /vanishing fails twice (retryable) then is a 404."""
    app = FastAPI()
    calls = {"flaky": 0, "ok": 0, "down": 0, "vanishing": 0}

    @app.post("/ok")
    async def ok(body: dict[str, Any]) -> dict[str, Any]:
        calls["ok"] += 1
        return {"echo": body}

    @app.get("/missing")
    async def missing() -> JSONResponse:
        return JSONResponse({"detail": "no such thing"}, status_code=404)

    @app.get("/flaky")
    async def flaky() -> JSONResponse:
        calls["flaky"] += 1
        if calls["flaky"] < 3:
            return JSONResponse({}, status_code=503, headers={"Retry-After": "1"})
        return JSONResponse({"attempt": calls["flaky"]})

    @app.get("/down")
    async def down() -> JSONResponse:
        calls["down"] += 1
        return JSONResponse({}, status_code=503, headers={"Retry-After": "1"})

    @app.get("/vanishing")
    async def vanishing() -> JSONResponse:
        calls["vanishing"] += 1
        if calls["vanishing"] < 3:
            return JSONResponse({}, status_code=503, headers={"Retry-After": "1"})
        return JSONResponse({"detail": "gone"}, status_code=404)

    async with serve(app) as url:
        yield url, calls


def call(node_id: str, url: str, method: str = "GET", **fields: Any) -> dict[str, Any]:
    parameters: dict[str, Any] = {"method": method, "url": url}
    if method == "POST":
        parameters["body"] = {"type": "json", "json": {"name": "{{ trigger.name }}"}}
    return node(node_id, "http.request", parameters, retry=FAST_RETRY, **fields)


async def test_an_action_runs_as_an_activity_and_outputs_the_response(
    client: Client, task_queue: str, platform: tuple[str, dict[str, int]]
) -> None:
    url, calls = platform
    document = graph(
        call("send", f"{url}/ok", "POST"),
        value("result", "{{ nodes.send.body.echo.name }}"),
        edges=[("start", "send"), ("send", "result")],
    )
    state = await (await start(client, task_queue, document, {"name": "Ada"})).result()
    assert state.output == {"result": "Ada"}
    assert state.nodes["send"].output["status"] == 200
    assert calls["ok"] == 1


async def test_a_retryable_failure_is_retried_until_it_succeeds(
    client: Client, task_queue: str, platform: tuple[str, dict[str, int]]
) -> None:
    url, calls = platform
    document = graph(call("get", f"{url}/flaky"), edges=[("start", "get")])
    state = await (await start(client, task_queue, document)).result()
    assert state.nodes["get"].output["body"] == {"attempt": 3}
    assert calls["flaky"] == 3
    assert state.nodes["get"].attempts == 3


@pytest.mark.parametrize(
    ("path", "error_type"),
    [("down", "HTTP503"), ("vanishing", "HTTP404")],
    ids=["out-of-retries", "non-retryable-after-retries"],
)
async def test_a_failed_action_shows_every_attempt_it_took(
    client: Client,
    task_queue: str,
    platform: tuple[str, dict[str, int]],
    path: str,
    error_type: str,
) -> None:
    url, calls = platform
    handle = await start(
        client, task_queue, graph(call("get", f"{url}/{path}"), edges=[("start", "get")])
    )
    with pytest.raises(WorkflowFailureError):
        await handle.result()
    failed = (await state_of(handle)).nodes["get"]
    assert failed.error is not None
    assert failed.error.type == error_type
    assert calls[path] == 3
    assert failed.attempts == 3


async def test_a_failed_action_fails_the_run_naming_node_and_cause(
    client: Client, task_queue: str, platform: tuple[str, dict[str, int]]
) -> None:
    url, _ = platform
    handle = await start(
        client, task_queue, graph(call("get", f"{url}/missing"), edges=[("start", "get")])
    )
    with pytest.raises(WorkflowFailureError) as failure:
        await handle.result()
    assert "node 'get' failed: HTTP 404" in str(failure.value.cause)
    state = await handle.query("state")
    assert state["error"]["node_id"] == "get"
    assert state["nodes"]["get"]["status"] == "failed"


async def test_continue_on_error_makes_the_error_the_output(
    client: Client, task_queue: str, platform: tuple[str, dict[str, int]]
) -> None:
    url, _ = platform
    document = graph(
        call("get", f"{url}/missing", on_error="continue"),
        value("after", "{{ nodes.get.error.type }}"),
        edges=[("start", "get"), ("get", "after")],
    )
    state = await (await start(client, task_queue, document)).result()
    assert state.status == "succeeded"
    assert state.nodes["get"].status == "failed"
    assert state.output == {"after": "HTTP404"}


async def test_route_on_error_follows_the_error_edge(
    client: Client, task_queue: str, platform: tuple[str, dict[str, int]]
) -> None:
    url, _ = platform
    document = graph(
        call("get", f"{url}/missing", on_error="route"),
        value("fine", "went fine"),
        value("handle", "{{ error.node_id }}: {{ error.message }}"),
        edges=[("start", "get"), ("get", "fine"), ("get", "handle", "error")],
    )
    state = await (await start(client, task_queue, document)).result()
    assert state.nodes["fine"].status == "skipped"
    assert state.output is not None
    assert state.output["handle"].startswith("get: HTTP 404")


async def test_a_failing_branch_cancels_its_siblings(
    client: Client, task_queue: str, platform: tuple[str, dict[str, int]]
) -> None:
    url, _ = platform
    document = graph(
        call("get", f"{url}/missing"),
        node("slow", "delay", {"duration": "P1D"}),
        value("never", "x"),
        edges=[("start", "get"), ("start", "slow"), ("slow", "never")],
    )
    handle = await start(client, task_queue, document)
    with pytest.raises(WorkflowFailureError):
        await handle.result()
    state = await handle.query("state")
    assert state["nodes"]["slow"]["status"] == "cancelled"
    assert state["nodes"]["never"]["status"] == "pending"


async def test_a_branch_that_fails_and_continues_leaves_its_siblings_running(
    client: Client, task_queue: str, platform: tuple[str, dict[str, int]]
) -> None:
    """on_error "continue" makes the error the node's output: the run is not failing, so the
    sibling branch, still waiting when the error comes, runs to its end (issue 4.1)."""
    url, calls = platform
    document = graph(
        call("get", f"{url}/missing", on_error="continue"),
        value("report", "{{ nodes.get.error.type }}"),
        node("slow", "delay", {"duration": "P1D"}),
        call("send", f"{url}/ok", "POST"),
        node("both", "join", {"mode": "all"}),
        value("after", "{{ nodes.report }} and {{ nodes.send.status }}"),
        edges=[
            ("start", "get"),
            ("get", "report"),
            ("start", "slow"),
            ("slow", "send"),
            ("report", "both"),
            ("send", "both"),
            ("both", "after"),
        ],
    )
    state = await (await start(client, task_queue, document, {"name": "Ada"})).result()
    assert state.status == "succeeded"
    assert state.nodes["get"].status == "failed"
    get_ended, slow_ended = state.nodes["get"].ended_at, state.nodes["slow"].ended_at
    assert get_ended is not None
    assert slow_ended is not None
    assert get_ended < slow_ended, "the error came while the sibling was still waiting"
    assert [state.nodes[name].status for name in ("slow", "send", "both", "after")] == [
        "succeeded"
    ] * 4
    assert state.output == {"after": "HTTP404 and 200"}
    assert calls["ok"] == 1


async def test_an_expression_that_fails_at_run_time_fails_its_node(
    client: Client, task_queue: str
) -> None:
    document = graph(
        node("check", "if", {"condition": "trigger.count > 3"}, on_error="continue"),
        edges=[("start", "check")],
    )
    state = await (await start(client, task_queue, document, {"count": "many"})).result()
    assert state.nodes["check"].status == "failed"
    assert state.nodes["check"].error is not None
    assert state.nodes["check"].error.type == "ExpressionError"


async def test_a_large_output_is_truncated_with_a_marker(client: Client, task_queue: str) -> None:
    document = graph(value("big", "{{ 'x' * 50000 }}"), edges=[("start", "big")])
    state = await (await start(client, task_queue, document)).result()
    output = state.nodes["big"].output
    assert output["truncated"] is True
    assert output["size_bytes"] > MAX_OUTPUT_BYTES


async def test_a_run_survives_its_worker_and_a_new_worker_finishes_it(
    temporal_env: WorkflowEnvironment, task_queue: str
) -> None:
    client = temporal_env.client
    document = graph(
        value("before", "one"),
        node("pay", "wait_for_event", {"event": "paid"}),
        value("after", "{{ nodes.before }} and {{ nodes.pay }}"),
        edges=[("start", "before"), ("before", "pay"), ("pay", "after")],
    )
    # The first worker's cached run moves to the second once the server gives up on it.
    async with worker(
        client, task_queue, sticky_queue_schedule_to_start_timeout=timedelta(seconds=1)
    ):
        handle = await start(client, task_queue, document)
        await wait_until_waiting(handle, "pay")
    await handle.signal(EVENT_SIGNAL, EventInput(name="paid", payload="two"))
    async with worker(client, task_queue):
        state = await handle.result()
    assert state.output == {"after": "one and two"}
    assert state.nodes["before"].attempts == 1
