"""The whole path of one run: store a graph, start a run, read its result — over real HTTP."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from tests.conftest import ApiHarness
from tests.utils.factories import new_organization_key

GREETING_GRAPH: dict[str, Any] = {
    "nodes": [
        {"id": "start", "type": "trigger.manual", "position": {"x": 0, "y": 0}},
        {
            "id": "greet",
            "type": "transform",
            "position": {"x": 0, "y": 100},
            "data": {
                "label": "Greet",
                "parameters": {"value": {"greeting": "Hello {{ trigger.name }}"}},
            },
            "selected": True,
        },
    ],
    "edges": [{"id": "e1", "source": "start", "target": "greet", "sourceHandle": None}],
    "viewport": {"x": 0, "y": 0, "zoom": 1},
}


async def wait_for_end(client: httpx.AsyncClient, run_id: str) -> Any:
    async with asyncio.timeout(20):
        while True:
            response = await client.get(f"/runs/{run_id}")
            assert response.status_code == 200, response.text
            body = response.json()
            if body["status"] != "running":
                return body
            await asyncio.sleep(0.1)


async def test_a_stored_graph_runs_to_completion_and_reports_its_output(api: ApiHarness) -> None:
    created = await api.client.post("/workflows", json={"name": "greet", "graph": GREETING_GRAPH})
    assert created.status_code == 201, created.text
    workflow_id = created.json()["id"]

    started = await api.client.post(
        f"/workflows/{workflow_id}/runs", json={"input": {"name": "Ada"}}
    )
    assert started.status_code == 201, started.text
    run = started.json()
    assert run["version"] == 1

    final = await wait_for_end(api.client, run["id"])
    assert final["status"] == "succeeded"
    assert final["output"] == {"greet": {"greeting": "Hello Ada"}}
    assert final["nodes"]["start"]["status"] == "succeeded"
    assert final["nodes"]["greet"]["status"] == "succeeded"


async def test_a_run_of_another_organization_is_not_found(api: ApiHarness) -> None:
    created = await api.client.post("/workflows", json={"name": "greet", "graph": GREETING_GRAPH})
    started = await api.client.post(f"/workflows/{created.json()['id']}/runs", json={"input": {}})
    run_id = started.json()["id"]
    other = await new_organization_key(api.settings)
    response = await api.client.get(f"/runs/{run_id}", headers={"Authorization": f"Bearer {other}"})
    assert response.status_code == 404
    assert response.json()["error"]["type"] == "not_found"
