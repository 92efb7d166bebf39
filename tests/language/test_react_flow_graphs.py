"""React Flow exports as a builder saves them: a generic node `type` with the engine's in
`data.type`, UI-only nodes (sticky notes, groups) kept but never run, and problems about an
edge naming the edge."""

from __future__ import annotations

from typing import Any

import pytest

from app.catalog import CATALOG
from app.language.compiler import build_plan
from app.language.errors import Issue
from app.language.validation import validate

START = {"id": "start", "type": "trigger.manual"}


def flow_node(node_id: str, engine_type: str, **data: Any) -> dict[str, Any]:
    return {
        "id": node_id,
        "type": "flowNode",
        "position": {"x": 0, "y": 0},
        "data": {"type": engine_type, **data},
    }


NOTE = {
    "id": "note",
    "type": "note",
    "position": {"x": 40, "y": 300},
    "width": 200,
    "height": 120,
    "data": {"text": "Ask Ana first"},
}
GROUP = {
    "id": "g1",
    "type": "group",
    "position": {"x": 0, "y": 0},
    "width": 600,
    "height": 300,
    "data": {"label": "Publishing"},
}


def checked(document: dict[str, Any]) -> tuple[Any, list[Issue]]:
    return validate(document, accounts={}, catalog=CATALOG)


def test_a_generic_node_type_validates_as_the_engine_type_in_data() -> None:
    document = {
        "nodes": [
            flow_node("start", "trigger.manual"),
            flow_node("greet", "transform", parameters={"value": "Hello"}),
        ],
        "edges": [{"id": "e1", "source": "start", "target": "greet"}],
    }
    graph, issues = checked(document)
    assert issues == []
    plan = build_plan(graph)
    assert plan.nodes["greet"].type == "transform"
    assert plan.nodes["greet"].parameters == {"value": "Hello"}
    assert plan.triggers == ("start",)


def test_the_engine_type_in_data_is_checked_like_a_native_one() -> None:
    document = {
        "nodes": [flow_node("start", "trigger.manual"), flow_node("odd", "no.such.type")],
        "edges": [{"source": "start", "target": "odd"}],
    }
    _, issues = checked(document)
    assert [(i.code, i.node_id, i.message) for i in issues] == [
        ("unknown_node_type", "odd", "unknown node type 'no.such.type'")
    ]


def test_notes_and_groups_are_kept_out_of_validation_and_the_plan() -> None:
    child = {**flow_node("greet", "transform", parameters={"value": 1}), "parentId": "g1"}
    native_note = {"id": "n2", "type": "note", "text": "native form", "parameters": "ignored"}
    document = {
        "nodes": [START, NOTE, GROUP, child, native_note],
        "edges": [{"source": "start", "target": "greet"}],
    }
    graph, issues = checked(document)
    assert issues == []
    plan = build_plan(graph)
    assert sorted(plan.nodes) == ["greet", "start"]
    # The same graph without the UI-only nodes compiles to the same plan.
    bare, _ = checked({"nodes": [START, child], "edges": document["edges"]})
    assert plan.content_hash() == build_plan(bare).content_hash()


@pytest.mark.parametrize("end", ["source", "target"])
def test_an_edge_may_not_join_a_note_or_a_group(end: str) -> None:
    for ui_node, shown in ((NOTE, "sticky note"), (GROUP, "group")):
        edge = {"id": "e9", "source": "start", "target": "start", end: ui_node["id"]}
        _, issues = checked({"nodes": [START, ui_node], "edges": [edge]})
        assert [(i.code, i.path, i.edge_id) for i in issues] == [
            ("edge_to_ui_node", ("edges", 0, end), "e9")
        ]
        assert f"is a {shown}" in issues[0].message


def test_a_note_shares_the_node_ids() -> None:
    _, issues = checked({"nodes": [START, {**NOTE, "id": "start"}]})
    assert [(i.code, i.path) for i in issues] == [("duplicate_node_id", ("nodes", 1, "id"))]


def test_every_problem_about_an_edge_names_it_by_id_or_index() -> None:
    document = {
        "nodes": [START, {"id": "a", "type": "transform", "parameters": {"value": 1}}],
        "edges": [
            {"id": "to-nowhere", "source": "start", "target": "ghost"},
            {"source": "start", "target": "a", "sourceHandle": "nope"},
            {"id": "e3", "source": 5, "target": "a"},
        ],
    }
    _, issues = checked(document)
    # A malformed edge stops parsing: its own problem comes alone, and names it too.
    assert [(i.code, i.edge_id) for i in issues] == [("schema", "e3")]
    document["edges"].pop()
    _, issues = checked(document)
    assert sorted((i.code, i.edge_id) for i in issues) == [
        ("dangling_edge", "to-nowhere"),
        ("unknown_handle", 1),
        ("unreachable_node", None),
    ]
