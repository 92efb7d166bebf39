"""JSON logs: every line of a request and of an activity carries its organization, run, node
and attempt; an access line per request; a retried platform failure is one line with its
cause; and no secret in flight (API key, account tokens) reaches a line."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from app.logs.formatting import JsonFormatter, TextFormatter
from tests.conftest import ApiHarness
from tests.utils.api import create_workflow, manual_then, start_run, wait_for_end
from tests.utils.servers import serve

QUERY_TOKEN = "qtok-7f3a9c2e51d84b6a"
BEARER_TOKEN = "btok-c0ffee5e11e4d2a9"


@pytest.fixture
async def platform() -> AsyncIterator[tuple[str, list[str]]]:
    """/flaky answers 503 the first time, then 200; records the credentials it was sent."""
    app = FastAPI()
    seen: list[str] = []

    @app.get("/flaky")
    async def flaky(request: Request) -> JSONResponse:
        seen.append(
            request.query_params.get("api_key", "") + request.headers.get("authorization", "")
        )
        if len(seen) == 1:
            return JSONResponse({}, status_code=503)
        return JSONResponse({"ok": True})

    async with serve(app) as url:
        yield url, seen


@pytest.fixture
def captured() -> Iterator[io.StringIO]:
    """What the process logs from now on, as the JSON formatter writes it; httpx speaks up
    (the platforms quieten it: here it logs request URLs, query tokens included, as it
    would for an operator who turned it on)."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    root, httpx_logger = logging.getLogger(), logging.getLogger("httpx")
    levels = root.level, httpx_logger.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    httpx_logger.setLevel(logging.INFO)
    try:
        yield stream
    finally:
        root.removeHandler(handler)
        root.setLevel(levels[0])
        httpx_logger.setLevel(levels[1])


async def account(api: ApiHarness, credential: dict[str, str]) -> str:
    body = {"display_name": "Flaky", "credential": credential, "allowed_hosts": ["127.0.0.1"]}
    response = await api.client.post("/accounts/http", json=body)
    assert response.status_code == 201, response.text
    account_id: str = response.json()["id"]
    return account_id


def lines(stream: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stream.getvalue().splitlines() if line]


async def test_lines_carry_their_ids_and_never_a_secret(
    api: ApiHarness, platform: tuple[str, list[str]], captured: io.StringIO
) -> None:
    url, seen = platform
    by_query = await account(api, {"type": "query", "name": "api_key", "value": QUERY_TOKEN})
    by_bearer = await account(api, {"type": "bearer", "token": BEARER_TOKEN})
    retry = {"maximum_attempts": 3, "initial_interval_seconds": 1}
    graph = manual_then(
        {"id": "fetch", "type": "http.request", "account_id": by_query, "retry": retry,
         "parameters": {"method": "GET", "url": f"{url}/flaky"}},
        {"id": "again", "type": "http.request", "account_id": by_bearer,
         "parameters": {"method": "GET", "url": f"{url}/flaky"}},
    )  # fmt: skip
    workflow_id = await create_workflow(api.client, graph)
    run_id = await start_run(api.client, workflow_id)
    assert (await wait_for_end(api.client, run_id))["status"] == "succeeded"
    # The tokens really travelled.
    assert seen == [QUERY_TOKEN, QUERY_TOKEN, f"Bearer {BEARER_TOKEN}"]

    # A line that quotes a token the vault opened, whatever its shape.
    logging.getLogger("probe").warning("the platform said: %s", BEARER_TOKEN)
    text = captured.getvalue()
    for secret in (QUERY_TOKEN, BEARER_TOKEN, api.api_key):
        assert secret not in text
    found = lines(captured)

    # The retried failure: one line, its cause, the ids of what failed.
    [failed] = [
        line for line in found if line["message"].startswith("Completing activity as failed")
    ]
    assert failed["error"] == "HTTP503 (retried): HTTP 503 from 127.0.0.1"
    assert "traceback" not in failed
    assert failed["organization_id"] == api.organization_id
    assert (failed["run_id"], failed["node_id"], failed["attempt"]) == (run_id, "fetch", 1)
    assert failed["activity"] == "http.request"

    # The platform call, as httpx logs it: the token in its URL is redacted.
    calls = [line for line in found if line["logger"] == "httpx" and "/flaky" in line["message"]]
    assert len(calls) == 3
    assert all("api_key=[redacted]" in line["message"] for line in calls[:2])
    assert {(line["run_id"], line["node_id"]) for line in calls} == {
        (run_id, "fetch"),
        (run_id, "again"),
    }

    [probe] = [line for line in found if line["logger"] == "probe"]
    assert probe["message"] == "the platform said: [redacted]"

    # The access log: one line per request, with the caller's organization.
    [started] = [
        line
        for line in found
        if line["logger"] == "flowhold.access"
        and line.get("route") == "/workflows/{workflow_id}/runs"
    ]
    assert started["status"] == 201
    assert started["method"] == "POST"
    assert started["organization_id"] == api.organization_id
    assert started["workflow_id"] == workflow_id
    assert started["request_id"]
    reads = [line for line in found if line.get("route") == "/runs/{run_id}"]
    assert reads
    assert all(line["run_id"] == run_id for line in reads)


def test_shapes_of_secrets_are_redacted_in_text_lines_too() -> None:
    record = logging.LogRecord(
        "probe", logging.WARNING, __file__, 1,
        "calling %s with %s", ("https://h/x?access_token=abc123def456&page=2",
                               {"Authorization": "Bearer fh_abcdefghijklmnop"}),
        None,
    )  # fmt: skip
    line = TextFormatter().format(record)
    assert "abc123def456" not in line
    assert "fh_abcdefghijklmnop" not in line
    assert "page=2" in line


def test_an_unexpected_error_keeps_its_traceback() -> None:
    try:
        raise KeyError("missing")
    except KeyError:
        record = logging.LogRecord(
            "probe", logging.ERROR, __file__, 1, "broke", None, __import__("sys").exc_info()
        )
    line = json.loads(JsonFormatter().format(record))
    assert line["error"] == "KeyError: 'missing'"
    assert "Traceback" in line["traceback"]
