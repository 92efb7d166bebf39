"""A systematic table: every field of every node type, written bare, as one whole template and
as a template mixed with text. Whatever validation accepts, the run reads without an
`InvalidParameters` or a syntax error, given data of the kind the field takes (issue 11,
point 6).

The run's reading is the interpreter's own functions: `render_parameters`, then an action's
`parse_parameters` or a control node's `typed_parameters`, then compiling its bare
expressions.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

import pytest
from pydantic import ValidationError
from temporalio.exceptions import ApplicationError

from activities.base import parse_parameters
from app.catalog import CATALOG
from app.contract.actions import ActionInput
from app.language.expressions import ExpressionSyntaxError, Meter, compile_expression
from app.language.field_paths import expression_values, patterns_of
from app.language.node_type import NodeType
from app.language.validation import validate
from workflows.context import render_parameters
from workflows.nodes import typed_parameters

SHAPES = ("bare", "whole", "mixed")


def example(schema: dict[str, Any]) -> Any:
    examples = schema.get("examples")
    if examples:
        return examples[0]
    for branch in schema.get("anyOf", []):
        if branch.get("examples"):
            return branch["examples"][0]
    if "default" in schema:
        return schema["default"]
    if "const" in schema:
        return schema["const"]
    if schema.get("enum"):
        return schema["enum"][0]
    return None


def baselines(node_type: NodeType) -> Iterator[dict[str, Any]]:
    """Valid parameters of the type: its required fields' examples, with each optional
    field's example added in turn where that stays valid."""
    schema = node_type.parameters.model_json_schema()
    properties: dict[str, Any] = schema.get("properties", {})
    required = {name: example(properties[name]) for name in schema.get("required", [])}
    optional = [name for name in properties if name not in required and example(properties[name])]
    candidates = [required] + [
        {**required, **{name: example(properties[name]) for name in names}}
        for size in (1, 2)
        for names in itertools.combinations(optional, size)
    ]
    for parameters in candidates:
        try:
            node_type.parameters.model_validate(parameters)
        except ValidationError:
            continue
        yield parameters


def shaped(value: Any, shape: str) -> tuple[Any, dict[str, Any]]:
    """The field written in `shape`, and the trigger payload that renders it back to `value`."""
    if shape == "bare":
        return value, {}
    if shape == "whole":
        return "{{ trigger.v }}", {"v": value}
    text = value if isinstance(value, str) else str(value)
    return "{{ trigger.head }}" + text[1:], {"head": text[:1]}


def cases() -> Iterator[tuple[str, str, str, dict[str, Any], dict[str, Any]]]:
    for node_type in CATALOG.all_types():
        if node_type.kind == "trigger":
            continue  # never rendered: their fields are literal
        for parameters in baselines(node_type):
            for name, value in parameters.items():
                if name in node_type.literal_fields or value is None:
                    continue
                for shape in SHAPES:
                    if shape == "mixed" and not (isinstance(value, str) and value):
                        continue
                    written, payload = shaped(value, shape)
                    yield node_type.type, name, shape, {**parameters, name: written}, payload


CASES = list(cases())


def type_of(name: str) -> NodeType:
    found = CATALOG.get(name)
    assert found is not None
    return found


def validates(node_type: str, parameters: dict[str, Any]) -> bool:
    node: dict[str, Any] = {"id": "probe", "type": node_type, "parameters": parameters}
    if type_of(node_type).account is not None:
        node["account_id"] = "acc"
    document = {
        "nodes": [{"id": "start", "type": "trigger.manual"}, node],
        "edges": [{"source": "start", "target": "probe"}],
    }
    accounts = {"acc": type_of(node_type).account or ""}
    checked, _ = validate(document, catalog=CATALOG, accounts=accounts)
    return checked is not None


def read_as_the_run_does(node_type: NodeType, parameters: dict[str, Any], payload: Any) -> None:
    context = {"trigger": payload, "nodes": {}, "vars": {}, "run": {}, "now": "", "error": None}
    rendered = render_parameters(parameters, node_type.expression_fields, context, Meter())
    if node_type.kind == "action":
        action = ActionInput(
            node_id="probe", node_type=node_type.type, parameters=rendered,
            organization_id="org", account_id="acc", idempotency_key="k",
        )  # fmt: skip
        parse_parameters(node_type.parameters, action)
        return
    typed = typed_parameters(node_type.parameters, rendered, as_text=lambda: True)
    values = typed.model_dump(mode="json")
    for _, source in expression_values(values, patterns_of(node_type.expression_fields)):
        if isinstance(source, str):
            compile_expression(source)


def test_the_table_covers_every_node_type_that_runs() -> None:
    covered = {node_type for node_type, *_ in CASES}
    runnable = {t.type for t in CATALOG.all_types() if t.kind != "trigger"}
    rendered_nothing = {"join", "x.me"}  # a literal mode; no parameters at all
    assert covered == runnable - rendered_nothing
    assert {shape for _, _, shape, _, _ in CASES} == set(SHAPES)


@pytest.mark.parametrize(
    ("node_type", "field", "shape", "parameters", "payload"),
    CASES,
    ids=[f"{case[0]}-{case[1]}-{case[2]}" for case in CASES],
)
def test_what_validation_accepts_the_run_reads(
    node_type: str, field: str, shape: str, parameters: dict[str, Any], payload: dict[str, Any]
) -> None:
    if not validates(node_type, parameters):
        return  # refused before any run: nothing for the run to disagree with
    try:
        read_as_the_run_does(type_of(node_type), parameters, payload)
    except ApplicationError as error:  # an action's InvalidParameters
        pytest.fail(f"validated, then the run refused {field} ({shape}): {error}")
    except (ValidationError, ExpressionSyntaxError) as error:
        pytest.fail(f"validated, then the run refused {field} ({shape}): {error}")
