"""Validation finds every problem of a graph and names the node and the field of each."""

from __future__ import annotations

from typing import Any

import pytest

from app.catalog import CATALOG
from app.language.errors import Issue
from app.language.validation import SizeLimits, validate

ACCOUNTS = {"acc_x": "x", "acc_ig": "instagram"}
VALUE = {"value": 1}


def node(node_id: str, type_: str, **fields: Any) -> dict[str, Any]:
    return {"id": node_id, "type": type_, **fields}


def edge(source: str, target: str, handle: str | None = None) -> dict[str, Any]:
    found: dict[str, Any] = {"source": source, "target": target}
    if handle is not None:
        found["sourceHandle"] = handle
    return found


def graph(*nodes: dict[str, Any], edges: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {"nodes": [node("start", "trigger.manual"), *nodes], "edges": edges or []}


def issues_of(document: Any, **kwargs: Any) -> list[Issue]:
    checked, issues = validate(document, accounts=ACCOUNTS, **kwargs, catalog=CATALOG)
    assert (checked is None) == bool(issues)
    return issues


def only(document: Any, **kwargs: Any) -> Issue:
    issues = issues_of(document, **kwargs)
    assert len(issues) == 1, issues
    return issues[0]


def test_a_valid_graph_has_no_issues() -> None:
    document = graph(
        node("greet", "transform", parameters={"value": "{{ trigger.name }}"}),
        edges=[edge("start", "greet")],
    )
    assert issues_of(document) == []


def test_a_react_flow_document_with_ui_fields_is_accepted() -> None:
    document = {
        "nodes": [
            {"id": "1", "type": "trigger.manual", "position": {"x": 0, "y": 0}, "data": {}},
            {
                "id": "2",
                "type": "transform",
                "position": {"x": 0, "y": 80},
                "data": {"label": "Shape", "parameters": {"value": "{{ nodes['1'] }}"}},
                "selected": True,
                "dragging": False,
                "measured": {"width": 150, "height": 40},
            },
        ],
        "edges": [
            {"id": "e1-2", "source": "1", "target": "2", "sourceHandle": None, "targetHandle": None}
        ],
        "viewport": {"x": 10, "y": 20, "zoom": 1.5},
    }
    assert issues_of(document) == []


def test_a_document_that_is_not_a_graph_names_the_missing_field() -> None:
    issue = only({"edges": []})
    assert (issue.code, issue.path) == ("schema", ("nodes",))


def test_a_malformed_node_names_its_id() -> None:
    issue = only(graph(node("bad", "transform", parameters=VALUE, on_error="explode")))
    assert (issue.code, issue.node_id, issue.path) == ("schema", "bad", ("nodes", 1, "on_error"))


def test_an_unknown_node_type_is_reported_on_its_type() -> None:
    issue = only(graph(node("odd", "no.such.type"), edges=[edge("start", "odd")]))
    assert (issue.code, issue.node_id, issue.path) == (
        "unknown_node_type",
        "odd",
        ("nodes", 1, "type"),
    )


def test_bad_parameters_name_the_field() -> None:
    document = graph(
        node("call", "http.request", parameters={"url": 5}), edges=[edge("start", "call")]
    )
    issue = only(document)
    assert issue.code == "invalid_parameter"
    assert issue.path[:4] == ("nodes", 1, "parameters", "url")


def test_a_whole_template_is_accepted_where_a_number_is_expected() -> None:
    document = graph(
        node("l", "loop", parameters={"items": "range(2)", "max_concurrency": "{{ vars.n }}"}),
        node("b", "transform", parameters={"value": "{{ item }}"}),
        edges=[edge("start", "l"), edge("l", "b", "body")],
    )
    assert issues_of(document) == []


def test_duplicate_node_ids_are_reported() -> None:
    issue = only(graph(node("start", "transform", parameters=VALUE)))
    assert (issue.code, issue.path) == ("duplicate_node_id", ("nodes", 1, "id"))


@pytest.mark.parametrize("end", ["source", "target"])
def test_an_edge_to_a_missing_node_is_dangling(end: str) -> None:
    ends = {"source": "start", "target": "start"} | {end: "ghost"}
    issue = only(graph(edges=[edge(ends["source"], ends["target"])]))
    assert (issue.code, issue.path) == ("dangling_edge", ("edges", 0, end))
    assert issue.node_id == "start", "named on the end that exists"


def test_the_same_edge_twice_is_reported() -> None:
    document = graph(
        node("a", "transform", parameters=VALUE), edges=[edge("start", "a"), edge("start", "a")]
    )
    assert only(document).code == "duplicate_edge"


def test_an_edge_from_a_handle_the_node_lacks_is_reported() -> None:
    document = graph(
        node("check", "if", parameters={"condition": "true"}),
        node("a", "transform", parameters=VALUE),
        edges=[edge("start", "check"), edge("check", "a", "maybe")],
    )
    issue = issues_of(document)[0]
    assert (issue.code, issue.node_id, issue.path) == (
        "unknown_handle",
        "check",
        ("edges", 1, "sourceHandle"),
    )
    assert "true, false" in issue.message


def test_the_error_handle_needs_on_error_route() -> None:
    document = graph(
        node("a", "transform", parameters=VALUE), node("b", "transform", parameters=VALUE),
        edges=[edge("start", "a"), edge("a", "b", "error")],
    )  # fmt: skip
    assert issues_of(document)[0].code == "unknown_handle"


def test_on_error_route_needs_an_error_edge() -> None:
    document = graph(
        node("a", "transform", parameters=VALUE, on_error="route"), edges=[edge("start", "a")]
    )
    issue = only(document)
    assert (issue.code, issue.path) == ("missing_error_edge", ("nodes", 1, "on_error"))


def test_an_error_route_is_valid_when_declared() -> None:
    document = graph(
        node("a", "transform", parameters=VALUE, on_error="route"),
        node("b", "transform", parameters=VALUE),
        edges=[edge("start", "a"), edge("a", "b", "error")],
    )
    assert issues_of(document) == []


def test_a_node_no_trigger_reaches_is_reported() -> None:
    issue = only(graph(node("island", "transform", parameters=VALUE)))
    assert (issue.code, issue.node_id) == ("unreachable_node", "island")


def test_a_graph_without_a_trigger_is_reported() -> None:
    issue = only({"nodes": [node("a", "transform", parameters=VALUE)], "edges": []})
    assert issue.code == "missing_trigger"


def test_an_edge_into_a_trigger_is_reported() -> None:
    document = graph(
        node("a", "transform", parameters=VALUE), edges=[edge("start", "a"), edge("a", "start")]
    )
    assert only(document).code == "edge_into_trigger"


def test_a_cycle_outside_a_loop_is_reported_with_its_path() -> None:
    document = graph(
        node("a", "transform", parameters=VALUE), node("b", "transform", parameters=VALUE),
        edges=[edge("start", "a"), edge("a", "b"), edge("b", "a")],
    )  # fmt: skip
    issue = only(document)
    assert issue.code == "cycle"
    assert "a → b → a" in issue.message


def test_a_loop_body_may_return_to_its_loop() -> None:
    document = graph(
        node("l", "loop", parameters={"items": "trigger.list"}),
        node("b", "transform", parameters={"value": "{{ item }}"}),
        node("after", "transform", parameters={"value": "{{ nodes.l.results }}"}),
        edges=[
            edge("start", "l"),
            edge("l", "b", "body"),
            edge("b", "l"),
            edge("l", "after", "done"),
        ],
    )
    assert issues_of(document) == []


def test_an_edge_into_a_loop_body_from_outside_is_reported() -> None:
    document = graph(
        node("l", "loop", parameters={"items": "trigger.list"}),
        node("b", "transform", parameters=VALUE),
        edges=[edge("start", "l"), edge("l", "b", "body"), edge("start", "b")],
    )
    assert only(document).code == "edge_into_loop_body"


def test_a_template_syntax_error_names_the_parameter() -> None:
    document = graph(
        node("a", "transform", parameters={"value": {"text": "Hi {{ trigger.name + }}"}}),
        edges=[edge("start", "a")],
    )
    issue = only(document)
    assert (issue.code, issue.node_id, issue.path) == (
        "expression_syntax", "a", ("nodes", 1, "parameters", "value", "text"),
    )  # fmt: skip


def test_a_condition_syntax_error_names_the_field() -> None:
    document = graph(node("c", "if", parameters={"condition": "1 +"}), edges=[edge("start", "c")])
    issue = only(document)
    assert issue.path[:4] == ("nodes", 1, "parameters", "condition")


def test_reading_a_node_that_does_not_exist_is_reported() -> None:
    document = graph(
        node("a", "transform", parameters={"value": "{{ nodes.ghost.id }}"}),
        edges=[edge("start", "a")],
    )
    assert only(document).code == "unknown_node_reference"


def test_reading_a_node_that_is_not_upstream_is_reported() -> None:
    document = graph(
        node("a", "transform", parameters={"value": "{{ nodes.b }}"}),
        node("b", "transform", parameters=VALUE),
        edges=[edge("start", "a"), edge("a", "b")],
    )
    issue = only(document)
    assert (issue.code, issue.node_id) == ("reference_not_upstream", "a")


def test_reading_a_node_on_the_other_branch_is_reported() -> None:
    document = graph(
        node("c", "if", parameters={"condition": "trigger.ok"}),
        node("yes", "transform", parameters=VALUE),
        node("no", "transform", parameters={"value": "{{ nodes.yes }}"}),
        edges=[edge("start", "c"), edge("c", "yes", "true"), edge("c", "no", "false")],
    )
    assert only(document).code == "reference_not_upstream"


def test_after_a_merge_either_branch_may_be_read() -> None:
    document = graph(
        node("c", "if", parameters={"condition": "trigger.ok"}),
        node("yes", "transform", parameters=VALUE),
        node("no", "transform", parameters=VALUE),
        node("merge", "transform", parameters={"value": "{{ nodes.yes }} {{ nodes.no }}"}),
        edges=[
            edge("start", "c"), edge("c", "yes", "true"), edge("c", "no", "false"),
            edge("yes", "merge"), edge("no", "merge"),
        ],
    )  # fmt: skip
    assert issues_of(document) == []


def test_a_node_reading_itself_is_reported() -> None:
    document = graph(
        node("a", "transform", parameters={"value": "{{ nodes.a }}"}), edges=[edge("start", "a")]
    )
    assert only(document).code == "self_reference"


def test_loop_variables_outside_a_loop_are_reported() -> None:
    document = graph(
        node("a", "transform", parameters={"value": "{{ item }}"}), edges=[edge("start", "a")]
    )
    assert only(document).code == "loop_variable_outside_loop"


def _polling(until: str, body_value: str = "{{ item }}") -> dict[str, Any]:
    return graph(
        node("poll", "loop", parameters={"until": until}),
        node("step", "transform", parameters={"value": body_value}),
        edges=[edge("start", "poll"), edge("poll", "step", "body"), edge("step", "poll")],
    )


def test_a_loops_until_reads_the_iteration_it_ends_as_item_and_index() -> None:
    assert issues_of(_polling("item.status == 'ready' or index > 3")) == []


def test_a_loops_items_still_cannot_read_item_outside_a_loop() -> None:
    document = graph(
        node("each", "loop", parameters={"items": "item"}),
        node("step", "transform", parameters={"value": 1}),
        edges=[edge("start", "each"), edge("each", "step", "body"), edge("step", "each")],
    )
    issue = only(document)
    assert (issue.code, issue.path) == (
        "loop_variable_outside_loop",
        ("nodes", 1, "parameters", "items"),
    )


def test_a_loops_until_reads_only_nodes_upstream_of_the_loop() -> None:
    issue = only(_polling("nodes.step.done"))
    assert (issue.code, issue.path) == (
        "reference_not_upstream",
        ("nodes", 1, "parameters", "until"),
    )


def test_an_action_that_needs_an_account_says_so() -> None:
    document = graph(node("p", "x.post", parameters={"text": "hi"}), edges=[edge("start", "p")])
    issue = only(document)
    assert (issue.code, issue.path) == ("missing_account", ("nodes", 1, "account_id"))


def test_an_account_of_another_organization_is_unknown() -> None:
    document = graph(
        node("p", "x.post", parameters={"text": "hi"}, account_id="acc_elsewhere"),
        edges=[edge("start", "p")],
    )
    assert only(document).code == "unknown_account"


def test_an_account_of_the_wrong_platform_is_reported() -> None:
    document = graph(
        node("p", "x.post", parameters={"text": "hi"}, account_id="acc_ig"),
        edges=[edge("start", "p")],
    )
    assert only(document).code == "wrong_account"


def test_a_known_account_of_the_right_platform_is_accepted() -> None:
    document = graph(
        node("p", "x.post", parameters={"text": "hi"}, account_id="acc_x"),
        edges=[edge("start", "p")],
    )
    assert issues_of(document) == []


def test_too_many_nodes_are_refused() -> None:
    document = graph(*[node(f"a{i}", "transform") for i in range(5)])
    issue = only(document, limits=SizeLimits(max_nodes=3))
    assert (issue.code, issue.path) == ("too_large", ("nodes",))


def test_a_document_over_the_size_limit_is_refused() -> None:
    document = graph(
        node("a", "transform", parameters={"value": "x" * 2000}), edges=[edge("start", "a")]
    )
    assert only(document, limits=SizeLimits(max_document_bytes=1000)).code == "too_large"


def test_an_expression_over_the_length_limit_is_refused() -> None:
    document = graph(
        node("a", "transform", parameters={"value": "{{ " + "1 + " * 600 + "1 }}"}),
        edges=[edge("start", "a")],
    )
    assert only(document).code == "expression_syntax"


def test_an_unknown_time_zone_is_reported() -> None:
    document = graph() | {"settings": {"timezone": "Mars/Olympus"}}
    issue = only(document)
    assert (issue.code, issue.path) == ("invalid_setting", ("settings", "timezone"))


def test_a_bad_variable_name_is_reported() -> None:
    document = graph() | {"settings": {"variables": {"1st": 0}}}
    assert only(document).path == ("settings", "variables", "1st")


def test_every_problem_is_reported_at_once() -> None:
    document = graph(
        node("odd", "no.such.type"),
        node("a", "transform", parameters={"value": "{{ nodes.ghost }}"}),
        node("island", "transform", parameters=VALUE),
        edges=[edge("start", "a"), edge("start", "odd"), edge("a", "nowhere")],
    )
    codes = sorted(issue.code for issue in issues_of(document))
    assert codes == [
        "dangling_edge",
        "unknown_node_reference",
        "unknown_node_type",
        "unreachable_node",
    ]


# Node-level fields a node type does not use are refused, not silently ignored (issue 3.2).

SUB_WORKFLOW = {"workflow_id": "wf_0a1b2c3d4e5f"}


def test_a_trigger_with_a_retry_policy_is_refused() -> None:
    document = {"nodes": [node("start", "trigger.manual", retry={"maximum_attempts": 3})]}
    issue = only(document)
    assert (issue.code, issue.node_id, issue.path) == (
        "unused_field",
        "start",
        ("nodes", 0, "retry"),
    )
    assert "only actions are retried" in issue.message


def test_a_delay_with_retry_and_timeout_is_refused_for_both_fields() -> None:
    document = graph(
        node(
            "pause", "delay", parameters={"duration": "PT1H"},
            retry={"maximum_attempts": 2}, timeout_seconds=30,
        ),
        edges=[edge("start", "pause")],
    )  # fmt: skip
    found = [(issue.code, issue.node_id, issue.path) for issue in issues_of(document)]
    assert found == [
        ("unused_field", "pause", ("nodes", 1, "retry")),
        ("unused_field", "pause", ("nodes", 1, "timeout_seconds")),
    ]


@pytest.mark.parametrize("type_", ["if", "transform", "approval", "wait_for_event"])
def test_control_nodes_refuse_a_timeout(type_: str) -> None:
    parameters = {
        "if": {"condition": "true"},
        "transform": VALUE,
        "approval": {"message": "ok?"},
        "wait_for_event": {"event": "paid"},
    }[type_]
    document = graph(
        node("step", type_, parameters=parameters, timeout_seconds=5), edges=[edge("start", "step")]
    )
    issue = only(document)
    assert (issue.code, issue.path) == ("unused_field", ("nodes", 1, "timeout_seconds"))


def test_a_sub_workflow_takes_a_timeout_but_no_retry() -> None:
    timed = graph(
        node("child", "sub_workflow", parameters=SUB_WORKFLOW, timeout_seconds=60),
        edges=[edge("start", "child")],
    )
    assert issues_of(timed) == []
    retried = graph(
        node("child", "sub_workflow", parameters=SUB_WORKFLOW, retry={"maximum_attempts": 2}),
        edges=[edge("start", "child")],
    )
    assert only(retried).path == ("nodes", 1, "retry")


def test_an_action_takes_retry_and_timeout() -> None:
    document = graph(
        node(
            "call", "http.request", parameters={"method": "GET", "url": "https://example.com"},
            retry={"maximum_attempts": 2}, timeout_seconds=10,
        ),
        edges=[edge("start", "call")],
    )  # fmt: skip
    assert issues_of(document) == []


@pytest.mark.parametrize("on_error", ["continue", "route"])
def test_a_trigger_refuses_an_on_error_policy(on_error: str) -> None:
    document = {"nodes": [node("start", "trigger.manual", on_error=on_error)]}
    issues = issues_of(document)
    assert ("invalid_setting", ("nodes", 0, "on_error")) in [
        (issue.code, issue.path) for issue in issues
    ]
