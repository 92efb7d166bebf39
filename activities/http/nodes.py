"""The `http.request` node type: its parameters, palette entry and output."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import timedelta
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field, field_validator

from activities.base import action_node_type, duration_plus
from app.language.node_type import Parameters
from app.language.parameter_validators import (
    Problems,
    field_errors,
    max_length_unless_templated,
    problem,
    url_unless_templated,
)

MAX_URL_LENGTH = 8192
MAX_RESPONSE_BYTES = 1_000_000
MAX_RESPONSE_LIMIT = 10_000_000
_TOKEN = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")
"""An HTTP token (RFC 9110, section 5.6.2): what a header name may be made of."""
_FORBIDDEN_HEADERS = frozenset({"host", "content-length", "transfer-encoding"})
"""Headers httpx derives from the URL and the body; a user value would corrupt the framing."""

HttpUrl = Annotated[
    str,
    Field(min_length=1),
    max_length_unless_templated(MAX_URL_LENGTH),
    url_unless_templated(("http", "https")),
]


def _no_line_breaks(value: str) -> str:
    if any(char in value for char in "\r\n\0"):
        raise problem("must not contain line breaks or NUL characters")
    return value


HeaderValue = Annotated[str, Field(max_length=MAX_URL_LENGTH), AfterValidator(_no_line_breaks)]


class NoBody(Parameters):
    """No request body."""

    type: Literal["none"] = Field(default="none", description="Send no body.")


class JsonBody(Parameters):
    """A JSON request body, sent with `Content-Type: application/json`."""

    type: Literal["json"] = Field(description="Send `json` encoded as JSON.")
    payload: Any = Field(
        alias="json",
        description="Any JSON value; strings inside it may hold templates.",
        json_schema_extra={"examples": [{"name": "{{ trigger.name }}", "tags": ["a", "b"]}]},
    )


class FormBody(Parameters):
    """A form body, sent as `application/x-www-form-urlencoded`."""

    type: Literal["form"] = Field(description="Send `form` URL-encoded.")
    form: dict[str, str] = Field(
        description="Form fields, name to value.",
        json_schema_extra={"examples": [{"grant_type": "client_credentials"}]},
    )


class RawBody(Parameters):
    """Text sent as it is, with the given content type."""

    type: Literal["raw"] = Field(description="Send `raw` as it is.")
    raw: str = Field(description="The body text.", json_schema_extra={"examples": ["<ping/>"]})
    content_type: HeaderValue = Field(
        default="text/plain; charset=utf-8",
        min_length=1,
        description="The Content-Type header sent with the body (a `Content-Type` in `headers` "
        "takes precedence).",
        json_schema_extra={"examples": ["application/xml", "text/csv"]},
    )


HttpBody = Annotated[NoBody | JsonBody | FormBody | RawBody, Field(discriminator="type")]


class HttpRequestParameters(Parameters):
    """Parameters of the `http.request` node."""

    method: Literal["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"] = Field(
        default="GET",
        description="The HTTP method. POST, PUT, PATCH and DELETE carry an `Idempotency-Key` "
        "header that is the same on every retry of this step, so an API that honours it "
        "applies the request once; an `Idempotency-Key` in `headers` replaces ours.",
    )
    url: HttpUrl = Field(
        description=f"An absolute http or https URL, at most {MAX_URL_LENGTH} characters.",
        json_schema_extra={"examples": ["https://api.example.com/items/{{ trigger.id }}"]},
    )
    query: dict[str, str] = Field(
        default_factory=dict,
        description="Query parameters added to the URL's own query, name to value (encoded "
        "for you); each replaces the URL's parameters of the same name.",
        json_schema_extra={"examples": [{"page": "1", "q": "{{ trigger.search }}"}]},
    )
    headers: dict[str, HeaderValue] = Field(
        default_factory=dict,
        description="Request headers, name to value. `Host`, `Content-Length` and "
        "`Transfer-Encoding` are set from the URL and the body and cannot be given.",
        json_schema_extra={"examples": [{"Accept": "application/json"}]},
    )
    body: HttpBody = Field(
        default_factory=NoBody,
        description="The request body: `none`, `json`, `form` or `raw`.",
        json_schema_extra={"examples": [{"type": "json", "json": {"hello": "world"}}]},
    )
    timeout: timedelta = Field(
        default=timedelta(seconds=30),
        gt=timedelta(0),
        le=timedelta(minutes=5),
        description="How long the whole request may take, at most 5 minutes (ISO 8601 "
        "duration such as `PT30S`, or seconds).",
        json_schema_extra={"examples": ["PT30S", "PT2M"]},
    )
    follow_redirects: bool = Field(default=True, description="Follow 3xx redirects.")
    max_redirects: int = Field(
        default=5, ge=0, le=20, description="How many redirects to follow at most (0 to 20)."
    )
    response_format: Literal["auto", "json", "text"] = Field(
        default="auto",
        description="How to read the response body: `json` parses it, `text` keeps it as text, "
        "`auto` parses it when the response says it is JSON.",
    )
    max_response_bytes: int = Field(
        default=MAX_RESPONSE_BYTES,
        ge=1,
        le=MAX_RESPONSE_LIMIT,
        description="Fail when the response body is larger than this (at most 10 MB), so a "
        "large answer cannot bloat the run's history.",
    )
    fail_on_status: bool = Field(
        default=True,
        description="Fail the node on a 4xx or 5xx status (429 and 5xx are retried first). "
        "When false, every status is returned as output.",
    )

    @field_validator("headers")
    @classmethod
    def _check_header_names(cls, headers: dict[str, str]) -> dict[str, str]:
        problems: Problems = []
        for name in headers:
            # No input value: names are never rendered, so a templated name is wrong too.
            if not _TOKEN.fullmatch(name):
                problems.append(((name,), "is not a valid header name", None))
            elif name.lower() in _FORBIDDEN_HEADERS:
                problems.append(((name,), f"{name} is set automatically and cannot be given", None))
        if problems:
            raise field_errors(cls, problems)
        return headers


_OUTPUT: Mapping[str, Any] = {
    "type": "object",
    "properties": {
        "status": {"type": "integer", "description": "The HTTP status code."},
        "headers": {
            "type": "object",
            "additionalProperties": {"type": "string"},
            "description": "Response headers, lower-case names; repeated headers joined by ', '.",
        },
        "body": {
            "description": "The parsed JSON value, the text, or null for an empty body.",
        },
    },
    "required": ["status", "headers", "body"],
}

NODE_TYPES = (
    action_node_type(
        "http",
        "http.request",
        "HTTP request",
        "Call any HTTP API and use its status, headers and body in later steps. A timeout, "
        "429 or 5xx is retried; POST, PUT, PATCH and DELETE send an `Idempotency-Key` header, "
        "the same on every retry of the step, so an API that honours it applies them once. "
        "An HTTP account adds its credential; a connected X or Instagram account adds its "
        "current token, sent only to that platform's own API.",
        HttpRequestParameters,
        _OUTPUT,
        # Public APIs need no credentials; a connected account only adds them.
        account_required=False,
        # Their tokens go only to their own API (`activities.http.platform_tokens`).
        other_accounts=("x", "instagram"),
        # One request, 30 s by default: a minute, or the request's own timeout and a margin,
        # so a stuck attempt is retried long before the engine's five minutes.
        default_timeout=timedelta(minutes=1),
        timeout_needed=duration_plus("timeout", timedelta(seconds=15)),
    ),
)
