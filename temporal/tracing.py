"""Temporal's side of a trace: the SDK's `TracingInterceptor` starts a span for each start,
signal and query a client sends and carries its context in Temporal's headers, so the run's
workflow and activity spans (and the platform calls inside them) join the trace of whatever
started the run: a webhook delivery, an API request, a parent run.

Only when tracing is on (`app.traces.tracing_enabled`): without a provider the interceptor
would still build headers and no-op spans on every call."""

from __future__ import annotations

from temporalio.client import Client
from temporalio.contrib.opentelemetry import TracingInterceptor

from app.traces import tracing_enabled


def tracing_interceptors() -> list[TracingInterceptor]:
    """What a client is connected with: the interceptor when tracing is on, else nothing."""
    return [TracingInterceptor()] if tracing_enabled() else []


def worker_tracing(client: Client) -> list[TracingInterceptor]:
    """What a worker on `client` adds: the interceptor, unless the client has one already
    (a client's interceptors apply to the workers built on it)."""
    if not tracing_enabled():
        return []
    if any(isinstance(i, TracingInterceptor) for i in client.config()["interceptors"]):
        return []
    return [TracingInterceptor()]
