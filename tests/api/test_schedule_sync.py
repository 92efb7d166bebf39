"""Syncing schedule triggers to Temporal refuses bad input as 4xx and is all or nothing."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import ApiHarness
from tests.utils.api import create_workflow
from tests.utils.stored_plans import rewrite_latest_plan

ARABIC_INDIC_THREE = "\u0663"


def two_schedules(b_cron: str = "0 9 * * *") -> dict[str, Any]:
    """Schedule triggers `a` (every day) and `b` (cron `b_cron`), both leading to `out`."""
    return {
        "nodes": [
            {"id": "a", "type": "trigger.schedule", "parameters": {"interval": {"every": "P1D"}}},
            {"id": "b", "type": "trigger.schedule", "parameters": {"cron": [b_cron]}},
            {"id": "out", "type": "transform", "parameters": {"value": 1}},
        ],
        "edges": [{"source": "a", "target": "out"}, {"source": "b", "target": "out"}],
    }


async def schedules_of(api: ApiHarness, workflow_id: str) -> dict[str, bool]:
    """Node id → paused, for each schedule Temporal has."""
    response = await api.client.get(f"/workflows/{workflow_id}/schedules")
    assert response.status_code == 200, response.text
    return {s["node_id"]: s["paused"] for s in response.json()["data"]}


def store_cron_unchecked(api: ApiHarness, workflow_id: str, cron: str) -> None:
    """Put `cron` into trigger `b` of the latest stored version: validation never sees it,
    only Temporal does."""

    def change(plan: dict[str, Any]) -> None:
        plan["nodes"]["b"]["parameters"]["cron"] = [cron]

    rewrite_latest_plan(api.settings, workflow_id, change)


@pytest.mark.parametrize(
    ("parameters", "field"),
    [
        ({"cron": [f"{ARABIC_INDIC_THREE} * * * *"]}, ["cron", 0]),
        ({"cron": ["0 9 * * *"], "start_at": "1969-12-31T23:00:00Z"}, ["start_at"]),
        ({"cron": ["0 9 * * *"], "start_at": "0001-01-01T00:00:00+01:00"}, ["start_at"]),
        ({"cron": ["0 9 * * *"], "end_at": "9999-12-31T23:00:00-05:00"}, ["end_at"]),
    ],
)
async def test_schedule_input_temporal_cannot_take_is_refused_when_stored(
    api: ApiHarness, parameters: dict[str, Any], field: list[str | int]
) -> None:
    graph = two_schedules()
    graph["nodes"][1]["parameters"] = parameters
    response = await api.client.post("/workflows", json={"name": "w", "graph": graph})
    assert response.status_code == 422, response.text
    [detail] = response.json()["error"]["details"]
    assert detail["path"] == ["graph", "nodes", 1, "parameters", *field]
    assert detail["node_id"] == "b"
    listed = await api.client.get("/workflows")
    assert listed.json()["count"] == 0


async def test_temporal_refusing_the_second_schedule_undoes_the_first_on_activation(
    api: ApiHarness,
) -> None:
    workflow_id = await create_workflow(api.client, two_schedules())
    store_cron_unchecked(api, workflow_id, f"{ARABIC_INDIC_THREE} * * * *")
    response = await api.client.post(f"/workflows/{workflow_id}/activate")
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert "'b'" in error["message"]
    assert error["details"][0]["node_id"] == "b"
    assert await schedules_of(api, workflow_id) == {}
    assert (await api.client.get(f"/workflows/{workflow_id}")).json()["active"] is False


async def test_temporal_refusing_the_second_schedule_restores_the_updated_first(
    api: ApiHarness,
) -> None:
    workflow_id = await create_workflow(api.client, two_schedules())
    await api.client.post(f"/workflows/{workflow_id}/activate")
    await api.client.post(f"/workflows/{workflow_id}/deactivate")
    store_cron_unchecked(api, workflow_id, f"{ARABIC_INDIC_THREE} * * * *")
    response = await api.client.post(f"/workflows/{workflow_id}/activate")
    assert response.status_code == 422, response.text
    assert await schedules_of(api, workflow_id) == {"a": True, "b": True}
    assert (await api.client.get(f"/workflows/{workflow_id}")).json()["active"] is False
