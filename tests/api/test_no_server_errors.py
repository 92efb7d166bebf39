"""No generated request, valid or not, gets a 5xx: schemathesis against our own OpenAPI.

The suite runs a small fuzzing budget on every backend; `make fuzz` (FLOWHOLD_FUZZ=full) runs
every phase, boundary-value coverage and stateful sequences included, with many more cases.
"""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from emulator.testing import EmulatorHandle
from tests.language.test_literal_parameters import with_trigger
from tests.utils.api_servers import ApiHarness, SharedApis, organization_on
from tests.utils.emulated import emulator_settings

ST = Path(sys.executable).parent / "st"
ROOT = Path(__file__).resolve().parents[2]
FULL = os.environ.get("FLOWHOLD_FUZZ") == "full"


@pytest.fixture
async def api(
    api_servers: SharedApis, backend: str, emulator_server: EmulatorHandle
) -> AsyncIterator[ApiHarness]:
    """The API with X and Instagram played by the emulator: an unreachable platform is a
    503 by design, and the fuzzing is after our own 5xx."""
    server = await api_servers.get(backend, **emulator_settings(emulator_server))
    async with organization_on(server) as harness:
        yield harness


async def test_no_generated_request_gets_a_server_error(api: ApiHarness, tmp_path: Path) -> None:
    process = await asyncio.create_subprocess_exec(
        str(ST), "run", f"{api.url}/openapi.json",
        "--header", f"Authorization: Bearer {api.api_key}",
        "--checks", "not_a_server_error",
        "--phases", "examples,coverage,fuzzing,stateful" if FULL else "examples,fuzzing",
        "--max-examples", "25" if FULL else "4",
        "--suppress-health-check", "all",
        "--seed", "20251122",
        "--request-timeout", "20",
        "--continue-on-failure",
        # schemathesis keeps a cache where it runs: not in the repository.
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(ROOT), "SCHEMATHESIS_HOOKS": "tests.api.fuzz_hooks"},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    output, _ = await process.communicate()
    assert process.returncode == 0, output.decode()[-8000:]


# Inputs a review found reaching a 5xx (or worse, accepted and failing later): each is a 4xx.

TEMPLATE = "{{ trigger.x }}"
DAILY = {"cron": ["0 9 * * *"]}
BIG = "x" * (2 * 1024 * 1024)


REVIEWED_GRAPHS: list[dict[str, Any]] = [
    with_trigger("trigger.schedule", {"cron": ["\u0663 * * * *"]}),
    with_trigger("trigger.schedule", {"cron": ["*/\u0665 * * * *"]}),
    with_trigger("trigger.schedule", {**DAILY, "start_at": "0001-01-01T00:00:00+01:00"}),
    with_trigger("trigger.schedule", {**DAILY, "end_at": "9999-12-31T23:00:00-05:00"}),
    with_trigger("trigger.schedule", {**DAILY, "start_at": "1969-07-20T20:17:00Z"}),
    with_trigger("trigger.schedule", {"cron": [TEMPLATE]}),
    with_trigger("trigger.schedule", {"interval": {"every": TEMPLATE}}),
    with_trigger("trigger.webhook", {"method": TEMPLATE}),
    with_trigger("trigger.webhook", {"token_header": TEMPLATE, "authentication": "token"}),
    with_trigger("trigger.webhook", {"response_mode": TEMPLATE}),
    with_trigger("trigger.webhook", {"method": "GET"}),
    with_trigger("trigger.manual", {"input_schema": {"type": TEMPLATE}}),
    with_trigger("trigger.manual", {"input_schema": {"$ref": "https://example.com/s.json"}}),
    with_trigger("trigger.manual", {"input_schema": {"$ref": "#/$defs/nowhere"}}),
    with_trigger("trigger.manual", {"input_schema": {"$defs": {"a": {"$id": "https://e.com/a"}}}}),
    {
        **with_trigger("trigger.manual", {}),
        "nodes": [
            {"id": "t", "type": "trigger.manual"},
            {"id": "join", "type": "join", "parameters": {"mode": TEMPLATE}},
        ],
        "edges": [{"source": "t", "target": "join"}],
    },
    with_trigger("trigger.manual", {}) | {"nodes": [
        {"id": "t", "type": "trigger.manual"},
        {"id": "big", "type": "transform", "parameters": {"value": BIG[:1_100_000]}},
    ], "edges": [{"source": "t", "target": "big"}]},
]  # fmt: skip


async def test_the_reviewed_inputs_are_refused_with_a_4xx(api: ApiHarness) -> None:
    client = api.client
    for graph in REVIEWED_GRAPHS:
        for path in ("/workflows", "/workflows/validate"):
            response = await client.post(path, json={"name": "w", "graph": graph})
            assert response.status_code < 500, (graph, response.text)
            assert response.status_code == 422 or response.json()["valid"] is False, graph
    patched = await client.patch("/organization", json={"allow_private_networks": True})
    assert patched.status_code == 422
    for trigger in ("sub_workflow", "bogus", "\u0663"):
        listed = await client.get("/runs", params={"trigger": trigger})
        assert listed.status_code < 500, listed.text
    waiting = await client.post(
        "/workflows",
        json={"name": "wait", "graph": {
            "nodes": [{"id": "t", "type": "trigger.manual"},
                      {"id": "w", "type": "wait_for_event", "parameters": {"event": "e"}}],
            "edges": [{"source": "t", "target": "w"}]}},
    )  # fmt: skip
    workflow_id = waiting.json()["id"]
    too_big = await client.post(f"/workflows/{workflow_id}/runs", json={"input": BIG})
    assert too_big.status_code == 413, too_big.text
    run = await client.post(f"/workflows/{workflow_id}/runs", json={"input": {}})
    run_id = run.json()["id"]
    event = await client.post(f"/runs/{run_id}/events", json={"name": "e", "payload": BIG})
    assert event.status_code == 413, event.text
    await client.post(f"/runs/{run_id}/cancel")
