"""One trace from a webhook delivery through the run to each platform call: the API's server
span, Temporal's start, workflow and activity spans (context carried in Temporal's headers),
and the platform call's client span, whose `traceparent` the platform receives."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI, Request
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from temporalio.testing import WorkflowEnvironment

from app.traces import RedactingProcessor, tracing_enabled
from tests.api.test_webhooks import deliver, signed
from tests.utils.api import wait_for_end
from tests.utils.api_servers import SharedDatabases, organization_on, running_api
from tests.utils.servers import serve

ROOT = Path(__file__).resolve().parent.parent.parent
SENDER_TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"


@pytest.fixture(scope="module")
def spans() -> Iterator[InMemorySpanExporter]:
    """Spans of this process from now on. The process keeps the provider (OpenTelemetry
    installs one per process): later tests in it trace too, into this exporter."""
    exporter = InMemorySpanExporter()
    if not tracing_enabled():
        # As `configure_tracing` installs it, with an exporter of ours.
        installed = TracerProvider()
        installed.add_span_processor(RedactingProcessor())
        trace.set_tracer_provider(installed)
    provider = trace.get_tracer_provider()
    assert isinstance(provider, TracerProvider)
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    yield exporter
    exporter.clear()


@pytest.fixture
async def platform() -> AsyncIterator[tuple[str, list[str]]]:
    app = FastAPI()
    received: list[str] = []

    @app.get("/price")
    async def price(request: Request) -> dict[str, int]:
        received.append(request.headers.get("traceparent", ""))
        return {"price": 3}

    async with serve(app) as url:
        yield url, received


async def test_a_delivery_its_run_and_its_platform_call_are_one_trace(
    spans: InMemorySpanExporter,
    shared_databases: SharedDatabases,
    backend: str,
    temporal_env: WorkflowEnvironment,
    tmp_path: Path,
    platform: tuple[str, list[str]],
) -> None:
    url, received = platform
    graph = {
        "nodes": [
            {"id": "hook", "type": "trigger.webhook"},
            {"id": "fetch", "type": "http.request", "parameters": {"url": f"{url}/price"}},
        ],
        "edges": [{"source": "hook", "target": "fetch"}],
    }
    async with (
        running_api(
            shared_databases.url(backend), temporal_env, f"traces-{uuid.uuid4().hex[:8]}", tmp_path
        ) as server,
        organization_on(server) as api,
    ):
        created = await api.client.post("/workflows", json={"name": "traced", "graph": graph})
        workflow_id = created.json()["id"]
        secret = (
            await api.client.put(f"/workflows/{workflow_id}/webhooks/hook/secret", json={})
        ).json()
        await api.client.post(f"/workflows/{workflow_id}/activate")
        body = json.dumps({"n": 1}).encode()
        spans.clear()
        response = await deliver(
            secret["url"],
            body,
            **{
                "X-Hub-Signature-256": signed(secret["secret"], body),
                # The sender's own trace: ours continues it.
                "traceparent": f"00-{SENDER_TRACE}-00f067aa0ba902b7-01",
            },
        )
        assert response.status_code == 202, response.text
        final = await wait_for_end(api.client, response.json()["run_id"])
        assert final["status"] == "succeeded"

    finished: list[ReadableSpan] = list(spans.get_finished_spans())
    in_trace = {
        span.name
        for span in finished
        if span.context is not None and format(span.context.trace_id, "032x") == SENDER_TRACE
    }
    assert {
        "POST /hooks/{webhook_id}",
        "StartWorkflow:FlowRun",
        "RunWorkflow:FlowRun",
        "StartActivity:http.request",
        "RunActivity:http.request",
        "GET",
    } <= in_trace, in_trace
    # The platform got the trace too, from the call's own span.
    [traceparent] = received
    assert traceparent.split("-")[1] == SENDER_TRACE
    # The webhook's id is its URL's capability: no span shows it, though the run's id,
    # which Temporal's spans carry, is made from it.
    capability = secret["url"].rsplit("/", 1)[1]
    assert capability in final["id"]
    for span in finished:
        assert capability not in span.name
        leaks = {k: v for k, v in (span.attributes or {}).items() if capability in str(v)}
        assert not leaks, (span.name, leaks)


@pytest.mark.parametrize(
    ("environment", "expected"),
    [
        ({}, "False False"),
        ({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318"}, "True True"),
        ({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318", "OTEL_SDK_DISABLED": "true"},
         "False False"),
    ],
)  # fmt: skip
def test_tracing_is_on_only_when_the_otel_variables_ask_for_it(
    environment: dict[str, str], expected: str
) -> None:
    # A process of its own: a provider, once installed, stays for the process.
    clean = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_")}
    probe = (
        "from app.traces import configure_tracing as c, tracing_enabled as t; print(c('x'), t())"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], env={**clean, **environment},
        cwd=ROOT, capture_output=True, text=True, check=True, timeout=60,
    )  # fmt: skip
    assert result.stdout.strip() == expected
