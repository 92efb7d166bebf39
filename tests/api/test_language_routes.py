"""The builder's contract over HTTP: schema, node catalog, expression reference, validation,
failure types."""

from __future__ import annotations

from typing import Any

import jsonschema

from tests.api.test_walking_skeleton import GREETING_GRAPH
from tests.conftest import ApiHarness
from tests.utils.factories import new_account, new_organization

CATALOG = {
    "trigger.manual", "trigger.schedule", "trigger.webhook", "trigger.poll",
    "if", "switch", "join", "delay", "wait_for_event", "approval", "loop", "set", "transform",
    "sub_workflow", "stop", "fail",
    "http.request", "x.post", "x.thread", "x.delete", "x.get_post", "x.me",
    "x.upload_media", "x.mentions", "x.user_posts", "x.search_recent",
    "instagram.publish", "instagram.insights", "instagram.list_comments",
    "instagram.reply_comment", "instagram.hide_comment", "instagram.delete_comment",
    "instagram.private_reply", "instagram.send_message", "ai.generate",
}  # fmt: skip


async def test_the_catalog_lists_every_node_type(api: ApiHarness) -> None:
    body = (await api.client.get("/node-types")).json()
    assert {entry["type"] for entry in body["data"]} == CATALOG
    assert body["count"] == len(CATALOG)


async def test_each_catalog_entry_has_a_usable_parameter_schema(api: ApiHarness) -> None:
    for entry in (await api.client.get("/node-types")).json()["data"]:
        jsonschema.Draft202012Validator.check_schema(entry["parameters_schema"])
        assert entry["title"]
        assert entry["description"]
        assert entry["kind"] in {"trigger", "control", "action"}


def by_type(entries: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {entry["type"]: entry for entry in entries}


async def test_the_catalog_says_handles_accounts_and_expression_fields(api: ApiHarness) -> None:
    entries = by_type((await api.client.get("/node-types")).json()["data"])
    assert entries["if"]["handles"] == ["true", "false"]
    assert entries["if"]["exclusive"] is True
    assert entries["if"]["expression_fields"] == ["condition"]
    assert entries["switch"]["handles_from_parameters"] is True
    assert entries["x.post"]["account"] == {"platform": "x", "required": True, "also": []}
    assert entries["http.request"]["account"] == {
        "platform": "http", "required": False, "also": ["x", "instagram"]
    }  # fmt: skip
    assert entries["transform"]["account"] is None


async def test_the_workflow_schema_accepts_the_walking_skeleton_graph(api: ApiHarness) -> None:
    schema = (await api.client.get("/schema/workflow")).json()
    jsonschema.validate(GREETING_GRAPH, schema)


async def test_the_expression_reference_lists_roots_and_functions(api: ApiHarness) -> None:
    body = (await api.client.get("/schema/expressions")).json()
    names = {root["name"] for root in body["roots"]}
    assert {"trigger", "nodes", "vars", "run", "now", "item", "event"} <= names
    assert "len" in body["functions"]


async def test_validating_a_good_graph_returns_its_plan_hash(api: ApiHarness) -> None:
    response = await api.client.post("/workflows/validate", json={"graph": GREETING_GRAPH})
    body = response.json()
    assert response.status_code == 200
    assert body["valid"] is True
    assert body["plan_hash"].startswith("sha256:")
    assert body["errors"] == []


async def test_validating_a_bad_graph_lists_every_error_and_stores_nothing(api: ApiHarness) -> None:
    graph = {"nodes": [{"id": "a", "type": "transform", "parameters": {"value": "{{ 1 + }}"}}]}
    body = (await api.client.post("/workflows/validate", json={"graph": graph})).json()
    assert body["valid"] is False
    assert {error["code"] for error in body["errors"]} == {"missing_trigger", "expression_syntax"}
    expression = next(e for e in body["errors"] if e["code"] == "expression_syntax")
    assert expression["path"] == ["graph", "nodes", 0, "parameters", "value"]
    assert expression["node_id"] == "a"


def post_graph(account_id: str) -> dict[str, Any]:
    return {
        "nodes": [
            {"id": "start", "type": "trigger.manual"},
            {
                "id": "post",
                "type": "x.post",
                "parameters": {"text": "hi"},
                "account_id": account_id,
            },
        ],
        "edges": [{"source": "start", "target": "post"}],
    }


async def test_an_account_of_the_callers_organization_is_accepted(api: ApiHarness) -> None:
    account = await new_account(api.settings, organization_id=api.organization_id, platform="x")
    response = await api.client.post("/workflows/validate", json={"graph": post_graph(account)})
    assert response.json()["valid"] is True


async def test_an_account_of_another_organization_is_refused(api: ApiHarness) -> None:
    other, _ = await new_organization(api.settings)
    account = await new_account(api.settings, organization_id=other, platform="x")
    response = await api.client.post("/workflows", json={"name": "p", "graph": post_graph(account)})
    assert response.status_code == 422
    assert [d["code"] for d in response.json()["error"]["details"]] == ["unknown_account"]


async def test_the_catalog_says_which_node_fields_apply(api: ApiHarness) -> None:
    entries = by_type((await api.client.get("/node-types")).json()["data"])
    assert entries["x.post"]["node_fields"] == [
        "name", "disabled", "on_error", "account_id", "retry", "timeout_seconds",
    ]  # fmt: skip
    assert entries["http.request"]["node_fields"][-2:] == ["retry", "timeout_seconds"]
    assert entries["sub_workflow"]["node_fields"] == [
        "name", "disabled", "on_error", "timeout_seconds",
    ]  # fmt: skip
    assert entries["delay"]["node_fields"] == ["name", "disabled", "on_error"]
    assert entries["trigger.manual"]["node_fields"] == ["name", "disabled"]


async def test_the_catalog_gives_each_action_its_default_time_limit(api: ApiHarness) -> None:
    entries = by_type((await api.client.get("/node-types")).json()["data"])
    assert entries["instagram.publish"]["default_timeout_seconds"] == 900
    assert entries["http.request"]["default_timeout_seconds"] == 60
    assert entries["x.post"]["default_timeout_seconds"] == 300
    assert entries["delay"]["default_timeout_seconds"] is None


async def test_the_failure_types_say_which_nodes_fail_with_them_and_what_actions_retry(
    api: ApiHarness,
) -> None:
    body = (await api.client.get("/failure-types")).json()
    entries = by_type(body["data"])
    assert body["count"] == len(entries)
    assert (entries["XRateLimited"]["retryable"], entries["XRateLimited"]["node_types"]) == (
        True, [
            "x.delete", "x.get_post", "x.me", "x.mentions", "x.post", "x.search_recent",
            "x.thread", "x.upload_media", "x.user_posts",
        ],
    )  # fmt: skip
    assert (entries["InvalidJson"]["retryable"], entries["InvalidJson"]["node_types"]) == (
        False, ["http.request"],
    )  # fmt: skip
    assert entries["TooManyItems"]["node_types"] == ["loop"]
    assert "http.request" in entries["InvalidParameters"]["node_types"]
    assert "trigger.manual" not in entries["InvalidParameters"]["node_types"]
    assert entries["AccountRevoked"]["meaning"].endswith("Connect the account again.")
