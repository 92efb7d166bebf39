"""Traces with OpenTelemetry: one trace from a webhook delivery (or any API request) through
the run to each platform call.

The pieces: the API's server spans (`app/api/tracing.py`), Temporal's `TracingInterceptor`
on the client and the worker (`temporal/tracing.py`, which carries the context through
Temporal's headers into the run and its activities), and a client span around every
platform call (`client_span`: httpx through `activities.transports.Borrowed`, X through its
adapter), which passes the context on in `traceparent`.

Configured by the standard `OTEL_*` variables (`OTEL_EXPORTER_OTLP_ENDPOINT`,
`OTEL_SERVICE_NAME`, `OTEL_TRACES_SAMPLER`...): with none set, no provider is installed,
the interceptors are left out and every span here is the API's no-op, so an installation
without a collector pays next to nothing. Tests install a provider of their own."""

from __future__ import annotations

import os
from collections.abc import Iterator, MutableMapping
from contextlib import contextmanager
from urllib.parse import urlsplit

from opentelemetry import propagate, trace
from opentelemetry.context import Context
from opentelemetry.sdk.trace import Span as SdkSpan
from opentelemetry.sdk.trace import SpanProcessor
from opentelemetry.trace import Span, SpanKind, Status, StatusCode

from app.logs import redact

TRACER = "flowhold"


def tracing_enabled() -> bool:
    """Whether spans go anywhere: a real provider is installed (by `configure_tracing` or a
    test), not the API's no-op default."""
    provider = trace.get_tracer_provider()
    return not isinstance(provider, trace.ProxyTracerProvider | trace.NoOpTracerProvider)


def wanted() -> bool:
    """Whether the environment asks for traces (an OTLP endpoint, or an exporter named)."""
    if os.environ.get("OTEL_SDK_DISABLED", "").lower() == "true":
        return False
    exporter = os.environ.get("OTEL_TRACES_EXPORTER", "").strip().lower()
    if exporter == "none":
        return False
    return bool(
        exporter
        or os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT")
        or os.environ.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
    )


def configure_tracing(service_name: str) -> bool:
    """Install a provider exporting over OTLP/HTTP when the environment asks for traces;
    whether it did. `OTEL_SERVICE_NAME` wins over `service_name` (`flowhold-api`, ...)."""
    if not wanted() or tracing_enabled():
        return tracing_enabled()
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    name = os.environ.get("OTEL_SERVICE_NAME") or service_name
    provider = TracerProvider(resource=Resource.create({"service.name": name}))
    provider.add_span_processor(RedactingProcessor())
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    trace.set_tracer_provider(provider)
    return True


class RedactingProcessor(SpanProcessor):
    """Redacts a span's text attributes as log lines are (`app.logs.redact`) when it starts:
    the SDK's Temporal spans carry the run's id, and a webhook delivery's run id holds the
    webhook's id, which is its URL's capability. Add it before the exporting processor."""

    def on_start(self, span: SdkSpan, parent_context: Context | None = None) -> None:
        for key, value in dict(span.attributes or {}).items():
            if isinstance(value, str):
                cleaned = redact(value)
                if cleaned != value:
                    span.set_attribute(key, cleaned)


def _address(url: str) -> tuple[str, str]:
    """(host, URL without query or fragment): a query may carry a token."""
    parts = urlsplit(url)
    return parts.hostname or "", parts._replace(query="", fragment="").geturl()


@contextmanager
def client_span(method: str, url: str, headers: MutableMapping[str, str]) -> Iterator[Span]:
    """A span around one platform call, its context put into the call's `headers`."""
    host, shown = _address(url)
    tracer = trace.get_tracer(TRACER)
    with tracer.start_as_current_span(
        method,
        kind=SpanKind.CLIENT,
        attributes={"http.request.method": method, "server.address": host, "url.full": shown},
    ) as span:
        propagate.inject(headers)
        yield span


def ended_with(span: Span, status: int) -> None:
    span.set_attribute("http.response.status_code", status)
    if status >= 500:
        span.set_status(Status(StatusCode.ERROR))
