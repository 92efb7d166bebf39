"""A node type's parameters as the catalog publishes them: a JSON Schema a form library renders.

Pydantic writes an optional field as `anyOf: [X, {"type": "null"}]` with `"default": null`,
which form libraries show as a type picker ("string / null"); here it is written as `X` with
no default (absent means unset, and the engine still accepts null). A field that takes any
JSON (no type, or an object without declared properties) is marked
`"x-flowhold-widget": "json"`, so a builder gives it a JSON editor rather than guessing.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel

JSON_WIDGET_KEY = "x-flowhold-widget"
"""The extension keyword naming the widget a field needs (only `json` so far)."""

_SHAPING_KEYS = ("type", "anyOf", "oneOf", "allOf", "$ref", "const", "enum")
_NULL = {"type": "null"}


def _without_null(schema: dict[str, Any]) -> dict[str, Any]:
    """`anyOf: [X, null]` as X (outer title, description and examples kept), no null default."""
    options = schema.get("anyOf")
    if isinstance(options, list) and _NULL in options:
        kept = [option for option in options if option != _NULL]
        outer = {key: value for key, value in schema.items() if key != "anyOf"}
        schema = {**kept[0], **outer} if len(kept) == 1 else {**outer, "anyOf": kept}
    if "default" in schema and schema["default"] is None:
        schema = {key: value for key, value in schema.items() if key != "default"}
    return schema


def _is_free_json(schema: dict[str, Any]) -> bool:
    if not any(key in schema for key in _SHAPING_KEYS):
        return True
    return schema.get("type") == "object" and "properties" not in schema


def _form_ready(schema: Any) -> Any:
    if isinstance(schema, list):
        return [_form_ready(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    schema = _without_null(schema)
    ready: dict[str, Any] = {}
    for key, value in schema.items():
        if key in ("properties", "patternProperties", "$defs"):
            ready[key] = {name: _form_ready(item) for name, item in value.items()}
        elif key in ("examples", "default", "const", "enum"):
            ready[key] = value  # values, not schemas
        else:
            ready[key] = _form_ready(value)
    if _is_free_json(ready):
        ready[JSON_WIDGET_KEY] = "json"
    return ready


def parameters_json_schema(parameters: type[BaseModel]) -> dict[str, Any]:
    """The published JSON Schema (draft 2020-12) of a parameter model."""
    published: dict[str, Any] = _form_ready(parameters.model_json_schema())
    return published


def field_widgets(schema: dict[str, Any], expression_fields: Sequence[str]) -> dict[str, str]:
    """The widget each top-level parameter needs beyond its type: `expression` for a bare
    expression, `json` for free JSON, `tabs` for a choice between shapes (an HTTP body),
    `textarea` for long text."""
    defs: dict[str, Any] = schema.get("$defs", {})
    widgets: dict[str, str] = {}
    for name, field in schema.get("properties", {}).items():
        ref = field.get("$ref", "")
        target = defs.get(ref.removeprefix("#/$defs/"), {}) if ref else field
        if name in expression_fields:
            widgets[name] = "expression"
        elif target.get(JSON_WIDGET_KEY) == "json" or field.get(JSON_WIDGET_KEY) == "json":
            widgets[name] = "json"
        elif "oneOf" in target or "discriminator" in target:
            widgets[name] = "tabs"
        elif target.get("type") == "string" and target.get("maxLength", 0) >= 1000:
            widgets[name] = "textarea"
    return widgets
