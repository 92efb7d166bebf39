"""What every answer carries and what no request may carry: headers that keep browsers and
caches from misusing answers (an API key or a secret must never be stored by a cache), and a
cap on request headers, so an 8 MB `Authorization` is refused before anything reads it."""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.api.errors import error_body

MAX_HEADER_BYTES = 8 * 1024
"""One header's value; browsers and proxies send far less."""
MAX_HEADERS_BYTES = 32 * 1024
"""All of a request's headers together."""

ANSWER_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
}
"""Set on every answer that does not set its own (static assets set their caching)."""


class HardeningMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        too_large = _too_large(scope["headers"])
        if too_large is not None:
            answer = JSONResponse(error_body("headers_too_large", too_large), status_code=431)
            await answer(scope, receive, _with_answer_headers(send))
            return
        await self.app(scope, receive, _with_answer_headers(send))


def _too_large(headers: list[tuple[bytes, bytes]]) -> str | None:
    total = 0
    for name, value in headers:
        total += len(name) + len(value)
        if len(value) > MAX_HEADER_BYTES:
            shown = name.decode("latin-1")[:100]
            return f"the {shown} header is over {MAX_HEADER_BYTES} bytes"
    if total > MAX_HEADERS_BYTES:
        return f"the request's headers are over {MAX_HEADERS_BYTES} bytes together"
    return None


def _with_answer_headers(send: Send) -> Send:
    async def sending(message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = MutableHeaders(scope=message)
            for name, value in ANSWER_HEADERS.items():
                if name not in headers:
                    headers[name] = value
        await send(message)

    return sending
