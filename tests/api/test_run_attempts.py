"""A running action's attempts show the retry Temporal is on, before the action ends."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.responses import JSONResponse

from tests.conftest import ApiHarness
from tests.utils.api import create_workflow, eventually, manual_then, run_state, start_run
from tests.utils.servers import serve


@pytest.fixture
async def busy() -> AsyncIterator[tuple[str, dict[str, int], asyncio.Event]]:
    """/busy fails twice (retryable), then holds its third answer until released."""
    app = FastAPI()
    calls = {"busy": 0}
    release = asyncio.Event()

    @app.get("/busy")
    async def busy_endpoint() -> JSONResponse:
        calls["busy"] += 1
        if calls["busy"] < 3:
            return JSONResponse({}, status_code=503, headers={"Retry-After": "1"})
        await release.wait()
        return JSONResponse({"call": calls["busy"]})

    async with serve(app) as url:
        yield url, calls, release


async def test_a_running_action_shows_the_attempt_it_is_on(
    api: ApiHarness, busy: tuple[str, dict[str, int], asyncio.Event]
) -> None:
    url, calls, release = busy
    fetch: dict[str, Any] = {
        "id": "fetch",
        "type": "http.request",
        "parameters": {"method": "GET", "url": f"{url}/busy"},
        "retry": {"maximum_attempts": 5, "initial_interval_seconds": 1, "backoff_coefficient": 1},
    }

    async def busy_calls() -> int:
        return calls["busy"]

    run_id = await start_run(api.client, await create_workflow(api.client, manual_then(fetch)))
    try:
        await eventually(busy_calls, lambda count: count == 3)
        running = await run_state(api.client, run_id)
    finally:
        release.set()
    assert running["status"] == "running"
    assert running["nodes"]["fetch"]["status"] == "running"
    assert running["nodes"]["fetch"]["attempts"] == 3
    final = await eventually(
        lambda: run_state(api.client, run_id), lambda state: state["status"] != "running"
    )
    assert final["nodes"]["fetch"]["output"]["body"] == {"call": 3}
    assert final["nodes"]["fetch"]["attempts"] == 3
