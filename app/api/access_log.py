"""One access-log line per request (`flowhold.access`), and the log fields every line a
request writes carries: its request id from the start, its organization once its key is
checked (`app.api.deps.get_caller`), the run and workflow its path names.

The line names the route template and the path with its query left out: a query may hold
Meta's verify token, and a webhook's path is its capability (redacted with the rest)."""

from __future__ import annotations

import logging
import re
import secrets
import time

from starlette.types import ASGIApp, Receive, Scope, Send

from app.api.metrics import route_of
from app.api.response_status import ResponseStatus
from app.logs import bind

log = logging.getLogger("flowhold.access")

_REQUEST_ID = re.compile(r"[A-Za-z0-9._\-]{1,64}")
"""A caller's `X-Request-ID` is kept only when it looks like one (no spaces, no newlines)."""


def request_id_of(scope: Scope) -> str:
    for name, value in scope["headers"]:
        if name == b"x-request-id":
            given: str = value.decode("latin-1")
            if _REQUEST_ID.fullmatch(given):
                return given
    return secrets.token_hex(8)


class AccessLogMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = ResponseStatus(send)

        with bind(request_id=request_id_of(scope)) as fields:
            try:
                await self.app(scope, receive, status)
            finally:
                path_ids = scope.get("path_params") or {}
                for name in ("run_id", "workflow_id"):
                    if isinstance(path_ids.get(name), str):
                        fields.setdefault(name, path_ids[name])
                milliseconds = round((time.perf_counter() - started) * 1000, 1)
                log.info(
                    "%s %s %s %sms",
                    scope["method"],
                    scope["path"],
                    status.code,
                    milliseconds,
                    extra={
                        "access": {
                            "method": scope["method"],
                            "route": route_of(scope),
                            "status": status.code,
                            "duration_ms": milliseconds,
                        }
                    },
                )
