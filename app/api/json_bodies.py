"""Every JSON request body, checked once before any route reads it: at most
`MAX_BODY_BYTES`, and nothing JSON cannot keep (`strict_json`), each refused with a clear 4xx
that names where. Webhook deliveries read their own bodies (signatures need the raw bytes,
and each trigger has its own size limit); they apply the same rules themselves."""

from __future__ import annotations

import anyio
from starlette.datastructures import Headers
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.api.errors import error_body
from app.contract import strict_json
from app.errors import ErrorDetail
from app.language.validation import collector_paused

MAX_BODY_BYTES = 12 * 1024 * 1024
"""Above the largest document any route takes (a 10 MB workflow): more is refused unread."""
PARSE_IN_THREAD_BYTES = 256 * 1024
"""Larger bodies are parsed off the event loop, so one big request does not stall the rest."""
_METHODS = frozenset({"POST", "PUT", "PATCH"})
_OWN_BODIES = "/hooks/"


def _is_json(headers: Headers) -> bool:
    media = headers.get("content-type", "").split(";", 1)[0].strip().lower()
    return media == "application/json" or media.endswith("+json")


class JsonBodyMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["method"] not in _METHODS
            or scope["path"].startswith(_OWN_BODIES)
        ):
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        refusal, body = await _read(headers, receive)
        if refusal is None and _is_json(headers) and body:
            refusal = await _check(body)
        if refusal is not None:
            await refusal(scope, receive, send)
            return
        await self.app(scope, _replaying(body, receive), send)


async def _read(headers: Headers, receive: Receive) -> tuple[JSONResponse | None, bytes]:
    declared = headers.get("content-length", "")
    if declared.isascii() and declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        return _too_large(), b""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            return _too_large(), b""
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return None, b"".join(chunks)


def _too_large() -> JSONResponse:
    message = f"the request body is over {MAX_BODY_BYTES} bytes"
    details = [ErrorDetail(message=message, path=("body",))]
    return JSONResponse(error_body("too_large", message, details), status_code=413)


async def _check(body: bytes) -> JSONResponse | None:
    if len(body) > PARSE_IN_THREAD_BYTES:
        problem = await anyio.to_thread.run_sync(_problem_in, body)
    else:
        problem = _problem_in(body)
    if problem is None:
        return None
    path, message = problem
    details = [ErrorDetail(message=message, path=("body", *path))]
    return JSONResponse(error_body("invalid_input", message, details), status_code=422)


def _problem_in(body: bytes) -> tuple[strict_json.Path, str] | None:
    # A big body is hundreds of thousands of objects and no cycles: a collection it
    # triggered would walk every live object of the process, stalling every thread.
    with collector_paused():
        try:
            document = strict_json.loads(body)
        except ValueError:
            return None  # not JSON at all: the route answers that, as it always has
        except RecursionError:
            return (), "the document is nested too deeply"
        try:
            return strict_json.first_problem(document)
        except RecursionError:
            return (), "the document is nested too deeply"


def _replaying(body: bytes, receive: Receive) -> Receive:
    """`receive` for the app: the body already read, then whatever comes after it."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay
