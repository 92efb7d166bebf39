"""Workflows: list, edit (new versions), duplicate, export/import, (de)activate, delete."""

from __future__ import annotations

from typing import Any

from tests.conftest import ApiHarness
from tests.utils.api import GREETING_GRAPH, create_workflow, manual_then, start_run, wait_for_end

OTHER_GRAPH = manual_then({"id": "say", "type": "transform", "parameters": {"value": "v2"}})


async def test_workflows_are_listed_newest_first_in_pages(api: ApiHarness) -> None:
    ids = [await create_workflow(api.client, name=f"flow {n}") for n in range(3)]
    first = (await api.client.get("/workflows", params={"limit": 2})).json()
    second = (await api.client.get("/workflows", params={"limit": 2, "offset": 2})).json()
    assert first["count"] == second["count"] == 3
    assert [w["id"] for w in first["data"] + second["data"]] == ids[::-1]


async def test_workflows_are_filtered_by_part_of_the_name_and_by_active(api: ApiHarness) -> None:
    weekly = await create_workflow(api.client, name="Weekly Thread")
    await create_workflow(api.client, name="daily digest")
    await create_workflow(api.client, name="100%_literal")
    await api.client.post(f"/workflows/{weekly}/activate")
    by_name = (await api.client.get("/workflows", params={"name": "THREAD"})).json()
    assert [w["name"] for w in by_name["data"]] == ["Weekly Thread"]
    literal = (await api.client.get("/workflows", params={"name": "%_"})).json()
    assert [w["name"] for w in literal["data"]] == ["100%_literal"]
    inactive = (await api.client.get("/workflows", params={"active": "false"})).json()
    assert {w["name"] for w in inactive["data"]} == {"daily digest", "100%_literal"}


async def test_an_edit_adds_a_version_and_the_old_one_stays_readable(api: ApiHarness) -> None:
    workflow_id = await create_workflow(api.client)
    updated = await api.client.patch(f"/workflows/{workflow_id}", json={"graph": OTHER_GRAPH})
    assert updated.status_code == 200, updated.text
    assert updated.json()["latest_version"] == 2
    old = (await api.client.get(f"/workflows/{workflow_id}/versions/1")).json()
    new = (await api.client.get(f"/workflows/{workflow_id}/versions/2")).json()
    assert old["graph"] == GREETING_GRAPH
    assert new["graph"] == OTHER_GRAPH
    listed = (await api.client.get(f"/workflows/{workflow_id}/versions")).json()
    assert [v["version"] for v in listed["data"]] == [2, 1]
    assert listed["count"] == 2


async def test_a_version_shows_the_plan_its_runs_carry(api: ApiHarness) -> None:
    workflow_id = await create_workflow(api.client)
    version = (await api.client.get(f"/workflows/{workflow_id}/versions/1")).json()
    plan = version["plan"]
    assert plan["triggers"] == ["start"]
    assert plan["nodes"]["greet"]["parameters"] == {
        "value": {"greeting": "Hello {{ trigger.name }}"}
    }
    assert plan["nodes"]["start"]["next"] == {"out": ["greet"]}
    validated = await api.client.post("/workflows/validate", json={"graph": GREETING_GRAPH})
    assert version["plan_hash"] == validated.json()["plan_hash"]


async def test_a_rename_keeps_the_version(api: ApiHarness) -> None:
    workflow_id = await create_workflow(api.client)
    updated = (await api.client.patch(f"/workflows/{workflow_id}", json={"name": "new"})).json()
    assert (updated["name"], updated["latest_version"]) == ("new", 1)


async def test_an_invalid_edit_stores_nothing(api: ApiHarness) -> None:
    workflow_id = await create_workflow(api.client)
    bad = {"nodes": [{"id": "a", "type": "transform"}]}
    response = await api.client.patch(
        f"/workflows/{workflow_id}", json={"graph": bad, "name": "renamed"}
    )
    assert response.status_code == 422
    assert "missing_trigger" in {d["code"] for d in response.json()["error"]["details"]}
    workflow = (await api.client.get(f"/workflows/{workflow_id}")).json()
    assert (workflow["name"], workflow["latest_version"]) == ("greet", 1)


