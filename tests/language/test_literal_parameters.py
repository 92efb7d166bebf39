"""Parameters used exactly as written (trigger settings, `join.mode`) are never rendered, so a
`{{ }}` template in them is refused at validation, naming the field."""

from __future__ import annotations

from typing import Any

import pytest

from app.catalog import CATALOG
from app.language.validation import validate

TEMPLATE = "{{ trigger.x }}"


def with_trigger(trigger_type: str, parameters: dict[str, Any]) -> dict[str, Any]:
    return {
        "nodes": [
            {"id": "start", "type": trigger_type, "parameters": parameters},
            {"id": "out", "type": "transform", "parameters": {"value": 1}},
        ],
        "edges": [{"source": "start", "target": "out"}],
    }


def refusal(document: dict[str, Any]) -> tuple[tuple[str | int, ...], str, str | None]:
    checked, issues = validate(document, accounts={}, catalog=CATALOG)
    assert checked is None
    [issue] = issues
    return issue.path, issue.message, issue.node_id


CRON = {"cron": ["0 9 * * *"]}


@pytest.mark.parametrize(
    ("trigger_type", "parameters", "field"),
    [
        ("trigger.schedule", {"cron": [TEMPLATE]}, ("cron", 0)),
        ("trigger.schedule", {"interval": {"every": TEMPLATE}}, ("interval", "every")),
        ("trigger.schedule", {**CRON, "timezone": TEMPLATE}, ("timezone",)),
        ("trigger.schedule", {**CRON, "start_at": TEMPLATE}, ("start_at",)),
        ("trigger.schedule", {**CRON, "end_at": TEMPLATE}, ("end_at",)),
        ("trigger.schedule", {**CRON, "jitter": TEMPLATE}, ("jitter",)),
        ("trigger.schedule", {**CRON, "input": {"day": TEMPLATE}}, ("input", "day")),
        ("trigger.webhook", {"method": TEMPLATE}, ("method",)),
        ("trigger.webhook", {"authentication": TEMPLATE}, ("authentication",)),
        ("trigger.webhook", {"token_header": TEMPLATE}, ("token_header",)),
        ("trigger.webhook", {"signature_prefix": TEMPLATE}, ("signature_prefix",)),
        ("trigger.webhook", {"response_mode": TEMPLATE}, ("response_mode",)),
        ("trigger.webhook", {"max_body_bytes": TEMPLATE}, ("max_body_bytes",)),
        (
            "trigger.manual",
            {"input_schema": {"properties": {"n": {"type": TEMPLATE}}}},
            ("input_schema", "properties", "n", "type"),
        ),
    ],
)
def test_a_template_in_a_trigger_parameter_is_refused_naming_it(
    trigger_type: str, parameters: dict[str, Any], field: tuple[str | int, ...]
) -> None:
    path, message, node_id = refusal(with_trigger(trigger_type, parameters))
    assert path == ("nodes", 0, "parameters", *field)
    assert node_id == "start"
    assert "not rendered" in message


def test_a_template_in_join_mode_is_refused() -> None:
    document = with_trigger("trigger.manual", {})
    document["nodes"] += [
        {"id": "other", "type": "transform", "parameters": {"value": 2}},
        {"id": "join", "type": "join", "parameters": {"mode": TEMPLATE}},
    ]
    document["edges"] += [
        {"source": "start", "target": "other"},
        {"source": "out", "target": "join"},
        {"source": "other", "target": "join"},
    ]
    path, message, node_id = refusal(document)
    assert (path, node_id) == (("nodes", 3, "parameters", "mode"), "join")
    assert "not rendered" in message


def test_templates_elsewhere_are_still_accepted() -> None:
    document = with_trigger("trigger.manual", {})
    document["nodes"][1]["parameters"] = {"value": "{{ trigger.x }}"}
    checked, issues = validate(document, accounts={}, catalog=CATALOG)
    assert issues == []
    assert checked is not None
