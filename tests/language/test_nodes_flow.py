"""Flow node types: branching, joining, waiting, looping, sub-workflows, stop and fail."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from pydantic import ValidationError

from app.language.node_type import NodeType
from app.language.nodes import flow
from app.language.nodes.flow import (
    ApprovalParameters,
    DelayParameters,
    FailParameters,
    IfParameters,
    JoinParameters,
    LoopParameters,
    StopParameters,
    SubWorkflowParameters,
    SwitchParameters,
    WaitForEventParameters,
)
from tests.utils.parameters import errors, locs

NODE_TYPES = {node_type.type: node_type for node_type in flow.NODE_TYPES}


def cases(*handles: str) -> list[dict[str, str]]:
    return [{"handle": handle, "condition": "true"} for handle in handles]


# The module


def test_module_defines_the_flow_nodes() -> None:
    assert set(NODE_TYPES) == {
        "if",
        "switch",
        "join",
        "delay",
        "wait_for_event",
        "approval",
        "loop",
        "sub_workflow",
        "stop",
        "fail",
    }


@pytest.mark.parametrize("node_type", flow.NODE_TYPES, ids=lambda t: t.type)
def test_flow_nodes_are_control_steps_in_the_flow_palette(node_type: NodeType) -> None:
    assert (node_type.kind, node_type.category) == ("control", "flow")


@pytest.mark.parametrize(
    ("type_name", "handles"),
    [
        ("if", ("true", "false")),
        ("join", ("out",)),
        ("delay", ("out",)),
        ("wait_for_event", ("out", "timeout")),
        ("approval", ("approved", "rejected", "timeout")),
        ("loop", ("body", "done")),
        ("sub_workflow", ("out",)),
        ("stop", ()),
        ("fail", ()),
    ],
)
def test_fixed_handles(type_name: str, handles: tuple[str, ...]) -> None:
    assert NODE_TYPES[type_name].handles == handles


@pytest.mark.parametrize("type_name", ["if", "switch", "wait_for_event", "approval"])
def test_branching_nodes_leave_through_exactly_one_handle(type_name: str) -> None:
    assert NODE_TYPES[type_name].exclusive


def test_loop_runs_body_and_done_both() -> None:
    assert not NODE_TYPES["loop"].exclusive


# Expression fields (if, switch, wait_for_event, loop)


@pytest.mark.parametrize(
    ("type_name", "fields"),
    [
        ("if", ("condition",)),
        ("switch", ("cases.*.condition",)),
        ("wait_for_event", ("match",)),
        ("loop", ("items", "until")),
    ],
)
def test_expression_fields_are_declared(type_name: str, fields: tuple[str, ...]) -> None:
    assert NODE_TYPES[type_name].expression_fields == fields


def test_if_takes_a_bare_expression() -> None:
    parameters = IfParameters.model_validate({"condition": "nodes.check.status == 200"})
    assert parameters.condition == "nodes.check.status == 200"


@pytest.mark.parametrize("written", ["{{ vars.n > 3 }}", "  {{vars.n > 3}} ", "{{ vars.n > 3 }}\n"])
def test_an_expression_written_as_one_template_is_unwrapped(written: str) -> None:
    assert IfParameters.model_validate({"condition": written}).condition == "vars.n > 3"


@pytest.mark.parametrize(
    ("condition", "problem"),
    [
        ("nodes.check.status ==", "syntax error"),
        ("status == 200", "unknown name 'status'"),
        ("{{ vars.a }} and {{ vars.b }}", "one expression, not a template"),
        ("{{ vars.a ", "syntax error"),
        ("", "at least 1 character"),
    ],
)
def test_if_reports_an_expression_error_on_the_condition(condition: str, problem: str) -> None:
    [(loc, message)] = errors(IfParameters, {"condition": condition})
    assert loc == ("condition",)
    assert problem in message


def test_expression_errors_give_the_position() -> None:
    [(_, message)] = errors(IfParameters, {"condition": "vars.a == = 1"})
    assert "at position" in message


def test_if_needs_a_condition() -> None:
    assert locs(IfParameters, {}) == [("condition",)]


# switch


def test_switch_takes_cases_in_order() -> None:
    parameters = SwitchParameters.model_validate(
        {
            "cases": [
                {"handle": "urgent", "condition": "trigger.priority == 'high'"},
                {"handle": "needs-review", "condition": "{{ len(trigger.flags) > 0 }}"},
            ]
        }
    )
    assert [case.handle for case in parameters.cases] == ["urgent", "needs-review"]
    assert parameters.cases[1].condition == "len(trigger.flags) > 0"


def test_switch_handles_are_its_cases_then_default() -> None:
    parameters = SwitchParameters.model_validate({"cases": cases("b", "a")})
    assert NODE_TYPES["switch"].handles_for(parameters) == ("b", "a", "default")


def test_switch_handles_can_be_listed_from_raw_parameters() -> None:
    raw = {"cases": [{"handle": "a"}, "junk", {"handle": 3}, {"handle": "b"}]}
    assert NODE_TYPES["switch"].handles_for(raw) == ("a", "b", "default")


@pytest.mark.parametrize("raw", [{}, {"cases": "nope"}, None])
def test_switch_without_readable_cases_still_has_default(raw: Any) -> None:
    assert NODE_TYPES["switch"].handles_for(raw) == ("default",)


@pytest.mark.parametrize("count", [0, 51])
def test_switch_takes_one_to_fifty_cases(count: int) -> None:
    handles = [f"case{i}" for i in range(count)]
    assert locs(SwitchParameters, {"cases": cases(*handles)}) == [("cases",)]


@pytest.mark.parametrize(
    "handle", ["error", "default", "", "-lead", "has space", "ü", "x" * 65, "a.b"]
)
def test_switch_case_handle_is_a_plain_unreserved_name(handle: str) -> None:
    assert locs(SwitchParameters, {"cases": cases("ok", handle)}) == [("cases", 1, "handle")]


@pytest.mark.parametrize("handle", ["a", "_x", "9lives", "needs-review", "x" * 64])
def test_switch_case_handle_accepts_names(handle: str) -> None:
    SwitchParameters.model_validate({"cases": cases(handle)})


def test_switch_case_handles_are_unique() -> None:
    [(loc, message)] = errors(SwitchParameters, {"cases": cases("a", "b", "a")})
    assert loc == ("cases", 2, "handle")
    assert "'a' is used twice" in message


def test_switch_reports_an_expression_error_on_its_case() -> None:
    parameters = {
        "cases": [{"handle": "a", "condition": "true"}, {"handle": "b", "condition": "("}]
    }
    assert locs(SwitchParameters, parameters) == [("cases", 1, "condition")]


# join


@pytest.mark.parametrize(("parameters", "mode"), [({}, "all"), ({"mode": "first"}, "first")])
def test_join_waits_for_all_or_first(parameters: dict[str, Any], mode: str) -> None:
    assert JoinParameters.model_validate(parameters).mode == mode


def test_join_mode_is_all_or_first() -> None:
    assert locs(JoinParameters, {"mode": "any"}) == [("mode",)]


# delay


@pytest.mark.parametrize(
    ("duration", "expected"),
    [("PT15M", timedelta(minutes=15)), (90, timedelta(seconds=90)), ("P365D", timedelta(days=365))],
)
def test_delay_takes_a_duration(duration: Any, expected: timedelta) -> None:
    assert DelayParameters.model_validate({"duration": duration}).duration == expected


@pytest.mark.parametrize(
    "until", ["2025-01-31T09:00:00Z", "2025-01-31T09:00:00+02:00", "{{ trigger.publish_at }}"]
)
def test_delay_takes_a_moment(until: str) -> None:
    assert DelayParameters.model_validate({"until": until}).until == until


@pytest.mark.parametrize("duration", [0, -5, "P366D", "soon"])
def test_delay_duration_is_positive_and_at_most_a_year(duration: Any) -> None:
    assert locs(DelayParameters, {"duration": duration}) == [("duration",)]


@pytest.mark.parametrize(
    ("until", "problem"),
    [
        ("2025-01-31T09:00:00", "needs a time zone"),
        ("tomorrow", "not an ISO 8601 timestamp"),
        ("", "at least 1 character"),
    ],
)
def test_delay_moment_is_an_aware_timestamp_or_template(until: str, problem: str) -> None:
    [(loc, message)] = errors(DelayParameters, {"until": until})
    assert loc == ("until",)
    assert problem in message


def test_delay_needs_a_duration_or_a_moment() -> None:
    assert locs(DelayParameters, {}) == [()]


@pytest.mark.parametrize("until", ["2025-01-31T09:00:00Z", "{{ trigger.at }}"])
def test_delay_refuses_both_a_duration_and_a_moment(until: str) -> None:
    with pytest.raises(ValidationError) as info:
        DelayParameters.model_validate({"duration": "PT1M", "until": until})
    [error] = info.value.errors(include_url=False)
    assert error["loc"] == ("until",)
    # Validation drops errors on templated inputs; this one is not about the template.
    assert not isinstance(error["input"], str)


# wait_for_event


def test_wait_for_event_needs_only_the_event_name() -> None:
    parameters = WaitForEventParameters.model_validate({"event": "payment.completed"})
    assert (parameters.match, parameters.timeout) == (None, None)


def test_wait_for_event_accepts_every_option() -> None:
    parameters = WaitForEventParameters.model_validate(
        {"event": "review:done", "match": "{{ vars.ready }}", "timeout": "P7D"}
    )
    assert parameters.match == "vars.ready"
    assert parameters.timeout == timedelta(days=7)


def test_wait_for_event_match_reads_the_delivered_event() -> None:
    WaitForEventParameters.model_validate({"event": "paid", "match": "event.order == vars.order"})


@pytest.mark.parametrize(
    ("parameters", "loc"),
    [
        ({}, ("event",)),
        ({"event": ""}, ("event",)),
        ({"event": "has space"}, ("event",)),
        ({"event": "x" * 101}, ("event",)),
        ({"event": "paid", "match": "vars.a =="}, ("match",)),
        ({"event": "paid", "timeout": 0}, ("timeout",)),
        ({"event": "paid", "timeout": "P366D"}, ("timeout",)),
    ],
)
def test_wait_for_event_refuses(parameters: dict[str, Any], loc: tuple[str, ...]) -> None:
    assert locs(WaitForEventParameters, parameters) == [loc]


# approval


def test_approval_needs_only_a_message() -> None:
    parameters = ApprovalParameters.model_validate({"message": "Publish?"})
    assert (parameters.approvers, parameters.timeout) == ([], None)


def test_approval_accepts_every_option() -> None:
    parameters = ApprovalParameters.model_validate(
        {"message": "Publish {{ nodes.draft.title }}?", "approvers": ["a@x.io"], "timeout": "P2D"}
    )
    assert parameters.approvers == ["a@x.io"]


@pytest.mark.parametrize(
    ("parameters", "loc"),
    [
        ({}, ("message",)),
        ({"message": ""}, ("message",)),
        ({"message": "ok?", "approvers": [""]}, ("approvers", 0)),
        ({"message": "ok?", "approvers": ["ann "]}, ("approvers", 0)),
        ({"message": "ok?", "approvers": ["ann\nbob"]}, ("approvers", 0)),
        ({"message": "ok?", "approvers": "a@x.io"}, ("approvers",)),
        ({"message": "ok?", "approvers": ["a@x.io", "a@x.io"]}, ("approvers",)),
        ({"message": "ok?", "timeout": -1}, ("timeout",)),
    ],
)
def test_approval_refuses(parameters: dict[str, Any], loc: tuple[Any, ...]) -> None:
    assert locs(ApprovalParameters, parameters) == [loc]


def test_approval_output_is_the_decision() -> None:
    output = NODE_TYPES["approval"].output
    assert set(output["properties"]) == {
        "decision", "by", "comment", "decided_at", "verified", "via", "key_id", "link_id"
    }  # fmt: skip


# loop


def test_loop_defaults_to_one_item_at_a_time() -> None:
    parameters = LoopParameters.model_validate({"items": "nodes.fetch.body.items"})
    assert (parameters.max_concurrency, parameters.max_items) == (1, 10_000)


def test_loop_accepts_every_option() -> None:
    parameters = LoopParameters.model_validate(
        {"items": "{{ trigger.users }}", "max_concurrency": 50, "max_items": 100_000}
    )
    assert parameters.items == "trigger.users"


@pytest.mark.parametrize(
    ("parameters", "loc"),
    [
        ({}, ()),
        ({"items": "trigger.users["}, ("items",)),
        ({"items": "trigger.users", "until": "item.done"}, ("until",)),
        ({"until": "item.done["}, ("until",)),
        ({"items": "trigger.users", "delay": "PT1M"}, ("delay",)),
        ({"items": "trigger.users", "max_iterations": 5}, ("max_iterations",)),
        ({"until": "item.done", "max_concurrency": 2}, ("max_concurrency",)),
        ({"until": "item.done", "max_iterations": 0}, ("max_iterations",)),
        ({"until": "item.done", "max_iterations": 10_001}, ("max_iterations",)),
        ({"until": "item.done", "delay": "PT0S"}, ("delay",)),
        ({"items": "trigger.users", "max_concurrency": 0}, ("max_concurrency",)),
        ({"items": "trigger.users", "max_concurrency": 51}, ("max_concurrency",)),
        ({"items": "trigger.users", "max_items": 0}, ("max_items",)),
        ({"items": "trigger.users", "max_items": 100_001}, ("max_items",)),
    ],
)
def test_loop_refuses(parameters: dict[str, Any], loc: tuple[str, ...]) -> None:
    assert locs(LoopParameters, parameters) == [loc]


def test_a_loop_with_until_repeats_at_most_a_hundred_times_unless_told() -> None:
    parameters = LoopParameters.model_validate({"until": "item.status == 'ready'"})
    assert (parameters.iteration_bound, parameters.delay) == (100, None)
    bounded = LoopParameters.model_validate(
        {"until": "{{ item.ready }}", "delay": "PT30S", "max_iterations": 20}
    )
    assert (bounded.until, bounded.delay, bounded.iteration_bound) == (
        "item.ready",
        timedelta(seconds=30),
        20,
    )


def test_loop_says_what_until_excludes() -> None:
    [(loc, message)] = errors(LoopParameters, {"items": "trigger.users", "delay": "PT1M"})
    assert loc == ("delay",)
    assert "delay applies only to a loop with until" in message
    [(loc, message)] = errors(LoopParameters, {})
    assert "give one of items or until" in message


def test_whole_template_for_a_number_is_left_to_the_validation_layer() -> None:
    parameters = {"items": "trigger.users", "max_concurrency": "{{ vars.n }}"}
    assert locs(LoopParameters, parameters) == [("max_concurrency",)]


# sub_workflow


def test_sub_workflow_defaults_to_the_latest_version_and_waits() -> None:
    parameters = SubWorkflowParameters.model_validate({"workflow_id": "wf_0a1b2c3d4e5f"})
    assert (parameters.version, parameters.input, parameters.wait) == (None, None, True)


def test_sub_workflow_accepts_every_option() -> None:
    parameters = SubWorkflowParameters.model_validate(
        {"workflow_id": "wf_abc", "version": 3, "input": {"user": "{{ item.id }}"}, "wait": False}
    )
    assert parameters.input == {"user": "{{ item.id }}"}


@pytest.mark.parametrize(
    ("parameters", "loc"),
    [
        ({}, ("workflow_id",)),
        ({"workflow_id": "abc"}, ("workflow_id",)),
        ({"workflow_id": "wf_"}, ("workflow_id",)),
        ({"workflow_id": "wf_../x"}, ("workflow_id",)),
        ({"workflow_id": "wf_" + "a" * 38}, ("workflow_id",)),
        ({"workflow_id": "wf_abc", "version": 0}, ("version",)),
        ({"workflow_id": "wf_abc", "wait": "maybe"}, ("wait",)),
    ],
)
def test_sub_workflow_refuses(parameters: dict[str, Any], loc: tuple[str, ...]) -> None:
    assert locs(SubWorkflowParameters, parameters) == [loc]


# stop and fail


@pytest.mark.parametrize("output", [None, {"posted": "{{ nodes.post.id }}"}, [1, 2], "done"])
def test_stop_takes_any_output(output: Any) -> None:
    assert StopParameters.model_validate({"output": output}).output == output


def test_fail_defaults_its_error_type() -> None:
    parameters = FailParameters.model_validate({"message": "no items"})
    assert parameters.error_type == "WorkflowFailed"


def test_fail_accepts_every_option() -> None:
    FailParameters.model_validate({"message": "bad {{ trigger.id }}", "error_type": "app.Invalid"})


@pytest.mark.parametrize(
    ("parameters", "loc"),
    [
        ({}, ("message",)),
        ({"message": ""}, ("message",)),
        ({"message": "x" * 1001}, ("message",)),
        ({"message": "no", "error_type": "has space"}, ("error_type",)),
        ({"message": "no", "error_type": ""}, ("error_type",)),
    ],
)
def test_fail_refuses(parameters: dict[str, Any], loc: tuple[str, ...]) -> None:
    assert locs(FailParameters, parameters) == [loc]
