"""CORS for builders served from another origin (`CORS_ORIGINS`).

The builder at `/ui` is same-origin and needs none of this. A listed origin gets its
preflight answered and every answer marked readable by it; any other origin gets no CORS
header, so the browser keeps the answer from it (the request itself is not refused: a
browser is the only party CORS protects). No `Allow-Credentials`: keys travel in
`Authorization`, never in cookies.
"""

from __future__ import annotations

from collections.abc import Iterable

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.api.hardening import ANSWER_HEADERS

ALLOWED_METHODS = "GET, POST, PUT, PATCH, DELETE"
ALLOWED_HEADERS = "Authorization, Content-Type, Idempotency-Key, Last-Event-ID"
EXPOSED_HEADERS = "Content-Disposition"
PREFLIGHT_MAX_AGE = "600"
"""Seconds a browser may reuse a preflight's answer."""


class CorsMiddleware:
    def __init__(self, app: ASGIApp, origins: Iterable[str]) -> None:
        self.app = app
        # Browsers send scheme and host in lower case; a listed `https://Builder.example` too.
        self.origins = frozenset(origin.lower() for origin in origins)

    def _allows(self, origin: str) -> bool:
        return origin.lower() in self.origins or "*" in self.origins

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not self.origins:
            await self.app(scope, receive, send)
            return
        request_headers = Headers(scope=scope)
        origin = request_headers.get("origin")
        if (
            scope["method"] == "OPTIONS"
            and origin is not None
            and "access-control-request-method" in request_headers
        ):
            await _preflight(send, origin if self._allows(origin) else None)
            return
        allowed = origin if origin is not None and self._allows(origin) else None
        await self.app(scope, receive, _marked(send, allowed))


async def _preflight(send: Send, origin: str | None) -> None:
    headers = MutableHeaders(ANSWER_HEADERS)
    headers["Vary"] = "Origin"
    if origin is not None:
        headers["Access-Control-Allow-Origin"] = origin
        headers["Access-Control-Allow-Methods"] = ALLOWED_METHODS
        headers["Access-Control-Allow-Headers"] = ALLOWED_HEADERS
        headers["Access-Control-Max-Age"] = PREFLIGHT_MAX_AGE
    await send({"type": "http.response.start", "status": 204, "headers": headers.raw})
    await send({"type": "http.response.body", "body": b""})


def _marked(send: Send, origin: str | None) -> Send:
    """`send`, adding the CORS headers for `origin` (None: only `Vary`, since the answer
    depends on the origin either way and a cache must not hand one origin's to another)."""

    async def sending(message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = MutableHeaders(scope=message)
            headers.add_vary_header("Origin")
            if origin is not None:
                headers["Access-Control-Allow-Origin"] = origin
                headers["Access-Control-Expose-Headers"] = EXPOSED_HEADERS
        await send(message)

    return sending
