"""The catalog's parameter schemas as form libraries need them (`parameter_schema`)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from app.language.parameter_schema import JSON_WIDGET_KEY, field_widgets, parameters_json_schema


class Inner(BaseModel):
    count: int | None = None


class Example(BaseModel):
    name: str | None = Field(default=None, max_length=5, examples=["Ada"])
    choice: int | str | None = None
    anything: Any = None
    mapping: dict[str, Any] = Field(default_factory=dict)
    inner: Inner | None = None
    text: str = Field(default="", max_length=5000)


def test_an_optional_field_is_its_plain_type_with_its_constraints_and_examples() -> None:
    name = parameters_json_schema(Example)["properties"]["name"]
    assert name == {"type": "string", "maxLength": 5, "examples": ["Ada"], "title": "Name"}


def test_a_union_keeps_its_other_options_without_null() -> None:
    choice = parameters_json_schema(Example)["properties"]["choice"]
    assert choice["anyOf"] == [{"type": "integer"}, {"type": "string"}]
    assert "default" not in choice


def test_free_json_is_marked_and_nested_models_are_cleaned_too() -> None:
    schema = parameters_json_schema(Example)
    assert schema["properties"]["anything"][JSON_WIDGET_KEY] == "json"
    assert schema["properties"]["mapping"][JSON_WIDGET_KEY] == "json"
    assert schema["properties"]["inner"] == {"$ref": "#/$defs/Inner"}
    assert schema["$defs"]["Inner"]["properties"]["count"] == {"type": "integer", "title": "Count"}


def test_widgets_name_what_a_type_does_not_say() -> None:
    schema = parameters_json_schema(Example)
    assert field_widgets(schema, ("name",)) == {
        "name": "expression", "anything": "json", "mapping": "json", "text": "textarea",
    }  # fmt: skip
