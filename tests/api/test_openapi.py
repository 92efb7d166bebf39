"""The OpenAPI document is complete enough to write a builder against it alone."""

from __future__ import annotations

import re
from typing import Any

import pytest

from app.api.main import create_app
from app.settings import Settings

OPERATION_ID = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)*$")
HTTP_METHODS = {"get", "post", "put", "patch", "delete"}
READS_WITH_A_BODY = {"/workflows/validate", "/expressions/preview"}
"""POSTs that only read: a read-only key may call them."""


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    schema: dict[str, Any] = create_app(Settings(environment="test")).openapi()
    return schema


def operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (path, method, operation)
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if method in HTTP_METHODS
    ]


def has_example(value: Any, components: dict[str, Any], seen: frozenset[str] = frozenset()) -> bool:
    """Whether a schema (following $refs) or media type carries an example anywhere."""
    if isinstance(value, dict):
        if "example" in value or "examples" in value:
            return True
        ref = value.get("$ref")
        if isinstance(ref, str) and ref not in seen:
            target = components[ref.rsplit("/", 1)[1]]
            return has_example(target, components, seen | {ref})
        return any(has_example(item, components, seen) for item in value.values())
    if isinstance(value, list):
        return any(has_example(item, components, seen) for item in value)
    return False


def test_every_operation_has_a_stable_unique_operation_id(document: dict[str, Any]) -> None:
    ids = [operation.get("operationId", "") for _, _, operation in operations(document)]
    assert all(OPERATION_ID.match(operation_id) for operation_id in ids), ids
    assert len(ids) == len(set(ids))


def test_every_operation_has_a_summary_and_a_description(document: dict[str, Any]) -> None:
    for path, method, operation in operations(document):
        assert operation.get("summary"), (method, path)
        assert operation.get("description"), (method, path)


def test_every_operation_that_takes_input_documents_its_errors(document: dict[str, Any]) -> None:
    for path, method, operation in operations(document):
        errors = {code for code in operation["responses"] if code[0] in "45"}
        assert errors, (method, path)
        for code in errors:
            content = operation["responses"][code].get("content", {})
            assert "application/json" in content, (method, path, code)
        if operation.get("security"):
            assert {"401", "422"} <= errors, (method, path)
        if "{" in path and operation.get("security"):
            assert "404" in errors, (method, path)


def test_every_write_documents_the_read_only_refusal(document: dict[str, Any]) -> None:
    for path, method, operation in operations(document):
        # An API key's writes; the codec endpoint takes the operator's codec token instead.
        keyed = any("HTTPBearer" in scheme for scheme in operation.get("security", []))
        if keyed and method != "get" and path not in READS_WITH_A_BODY:
            assert "403" in operation["responses"], (method, path)


def test_every_request_body_has_a_copyable_example(document: dict[str, Any]) -> None:
    components = document["components"]["schemas"]
    for path, method, operation in operations(document):
        body = operation.get("requestBody")
        if body is None:
            continue
        assert has_example(body["content"]["application/json"], components), (method, path)


def test_every_route_but_health_and_webhook_deliveries_needs_a_key(
    document: dict[str, Any],
) -> None:
    public = {
        operation["operationId"]
        for _, _, operation in operations(document)
        if not operation.get("security")
    }
    assert public == {
        "health",
        "finish_x_authorization",
        "decide_with_approval_link",
        "deliver_webhook_get",
        "deliver_webhook_post",
        "deliver_webhook_put",
        "deliver_webhook_patch",
    }


def test_the_run_stream_is_documented_as_server_sent_events(document: dict[str, Any]) -> None:
    stream = document["paths"]["/runs/{run_id}/stream"]["get"]
    assert "text/event-stream" in stream["responses"]["200"]["content"]
