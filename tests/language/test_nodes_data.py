"""Data node types: `set` (workflow variables) and `transform` (build a value)."""

from __future__ import annotations

from typing import Any

import pytest

from app.language.node_type import NodeType
from app.language.nodes import data
from app.language.nodes.data import SetParameters, TransformParameters
from tests.utils.parameters import locs

NODE_TYPES = {node_type.type: node_type for node_type in data.NODE_TYPES}


def test_module_defines_set_and_transform() -> None:
    assert set(NODE_TYPES) == {"set", "transform"}


@pytest.mark.parametrize("node_type", data.NODE_TYPES, ids=lambda t: t.type)
def test_data_nodes_are_control_steps_with_one_output(node_type: NodeType) -> None:
    assert (node_type.kind, node_type.category, node_type.handles) == ("control", "data", ("out",))
    assert node_type.expression_fields == ()


# set


def test_set_takes_variable_values_as_written() -> None:
    values = {"count": "{{ vars.count + 1 }}", "_seen": [1, 2], "Last_ID9": None}
    assert SetParameters.model_validate({"values": values}).model_dump() == {"values": values}


def test_set_accepts_a_hundred_variables() -> None:
    SetParameters.model_validate({"values": {f"v{i}": i for i in range(100)}})


@pytest.mark.parametrize("values", [{}, {f"v{i}": i for i in range(101)}])
def test_set_takes_one_to_a_hundred_variables(values: dict[str, Any]) -> None:
    assert locs(SetParameters, {"values": values}) == [("values",)]


@pytest.mark.parametrize("name", ["1st", "has-dash", "has space", "", "é", "v" * 65, "a.b"])
def test_set_variable_names_are_identifiers(name: str) -> None:
    assert locs(SetParameters, {"values": {"ok": 1, name: 2}}) == [("values", name, "[key]")]


def test_set_needs_values() -> None:
    assert locs(SetParameters, {}) == [("values",)]


def test_set_values_are_an_object() -> None:
    assert locs(SetParameters, {"values": [["a", 1]]}) == [("values",)]


# transform


@pytest.mark.parametrize(
    "value",
    [
        {"title": "{{ upper(trigger.title) }}", "tags": ["a", "{{ vars.tag }}"]},
        "{{ nodes.fetch.body }}",
        [1, 2, 3],
        None,
        0,
    ],
)
def test_transform_takes_any_value_as_written(value: Any) -> None:
    assert TransformParameters.model_validate({"value": value}).model_dump() == {"value": value}


def test_transform_needs_a_value() -> None:
    assert locs(TransformParameters, {}) == [("value",)]
