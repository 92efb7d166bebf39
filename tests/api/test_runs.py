"""Starting runs by hand: input checked against the trigger's schema, and Idempotency-Key."""

from __future__ import annotations

import pytest

from tests.conftest import ApiHarness
from tests.utils.api import FAILING_GRAPH, create_workflow, manual_then, wait_for_end

SCHEMA = {
    "type": "object",
    "properties": {"text": {"type": "string", "maxLength": 5}},
    "required": ["text"],
}
ECHO = manual_then(
    {"id": "echo", "type": "transform", "parameters": {"value": "{{ trigger.text }}"}},
    input_schema=SCHEMA,
)


async def test_input_that_the_schema_refuses_is_a_422_naming_each_field(api: ApiHarness) -> None:
    workflow_id = await create_workflow(api.client, ECHO)
    response = await api.client.post(
        f"/workflows/{workflow_id}/runs", json={"input": {"text": "far too long"}}
    )
    assert response.status_code == 422
    [detail] = response.json()["error"]["details"]
    assert detail["path"] == ["body", "input", "text"]
    assert detail["node_id"] == "start"
    missing = await api.client.post(f"/workflows/{workflow_id}/runs", json={"input": {}})
    assert missing.json()["error"]["details"][0]["path"] == ["body", "input"]


async def test_input_that_the_schema_accepts_runs(api: ApiHarness) -> None:
    workflow_id = await create_workflow(api.client, ECHO)
    started = await api.client.post(
        f"/workflows/{workflow_id}/runs", json={"input": {"text": "hi"}}
    )
    assert started.status_code == 201
    final = await wait_for_end(api.client, started.json()["id"])
    assert final["output"] == {"echo": "hi"}
    assert (final["trigger"], final["workflow_id"], final["workflow_version"]) == (
        "manual",
        workflow_id,
        1,
    )


async def test_an_idempotency_key_returns_the_same_run(api: ApiHarness) -> None:
    workflow_id = await create_workflow(api.client)
    headers = {"Idempotency-Key": "order-42"}
    body = {"input": {"name": "Ada"}}
    first = await api.client.post(f"/workflows/{workflow_id}/runs", json=body, headers=headers)
    await wait_for_end(api.client, first.json()["id"])
    second = await api.client.post(f"/workflows/{workflow_id}/runs", json=body, headers=headers)
    assert (first.status_code, second.status_code) == (201, 200)
    assert first.json()["id"] == second.json()["id"]
    assert (first.json()["created"], second.json()["created"]) == (True, False)


async def test_an_idempotency_key_reused_with_another_body_is_a_conflict(api: ApiHarness) -> None:
    workflow_id = await create_workflow(api.client)
    headers = {"Idempotency-Key": "order-43"}
    await api.client.post(f"/workflows/{workflow_id}/runs", json={"input": 1}, headers=headers)
    other = await api.client.post(
        f"/workflows/{workflow_id}/runs", json={"input": 2}, headers=headers
    )
    assert other.status_code == 409
    assert "Idempotency-Key" in other.json()["error"]["message"]


async def test_the_same_idempotency_key_in_two_organizations_starts_two_runs(
    api: ApiHarness,
) -> None:
    from tests.utils.api import foreign_client

    mine = await create_workflow(api.client)
    async with await foreign_client(api) as other:
        theirs = await create_workflow(other)
        headers = {"Idempotency-Key": "shared"}
        a = await api.client.post(f"/workflows/{mine}/runs", json={}, headers=headers)
        b = await other.post(f"/workflows/{theirs}/runs", json={}, headers=headers)
    assert (a.status_code, b.status_code) == (201, 201)
    assert a.json()["id"] != b.json()["id"]


async def test_a_workflow_without_a_manual_trigger_cannot_be_started_by_hand(
    api: ApiHarness,
) -> None:
    graph = {"nodes": [{"id": "hook", "type": "trigger.webhook"}], "edges": []}
    workflow_id = await create_workflow(api.client, graph)
    response = await api.client.post(f"/workflows/{workflow_id}/runs", json={})
    assert response.status_code == 422
    assert response.json()["error"]["message"] == "this workflow has no manual trigger"


async def test_a_failed_run_reports_the_failing_node(api: ApiHarness) -> None:
    workflow_id = await create_workflow(api.client, FAILING_GRAPH)
    started = await api.client.post(f"/workflows/{workflow_id}/runs", json={"input": {"n": 3}})
    final = await wait_for_end(api.client, started.json()["id"])
    assert final["status"] == "failed"
    assert final["error"]["node_id"] == "boom"
    assert final["nodes"]["boom"]["status"] == "failed"


async def test_an_unknown_version_is_a_404(api: ApiHarness) -> None:
    workflow_id = await create_workflow(api.client)
    response = await api.client.post(f"/workflows/{workflow_id}/runs", json={"version": 9})
    assert response.status_code == 404


async def test_a_version_number_too_large_for_a_database_is_a_422(api: ApiHarness) -> None:
    workflow_id = await create_workflow(api.client)
    response = await api.client.post(f"/workflows/{workflow_id}/runs", json={"version": 2**70})
    assert response.status_code == 422
    assert response.json()["error"]["details"][0]["path"] == ["body", "version"]


REF_SCHEMA = {
    "type": "object",
    "properties": {"to": {"$ref": "#/$defs/address"}},
    "required": ["to"],
    "$defs": {
        "address": {
            "type": "object",
            "properties": {"email": {"type": "string", "format": "email", "maxLength": 20}},
            "required": ["email"],
        }
    },
}


async def test_input_is_checked_through_the_schemas_local_refs(api: ApiHarness) -> None:
    graph = manual_then(
        {"id": "echo", "type": "transform", "parameters": {"value": "{{ trigger.to.email }}"}},
        input_schema=REF_SCHEMA,
    )
    workflow_id = await create_workflow(api.client, graph)
    refused = await api.client.post(
        f"/workflows/{workflow_id}/runs", json={"input": {"to": {"email": "x" * 30}}}
    )
    assert refused.status_code == 422, refused.text
    [detail] = refused.json()["error"]["details"]
    assert detail["path"] == ["body", "input", "to", "email"]
    started = await api.client.post(
        f"/workflows/{workflow_id}/runs", json={"input": {"to": {"email": "a@b.c"}}}
    )
    assert started.status_code == 201, started.text
    assert (await wait_for_end(api.client, started.json()["id"]))["output"] == {"echo": "a@b.c"}


@pytest.mark.parametrize(
    ("ref", "problem"),
    [
        ("https://schemas.example.com/address.json", "only local refs"),
        ("#/$defs/missing", "points to nothing"),
    ],
)
async def test_a_schema_whose_ref_does_not_resolve_inside_it_is_refused_when_stored(
    api: ApiHarness, ref: str, problem: str
) -> None:
    schema = {"properties": {"to": {"$ref": ref}}}
    response = await api.client.post(
        "/workflows", json={"name": "w", "graph": manual_then(input_schema=schema)}
    )
    assert response.status_code == 422, response.text
    [detail] = response.json()["error"]["details"]
    assert detail["path"] == ["graph", "nodes", 0, "parameters", "input_schema"]
    assert f"$ref '{ref}'" in detail["message"]
    assert problem in detail["message"]
