"""Who is calling X and whether they may: the OAuth 2.0 user token, its scopes, and the
rate-limit windows every call counts against."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse

from emulator.config import (
    CREATE_POST,
    DELETE_POST,
    GET_ME,
    GET_POST,
    MEDIA_STATUS,
    MEDIA_UPLOAD,
    SEARCH_RECENT,
    USER_MENTIONS,
    USER_POSTS,
)
from emulator.state import EmulatorState, emulator_of, keep_headers
from emulator.x_problems import TOO_MANY_REQUESTS, UNAUTHORIZED, XProblem, about_blank
from emulator.x_state import AccessToken, XUser

REQUIRED_SCOPES = {
    CREATE_POST: frozenset({"tweet.read", "tweet.write", "users.read"}),
    DELETE_POST: frozenset({"tweet.read", "tweet.write", "users.read"}),
    GET_POST: frozenset({"tweet.read", "users.read"}),
    GET_ME: frozenset({"tweet.read", "users.read"}),
    USER_POSTS: frozenset({"tweet.read", "users.read"}),
    USER_MENTIONS: frozenset({"tweet.read", "users.read"}),
    SEARCH_RECENT: frozenset({"tweet.read", "users.read"}),
    MEDIA_UPLOAD: frozenset({"media.write"}),
    MEDIA_STATUS: frozenset({"media.write"}),
}
"""The OAuth 2.0 scopes each endpoint needs, as the spec's `security` lists them."""


@dataclass(frozen=True)
class XCall:
    """An admitted call: its user, and the rate-limit headers every answer carries."""

    state: EmulatorState
    user: XUser
    token: AccessToken
    headers: dict[str, str]

    def answer(self, body: dict[str, Any], status: int = 200) -> JSONResponse:
        return JSONResponse(body, status_code=status, headers=self.headers)


def admit(request: Request, endpoint: str) -> XCall:
    """The call, or the 401, 403 or 429 X answers instead."""
    state = emulator_of(request)
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    token = state.x.usable_access(value.strip()) if scheme.lower() == "bearer" else None
    if token is None:
        raise XProblem(401, UNAUTHORIZED)
    missing = REQUIRED_SCOPES[endpoint] - token.scopes
    if missing:
        detail = f"Missing required scopes: {' '.join(sorted(missing))}."
        raise XProblem(403, about_blank(403, detail))
    user = state.x.users[token.user_id]
    admission = state.x_limits.admit(user.id, endpoint)
    if not admission.allowed:
        raise XProblem(429, TOO_MANY_REQUESTS, admission.headers)
    keep_headers(request, admission.headers)
    return XCall(state, user, token, admission.headers)
