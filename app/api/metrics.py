"""Prometheus metrics of the API process at `GET /metrics`: requests by route template and
status (never by raw path: ids would make a series per run), their duration, and what the
services count (`app/services/metrics.py`), plus the client library's process metrics.

Open to whoever reaches the API unless `METRICS_TOKEN` is set; the metrics name no
organization, so an open endpoint tells traffic, not tenants' data (README, Operating)."""

from __future__ import annotations

import hmac
import time

from fastapi import APIRouter, Request
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, Counter, Histogram, generate_latest
from starlette.types import ASGIApp, Receive, Scope, Send

from app.api.response_status import ResponseStatus
from app.errors import AuthenticationError, NotFoundError
from app.settings import Settings

REQUESTS = Counter(
    "flowhold_api_requests_total",
    "HTTP requests answered, by method, route template and status.",
    ["method", "route", "status"],
)
REQUEST_SECONDS = Histogram(
    "flowhold_api_request_duration_seconds",
    "Time to answer an HTTP request (to its last byte: a run's stream counts while open).",
    ["method", "route"],
)

_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
UNMATCHED = "unmatched"
"""The route of a request no route took (a 404 on an unknown path): one series for them all."""


def route_of(scope: Scope) -> str:
    """The template of the route that took the request (`/runs/{run_id}`), set by routing."""
    route = scope.get("route")
    path = getattr(route, "path", None)
    return path if isinstance(path, str) else UNMATCHED


class RequestMetricsMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = ResponseStatus(send)

        try:
            await self.app(scope, receive, status)
        finally:
            method = scope["method"] if scope["method"] in _METHODS else "OTHER"
            route = route_of(scope)
            REQUESTS.labels(method, route, str(status.code)).inc()
            REQUEST_SECONDS.labels(method, route).observe(time.perf_counter() - started)


router = APIRouter()


@router.get("/metrics", include_in_schema=False)
async def metrics(request: Request) -> Response:
    """Prometheus' text format; 404 when `METRICS_ENABLED` is false, 401 without the token
    when `METRICS_TOKEN` is set."""
    settings: Settings = request.app.state.settings
    if not settings.metrics_enabled:
        raise NotFoundError("metrics are off (METRICS_ENABLED=false)")
    if settings.metrics_token:
        given = request.headers.get("authorization", "")
        expected = f"Bearer {settings.metrics_token}"
        if not hmac.compare_digest(given.encode(), expected.encode()):
            raise AuthenticationError("/metrics needs Authorization: Bearer <METRICS_TOKEN>")
    return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)
