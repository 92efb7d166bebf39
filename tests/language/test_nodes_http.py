"""The `http.request` node: its parameters, and its activity against a real local HTTP server."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qsl

import pytest
from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse, RedirectResponse
from pydantic import ValidationError
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities.base import ActionInput
from activities.http import NODE_TYPES, HttpRequestParameters, http_request
from tests.utils.parameters import locs
from tests.utils.servers import serve


def error_locs(data: dict[str, Any]) -> list[tuple[str | int, ...]]:
    return locs(HttpRequestParameters, data)


URL = "https://api.example.com/items"


# Parameters


def test_http_node_is_an_action_with_an_optional_account() -> None:
    (node,) = NODE_TYPES
    assert (node.type, node.kind, node.category) == ("http.request", "action", "http")
    assert (node.activity, node.account, node.account_required) == ("http.request", "http", False)
    assert node.output["required"] == ["status", "headers", "body"]


def test_minimal_is_a_url_fetched_with_get() -> None:
    params = HttpRequestParameters.model_validate({"url": URL})
    assert (params.method, params.body.type, params.timeout) == (
        "GET",
        "none",
        timedelta(seconds=30),
    )
    assert (params.follow_redirects, params.max_redirects) == (True, 5)
    assert (params.response_format, params.max_response_bytes) == ("auto", 1_000_000)
    assert params.fail_on_status is True


def test_full() -> None:
    params = HttpRequestParameters.model_validate(
        {
            "method": "OPTIONS",
            "url": "http://localhost:8080/{{ vars.path }}",
            "query": {"page": "2"},
            "headers": {"Accept": "application/json", "X-Request-Id": "{{ run.id }}"},
            "body": {"type": "raw", "raw": "<a/>", "content_type": "application/xml"},
            "timeout": "PT5M",
            "follow_redirects": False,
            "max_redirects": 0,
            "response_format": "text",
            "max_response_bytes": 10_000_000,
            "fail_on_status": False,
        }
    )
    assert params.timeout == timedelta(minutes=5)


@pytest.mark.parametrize(
    "body",
    [
        {"type": "none"},
        {"type": "json", "json": None},
        {"type": "json", "json": [1, {"a": "{{ trigger.a }}"}]},
        {"type": "form", "form": {"a": "1"}},
        {"type": "raw", "raw": ""},
    ],
)
def test_body_modes(body: dict[str, Any]) -> None:
    assert (
        HttpRequestParameters.model_validate({"url": URL, "body": body}).body.type == body["type"]
    )


@pytest.mark.parametrize("url", ["ftp://example.com/a", "file:///etc/passwd", "example.com/a"])
def test_url_must_be_absolute_http_or_https(url: str) -> None:
    assert error_locs({"url": url}) == [("url",)]


def test_url_longer_than_8192_characters_is_refused() -> None:
    assert error_locs({"url": URL + "?q=" + "x" * 8192}) == [("url",)]


def test_templated_url_is_checked_at_run_time() -> None:
    HttpRequestParameters.model_validate({"url": "{{ vars.base }}/" + "x" * 9000})


def test_url_is_required() -> None:
    assert error_locs({}) == [("url",)]


def test_unknown_method_is_refused() -> None:
    assert error_locs({"url": URL, "method": "TRACE"}) == [("method",)]


@pytest.mark.parametrize("name", ["Host", "content-length", "Transfer-Encoding"])
def test_headers_set_by_the_client_cannot_be_given(name: str) -> None:
    assert error_locs({"url": URL, "headers": {name: "1"}}) == [("headers", name)]


@pytest.mark.parametrize("name", ["Bad Header", "X-A:", "", "{{ vars.name }}"])
def test_header_names_must_be_http_tokens(name: str) -> None:
    assert error_locs({"url": URL, "headers": {name: "1"}}) == [("headers", name)]


def test_templated_header_name_is_refused_because_names_are_never_rendered() -> None:
    with pytest.raises(ValidationError) as caught:
        HttpRequestParameters.model_validate({"url": URL, "headers": {"{{ a }}": "1"}})
    (problem,) = caught.value.errors()
    # Workflow validation drops errors whose input is a template; this one must survive.
    assert problem["input"] is None


def test_header_values_cannot_hold_line_breaks() -> None:
    assert error_locs({"url": URL, "headers": {"X-A": "a\r\nHost: evil"}}) == [("headers", "X-A")]


def test_unknown_body_type_is_refused() -> None:
    assert error_locs({"url": URL, "body": {"type": "xml", "raw": "<a/>"}}) == [("body",)]


def test_json_body_needs_its_value() -> None:
    assert error_locs({"url": URL, "body": {"type": "json"}}) == [("body", "json", "json")]


def test_form_values_must_be_text() -> None:
    assert error_locs({"url": URL, "body": {"type": "form", "form": {"a": [1]}}}) == [
        ("body", "form", "form", "a")
    ]


def test_body_fields_of_another_mode_are_refused() -> None:
    assert error_locs({"url": URL, "body": {"type": "none", "json": {}}}) == [
        ("body", "none", "json")
    ]


@pytest.mark.parametrize("timeout", [0, "PT5M1S", -1])
def test_timeout_is_positive_and_at_most_five_minutes(timeout: object) -> None:
    assert error_locs({"url": URL, "timeout": timeout}) == [("timeout",)]


@pytest.mark.parametrize("count", [-1, 21])
def test_max_redirects_is_zero_to_twenty(count: int) -> None:
    assert error_locs({"url": URL, "max_redirects": count}) == [("max_redirects",)]


@pytest.mark.parametrize("size", [0, 10_000_001])
def test_max_response_bytes_is_at_most_ten_megabytes(size: int) -> None:
    assert error_locs({"url": URL, "max_response_bytes": size}) == [("max_response_bytes",)]


def test_unknown_response_format_is_refused() -> None:
    assert error_locs({"url": URL, "response_format": "xml"}) == [("response_format",)]


# The activity, against a real server


def _app() -> FastAPI:
    app = FastAPI()

    @app.post("/json")
    async def echo_json(request: Request) -> dict[str, Any]:
        return {"received": await request.json(), "content_type": request.headers["content-type"]}

    @app.post("/form")
    async def echo_form(request: Request) -> dict[str, Any]:
        return {
            "received": dict(parse_qsl((await request.body()).decode())),
            "content_type": request.headers["content-type"],
        }

    @app.post("/raw")
    async def echo_raw(request: Request) -> dict[str, Any]:
        return {
            "received": (await request.body()).decode(),
            "content_type": request.headers["content-type"],
        }

    @app.get("/missing")
    async def missing() -> Response:
        return JSONResponse({"detail": "no such item"}, status_code=404)

    @app.get("/busy")
    async def busy() -> Response:
        return Response("try later", status_code=503, headers={"Retry-After": "7"})

    @app.get("/text")
    async def text(request: Request) -> Response:
        return Response(f"q={request.query_params['q']}", media_type="text/plain")

    @app.get("/big")
    async def big() -> Response:
        return Response(b"x" * 2000, media_type="application/octet-stream")

    @app.get("/moved")
    async def moved() -> Response:
        return RedirectResponse("/text?q=moved", status_code=302)

    return app


@pytest.fixture(scope="module")
async def server() -> AsyncIterator[str]:
    async with serve(_app()) as base_url:
        yield base_url


async def run(**parameters: Any) -> dict[str, Any]:
    action = ActionInput(
        node_id="call",
        node_type="http.request",
        parameters=parameters,
        organization_id="org",
        idempotency_key="run/call/0",
    )
    result: dict[str, Any] = await ActivityEnvironment().run(http_request, action)
    return result


async def test_json_body_round_trip(server: str) -> None:
    payload = {"name": "Ada", "tags": ["a", "b"], "n": 1.5, "ok": True, "none": None}
    result = await run(method="POST", url=f"{server}/json", body={"type": "json", "json": payload})
    assert result["status"] == 200
    assert result["headers"]["content-type"] == "application/json"
    assert result["body"] == {"received": payload, "content_type": "application/json"}


async def test_form_body_is_sent_url_encoded(server: str) -> None:
    form = {"grant_type": "client_credentials", "scope": "a b&c"}
    result = await run(method="POST", url=f"{server}/form", body={"type": "form", "form": form})
    assert result["body"] == {
        "received": form,
        "content_type": "application/x-www-form-urlencoded",
    }


async def test_raw_body_is_sent_as_is_with_its_content_type(server: str) -> None:
    body = {"type": "raw", "raw": "<ping/>", "content_type": "application/xml"}
    result = await run(method="POST", url=f"{server}/raw", body=body)
    assert result["body"] == {"received": "<ping/>", "content_type": "application/xml"}


async def test_query_is_added_and_text_is_returned_as_text(server: str) -> None:
    result = await run(url=f"{server}/text", query={"q": "a b"})
    assert result["body"] == "q=a b"


async def test_redirects_are_followed(server: str) -> None:
    assert (await run(url=f"{server}/moved"))["body"] == "q=moved"


async def test_too_many_redirects_fail_without_retry(server: str) -> None:
    with pytest.raises(ApplicationError) as caught:
        await run(url=f"{server}/moved", max_redirects=0)
    assert caught.value.non_retryable


async def test_client_error_fails_without_retry(server: str) -> None:
    with pytest.raises(ApplicationError) as caught:
        await run(url=f"{server}/missing")
    assert caught.value.non_retryable
    assert caught.value.type == "HTTP404"


async def test_unavailable_retries_after_the_servers_delay(server: str) -> None:
    with pytest.raises(ApplicationError) as caught:
        await run(url=f"{server}/busy")
    assert not caught.value.non_retryable
    assert caught.value.next_retry_delay == timedelta(seconds=7)


async def test_error_status_is_output_when_fail_on_status_is_false(server: str) -> None:
    result = await run(url=f"{server}/missing", fail_on_status=False)
    assert (result["status"], result["body"]) == (404, {"detail": "no such item"})


async def test_response_larger_than_the_limit_fails_without_retry(server: str) -> None:
    with pytest.raises(ApplicationError) as caught:
        await run(url=f"{server}/big", max_response_bytes=1000)
    assert (caught.value.type, caught.value.non_retryable) == ("ResponseTooLarge", True)


async def test_json_format_refuses_a_body_that_is_not_json(server: str) -> None:
    with pytest.raises(ApplicationError) as caught:
        await run(url=f"{server}/text", query={"q": "1"}, response_format="json")
    assert (caught.value.type, caught.value.non_retryable) == ("InvalidJson", True)


async def test_rendered_parameters_are_checked_before_sending() -> None:
    with pytest.raises(ApplicationError) as caught:
        await run(url="ftp://example.com/file")
    assert (caught.value.type, caught.value.non_retryable) == ("InvalidParameters", True)
