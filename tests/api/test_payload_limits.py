"""What travels to Temporal stays under its 2 MiB payload limit: too much is a 413 or a 422
naming the field, before anything is stored or started, never a 5xx from Temporal."""

from __future__ import annotations

from typing import Any

from app.services.payload_limits import MAX_PLAN_BYTES, MAX_RUN_INPUT_BYTES
from tests.api.test_webhooks import deliver, signed, webhook
from tests.conftest import ApiHarness
from tests.utils.api import WAITING_GRAPH, create_workflow, manual_then, start_run

NEAR_TEMPORALS_LIMIT = "x" * (2 * 1024 * 1024 - 1000)


async def run_count(api: ApiHarness) -> int:
    """How many runs Temporal has of the organization (visibility counts at once on the
    dev server's in-memory store, but read it twice to be sure nothing trails)."""
    count: int = (await api.client.get("/runs")).json()["count"]
    return count


async def test_a_run_input_near_temporals_limit_is_a_413_naming_it(api: ApiHarness) -> None:
    workflow_id = await create_workflow(api.client)
    response = await api.client.post(
        f"/workflows/{workflow_id}/runs", json={"input": {"name": NEAR_TEMPORALS_LIMIT}}
    )
    assert response.status_code == 413, response.text
    error = response.json()["error"]
    assert error["type"] == "too_large"
    assert error["details"][0]["path"] == ["body", "input"]
    assert str(MAX_RUN_INPUT_BYTES) in error["details"][0]["message"]
    assert await run_count(api) == 0


async def test_a_run_input_well_under_the_limit_runs(api: ApiHarness) -> None:
    workflow_id = await create_workflow(api.client)
    run_id = await start_run(api.client, workflow_id, {"name": "x" * 500_000})
    assert run_id.startswith("run_")


async def test_an_event_payload_near_temporals_limit_is_a_413_naming_it(api: ApiHarness) -> None:
    run_id = await start_run(api.client, await create_workflow(api.client, WAITING_GRAPH))
    response = await api.client.post(
        f"/runs/{run_id}/events", json={"name": "paid", "payload": NEAR_TEMPORALS_LIMIT}
    )
    assert response.status_code == 413, response.text
    assert response.json()["error"]["details"][0]["path"] == ["body", "payload"]
    state = (await api.client.get(f"/runs/{run_id}")).json()
    assert state["status"] == "running"
    await api.client.post(f"/runs/{run_id}/cancel")


async def test_a_webhook_body_near_temporals_limit_is_a_413(api: ApiHarness) -> None:
    _, url, secret = await webhook(api, max_body_bytes=10 * 1024 * 1024)
    body = b'{"big": "' + NEAR_TEMPORALS_LIMIT.encode() + b'"}'
    response = await deliver(url, body, **{"X-Hub-Signature-256": signed(secret, body)})
    assert response.status_code == 413, response.text
    assert response.json()["error"]["details"][0]["path"] == ["body"]
    assert await run_count(api) == 0


def big_transform(size: int) -> dict[str, Any]:
    return manual_then({"id": "big", "type": "transform", "parameters": {"value": "x" * size}})


async def test_a_workflow_whose_plan_is_over_the_limit_is_refused(api: ApiHarness) -> None:
    response = await api.client.post(
        "/workflows", json={"name": "w", "graph": big_transform(MAX_PLAN_BYTES)}
    )
    assert response.status_code == 422, response.text
    [detail] = response.json()["error"]["details"]
    assert detail["code"] == "too_large"
    # Its parameters alone are over the limit: refused before it is checked and compiled.
    assert detail["path"] == ["graph", "nodes"]
    assert str(MAX_PLAN_BYTES) in detail["message"]
    assert (await api.client.get("/workflows")).json()["count"] == 0


async def test_a_workflow_whose_sub_workflows_make_it_too_large_is_refused(
    api: ApiHarness,
) -> None:
    third = MAX_PLAN_BYTES // 3
    child = await create_workflow(api.client, big_transform(third))
    calls = [
        {"id": f"call{n}", "type": "sub_workflow", "parameters": {"workflow_id": child}}
        for n in range(2)
    ]
    other = await create_workflow(api.client, big_transform(third))
    calls.append({"id": "call2", "type": "sub_workflow", "parameters": {"workflow_id": other}})
    graph = manual_then(
        *calls, {"id": "big", "type": "transform", "parameters": {"value": "x" * third}}
    )
    response = await api.client.post("/workflows", json={"name": "w", "graph": graph})
    assert response.status_code == 422, response.text
    [detail] = response.json()["error"]["details"]
    assert detail["code"] == "too_large"
    assert "sub-workflows" in detail["message"]
