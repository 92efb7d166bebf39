"""Why a step is waiting (issue 16 point 5): while an action is retried, its node shows the
attempt, the last error and when the next attempt starts, in `GET /runs/{id}`, the node's
detail and the stream; a node waiting out a platform's rate limit says so and until when.
Real Temporal dev server, real HTTP servers, and X played by the emulator."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.responses import JSONResponse

from emulator.config import CREATE_POST
from tests.conftest import ApiHarness
from tests.utils.accounts_api import AccountsApi, accounts, accounts_api
from tests.utils.api import create_workflow, eventually, manual_then, run_state, start_run
from tests.utils.servers import serve

__all__ = ["accounts", "accounts_api"]

LONG_WAIT = 600


@pytest.fixture
async def unavailable() -> AsyncIterator[str]:
    """/limited answers 429 asking for a 10-minute wait; /down answers 503 naming none."""
    app = FastAPI()

    @app.get("/limited")
    async def limited() -> JSONResponse:
        return JSONResponse({}, status_code=429, headers={"Retry-After": str(LONG_WAIT)})

    @app.get("/down")
    async def down() -> JSONResponse:
        return JSONResponse({}, status_code=503)

    async with serve(app) as url:
        yield url


def fetching(url: str) -> dict[str, Any]:
    return {
        "id": "fetch",
        "type": "http.request",
        "parameters": {"method": "GET", "url": url},
        "retry": {
            "maximum_attempts": 5,
            "initial_interval_seconds": 900,
            "maximum_interval_seconds": 3600,
        },
    }


async def retrying(client: httpx.AsyncClient, run_id: str, node_id: str) -> dict[str, Any]:
    """The run once `node_id` waits for its second attempt."""
    return await eventually(
        lambda: run_state(client, run_id),
        lambda state: (state["nodes"][node_id].get("retry") or {}).get("running") is False,
    )


def within(moment: str, seconds: float, slack: float = 60) -> bool:
    delta = datetime.fromisoformat(moment) - datetime.now(UTC)
    return timedelta(seconds=seconds - slack) < delta <= timedelta(seconds=seconds + 1)


async def test_a_node_waiting_out_a_rate_limit_says_so_and_until_when(
    api: ApiHarness, unavailable: str
) -> None:
    run_id = await start_run(
        api.client,
        await create_workflow(api.client, manual_then(fetching(f"{unavailable}/limited"))),
    )
    try:
        state = await retrying(api.client, run_id, "fetch")
        node = state["nodes"]["fetch"]
        retry = node["retry"]
        assert state["status"] == "running"
        assert node["status"] == "running"
        assert retry["attempt"] == 2
        assert retry["waiting_for"] == "rate_limit"
        assert retry["last_error"]["type"] == "HTTP429"
        assert within(retry["next_attempt_at"], LONG_WAIT)
        assert node["attempts"] == 2
        detail = (await api.client.get(f"/runs/{run_id}/nodes/fetch")).json()
        assert detail["retry"] == retry
        assert detail["attempts"][0]["error"]["type"] == "HTTP429"
        async with api.client.stream("GET", f"/runs/{run_id}/stream") as stream:
            async for line in stream.aiter_lines():
                if line.startswith("data: "):
                    first = json.loads(line.removeprefix("data: "))
                    break
        assert first["nodes"]["fetch"]["retry"] == retry
    finally:
        await api.client.post(f"/runs/{run_id}/terminate", json={})
    ended = await eventually(
        lambda: run_state(api.client, run_id), lambda s: s["status"] == "terminated"
    )
    assert ended["nodes"]["fetch"]["retry"] is None


async def test_a_node_retried_by_its_policy_waits_for_its_backoff(
    api: ApiHarness, unavailable: str
) -> None:
    run_id = await start_run(
        api.client, await create_workflow(api.client, manual_then(fetching(f"{unavailable}/down")))
    )
    try:
        retry = (await retrying(api.client, run_id, "fetch"))["nodes"]["fetch"]["retry"]
    finally:
        await api.client.post(f"/runs/{run_id}/terminate", json={})
    assert retry["waiting_for"] == "backoff"
    assert retry["last_error"]["type"] == "HTTP503"
    assert within(retry["next_attempt_at"], 900)


async def test_a_stream_shows_the_retry_when_it_starts(api: ApiHarness, unavailable: str) -> None:
    """A retry adds no event to the run's history: the stream sees it all the same."""
    graph = manual_then(
        {"id": "pause", "type": "delay", "parameters": {"duration": "PT2S"}},
        fetching(f"{unavailable}/limited"),
    )
    run_id = await start_run(api.client, await create_workflow(api.client, graph))
    try:
        async with api.client.stream("GET", f"/runs/{run_id}/stream") as stream:
            seen: dict[str, Any] | None = None
            async for line in stream.aiter_lines():
                if line.startswith("data: ") and '"retry":{' in line.replace(" ", ""):
                    data = json.loads(line.removeprefix("data: "))
                    node = data.get("state") or data.get("nodes", {}).get("fetch")
                    if node and node.get("retry") and node["retry"]["running"] is False:
                        seen = node["retry"]
                        break
    finally:
        await api.client.post(f"/runs/{run_id}/terminate", json={})
    assert seen is not None
    assert seen["waiting_for"] == "rate_limit"


async def test_an_x_post_waiting_for_x_rate_limit_window(accounts: AccountsApi) -> None:
    """The emulator's X rate limit spent: the node waits until its window resets."""
    emulator = accounts.emulator
    emulator.add_x_user("ada")
    ada = emulator.issue_x_tokens("ada")
    created = await accounts.client.post(
        "/accounts/x/tokens", json={"access_token": ada.access_token}
    )
    assert created.status_code == 201, created.text
    reset = emulator.set_x_rate_limit(
        "ada", CREATE_POST, remaining=0, reset_in=timedelta(minutes=15)
    )
    post = {
        "id": "post",
        "type": "x.post",
        "account_id": created.json()["id"],
        "parameters": {"text": "hello"},
        "retry": {"maximum_attempts": 3},
    }
    workflow_id = await create_workflow(accounts.client, manual_then(post))
    run_id = await start_run(accounts.client, workflow_id)
    try:
        retry = (await retrying(accounts.client, run_id, "post"))["nodes"]["post"]["retry"]
    finally:
        await accounts.client.post(f"/runs/{run_id}/terminate", json={})
    assert retry["waiting_for"] == "rate_limit"
    assert retry["last_error"]["type"] == "XRateLimited"
    next_at = datetime.fromisoformat(retry["next_attempt_at"]).timestamp()
    # X's window reset, plus the few seconds the engine adds to be sure it has passed.
    assert reset <= next_at <= reset + 60
    assert emulator.posts_by("ada") == []
