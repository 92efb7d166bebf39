"""Every problem the API reports can be acted on: one stable `code` from the documented list,
the place, and words of ours, not pydantic's prefixes or a raw regular expression (issue 11,
point 8)."""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from typing import Any

import httpx

from app.api.detail_codes import DETAIL_CODES, SEND_JSON
from app.catalog import CATALOG
from tests.conftest import ApiHarness

RAW_WORDING = re.compile(r"Value error, |Assertion failed, |should match pattern|\^\[|\]\{|\$'")


def details_of(response: httpx.Response) -> list[dict[str, Any]]:
    assert 400 <= response.status_code < 500, response.text
    details: list[dict[str, Any]] = response.json()["error"]["details"]
    assert details, response.text
    return details


def assert_actionable(details: list[dict[str, Any]]) -> None:
    for detail in details:
        assert detail.get("code") in DETAIL_CODES, detail
        assert isinstance(detail["path"], list), detail
        assert not RAW_WORDING.search(detail["message"]), detail


def graph(*nodes: dict[str, Any]) -> dict[str, Any]:
    chain = [{"id": "start", "type": "trigger.manual"}, *nodes]
    return {
        "nodes": chain,
        "edges": [{"source": a["id"], "target": b["id"]} for a, b in itertools.pairwise(chain)],
    }


async def test_a_form_body_is_told_to_send_json(api: ApiHarness) -> None:
    [detail] = details_of(await api.client.post("/workflows", data={"name": "x"}))
    assert (detail["code"], detail["message"], detail["path"]) == ("not_json", SEND_JSON, ["body"])


async def test_a_text_body_is_told_to_send_json(api: ApiHarness) -> None:
    response = await api.client.post(
        "/workflows", content=b"name=x", headers={"Content-Type": "text/plain"}
    )
    [detail] = details_of(response)
    assert (detail["code"], detail["message"]) == ("not_json", SEND_JSON)


async def test_a_body_that_does_not_parse_is_told_where(api: ApiHarness) -> None:
    response = await api.client.post(
        "/workflows",
        content=b'{"name": "x",\n "graph": {',
        headers={"Content-Type": "application/json"},
    )
    [detail] = details_of(response)
    assert detail["code"] == "not_json"
    assert "line 2, column" in detail["message"]


async def test_a_bad_page_token_has_a_code(api: ApiHarness) -> None:
    [detail] = details_of(await api.client.get("/runs", params={"page_token": "garbage"}))
    assert (detail["code"], detail["path"]) == ("invalid_page_token", ["query", "page_token"])


async def test_a_workflow_id_error_says_what_an_id_looks_like(api: ApiHarness) -> None:
    called = {"id": "call", "type": "sub_workflow", "parameters": {"workflow_id": "nope"}}
    response = await api.client.post("/workflows/validate", json={"graph": graph(called)})
    [detail] = response.json()["errors"]
    assert detail["path"] == ["graph", "nodes", 1, "parameters", "workflow_id"]
    assert detail["message"].startswith("must be a workflow id: wf_")


async def test_a_bad_node_id_says_what_a_node_id_looks_like(api: ApiHarness) -> None:
    document = graph({"id": "-bad", "type": "transform", "parameters": {"value": 1}})
    response = await api.client.post("/workflows/validate", json={"graph": document})
    details = response.json()["errors"]
    assert_actionable(details)
    assert any(detail["message"].startswith("must be a node id") for detail in details)


async def test_a_validator_message_has_no_pydantic_prefix(api: ApiHarness) -> None:
    wait = {"id": "wait", "type": "delay", "parameters": {"until": "tomorrow"}}
    response = await api.client.post("/workflows/validate", json={"graph": graph(wait)})
    [detail] = response.json()["errors"]
    assert_actionable([detail])
    assert detail["message"].startswith("not an ISO 8601 timestamp"), detail


async def test_a_query_of_the_wrong_type_has_a_code_of_ours(api: ApiHarness) -> None:
    [detail] = details_of(await api.client.get("/runs", params={"page_size": "many"}))
    assert (detail["code"], detail["path"]) == ("wrong_type", ["query", "page_size"])


BAD_VALUES: tuple[Any, ...] = ({"not": ["expected"]}, -1, "", "{{ trigger", "x" * 20_000)


def bad_parameters() -> Iterator[tuple[str, dict[str, Any]]]:
    """Each field of each node type's parameters, with values no field takes all of."""
    for node_type in CATALOG.all_types():
        properties = node_type.parameters.model_json_schema().get("properties", {})
        for name in properties:
            for value in BAD_VALUES:
                yield node_type.type, {name: value}


async def test_every_field_of_the_catalog_refuses_bad_values_in_words_of_ours(
    api: ApiHarness,
) -> None:
    checked = 0
    for node_type, parameters in bad_parameters():
        node: dict[str, Any] = {"id": "probe", "type": node_type, "parameters": parameters}
        if node_type.startswith("trigger."):
            document = {"nodes": [node], "edges": []}
        else:
            document = graph(node)
        response = await api.client.post("/workflows/validate", json={"graph": document})
        assert response.status_code == 200, response.text
        details = response.json()["errors"]
        assert_actionable(details)
        checked += len(details)
    assert checked > 100  # the search found problems to read, not an empty list
