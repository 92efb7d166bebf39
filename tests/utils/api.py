"""Helpers for API tests: graphs that exercise each route, and polling with a deadline."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import httpx

from tests.conftest import ApiHarness
from tests.utils.factories import new_organization_key
from tests.utils.servers import http_client

T = TypeVar("T")

GREETING_GRAPH: dict[str, Any] = {
    "nodes": [
        {"id": "start", "type": "trigger.manual"},
        {
            "id": "greet",
            "type": "transform",
            "parameters": {"value": {"greeting": "Hello {{ trigger.name }}"}},
        },
    ],
    "edges": [{"source": "start", "target": "greet"}],
}


def manual_then(
    *nodes: dict[str, Any], input_schema: dict[str, Any] | None = None
) -> dict[str, Any]:
    """A manual trigger `start` followed by `nodes` in a chain."""
    trigger: dict[str, Any] = {"id": "start", "type": "trigger.manual"}
    if input_schema is not None:
        trigger["parameters"] = {"input_schema": input_schema}
    chain = [trigger, *nodes]
    edges = [
        {"source": source["id"], "target": target["id"]}
        for source, target in itertools.pairwise(chain)
    ]
    return {"nodes": chain, "edges": edges}


WAITING_GRAPH = manual_then(
    {"id": "pay", "type": "wait_for_event", "parameters": {"event": "paid"}}
)
APPROVAL_GRAPH = manual_then(
    {"id": "review", "type": "approval", "parameters": {"message": "ok?", "approvers": ["ann"]}}
)
FAILING_GRAPH = manual_then(
    {"id": "boom", "type": "fail", "parameters": {"message": "failed on {{ trigger.n }}"}}
)


async def eventually(
    probe: Callable[[], Awaitable[T]], accept: Callable[[T], bool], *, seconds: float = 20
) -> T:
    """Call `probe` until `accept` takes its answer; fail after `seconds`."""
    async with asyncio.timeout(seconds):
        while True:
            answer = await probe()
            if accept(answer):
                return answer
            await asyncio.sleep(0.05)


async def create_workflow(
    client: httpx.AsyncClient, graph: dict[str, Any] | None = None, name: str = "greet"
) -> str:
    response = await client.post(
        "/workflows", json={"name": name, "graph": graph or GREETING_GRAPH}
    )
    assert response.status_code == 201, response.text
    workflow_id: str = response.json()["id"]
    return workflow_id


async def start_run(client: httpx.AsyncClient, workflow_id: str, payload: Any = None) -> str:
    response = await client.post(f"/workflows/{workflow_id}/runs", json={"input": payload})
    assert response.status_code == 201, response.text
    run_id: str = response.json()["id"]
    return run_id


async def run_state(client: httpx.AsyncClient, run_id: str) -> dict[str, Any]:
    response = await client.get(f"/runs/{run_id}")
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def wait_for_end(client: httpx.AsyncClient, run_id: str) -> dict[str, Any]:
    return await eventually(lambda: run_state(client, run_id), lambda s: s["status"] != "running")


async def wait_until_waiting(
    client: httpx.AsyncClient, run_id: str, node_id: str
) -> dict[str, Any]:
    return await eventually(
        lambda: run_state(client, run_id),
        lambda s: any(wait["node_id"] == node_id for wait in s["waiting_for"]),
    )


async def foreign_client(api: ApiHarness) -> httpx.AsyncClient:
    """A client authenticated as another organization (close it)."""
    key = await new_organization_key(api.settings)
    return http_client(base_url=api.url, headers={"Authorization": f"Bearer {key}"}, timeout=30)


async def person_key(client: httpx.AsyncClient, person: str) -> tuple[str, str]:
    """A write key bound to `person`, made with the admin key of `client`: (its id, the key)."""
    response = await client.post(
        "/api-keys", json={"name": f"key of {person}", "scope": "write", "person": person}
    )
    assert response.status_code == 201, response.text
    return response.json()["id"], response.json()["key"]


def as_key(api: ApiHarness, key: str) -> httpx.AsyncClient:
    """A client of the same API with another key (close it)."""
    return http_client(base_url=api.url, headers={"Authorization": f"Bearer {key}"}, timeout=30)
