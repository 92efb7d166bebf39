"""X's error bodies (RFC 7807 problem JSON as X sends it) and the exception that carries one,
with the rate-limit headers, to the app's handler."""

from __future__ import annotations

from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

from fastapi.responses import JSONResponse

PROBLEMS = "https://api.x.com/2/problems/"
PROBLEM_JSON = "application/problem+json"


def about_blank(status: int, detail: str | None = None, title: str | None = None) -> dict[str, Any]:
    """The untyped problem X sends for 401, 403 and 429 (specs/README.md)."""
    phrase = HTTPStatus(status).phrase
    return {
        "title": title or phrase,
        "type": "about:blank",
        "status": status,
        "detail": detail or phrase,
    }


UNAUTHORIZED = about_blank(401)
TOO_MANY_REQUESTS = about_blank(429)
DUPLICATE_CONTENT = about_blank(
    403, "You are not allowed to create a Tweet with duplicate content."
)


def invalid_request(
    message: str, parameters: Mapping[str, list[str]] | None = None
) -> dict[str, Any]:
    """400 for a request X cannot accept, naming the parameter when there is one."""
    error: dict[str, Any] = {"message": message}
    if parameters:
        error = {"parameters": dict(parameters), "message": message}
    return {
        "errors": [error],
        "title": "Invalid Request",
        "detail": "One or more parameters to your request was invalid.",
        "type": f"{PROBLEMS}invalid-request",
    }


def not_found(resource_type: str, parameter: str, value: str) -> dict[str, Any]:
    """The resource-not-found problem, as a lookup's `errors` item or a 404 body."""
    return {
        "value": value,
        "detail": f"Could not find {resource_type} with {parameter}: [{value}].",
        "title": "Not Found Error",
        "resource_type": resource_type,
        "parameter": parameter,
        "resource_id": value,
        "type": f"{PROBLEMS}resource-not-found",
    }


class XProblem(Exception):
    """An X error answer: status, problem body and the headers to send with it."""

    def __init__(
        self, status: int, body: Mapping[str, Any], headers: Mapping[str, str] | None = None
    ) -> None:
        super().__init__(f"{status} {body.get('title', '')}: {body.get('detail', '')}")
        self.status = status
        self.body = dict(body)
        self.headers = dict(headers or {})

    def response(self) -> JSONResponse:
        return JSONResponse(
            self.body, status_code=self.status, headers=self.headers, media_type=PROBLEM_JSON
        )


def default_body(status: int) -> dict[str, Any]:
    """What X sends for a status when a queued failure names no body."""
    if status == 400:
        return invalid_request("The request was invalid.")
    return about_blank(status)
