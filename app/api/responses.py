"""The error responses each route documents, in the one error format of `app.api.errors`."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class ErrorDetailPublic(BaseModel):
    path: list[str | int] = Field(
        description="Where the problem is: `body`, `query`, `path` or `header`, then field names."
    )
    message: str
    node_id: str | None = Field(default=None, description="The workflow node, if any.")
    edge_id: str | int | None = Field(
        default=None,
        description="The workflow edge, if any: its `id`, or its index in `edges` without one.",
    )
    code: str | None = Field(default=None, description="Stable machine-readable kind.")


class ErrorBody(BaseModel):
    type: str = Field(description="Stable kind: `invalid_input`, `not_found`, `conflict`, ...")
    message: str
    details: list[ErrorDetailPublic]


class ErrorResponse(BaseModel):
    """Every error the API answers has this shape."""

    error: ErrorBody


_ERRORS: dict[int, tuple[str, str, str, list[dict[str, Any]]]] = {
    400: ("Malformed request.", "bad_request", "the request cannot be read", []),
    401: (
        "Missing, invalid or revoked API key (or webhook signature).",
        "unauthenticated",
        "missing API key: send 'Authorization: Bearer <key>'",
        [],
    ),
    403: (
        "The API key's scope does not allow this.",
        "forbidden",
        "this API key's scope is 'read': this needs a key of scope 'write'",
        [],
    ),
    404: (
        "No such resource in the caller's organization.",
        "not_found",
        "workflow 'wf_0123' not found",
        [],
    ),
    409: (
        "The resource is not in a state that allows this.",
        "conflict",
        "run 'run_0123' has already ended",
        [],
    ),
    413: ("The body is larger than allowed.", "too_large", "the body exceeds 1048576 bytes", []),
    422: (
        "The input is not valid; `details` names every field at fault.",
        "invalid_input",
        "the request is not valid",
        [{"path": ["body", "name"], "message": "Field required", "code": "missing"}],
    ),
    429: (
        "Too many failed attempts from this address; `Retry-After` says when to try again.",
        "too_many_requests",
        "too many failed authentications from this address: try again in 42 s",
        [],
    ),
    503: (
        "Temporal or the database does not answer; retry later.",
        "service_unavailable",
        "Temporal is not reachable at 127.0.0.1:7233",
        [],
    ),
}


def errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` for these status codes, each with a copyable example."""
    responses: dict[int | str, dict[str, Any]] = {}
    for code in codes:
        description, type_, message, details = _ERRORS[code]
        responses[code] = {
            "model": ErrorResponse,
            "description": description,
            "content": {
                "application/json": {
                    "example": {"error": {"type": type_, "message": message, "details": details}}
                }
            },
        }
    return responses


AUTHENTICATED = errors(401, 422, 429)
"""What any route behind an API key may answer."""
WRITES = errors(401, 403, 422)
"""What any route that changes something may answer."""
