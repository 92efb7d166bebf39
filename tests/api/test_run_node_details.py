"""A node of a run in detail (`GET /runs/{id}/nodes/{node_id}`): the input it received and each
attempt of its work; and the run's own input in `GET /runs/{id}`."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from tests.api.test_run_chains import SCHEDULED_WAIT_THEN_FAIL, continue_as_new, start_scheduled
from tests.conftest import ApiHarness
from tests.utils.api import (
    WAITING_GRAPH,
    create_workflow,
    eventually,
    manual_then,
    start_run,
    wait_for_end,
    wait_until_waiting,
)
from tests.utils.servers import serve

SECRET = "s3cret-never-in-a-node-detail"


@pytest.fixture
async def flaky() -> AsyncIterator[tuple[str, dict[str, Any], asyncio.Event]]:
    """/flaky answers 503 twice, then holds its third answer until released; each request's
    headers are kept."""
    app = FastAPI()
    seen: dict[str, Any] = {"calls": 0, "headers": []}
    release = asyncio.Event()

    @app.get("/flaky")
    async def flaky_endpoint(request: Request) -> JSONResponse:
        seen["calls"] += 1
        seen["headers"].append(dict(request.headers))
        if seen["calls"] < 3:
            return JSONResponse(
                {"detail": f"busy {seen['calls']}"}, status_code=503, headers={"Retry-After": "1"}
            )
        await release.wait()
        return JSONResponse({"call": seen["calls"]})

    async with serve(app) as url:
        yield url, seen, release


def fetch_node(url: str, account_id: str | None = None) -> dict[str, Any]:
    node: dict[str, Any] = {
        "id": "fetch",
        "type": "http.request",
        "parameters": {"method": "GET", "url": url + "/flaky?who={{ trigger.name }}"},
        "retry": {"maximum_attempts": 5, "initial_interval_seconds": 1, "backoff_coefficient": 1},
    }
    if account_id:
        node["account_id"] = account_id
    return node


async def http_account(api: ApiHarness) -> str:
    created = await api.client.post(
        "/accounts/http",
        json={
            "display_name": "Flaky API",
            "credential": {"type": "header", "name": "X-Api-Key", "value": SECRET},
            "allowed_hosts": ["127.0.0.1"],
        },
    )
    assert created.status_code == 201, created.text
    account_id: str = created.json()["id"]
    return account_id


async def node_detail(api: ApiHarness, run_id: str, node_id: str) -> dict[str, Any]:
    answer = await api.client.get(f"/runs/{run_id}/nodes/{node_id}")
    assert answer.status_code == 200, answer.text
    detail: dict[str, Any] = answer.json()
    return detail


async def test_an_action_shows_its_rendered_input_and_every_attempt_never_a_secret(
    api: ApiHarness, flaky: tuple[str, dict[str, Any], asyncio.Event]
) -> None:
    url, seen, release = flaky
    account_id = await http_account(api)
    graph = manual_then(fetch_node(url, account_id))
    run_id = await start_run(api.client, await create_workflow(api.client, graph), {"name": "Ada"})

    async def calls() -> int:
        return int(seen["calls"])

    try:
        await eventually(calls, lambda count: count == 3)
        running = await eventually(
            lambda: node_detail(api, run_id, "fetch"),
            lambda detail: len(detail["attempts"]) == 3,
        )
    finally:
        release.set()
    assert running["status"] == "running"
    assert [a["outcome"] for a in running["attempts"]] == ["failed", "failed", "running"]
    assert running["attempts"][1]["error"]["type"] == "HTTP503"
    assert running["attempts"][2]["started_at"] is not None
    await wait_for_end(api.client, run_id)

    detail = await node_detail(api, run_id, "fetch")
    assert detail["node_id"] == "fetch"
    assert detail["status"] == "succeeded"
    assert detail["input"] == {"method": "GET", "url": url + "/flaky?who=Ada"}
    assert detail["output"]["body"] == {"call": 3}
    assert detail["attempts_count"] == 3
    attempts = detail["attempts"]
    assert [a["attempt"] for a in attempts] == [1, 2, 3]
    assert [a["outcome"] for a in attempts] == ["failed", "failed", "succeeded"]
    # Temporal keeps the failure of the attempt before the last one, not the earlier ones.
    assert attempts[0]["error"] is None
    assert attempts[1]["error"]["type"] == "HTTP503"
    assert "503" in attempts[1]["error"]["message"]
    assert attempts[2]["error"] is None
    assert attempts[2]["started_at"] <= attempts[2]["ended_at"]
    # The credential reached the platform, and nothing of it the answer.
    assert all(headers.get("x-api-key") == SECRET for headers in seen["headers"])
    assert SECRET not in json.dumps(detail)
    assert SECRET not in (await api.client.get(f"/runs/{run_id}")).text


async def test_a_failed_action_shows_the_error_of_its_last_attempt(api: ApiHarness) -> None:
    graph = manual_then(
        {
            "id": "fetch",
            "type": "http.request",
            "parameters": {"method": "GET", "url": "http://127.0.0.1:9/closed"},
            "retry": {"maximum_attempts": 2, "initial_interval_seconds": 1},
        }
    )
    run_id = await start_run(api.client, await create_workflow(api.client, graph))
    assert (await wait_for_end(api.client, run_id))["status"] == "failed"
    detail = await node_detail(api, run_id, "fetch")
    assert detail["status"] == "failed"
    assert [a["outcome"] for a in detail["attempts"]] == ["failed", "failed"]
    assert detail["attempts"][1]["error"] == {
        "type": detail["error"]["type"],
        "message": detail["attempts"][1]["error"]["message"],
        "node_id": None,
    }
    assert detail["attempts"][0]["error"] is not None


async def test_a_control_node_has_no_recorded_input_or_attempts(api: ApiHarness) -> None:
    graph = manual_then({"id": "greet", "type": "transform", "parameters": {"value": "hi"}})
    run_id = await start_run(api.client, await create_workflow(api.client, graph))
    await wait_for_end(api.client, run_id)
    detail = await node_detail(api, run_id, "greet")
    assert detail["status"] == "succeeded"
    assert detail["output"] == "hi"
    assert detail["input"] is None
    assert detail["attempts"] == []


async def test_an_unknown_node_or_run_is_a_404(api: ApiHarness) -> None:
    run_id = await start_run(api.client, await create_workflow(api.client, WAITING_GRAPH))
    await wait_until_waiting(api.client, run_id, "pay")
    missing = await api.client.get(f"/runs/{run_id}/nodes/nope")
    assert missing.status_code == 404
    assert "no node 'nope'" in missing.json()["error"]["message"]
    assert (await api.client.get("/runs/run_missing/nodes/pay")).status_code == 404
    await api.client.post(f"/runs/{run_id}/terminate", json={})


async def test_a_run_shows_the_input_it_started_with(api: ApiHarness) -> None:
    run_id = await start_run(api.client, await create_workflow(api.client, WAITING_GRAPH), {"n": 1})
    await wait_until_waiting(api.client, run_id, "pay")
    assert (await api.client.get(f"/runs/{run_id}")).json()["input"] == {"n": 1}
    await api.client.post(f"/runs/{run_id}/events", json={"name": "paid"})
    final = await wait_for_end(api.client, run_id)
    assert final["input"] == {"n": 1}


async def test_a_run_that_continued_as_new_shows_what_its_first_run_did(api: ApiHarness) -> None:
    app = FastAPI()

    @app.get("/report")
    async def report() -> dict[str, int]:
        return {"total": 7}

    async with serve(app) as url:
        graph = {
            "nodes": [
                SCHEDULED_WAIT_THEN_FAIL["nodes"][0],
                {
                    "id": "fetch",
                    "type": "http.request",
                    "parameters": {"method": "GET", "url": url + "/report?r={{ trigger.report }}"},
                },
                *SCHEDULED_WAIT_THEN_FAIL["nodes"][1:],
            ],
            "edges": [
                {"source": "weekly", "target": "fetch"},
                {"source": "fetch", "target": "tick"},
                {"source": "tick", "target": "boom"},
            ],
        }
        run_id = await start_scheduled(api, await create_workflow(api.client, graph))
        await wait_until_waiting(api.client, run_id, "tick")
    await continue_as_new(api, run_id)

    detail = await node_detail(api, run_id, "fetch")
    assert detail["status"] == "succeeded"
    assert detail["input"] == {"method": "GET", "url": url + "/report?r=sales"}
    assert [(a["attempt"], a["outcome"]) for a in detail["attempts"]] == [(1, "succeeded")]
    assert (await api.client.get(f"/runs/{run_id}")).json()["input"] == {"report": "sales"}
    await api.client.post(f"/runs/{run_id}/terminate", json={})
