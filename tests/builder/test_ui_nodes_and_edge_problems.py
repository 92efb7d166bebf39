"""Sticky notes and groups travel with the graph as UI-only nodes (an old graph's `ui.notes`
move into them when it opens), and a problem about an edge marks the edge on the canvas."""

from __future__ import annotations

import re

from playwright.async_api import Page, expect

from tests.builder.stack import Stack

OLD_GRAPH_WITH_UI_NOTES: dict[str, object] = {
    "nodes": [
        {"id": "start", "type": "trigger.manual", "position": {"x": 0, "y": 0}},
        {
            "id": "greet",
            "type": "transform",
            "parameters": {"value": "hi"},
            "position": {"x": 300, "y": 0},
        },
    ],
    "edges": [{"id": "e1", "source": "start", "target": "greet"}],
    "ui": {"notes": [{"id": "note", "text": "Ask Ana first", "position": {"x": 40, "y": 300}}]},
}

LOOP_GRAPH: dict[str, object] = {
    "nodes": [
        {"id": "start", "type": "trigger.manual", "position": {"x": 0, "y": 0}},
        {
            "id": "each",
            "type": "loop",
            "parameters": {"items": "{{ [1, 2] }}"},
            "position": {"x": 300, "y": 0},
        },
        {
            "id": "body",
            "type": "transform",
            "parameters": {"value": "{{ item }}"},
            "position": {"x": 600, "y": 250},
        },
    ],
    "edges": [
        {"id": "e1", "source": "start", "target": "each"},
        {"id": "e2", "source": "each", "target": "body", "sourceHandle": "body"},
        {"id": "e3", "source": "body", "target": "each"},
    ],
}


async def latest_graph(stack: Stack, workflow_id: str) -> dict[str, object]:
    async with stack.api() as api:
        graph: dict[str, object] = (await api.get(f"/workflows/{workflow_id}")).json()["graph"]
        return graph


async def test_an_old_graph_s_notes_become_nodes_and_a_group_is_saved_with_them(
    signed_in: Page, stack: Stack
) -> None:
    page = signed_in
    workflow_id = await stack.create_workflow("with a note", OLD_GRAPH_WITH_UI_NOTES)
    await page.goto(f"/ui/workflows/{workflow_id}")
    await expect(page.get_by_test_id("note-note").get_by_label("Sticky note")).to_have_value(
        "Ask Ana first"
    )
    await page.get_by_role("button", name="Add group").click()
    await page.get_by_test_id("group-group").get_by_label("Group label").fill("Publishing")
    await expect(page.get_by_role("status").filter(has_text=re.compile("^Valid$"))).to_be_visible()
    await page.get_by_role("button", name="Save").click()
    await expect(page.get_by_text("v2", exact=True)).to_be_visible()

    graph = await latest_graph(stack, workflow_id)
    assert "ui" not in graph
    by_id = {node["id"]: node for node in graph["nodes"]}  # type: ignore[attr-defined]
    assert by_id["note"]["type"] == "note"
    assert by_id["note"]["data"] == {"text": "Ask Ana first"}
    assert by_id["note"]["position"] == {"x": 40, "y": 300}
    assert by_id["group"]["type"] == "group"
    assert by_id["group"]["data"] == {"label": "Publishing"}
    assert (by_id["group"]["width"], by_id["group"]["height"]) == (400, 240)

    await page.reload()
    await expect(page.get_by_test_id("group-group").get_by_label("Group label")).to_have_value(
        "Publishing"
    )
    await expect(page.get_by_text("v2", exact=True)).to_be_visible()
    await expect(page.get_by_text("unsaved changes")).to_have_count(0)


async def test_an_edge_a_problem_names_is_marked_on_the_canvas(
    signed_in: Page, stack: Stack
) -> None:
    page = signed_in
    await page.goto(f"/ui/workflows/{await stack.create_workflow('loop', LOOP_GRAPH)}")
    await expect(page.locator(".react-flow__edge")).to_have_count(3)
    await expect(page.locator(".react-flow__edge.edge--problem")).to_have_count(0)

    # From outside the loop straight into its body: the API names this edge.
    await page.locator('.react-flow__handle[data-nodeid="start"][data-handleid="out"]').drag_to(
        page.locator('.react-flow__handle.target[data-nodeid="body"]')
    )
    marked = page.locator(".react-flow__edge.edge--problem")
    await expect(marked).to_have_count(1)
    await expect(marked).to_have_attribute("aria-label", re.compile(r"^Edge start to body: .*loop"))
    await expect(page.get_by_role("status").filter(has_text="1 problem")).to_be_visible()

    await page.keyboard.press("Control+z")
    await expect(page.locator(".react-flow__edge.edge--problem")).to_have_count(0)
