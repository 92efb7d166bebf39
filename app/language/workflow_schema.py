"""The published JSON Schema of a workflow graph (`GET /schema/workflow`), in both the forms
a graph is sent in: the native one, and React Flow's `toObject()` (the engine's fields under
`data`, a generic node `type` such as `flowNode`, UI-only `note` and `group` nodes, the
canvas's `viewport`). Describes what a builder may send; validation decides what holds.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from app.language.graph import NODE_ID_PATTERN, WorkflowGraph

JSON_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
UI_NODE_TYPES = ("note", "group")
"""Node types a builder draws and the engine keeps with the graph but never runs."""

_POSITION = {
    "type": "object",
    "description": "Where the node sits on the canvas (kept, never read by the engine).",
    "properties": {"x": {"type": "number"}, "y": {"type": "number"}},
    "required": ["x", "y"],
}
_SIZE = {"type": "number", "minimum": 0}


def _ui_node(kind: str, data: dict[str, Any], description: str) -> dict[str, Any]:
    return {
        "type": "object",
        "description": description,
        "properties": {
            "id": {"type": "string", "pattern": NODE_ID_PATTERN},
            "type": {"const": kind},
            "position": {"$ref": "#/$defs/Position"},
            "width": _SIZE,
            "height": _SIZE,
            "data": {"type": "object", "properties": data},
        },
        "required": ["id", "type"],
    }


def _react_flow_node(native: dict[str, Any]) -> dict[str, Any]:
    data_properties = {
        name: field
        for name, field in native["properties"].items()
        if name not in ("id", "position")
    }
    data_properties["label"] = {"type": "string", "description": "Read as `name` when none."}
    return {
        "type": "object",
        "description": (
            "A node as React Flow saves it: the engine's fields under `data`, the engine's "
            "type in `data.type` (the node's own `type` is the builder's component)."
        ),
        "properties": {
            "id": native["properties"]["id"],
            "type": {"type": "string", "description": "The builder's node component."},
            "position": {"$ref": "#/$defs/Position"},
            "parentId": {"type": "string", "description": "A group it is drawn in (ignored)."},
            "data": {
                "type": "object",
                "properties": data_properties,
                "required": ["type"],
            },
        },
        "required": ["id", "data"],
    }


@lru_cache(maxsize=16)
def workflow_json_schema(schema_id: str) -> dict[str, Any]:
    """The schema, identified as `schema_id` (the URL it is served at); shared between
    callers, so never modified."""
    generated = WorkflowGraph.model_json_schema(by_alias=True)
    defs: dict[str, Any] = dict(generated.pop("$defs"))
    native = dict(defs["GraphNode"])
    native["properties"] = {**native["properties"], "position": {"$ref": "#/$defs/Position"}}
    defs["GraphNode"] = native
    defs["Position"] = _POSITION
    defs["ReactFlowNode"] = _react_flow_node(native)
    defs["NoteNode"] = _ui_node(
        "note",
        {"text": {"type": "string", "maxLength": 10_000}},
        "A sticky note: kept with the graph, never run, no edges.",
    )
    defs["GroupNode"] = _ui_node(
        "group",
        {"label": {"type": "string", "maxLength": 200}},
        "A frame around nodes (their `parentId`): kept with the graph, never run, no edges.",
    )
    properties = dict(generated["properties"])
    properties["nodes"] = {
        **properties["nodes"],
        "items": {
            "anyOf": [
                {"$ref": "#/$defs/GraphNode"},
                {"$ref": "#/$defs/ReactFlowNode"},
                {"$ref": "#/$defs/NoteNode"},
                {"$ref": "#/$defs/GroupNode"},
            ]
        },
    }
    properties["viewport"] = {
        "type": "object",
        "description": "The canvas's pan and zoom (kept, never read by the engine).",
        "properties": {
            "x": {"type": "number"},
            "y": {"type": "number"},
            "zoom": {"type": "number", "exclusiveMinimum": 0},
        },
    }
    return {
        "$schema": JSON_SCHEMA_DIALECT,
        "$id": schema_id,
        **generated,
        "properties": properties,
        "$defs": defs,
    }
