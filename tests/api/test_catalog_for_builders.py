"""What `GET /node-types` and the schemas give a builder over HTTP: examples valid for their
own fields, optional fields as plain fields, widgets, UI hints and categories, the workflow
schema in both forms, and expression roots by context."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import jsonschema

from app.api.catalog_ui import ICONS
from tests.api.test_walking_skeleton import GREETING_GRAPH
from tests.conftest import ApiHarness

FORMATS = jsonschema.Draft202012Validator.FORMAT_CHECKER


async def catalog(api: ApiHarness) -> dict[str, Any]:
    response = await api.client.get("/node-types")
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def by_type(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {entry["type"]: entry for entry in body["data"]}


def subschemas(schema: Any) -> Iterator[dict[str, Any]]:
    """Every schema object inside `schema` (values such as examples and defaults skipped)."""
    if isinstance(schema, list):
        for item in schema:
            yield from subschemas(item)
    elif isinstance(schema, dict):
        yield schema
        for key, value in schema.items():
            if key in ("properties", "patternProperties", "$defs"):
                for item in value.values():
                    yield from subschemas(item)
            elif key not in ("examples", "default", "const", "enum"):
                yield from subschemas(value)


async def test_every_catalog_example_is_valid_for_its_own_field(api: ApiHarness) -> None:
    checked = 0
    for entry in (await catalog(api))["data"]:
        schema = entry["parameters_schema"]
        defs = schema.get("$defs", {})
        for field in subschemas(schema):
            for example in field.get("examples", []):
                validator = jsonschema.Draft202012Validator(
                    {**field, "$defs": defs}, format_checker=FORMATS
                )
                problems = [problem.message for problem in validator.iter_errors(example)]
                assert problems == [], (entry["type"], example, problems)
                checked += 1
    assert checked > 50


async def test_durations_are_offered_as_iso_8601_text(api: ApiHarness) -> None:
    entries = by_type(await catalog(api))
    duration = entries["delay"]["parameters_schema"]["properties"]["duration"]
    timeout = entries["http.request"]["parameters_schema"]["properties"]["timeout"]
    for field in (duration, timeout):
        assert field["type"] == "string"
        assert field["format"] == "duration"
        assert all(isinstance(example, str) for example in field["examples"])


async def test_optional_parameters_are_plain_fields_without_a_null_default(
    api: ApiHarness,
) -> None:
    entries = by_type(await catalog(api))
    for entry in entries.values():
        for schema in subschemas(entry["parameters_schema"]):
            assert {"type": "null"} not in schema.get("anyOf", []), entry["type"]
            assert not ("default" in schema and schema["default"] is None), entry["type"]
    version = entries["sub_workflow"]["parameters_schema"]["properties"]["version"]
    assert version["type"] == "integer"
    assert version["minimum"] == 1
    assert "version" not in entries["sub_workflow"]["parameters_schema"].get("required", [])


async def test_the_engine_still_takes_null_for_an_optional_parameter(api: ApiHarness) -> None:
    graph = {
        "nodes": [
            {"id": "start", "type": "trigger.manual"},
            {"id": "wait", "type": "delay", "parameters": {"duration": "PT1S", "until": None}},
        ],
        "edges": [{"source": "start", "target": "wait"}],
    }
    body = (await api.client.post("/workflows/validate", json={"graph": graph})).json()
    assert body["valid"] is True, body


async def test_free_json_fields_are_marked_for_a_json_editor(api: ApiHarness) -> None:
    entries = by_type(await catalog(api))
    free = {
        ("transform", "value"), ("stop", "output"), ("sub_workflow", "input"),
        ("set", "values"), ("trigger.manual", "input_schema"),
    }  # fmt: skip
    for node_type, name in free:
        field = entries[node_type]["parameters_schema"]["properties"][name]
        assert field["x-flowhold-widget"] == "json", (node_type, name)
        assert entries[node_type]["ui"]["fields"][name] == {"widget": "json"}
    url = entries["http.request"]["parameters_schema"]["properties"]["url"]
    assert "x-flowhold-widget" not in url


async def test_each_entry_has_ui_hints_from_the_documented_icon_set(api: ApiHarness) -> None:
    body = await catalog(api)
    categories = {category["id"]: category for category in body["categories"]}
    assert [category["id"] for category in body["categories"]] == [
        "trigger", "flow", "data", "http", "x", "instagram", "ai",
    ]  # fmt: skip
    assert categories["trigger"] == {
        "id": "trigger", "title": "Triggers", "order": 0, "icon": "play", "color": "#b35c00",
    }  # fmt: skip
    for entry in body["data"]:
        ui = entry["ui"]
        assert entry["category"] in categories
        assert ui["icon"] in ICONS
        assert ui["color"] == categories[entry["category"]]["color"]
        assert set(ui["handle_labels"]) >= set(entry["handles"])
    orders = [entry["ui"]["order"] for entry in body["data"] if entry["category"] == "flow"]
    assert len(set(orders)) == len(orders)


async def test_handle_labels_and_field_widgets_say_what_the_builder_shows(
    api: ApiHarness,
) -> None:
    entries = by_type(await catalog(api))
    assert entries["http.request"]["ui"]["handle_labels"] == {"out": "", "error": "on error"}
    assert entries["http.request"]["ui"]["icon"] == "http"
    assert entries["http.request"]["ui"]["fields"]["body"] == {"widget": "tabs"}
    assert entries["if"]["ui"]["handle_labels"] == {
        "true": "true", "false": "false", "error": "on error",
    }  # fmt: skip
    assert entries["if"]["ui"]["fields"]["condition"] == {"widget": "expression"}
    assert entries["loop"]["ui"]["handle_labels"]["body"] == "each item"
    assert "error" not in entries["trigger.manual"]["ui"]["handle_labels"]
    trigger_orders = [entries[name]["ui"]["order"] for name in
                      ("trigger.manual", "trigger.schedule", "trigger.webhook")]  # fmt: skip
    assert trigger_orders == sorted(trigger_orders)


async def test_the_workflow_schema_names_its_dialect_and_its_url(api: ApiHarness) -> None:
    schema = (await api.client.get("/schema/workflow")).json()
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"] == f"{api.url.rstrip('/')}/schema/workflow"
    jsonschema.Draft202012Validator.check_schema(schema)


REACT_FLOW_GRAPH: dict[str, Any] = {
    "nodes": [
        {"id": "start", "type": "flowNode", "position": {"x": 0, "y": 0},
         "data": {"type": "trigger.manual"}},
        {"id": "greet", "type": "flowNode", "position": {"x": 0, "y": 120},
         "data": {"type": "transform", "parameters": {"value": "Hello"}, "on_error": "fail"}},
        {"id": "note", "type": "note", "position": {"x": 40, "y": 300}, "width": 200,
         "height": 120, "data": {"text": "Ask Ana first"}},
        {"id": "g1", "type": "group", "position": {"x": 0, "y": 0}, "width": 600,
         "height": 300, "data": {"label": "Publishing"}},
    ],
    "edges": [{"id": "e1", "source": "start", "target": "greet", "sourceHandle": None}],
    "viewport": {"x": 0, "y": 0, "zoom": 1.5},
}  # fmt: skip


async def test_the_workflow_schema_describes_the_react_flow_form(api: ApiHarness) -> None:
    schema = (await api.client.get("/schema/workflow")).json()
    jsonschema.validate(GREETING_GRAPH, schema)
    jsonschema.validate(REACT_FLOW_GRAPH, schema)
    assert set(schema["$defs"]) >= {"GraphNode", "ReactFlowNode", "NoteNode", "GroupNode"}
    node = schema["$defs"]["ReactFlowNode"]
    assert node["properties"]["data"]["required"] == ["type"]
    bad_zoom = {**REACT_FLOW_GRAPH, "viewport": {"x": 0, "y": 0, "zoom": 0}}
    assert not jsonschema.Draft202012Validator(schema).is_valid(bad_zoom)


async def test_expression_roots_say_where_they_are_available(api: ApiHarness) -> None:
    body = (await api.client.get("/schema/expressions")).json()
    roots = {root["name"]: root for root in body["roots"]}
    assert list(roots) == [
        "trigger", "nodes", "vars", "run", "now", "item", "index", "error", "event",
    ]  # fmt: skip
    assert roots["item"]["available_in"] == ["loop_body"]
    assert roots["index"]["available_in"] == ["loop_body"]
    assert roots["event"]["available_in"] == ["wait_match"]
    assert roots["error"]["available_in"] == ["error_route"]
    assert roots["trigger"]["available_in"] == ["any"]
    assert all(root["description"] for root in roots.values())
    assert "len" in body["functions"]