async def test_an_edit_from_a_stale_version_is_a_conflict(api: ApiHarness) -> None:
    workflow_id = await create_workflow(api.client)
    await api.client.patch(f"/workflows/{workflow_id}", json={"graph": OTHER_GRAPH})
    stale = await api.client.patch(
        f"/workflows/{workflow_id}", json={"graph": GREETING_GRAPH, "base_version": 1}
    )
    assert stale.status_code == 409
    assert (await api.client.get(f"/workflows/{workflow_id}")).json()["latest_version"] == 2


async def test_a_run_started_before_an_edit_keeps_its_version(api: ApiHarness) -> None:
    workflow_id = await create_workflow(api.client)
    run_id = await start_run(api.client, workflow_id, {"name": "Ada"})
    await api.client.patch(f"/workflows/{workflow_id}", json={"graph": OTHER_GRAPH})
    final = await wait_for_end(api.client, run_id)
    assert final["output"] == {"greet": {"greeting": "Hello Ada"}}
    assert final["workflow_version"] == 1


async def test_a_duplicate_is_a_new_inactive_workflow_with_the_latest_graph(
    api: ApiHarness,
) -> None:
    workflow_id = await create_workflow(api.client)
    await api.client.patch(f"/workflows/{workflow_id}", json={"graph": OTHER_GRAPH})
    await api.client.post(f"/workflows/{workflow_id}/activate")
    copy = await api.client.post(f"/workflows/{workflow_id}/duplicate", json={})
    assert copy.status_code == 201
    body = copy.json()
    assert (body["name"], body["active"], body["latest_version"]) == ("greet (copy)", False, 1)
    graph = (await api.client.get(f"/workflows/{body['id']}/versions/1")).json()["graph"]
    assert graph == OTHER_GRAPH


async def test_an_export_imports_back_to_the_same_file(api: ApiHarness) -> None:
    workflow_id = await create_workflow(api.client, name="round trip")
    exported = await api.client.get(f"/workflows/{workflow_id}/export")
    assert exported.headers["content-disposition"] == f'attachment; filename="{workflow_id}.json"'
    document: dict[str, Any] = exported.json()
    assert document["format"] == "flowhold.workflow"
    imported = await api.client.post("/workflows/import", json=document)
    assert imported.status_code == 201, imported.text
    again = (await api.client.get(f"/workflows/{imported.json()['id']}/export")).json()
    assert again == document


async def test_an_import_of_an_invalid_graph_names_the_field(api: ApiHarness) -> None:
    document = {"format": "flowhold.workflow", "format_version": 1, "name": "x", "graph": {}}
    response = await api.client.post("/workflows/import", json=document)
    assert response.status_code == 422
    assert response.json()["error"]["details"][0]["path"][:2] == ["body", "graph"]
    assert (await api.client.get("/workflows")).json()["count"] == 0


async def test_an_unknown_export_format_is_refused(api: ApiHarness) -> None:
    document = {"format": "n8n", "format_version": 1, "name": "x", "graph": GREETING_GRAPH}
    response = await api.client.post("/workflows/import", json=document)
    assert response.status_code == 422
    assert response.json()["error"]["details"][0]["path"] == ["body", "format"]


async def test_activation_is_shown_and_undone(api: ApiHarness) -> None:
    workflow_id = await create_workflow(api.client)
    assert (await api.client.post(f"/workflows/{workflow_id}/activate")).json()["active"] is True
    assert (await api.client.get(f"/workflows/{workflow_id}")).json()["active"] is True
    assert (await api.client.post(f"/workflows/{workflow_id}/deactivate")).json()["active"] is False


async def test_a_deleted_workflow_is_gone_but_its_running_run_finishes(api: ApiHarness) -> None:
    graph = manual_then({"id": "pay", "type": "wait_for_event", "parameters": {"event": "paid"}})
    workflow_id = await create_workflow(api.client, graph)
    run_id = await start_run(api.client, workflow_id)
    deleted = await api.client.delete(f"/workflows/{workflow_id}")
    assert deleted.status_code == 204
    assert (await api.client.get(f"/workflows/{workflow_id}")).status_code == 404
    assert (await api.client.get(f"/workflows/{workflow_id}/versions/1")).status_code == 404
    sent = await api.client.post(f"/runs/{run_id}/events", json={"name": "paid", "payload": 5})
    assert sent.status_code == 202
    assert (await wait_for_end(api.client, run_id))["output"] == {"pay": 5}


async def test_a_version_number_out_of_range_is_a_422(api: ApiHarness) -> None:
    workflow_id = await create_workflow(api.client)
    response = await api.client.get(f"/workflows/{workflow_id}/versions/99999999999")
    assert response.status_code == 422
