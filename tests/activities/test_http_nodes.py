"""The `http.request` node's parameters (its activity: tests/activities/test_http_request.py)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from pydantic import ValidationError

from activities.http.nodes import NODE_TYPES, HttpRequestParameters
from tests.utils.parameters import locs


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
