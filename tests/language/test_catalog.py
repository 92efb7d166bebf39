"""What every node type in the catalog promises, whatever module defines it."""

from __future__ import annotations

import json

import pytest

from app.catalog import CATALOG
from app.language.node_type import ERROR_HANDLE, NodeType
from tests.utils.parameters import locs

NODE_TYPES = list(CATALOG.all_types())
ACTIONS = [node_type for node_type in NODE_TYPES if node_type.kind == "action"]


def each(node_types: list[NodeType]) -> pytest.MarkDecorator:
    """Parametrise a test over `node_types`, named by type so a failure says which."""
    return pytest.mark.parametrize("node_type", node_types, ids=lambda t: t.type)


@each(NODE_TYPES)
def test_every_node_type_has_a_title_and_a_description(node_type: NodeType) -> None:
    assert node_type.title
    assert node_type.description


@each(NODE_TYPES)
def test_no_node_type_declares_the_error_handle(node_type: NodeType) -> None:
    assert ERROR_HANDLE not in node_type.handles


@each(NODE_TYPES)
def test_parameter_and_output_schemas_are_json(node_type: NodeType) -> None:
    json.dumps(node_type.parameters.model_json_schema())
    json.dumps(node_type.output)


@each(NODE_TYPES)
def test_every_parameter_has_help_text(node_type: NodeType) -> None:
    for name, field in node_type.parameters.model_fields.items():
        assert field.description, f"{node_type.type}.{name}"


@each(NODE_TYPES)
def test_unknown_parameters_are_refused(node_type: NodeType) -> None:
    assert ("colour",) in locs(node_type.parameters, {"colour": "red"})


@each(ACTIONS)
def test_action_output_is_an_object(node_type: NodeType) -> None:
    assert node_type.output["type"] == "object"


@each(ACTIONS)
def test_action_runs_the_activity_named_after_it(node_type: NodeType) -> None:
    assert node_type.activity == node_type.type
