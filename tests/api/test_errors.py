"""Every error, whatever raised it, has one JSON shape: `{"error": {type, message, details}}`."""

from __future__ import annotations

import httpx

from tests.conftest import ApiHarness
from tests.utils.servers import http_client


def assert_error_shape(response: httpx.Response, status: int, type_: str) -> dict[str, object]:
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert set(error) == {"type", "message", "details"}
    assert error["type"] == type_
    assert isinstance(error["message"], str)
    assert error["message"]
    return error  # type: ignore[no-any-return]


async def test_an_unknown_route_is_a_json_404(api: ApiHarness) -> None:
    assert_error_shape(await api.client.get("/nowhere"), 404, "not_found")


async def test_a_missing_api_key_is_a_401_with_a_bearer_challenge(api: ApiHarness) -> None:
    async with http_client(base_url=api.url) as anonymous:
        response = await anonymous.get("/workflows/wf_x")
    assert_error_shape(response, 401, "unauthenticated")
    assert response.headers["www-authenticate"] == "Bearer"


async def test_a_wrong_api_key_is_a_401(api: ApiHarness) -> None:
    response = await api.client.get(
        "/workflows/wf_x", headers={"Authorization": "Bearer fh_not-a-key"}
    )
    assert_error_shape(response, 401, "unauthenticated")


async def test_a_malformed_body_names_the_field(api: ApiHarness) -> None:
    response = await api.client.post("/workflows", json={"graph": {"nodes": []}})
    error = assert_error_shape(response, 422, "invalid_input")
    assert {"path": ["body", "name"], "message": "Field required", "code": "missing"} in error[
        "details"
    ]  # type: ignore[operator]


async def test_a_body_that_is_not_json_is_a_422(api: ApiHarness) -> None:
    response = await api.client.post(
        "/workflows", content=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert_error_shape(response, 422, "invalid_input")


async def test_an_invalid_graph_is_a_422_naming_node_and_field_and_stores_nothing(
    api: ApiHarness,
) -> None:
    graph = {
        "nodes": [
            {"id": "start", "type": "trigger.manual"},
            {"id": "call", "type": "http.request", "parameters": {"method": "FETCH"}},
            {"id": "odd", "type": "no.such.type"},
        ],
        "edges": [{"source": "start", "target": "ghost"}],
    }
    response = await api.client.post("/workflows", json={"name": "bad", "graph": graph})
    error = assert_error_shape(response, 422, "invalid_input")
    details = error["details"]
    assert isinstance(details, list)
    by_code = {(d["code"], d.get("node_id")): d for d in details}
    assert by_code[("unknown_node_type", "odd")]["path"] == ["graph", "nodes", 2, "type"]
    assert ("invalid_parameter", "call") in by_code
    assert by_code[("dangling_edge", "start")]["path"] == ["graph", "edges", 0, "target"]


async def test_an_unknown_workflow_is_a_404(api: ApiHarness) -> None:
    assert_error_shape(await api.client.get("/workflows/wf_missing"), 404, "not_found")


async def test_the_openapi_document_and_docs_page_are_served(api: ApiHarness) -> None:
    async with http_client(base_url=api.url) as anonymous:
        schema = (await anonymous.get("/openapi.json")).json()
        docs = await anonymous.get("/docs")
    assert docs.status_code == 200
    operation_ids = {
        operation["operationId"] for path in schema["paths"].values() for operation in path.values()
    }
    assert {"health", "create_workflow", "get_workflow", "start_run", "get_run"} <= operation_ids
