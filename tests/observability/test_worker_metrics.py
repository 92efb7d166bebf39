"""A worker with `WORKER_METRICS_ADDRESS` serves the Temporal SDK's metrics and the engine's
(nodes by type and outcome, retries, failures, rate-limit waits) at one Prometheus endpoint."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from fastapi.responses import JSONResponse
from temporalio.testing import WorkflowEnvironment

from tests.observability.metrics_text import sample
from tests.observability.worker_process import worker_process
from tests.utils.servers import free_port, http_client, serve
from tests.workflows.harness import graph, node, start, value
from workflows.state import RunState


@pytest.fixture
async def limited() -> AsyncIterator[str]:
    """/limited answers 429 with Retry-After: 1 the first time, then 200."""
    app = FastAPI()
    calls = {"n": 0}

    @app.get("/limited")
    async def answer() -> JSONResponse:
        calls["n"] += 1
        if calls["n"] == 1:
            return JSONResponse({}, status_code=429, headers={"Retry-After": "1"})
        return JSONResponse({"ok": True})

    async with serve(app) as url:
        yield url


async def scrape(address: str) -> str:
    async with http_client(timeout=10) as client:
        async with asyncio.timeout(60):
            while True:
                try:
                    response = await client.get(f"http://{address}/metrics")
                    if response.status_code == 200:
                        return response.text
                except httpx.TransportError:
                    pass  # the worker is still starting
                await asyncio.sleep(0.2)


async def test_the_worker_serves_sdk_and_engine_metrics(
    temporal_env: WorkflowEnvironment, task_queue: str, tmp_path: Path, limited: str
) -> None:
    address = f"127.0.0.1:{free_port()}"
    fetch = node(
        "fetch", "http.request", {"method": "GET", "url": f"{limited}/limited"},
        retry={"maximum_attempts": 3, "initial_interval_seconds": 1},
    )  # fmt: skip
    broken = node("broken", "fail", {"message": "no"}, on_error="continue")
    graph_ = graph(
        fetch, value("shape", "{{ nodes.fetch.body.ok }}"), broken,
        edges=[("start", "fetch"), ("fetch", "shape"), ("shape", "broken")],
    )  # fmt: skip
    logs = tmp_path / "worker.log"
    async with worker_process(
        temporal_env, task_queue, tmp_path, logs, WORKER_METRICS_ADDRESS=address, LOG_FORMAT="json"
    ):
        handle = await start(temporal_env.client, task_queue, graph_)
        state: RunState = await handle.result()
        assert state.status == "succeeded"
        assert state.nodes["fetch"].attempts == 2
        # The SDK exports on its own schedule: wait until the run's counts are there.
        async with asyncio.timeout(60):
            while True:
                text = await scrape(address)
                if sample(text, "flowhold_node_executions_total", node_type="fail") >= 1:
                    break
                await asyncio.sleep(0.5)

    def count(name: str, **labels: str) -> float:
        return sample(text, name, **labels)

    # The SDK's own.
    assert count("temporal_workflow_completed_total") >= 1
    assert "temporal_activity_execution_latency" in text
    # The interpreter's.
    executions = "flowhold_node_executions_total"
    assert count(executions, node_type="http.request", outcome="succeeded") == 1
    assert count(executions, node_type="transform", outcome="succeeded") == 1
    assert count(executions, node_type="fail", outcome="failed") == 1
    assert count("flowhold_action_retries_total", node_type="http.request") == 1
    # The actions'.
    assert count(
        "flowhold_action_failures_total",
        activity="http.request", failure_type="HTTP429", retried="true",
    ) == 1  # fmt: skip
    assert count("flowhold_rate_limit_waits_total", activity="http.request") == 1
    assert count("flowhold_rate_limit_wait_count", activity="http.request") == 1

    # Its logs: JSON lines, the failed attempt as one line with its cause and ids.
    lines = [json.loads(line) for line in logs.read_text().splitlines()]
    [failed] = [line for line in lines if line["message"] == "Completing activity as failed"]
    assert failed["error"] == "HTTP429 (retried): HTTP 429 from 127.0.0.1"
    assert (failed["run_id"], failed["node_id"], failed["attempt"]) == (handle.id, "fetch", 1)
    assert "traceback" not in failed
