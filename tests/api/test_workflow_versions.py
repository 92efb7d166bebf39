"""Comparing two versions of a workflow and restoring an old one as the newest (issue 16
point 6), over real HTTP on SQLite and PostgreSQL."""

from __future__ import annotations

import copy
from typing import Any

from tests.conftest import ApiHarness
from tests.utils.api import create_workflow, manual_then

FIRST = manual_then(
    {"id": "greet", "type": "transform", "parameters": {"value": {"text": "Hello"}}},
    {"id": "bye", "type": "set", "parameters": {"values": {"done": True}}},
)


def second() -> dict[str, Any]:
    """FIRST with `greet`'s text and name changed, `bye` removed, `wait` added after greet,
    and the time zone changed."""
    graph = copy.deepcopy(FIRST)
    greet = graph["nodes"][1]
    greet["parameters"]["value"]["text"] = "Bonjour"
    greet["name"] = "Greet"
    graph["nodes"] = [
        graph["nodes"][0],
        greet,
        {"id": "wait", "type": "delay", "parameters": {"duration": "PT1S"}},
    ]
    graph["edges"] = [
        {"source": "start", "target": "greet"},
        {"source": "greet", "target": "wait"},
    ]
    graph["settings"] = {"timezone": "Europe/Paris"}
    return graph


async def two_versions(api: ApiHarness) -> str:
    workflow_id = await create_workflow(api.client, FIRST)
    edited = await api.client.patch(f"/workflows/{workflow_id}", json={"graph": second()})
    assert edited.status_code == 200, edited.text
    return workflow_id


async def test_a_diff_lists_nodes_edges_and_settings_that_changed(api: ApiHarness) -> None:
    workflow_id = await two_versions(api)
    response = await api.client.get(f"/workflows/{workflow_id}/versions/1/diff/2")
    assert response.status_code == 200, response.text
    diff = response.json()
    assert diff["identical"] is False
    assert (diff["from_version"], diff["to_version"]) == (1, 2)
    assert diff["nodes_added"] == [{"id": "wait", "type": "delay"}]
    assert diff["nodes_removed"] == [{"id": "bye", "type": "set"}]
    assert diff["nodes_changed"] == [
        {
            "id": "greet",
            "type": "transform",
            "changes": [
                {"path": "name", "before": None, "after": "Greet"},
                {"path": "parameters.value.text", "before": "Hello", "after": "Bonjour"},
            ],
        }
    ]
    edge = {"source_handle": None, "target_handle": None}
    assert diff["edges_added"] == [{"source": "greet", "target": "wait", **edge}]
    assert diff["edges_removed"] == [{"source": "greet", "target": "bye", **edge}]
    assert diff["settings_changed"] == [
        {"path": "timezone", "before": "UTC", "after": "Europe/Paris"}
    ]
    back = (await api.client.get(f"/workflows/{workflow_id}/versions/2/diff/1")).json()
    assert back["nodes_added"] == diff["nodes_removed"]
    assert back["edges_removed"] == diff["edges_added"]


async def test_the_same_graph_in_react_flow_form_is_no_change(api: ApiHarness) -> None:
    workflow_id = await create_workflow(api.client, FIRST)
    react_flow = {
        "nodes": [
            {
                "id": node["id"],
                "type": "flowhold",
                "position": {"x": 10 * index, "y": 0},
                "data": {key: value for key, value in node.items() if key != "id"},
            }
            for index, node in enumerate(FIRST["nodes"])
        ]
        + [{"id": "memo", "type": "note", "data": {"text": "a note"}}],
        "edges": [{"id": f"e{n}", **edge} for n, edge in enumerate(FIRST["edges"])],
    }
    edited = await api.client.patch(f"/workflows/{workflow_id}", json={"graph": react_flow})
    assert edited.status_code == 200, edited.text
    diff = (await api.client.get(f"/workflows/{workflow_id}/versions/1/diff/2")).json()
    assert diff["nodes_added"] == [{"id": "memo", "type": "note"}]
    assert diff["nodes_changed"] == []
    assert diff["edges_added"] == diff["edges_removed"] == []
    same = (await api.client.get(f"/workflows/{workflow_id}/versions/2/diff/2")).json()
    assert same["identical"] is True


async def test_a_diff_of_versions_that_do_not_exist_is_404_or_422(api: ApiHarness) -> None:
    workflow_id = await create_workflow(api.client, FIRST)
    missing = await api.client.get(f"/workflows/{workflow_id}/versions/1/diff/9")
    assert missing.status_code == 404
    assert "version 9" in missing.json()["error"]["message"]
    bad = await api.client.get(f"/workflows/{workflow_id}/versions/0/diff/1")
    assert bad.status_code == 422
    assert bad.json()["error"]["details"][0]["path"] == ["path", "version"]


async def test_restoring_an_old_version_makes_it_the_newest(api: ApiHarness) -> None:
    workflow_id = await two_versions(api)
    response = await api.client.post(f"/workflows/{workflow_id}/versions/1/restore")
    assert response.status_code == 201, response.text
    assert response.json()["latest_version"] == 3
    restored = (await api.client.get(f"/workflows/{workflow_id}/versions/3")).json()
    first = (await api.client.get(f"/workflows/{workflow_id}/versions/1")).json()
    assert restored["graph"] == first["graph"]
    assert restored["plan_hash"] == first["plan_hash"]
    assert (await api.client.get(f"/workflows/{workflow_id}")).json()["graph"] == FIRST
    diff = (await api.client.get(f"/workflows/{workflow_id}/versions/1/diff/3")).json()
    assert diff["identical"] is True
    # Version 2 is still there, unchanged.
    assert (await api.client.get(f"/workflows/{workflow_id}/versions/2")).json()["graph"] == (
        second()
    )


async def test_a_restore_from_a_stale_base_stores_nothing(api: ApiHarness) -> None:
    workflow_id = await two_versions(api)
    response = await api.client.post(
        f"/workflows/{workflow_id}/versions/1/restore", json={"base_version": 1}
    )
    assert response.status_code == 409
    assert "no longer the latest" in response.json()["error"]["message"]
    assert (await api.client.get(f"/workflows/{workflow_id}")).json()["latest_version"] == 2
    unknown = await api.client.post(
        f"/workflows/{workflow_id}/versions/1/restore", json={"base": 2}
    )
    assert unknown.status_code == 422


async def test_a_version_no_longer_valid_is_not_restored_and_says_why(api: ApiHarness) -> None:
    account = await api.client.post(
        "/accounts/http",
        json={
            "display_name": "Billing",
            "credential": {"type": "bearer", "token": "t0ken"},
            "allowed_hosts": ["api.example.com"],
        },
    )
    account_id = account.json()["id"]
    fetch = {
        "id": "fetch",
        "type": "http.request",
        "account_id": account_id,
        "parameters": {"method": "GET", "url": "https://api.example.com/"},
    }
    workflow_id = await create_workflow(api.client, manual_then(fetch))
    await api.client.patch(f"/workflows/{workflow_id}", json={"graph": FIRST})
    assert (await api.client.delete(f"/accounts/{account_id}")).status_code == 204
    response = await api.client.post(f"/workflows/{workflow_id}/versions/1/restore")
    assert response.status_code == 422, response.text
    detail = response.json()["error"]["details"][0]
    assert detail["path"][:3] == ["version", "1", "graph"]
    assert detail["node_id"] == "fetch"
    assert (await api.client.get(f"/workflows/{workflow_id}")).json()["latest_version"] == 2
