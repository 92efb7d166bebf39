"""The compiler: plain versioned data, identical bytes for the same graph, a content hash."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from app.catalog import CATALOG
from app.language.plan import PLAN_FORMAT_VERSION, Plan
from tests.utils.compiling import GraphInvalidError, compile_workflow

NATIVE: dict[str, Any] = {
    "nodes": [
        {"id": "start", "type": "trigger.manual"},
        {"id": "check", "type": "if", "parameters": {"condition": "trigger.ok"}},
        {"id": "yes", "type": "transform", "parameters": {"value": "{{ trigger.name }}"}},
        {
            "id": "call",
            "type": "http.request",
            "parameters": {"url": "https://example.com"},
            "retry": {"maximum_attempts": 7},
            "timeout_seconds": 12,
            "on_error": "continue",
        },
    ],
    "edges": [
        {"source": "start", "target": "check"},
        {"source": "check", "target": "yes", "sourceHandle": "true"},
        {"source": "check", "target": "call", "sourceHandle": "false"},
        {"source": "yes", "target": "call"},
    ],
    "settings": {"timezone": "Europe/Paris", "variables": {"count": 0}},
}


def react_flow(native: dict[str, Any]) -> dict[str, Any]:
    """The same graph as a React Flow builder saves it."""
    nodes = []
    for index, node in enumerate(native["nodes"]):
        data = {key: value for key, value in node.items() if key not in ("id", "type")}
        nodes.append(
            {
                "id": node["id"],
                "type": node["type"],
                "position": {"x": index * 10, "y": 0},
                "data": data,
                "selected": False,
                "measured": {"width": 100, "height": 30},
            }
        )
    edges = [
        {"id": f"e{i}", "targetHandle": None, "sourceHandle": None, **edge}
        for i, edge in enumerate(native["edges"])
    ]
    return {
        "nodes": nodes,
        "edges": edges,
        "viewport": {"x": 0, "y": 0, "zoom": 1},
        "settings": native["settings"],
    }


def test_the_plan_carries_its_format_version() -> None:
    assert compile_workflow(NATIVE, catalog=CATALOG).format_version == PLAN_FORMAT_VERSION


def test_compiling_twice_gives_identical_bytes() -> None:
    assert (
        compile_workflow(NATIVE, catalog=CATALOG).canonical_json()
        == compile_workflow(NATIVE, catalog=CATALOG).canonical_json()
    )


def test_the_order_of_nodes_and_edges_does_not_change_the_plan() -> None:
    shuffled = copy.deepcopy(NATIVE)
    shuffled["nodes"].reverse()
    shuffled["edges"].reverse()
    assert (
        compile_workflow(shuffled, catalog=CATALOG).content_hash()
        == compile_workflow(NATIVE, catalog=CATALOG).content_hash()
    )


def test_react_flow_and_native_forms_compile_to_the_same_plan() -> None:
    assert (
        compile_workflow(react_flow(NATIVE), catalog=CATALOG).canonical_json()
        == compile_workflow(NATIVE, catalog=CATALOG).canonical_json()
    )


def test_moving_a_node_in_the_builder_does_not_change_the_plan() -> None:
    moved = react_flow(NATIVE)
    moved["nodes"][1]["position"] = {"x": 999, "y": 999}
    assert (
        compile_workflow(moved, catalog=CATALOG).content_hash()
        == compile_workflow(react_flow(NATIVE), catalog=CATALOG).content_hash()
    )


def test_changing_a_parameter_changes_the_hash() -> None:
    changed = copy.deepcopy(NATIVE)
    changed["nodes"][2]["parameters"]["value"] = "{{ trigger.other }}"
    assert (
        compile_workflow(changed, catalog=CATALOG).content_hash()
        != compile_workflow(NATIVE, catalog=CATALOG).content_hash()
    )


def test_the_plan_round_trips_through_json() -> None:
    plan = compile_workflow(NATIVE, catalog=CATALOG)
    assert Plan.model_validate_json(plan.canonical_json()) == plan


def test_nodes_carry_edges_by_handle_and_their_incoming_nodes() -> None:
    plan = compile_workflow(NATIVE, catalog=CATALOG)
    assert plan.triggers == ("start",)
    assert plan.nodes["check"].next == {"false": ("call",), "true": ("yes",)}
    assert plan.nodes["call"].incoming == ("check", "yes")
    assert plan.nodes["check"].kind == "control"


def test_action_nodes_carry_their_activity_and_policies() -> None:
    call = compile_workflow(NATIVE, catalog=CATALOG).nodes["call"]
    assert call.kind == "action"
    assert call.activity == "http.request"
    assert call.retry is not None
    assert call.retry.maximum_attempts == 7
    assert call.timeout_seconds == 12
    assert call.on_error == "continue"


def test_settings_reach_the_plan() -> None:
    plan = compile_workflow(NATIVE, catalog=CATALOG)
    assert (plan.timezone, plan.variables) == ("Europe/Paris", {"count": 0})


def test_loop_body_nodes_know_their_loop_and_back_edges_are_not_incoming() -> None:
    document = {
        "nodes": [
            {"id": "start", "type": "trigger.manual"},
            {"id": "l", "type": "loop", "parameters": {"items": "trigger.items"}},
            {"id": "b", "type": "transform", "parameters": {"value": "{{ item }}"}},
        ],
        "edges": [
            {"source": "start", "target": "l"},
            {"source": "l", "target": "b", "sourceHandle": "body"},
            {"source": "b", "target": "l"},
        ],
    }
    plan = compile_workflow(document, catalog=CATALOG)
    assert plan.nodes["b"].loop == "l"
    assert plan.nodes["l"].incoming == ("start",)
    assert plan.nodes["b"].next == {"out": ("l",)}


def test_an_invalid_graph_raises_with_every_issue() -> None:
    with pytest.raises(GraphInvalidError) as raised:
        compile_workflow({"nodes": [{"id": "a", "type": "nope"}]}, catalog=CATALOG)
    assert {issue.code for issue in raised.value.issues} == {"unknown_node_type", "missing_trigger"}
