"""What a builder saves and reads, over real HTTP: React Flow exports with a generic node type,
sticky notes and groups kept with the graph, problems naming the edge they are about, and the
latest graph in one read."""

from __future__ import annotations

from typing import Any

from tests.conftest import ApiHarness
from tests.utils.api import GREETING_GRAPH, create_workflow, start_run, wait_for_end

REACT_FLOW_GRAPH: dict[str, Any] = {
    "nodes": [
        {
            "id": "start",
            "type": "flowNode",
            "position": {"x": 0, "y": 0},
            "data": {"type": "trigger.manual"},
        },
        {
            "id": "greet",
            "type": "flowNode",
            "position": {"x": 0, "y": 120},
            "parentId": "g1",
            "data": {"type": "transform", "parameters": {"value": "Hello {{ trigger.name }}"}},
        },
        {
            "id": "note",
            "type": "note",
            "position": {"x": 40, "y": 300},
            "width": 200,
            "height": 120,
            "data": {"text": "Ask Ana first"},
        },
        {
            "id": "g1",
            "type": "group",
            "position": {"x": 0, "y": 0},
            "width": 600,
            "height": 300,
            "data": {"label": "Publishing"},
        },
    ],
    "edges": [{"id": "e1", "source": "start", "target": "greet"}],
    "viewport": {"x": 0, "y": 0, "zoom": 1},
}


async def test_a_react_flow_export_with_notes_and_groups_is_stored_as_sent_and_runs(
    api: ApiHarness,
) -> None:
    validated = await api.client.post("/workflows/validate", json={"graph": REACT_FLOW_GRAPH})
    assert validated.json()["valid"] is True, validated.text
    workflow_id = await create_workflow(api.client, REACT_FLOW_GRAPH)
    version = (await api.client.get(f"/workflows/{workflow_id}/versions/1")).json()
    assert version["graph"] == REACT_FLOW_GRAPH
    assert sorted(version["plan"]["nodes"]) == ["greet", "start"]
    assert version["plan"]["nodes"]["greet"]["type"] == "transform"
    run_id = await start_run(api.client, workflow_id, {"name": "Ada"})
    run = await wait_for_end(api.client, run_id)
    assert run["status"] == "succeeded", run
    assert run["nodes"]["greet"]["output"] == "Hello Ada"


async def test_an_edge_to_a_note_is_refused_naming_the_edge(api: ApiHarness) -> None:
    graph = {
        **REACT_FLOW_GRAPH,
        "edges": [*REACT_FLOW_GRAPH["edges"], {"id": "e2", "source": "greet", "target": "note"}],
    }
    response = await api.client.post("/workflows", json={"name": "n", "graph": graph})
    assert response.status_code == 422
    [detail] = response.json()["error"]["details"]
    assert detail["code"] == "edge_to_ui_node"
    assert (detail["edge_id"], detail["path"]) == ("e2", ["graph", "edges", 1, "target"])
    assert (await api.client.get("/workflows")).json()["count"] == 0


async def test_problems_about_edges_name_the_edge_by_id_or_index(api: ApiHarness) -> None:
    graph = {
        "nodes": GREETING_GRAPH["nodes"],
        "edges": [
            {"source": "start", "target": "greet"},
            {"id": "loose", "source": "greet", "target": "ghost"},
            {"source": "start", "target": "greet", "sourceHandle": "nope"},
        ],
    }
    response = await api.client.post("/workflows/validate", json={"graph": graph})
    found = {(e["code"], e.get("edge_id")) for e in response.json()["errors"]}
    assert found == {("dangling_edge", "loose"), ("unknown_handle", 2)}


async def test_a_workflow_reads_with_its_latest_graph_and_plan_hash(api: ApiHarness) -> None:
    workflow_id = await create_workflow(api.client)
    updated = await api.client.patch(f"/workflows/{workflow_id}", json={"graph": REACT_FLOW_GRAPH})
    assert updated.status_code == 200, updated.text
    workflow = (await api.client.get(f"/workflows/{workflow_id}")).json()
    version = (await api.client.get(f"/workflows/{workflow_id}/versions/2")).json()
    assert workflow["latest_version"] == 2
    assert workflow["graph"] == REACT_FLOW_GRAPH
    assert workflow["plan_hash"] == version["plan_hash"]
    latest = await api.client.get(f"/workflows/{workflow_id}/versions/latest")
    assert latest.status_code == 200, latest.text
    assert latest.json() == version


async def test_the_latest_version_of_an_unknown_workflow_is_a_404(api: ApiHarness) -> None:
    response = await api.client.get("/workflows/wf_unknown/versions/latest")
    assert response.status_code == 404
    assert (await api.client.get("/workflows/wf_unknown/versions/0")).status_code == 422
