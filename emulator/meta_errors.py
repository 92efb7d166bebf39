"""Meta's Graph API error body, `{"error": {"message", "type", "code", "error_subcode",
"fbtrace_id"}}`, the exception that carries it, and the errors the emulator sends."""

from __future__ import annotations

import json
import secrets
from collections.abc import Mapping
from typing import Any

from fastapi.responses import JSONResponse

# Codes the engine must tell apart (specs/README.md).
UNKNOWN = 1
"""Transient: an unknown error occurred."""
SERVICE_UNAVAILABLE = 2
"""Transient: service temporarily unavailable."""
APP_LIMIT = 4
USER_LIMIT = 17
PAGE_LIMIT = 32
INVALID_PARAMETER = 100
ACCESS_TOKEN = 190
API_RATE_LIMIT = 613
PUBLISH_NOT_READY = 9007
INSTAGRAM_ACCOUNT_LIMIT = 80002
THROTTLING = {
    APP_LIMIT: "(#4) Application request limit reached",
    USER_LIMIT: "(#17) User request limit reached",
    PAGE_LIMIT: "(#32) Page request limit reached",
    API_RATE_LIMIT: "(#613) Calls to this api have exceeded the rate limit.",
    INSTAGRAM_ACCOUNT_LIMIT: "There have been too many calls to this Instagram account. "
    "Wait a bit and try again.",
}
"""Meta's throttling codes and their messages."""


def error_body(
    code: int,
    message: str,
    *,
    subcode: int | None = None,
    error_type: str = "OAuthException",
    transient: bool | None = None,
    user_title: str | None = None,
) -> dict[str, Any]:
    error: dict[str, Any] = {"message": message, "type": error_type, "code": code}
    if subcode is not None:
        error["error_subcode"] = subcode
    if transient is not None:
        error["is_transient"] = transient
    if user_title is not None:
        error["error_user_title"] = user_title
    error["fbtrace_id"] = "A" + secrets.token_urlsafe(15)
    return {"error": error}


class MetaError(Exception):
    """A Graph API error answer: HTTP status, error body and headers."""

    def __init__(
        self, status: int, body: Mapping[str, Any], headers: Mapping[str, str] | None = None
    ) -> None:
        super().__init__(f"{status} {body['error']['code']}: {body['error']['message']}")
        self.status = status
        self.body = dict(body)
        self.headers = dict(headers or {})

    def response(self) -> JSONResponse:
        return JSONResponse(self.body, status_code=self.status, headers=self.headers)


def invalid_parameter(message: str, subcode: int | None = None) -> MetaError:
    return MetaError(400, error_body(INVALID_PARAMETER, f"(#100) {message}", subcode=subcode))


def unknown_object(node_id: str, method: str = "get") -> MetaError:
    """What Meta answers for an id that does not exist or that the token may not see."""
    message = (
        f"Unsupported {method} request. Object with ID '{node_id}' does not exist, cannot be "
        "loaded due to missing permissions, or does not support this operation."
    )
    return MetaError(
        400, error_body(INVALID_PARAMETER, message, subcode=33, error_type="GraphMethodException")
    )


def bad_token(message: str, subcode: int | None = None) -> MetaError:
    headers = {"WWW-Authenticate": f'OAuth "Facebook Platform" "invalid_token" "{message}"'}
    return MetaError(400, error_body(ACCESS_TOKEN, message, subcode=subcode), headers)


def default_body(status: int) -> dict[str, Any]:
    """What Meta sends for a status when a queued failure names no body."""
    if status == 503:
        return error_body(SERVICE_UNAVAILABLE, "Service temporarily unavailable", transient=True)
    if status >= 500:
        return error_body(UNKNOWN, "An unknown error occurred", transient=True)
    if status == 429:
        return error_body(APP_LIMIT, "(#4) Application request limit reached", transient=True)
    if status in (401, 403):
        return error_body(ACCESS_TOKEN, "Invalid OAuth access token - Cannot parse access token")
    return error_body(INVALID_PARAMETER, "(#100) Invalid parameter")


def throttled(
    code: int, regain_minutes: int, ig_user_id: str
) -> tuple[dict[str, Any], dict[str, str]]:
    """The body and usage headers of a throttling error: the budget used up, and
    `estimated_time_to_regain_access` in minutes, as Meta reports them."""
    if code not in THROTTLING:
        raise ValueError(f"code must be one of {sorted(THROTTLING)}, not {code}")
    full = {"call_count": 100, "total_cputime": 100, "total_time": 100}
    account = full | {"type": "instagram", "estimated_time_to_regain_access": regain_minutes}
    headers = {
        "X-App-Usage": json.dumps(full),
        "X-Business-Use-Case-Usage": json.dumps({ig_user_id: [account]}),
    }
    return error_body(code, THROTTLING[code], transient=True), headers
