"""A run's stream: the whole state, then deltas; keep-alive comments; and a stream that ends
when its API key is revoked or expires."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from tests.conftest import ApiHarness
from tests.utils.api import (
    WAITING_GRAPH,
    create_workflow,
    manual_then,
    run_state,
    start_run,
    wait_for_end,
    wait_until_waiting,
)
from tests.utils.api_servers import SharedApis, organization_on
from tests.utils.servers import http_client

GUARD = 60
"""Seconds after which a test gives up on a stream that never ends (not a timing check: the
streams under test end within a fraction of it)."""


@pytest.fixture
async def fast_api(api_servers: SharedApis, backend: str) -> AsyncIterator[ApiHarness]:
    """An API whose streams check their key every 0.2 s and ping after 0.3 s of silence."""
    server = await api_servers.get(
        backend, stream_key_check_seconds=0.2, stream_keep_alive_seconds=0.3
    )
    async with organization_on(server) as harness:
        yield harness


class Event:
    def __init__(self, name: str, data: Any, id: str | None) -> None:
        self.name, self.data, self.id = name, data, id


def parse_block(block: str) -> Event | None:
    """One SSE block as an event, or None for a comment."""
    fields: dict[str, str] = {}
    for line in block.splitlines():
        if line.startswith(":"):
            continue
        name, _, value = line.partition(": ")
        fields[name] = value
    if not fields:
        return None
    return Event(fields["event"], json.loads(fields["data"]), fields.get("id"))


async def read_blocks(response: httpx.Response) -> AsyncIterator[str]:
    buffer = ""
    async for text in response.aiter_text():
        buffer += text
        while "\n\n" in buffer:
            block, buffer = buffer.split("\n\n", 1)
            yield block


@asynccontextmanager
async def stream(
    api: ApiHarness, run_id: str, key: str | None = None, headers: dict[str, str] | None = None
) -> AsyncIterator[httpx.Response]:
    async with (
        http_client(
            base_url=api.url,
            headers={"Authorization": f"Bearer {key or api.api_key}", **(headers or {})},
            timeout=GUARD,
        ) as client,
        client.stream("GET", f"/runs/{run_id}/stream") as response,
    ):
        assert response.status_code == 200
        yield response


async def new_key(api: ApiHarness, **fields: Any) -> dict[str, Any]:
    created = await api.client.post("/api-keys", json={"name": "watcher", "scope": "read"} | fields)
    assert created.status_code == 201, created.text
    answer: dict[str, Any] = created.json()
    return answer


def apply(state: dict[str, Any], event: Event) -> dict[str, Any]:
    """What a client does with each event."""
    if event.name == "state":
        whole: dict[str, Any] = event.data
        return whole
    if event.name == "node":
        return state | {"nodes": state["nodes"] | {event.data["node_id"]: event.data["state"]}}
    if event.name == "run":
        fields: dict[str, Any] = event.data
        return state | fields
    return state


async def test_a_stream_sends_the_whole_state_then_what_changed(api: ApiHarness) -> None:
    graph = manual_then(
        {"id": "pay", "type": "wait_for_event", "parameters": {"event": "paid"}},
        {"id": "thank", "type": "transform", "parameters": {"value": "thanks {{ nodes.pay }}"}},
    )
    run_id = await start_run(api.client, await create_workflow(api.client, graph))
    await wait_until_waiting(api.client, run_id, "pay")
    events: list[Event] = []
    async with asyncio.timeout(GUARD), stream(api, run_id) as response:
        async for block in read_blocks(response):
            event = parse_block(block)
            if event is None:
                continue
            events.append(event)
            if len(events) == 1:
                await api.client.post(f"/runs/{run_id}/events", json={"name": "paid", "payload": 3})
    names = [event.name for event in events]
    assert names[0] == "state"
    assert names[-1] == "end"
    assert "state" not in names[1:]
    assert {"node", "run"} <= set(names)
    assert [int(event.id or 0) for event in events] == list(range(1, len(events) + 1))
    first = events[0].data
    assert first["nodes"]["pay"]["status"] == "waiting"
    assert first["waiting_for"][0]["node_id"] == "pay"
    thank = [event.data for event in events if event.name == "node"]
    assert {"node_id": "thank", "iteration": None} | {"state": thank[-1]["state"]} == thank[-1]
    # Each node event names one node; a run event carries the run-level fields only.
    assert all(set(data) == {"node_id", "iteration", "state"} for data in thank)
    runs = [event.data for event in events if event.name == "run"]
    assert all("nodes" not in data for data in runs)
    assert runs[-1]["status"] == "succeeded"
    state: dict[str, Any] = {}
    for event in events:
        state = apply(state, event)
    final = await run_state(api.client, run_id)
    assert state == {name: value for name, value in final.items() if name in first}


async def test_a_reconnection_goes_on_from_its_last_event_id_with_a_whole_state(
    api: ApiHarness,
) -> None:
    run_id = await start_run(api.client, await create_workflow(api.client, WAITING_GRAPH))
    await wait_until_waiting(api.client, run_id, "pay")
    async with (
        asyncio.timeout(GUARD),
        stream(api, run_id, headers={"Last-Event-ID": "41"}) as response,
    ):
        async for block in read_blocks(response):
            event = parse_block(block)
            if event is not None:
                break
    assert event is not None
    assert event.name == "state"
    assert event.id == "42"
    assert event.data["nodes"]["pay"]["status"] == "waiting"
    await api.client.post(f"/runs/{run_id}/events", json={"name": "paid", "payload": 1})
    await wait_for_end(api.client, run_id)


@pytest.mark.parametrize("value", ["abc", "-1", "9" * 30])
async def test_a_last_event_id_that_is_not_one_of_ours_is_a_422(
    api: ApiHarness, value: str
) -> None:
    run_id = await start_run(api.client, await create_workflow(api.client, WAITING_GRAPH))
    answer = await api.client.get(f"/runs/{run_id}/stream", headers={"Last-Event-ID": value})
    assert answer.status_code == 422
    assert answer.json()["error"]["details"][0]["path"] == ["header", "Last-Event-ID"]
    await api.client.post(f"/runs/{run_id}/terminate", json={})


async def test_a_quiet_stream_sends_keep_alive_comments(fast_api: ApiHarness) -> None:
    api = fast_api
    run_id = await start_run(api.client, await create_workflow(api.client, WAITING_GRAPH))
    await wait_until_waiting(api.client, run_id, "pay")
    blocks: list[str] = []
    async with asyncio.timeout(GUARD), stream(api, run_id) as response:
        async for block in read_blocks(response):
            blocks.append(block)
            if blocks.count(": ping") == 2:
                break
    assert blocks[0].startswith("event: state")
    assert blocks[1:] == [": ping", ": ping"]
    await api.client.post(f"/runs/{run_id}/terminate", json={})


async def follow_until_it_ends(api: ApiHarness, run_id: str, key: str) -> list[Event]:
    events: list[Event] = []
    async with asyncio.timeout(GUARD), stream(api, run_id, key=key) as response:
        async for block in read_blocks(response):
            event = parse_block(block)
            if event is not None:
                events.append(event)
    return events


async def test_a_stream_ends_when_its_key_is_revoked(fast_api: ApiHarness) -> None:
    api = fast_api
    run_id = await start_run(api.client, await create_workflow(api.client, WAITING_GRAPH))
    await wait_until_waiting(api.client, run_id, "pay")
    watcher = await new_key(api)
    events: list[Event] = []
    async with asyncio.timeout(GUARD), stream(api, run_id, key=watcher["key"]) as response:
        async for block in read_blocks(response):
            event = parse_block(block)
            if event is None:
                continue
            events.append(event)
            if len(events) == 1:
                revoked = await api.client.delete(f"/api-keys/{watcher['id']}")
                assert revoked.status_code == 200, revoked.text
                # The run moves on after the revocation: nothing of it may reach the stream.
                await api.client.post(f"/runs/{run_id}/events", json={"name": "paid", "payload": 1})
    assert [event.name for event in events] == ["state", "error"]
    assert events[1].data["error"]["type"] == "unauthenticated"
    assert "revoked or has expired" in events[1].data["error"]["message"]
    assert (await wait_for_end(api.client, run_id))["status"] == "succeeded"


async def test_a_stream_ends_when_its_key_expires(fast_api: ApiHarness) -> None:
    api = fast_api
    run_id = await start_run(api.client, await create_workflow(api.client, WAITING_GRAPH))
    await wait_until_waiting(api.client, run_id, "pay")
    expires_at = datetime.now(UTC) + timedelta(seconds=3)
    watcher = await new_key(api, expires_at=expires_at.isoformat())
    events = await follow_until_it_ends(api, run_id, watcher["key"])
    assert [event.name for event in events] == ["state", "error"]
    assert datetime.now(UTC) >= expires_at
    assert (await run_state(api.client, run_id))["status"] == "running"
    await api.client.post(f"/runs/{run_id}/terminate", json={})
