"""Validation reads a graph as a run will: what it accepts runs, and each problem names the
node and the edge at fault (issue 11, point 6)."""

from __future__ import annotations

from typing import Any

from app.catalog import CATALOG
from app.language.errors import Issue
from app.language.validation import validate


def graph(*nodes: dict[str, Any], edges: list[tuple[str, ...]]) -> dict[str, Any]:
    return {
        "nodes": [{"id": "start", "type": "trigger.manual"}, *nodes],
        "edges": [
            {
                "id": f"e{index}",
                "source": edge[0],
                "target": edge[1],
                **({"sourceHandle": edge[2]} if len(edge) > 2 else {}),
            }
            for index, edge in enumerate(edges)
        ],
    }


def node(node_id: str, type_: str, parameters: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return {"id": node_id, "type": type_, "parameters": parameters, **fields}


def issues_of(document: dict[str, Any]) -> list[Issue]:
    checked, issues = validate(document, catalog=CATALOG, accounts={})
    assert (checked is None) == bool(issues)
    return issues


def test_a_condition_mixing_a_template_with_text_is_refused_on_its_field() -> None:
    document = graph(
        node("check", "if", {"condition": "{{ trigger.n }} > 3"}), edges=[("start", "check")]
    )
    [issue] = issues_of(document)
    assert (issue.code, issue.node_id) == ("expression_syntax", "check")
    assert issue.path == ("nodes", 1, "parameters", "condition")
    assert "trigger.n > 3" in issue.message


def test_a_switch_case_mixing_a_template_with_text_is_refused_on_its_case() -> None:
    cases = [{"handle": "big", "condition": "{{ trigger.n }} > 3"}]
    document = graph(node("pick", "switch", {"cases": cases}), edges=[("start", "pick")])
    [issue] = issues_of(document)
    assert issue.path == ("nodes", 1, "parameters", "cases", 0, "condition")


def test_a_whole_template_around_a_condition_is_still_accepted() -> None:
    document = graph(
        node("check", "if", {"condition": " {{ trigger.n > 3 }} "}), edges=[("start", "check")]
    )
    assert issues_of(document) == []


def test_an_unknown_node_in_a_condition_is_reported_once() -> None:
    document = graph(
        node("check", "if", {"condition": "{{ nodes.ghost.ok }}"}), edges=[("start", "check")]
    )
    [issue] = issues_of(document)
    assert (issue.code, issue.path) == (
        "unknown_node_reference",
        ("nodes", 1, "parameters", "condition"),
    )


def test_a_syntax_error_reads_the_same_in_a_condition_and_in_a_template() -> None:
    # The same text: the same code, the same words, the same position.
    document = graph(
        node("check", "if", {"condition": "{{trigger.n >}}"}),
        node("show", "transform", {"value": "{{trigger.n >}}"}),
        edges=[("start", "check"), ("start", "show")],
    )
    bare, template = issues_of(document)
    assert bare.code == template.code == "expression_syntax"
    assert bare.message == template.message
    assert "(at position 13)" in bare.message
    assert not bare.message.startswith("Value error")


def test_a_join_with_one_incoming_edge_is_refused() -> None:
    document = graph(
        node("one", "transform", {"value": 1}),
        node("meet", "join", {}),
        edges=[("start", "one"), ("one", "meet")],
    )
    [issue] = issues_of(document)
    assert (issue.code, issue.node_id, issue.path) == ("join_needs_branches", "meet", ("nodes", 2))


def test_a_join_of_two_branches_is_accepted() -> None:
    document = graph(
        node("left", "transform", {"value": 1}),
        node("right", "transform", {"value": 2}),
        node("meet", "join", {}),
        edges=[("start", "left"), ("start", "right"), ("left", "meet"), ("right", "meet")],
    )
    assert issues_of(document) == []


def test_an_edge_from_a_loop_body_back_before_the_loop_is_the_one_reported() -> None:
    document = graph(
        node("prepare", "transform", {"value": 1}),
        node("each", "loop", {"items": "range(3)"}),
        node("work", "transform", {"value": "{{ item }}"}),
        edges=[("start", "prepare"), ("prepare", "each"), ("each", "work", "body"),
               ("work", "prepare")],
    )  # fmt: skip
    [issue] = issues_of(document)
    assert issue.code == "edge_out_of_loop_body"
    assert (issue.node_id, issue.path, issue.edge_id) == ("work", ("edges", 3), "e3")
    assert "'prepare'" in issue.message
    assert "'each'" in issue.message


def test_an_edge_jumping_into_a_loop_body_names_that_edge() -> None:
    document = graph(
        node("each", "loop", {"items": "range(3)"}),
        node("work", "transform", {"value": 1}),
        node("more", "transform", {"value": 2}),
        edges=[("start", "each"), ("each", "work", "body"), ("work", "more"), ("more", "each"),
               ("start", "more")],
    )  # fmt: skip
    [issue] = issues_of(document)
    assert (issue.code, issue.path, issue.edge_id) == ("edge_into_loop_body", ("edges", 4), "e4")


def test_a_workflow_whose_only_trigger_is_disabled_is_refused() -> None:
    document = graph(node("after", "transform", {"value": 1}), edges=[("start", "after")])
    document["nodes"][0]["disabled"] = True
    [issue] = issues_of(document)
    assert (issue.code, issue.node_id, issue.path) == (
        "no_enabled_trigger",
        "start",
        ("nodes", 0, "disabled"),
    )


def test_a_disabled_trigger_beside_an_enabled_one_is_accepted() -> None:
    document = graph(node("after", "transform", {"value": 1}), edges=[("start", "after")])
    document["nodes"].append({"id": "hook", "type": "trigger.webhook", "disabled": True})
    document["edges"].append({"source": "hook", "target": "after"})
    assert issues_of(document) == []


def test_a_condition_comparing_with_a_text_that_looks_like_a_template_is_accepted() -> None:
    document = graph(
        node("check", "if", {"condition": "trigger.text == '{{ name }}'"}),
        edges=[("start", "check")],
    )
    assert issues_of(document) == []
