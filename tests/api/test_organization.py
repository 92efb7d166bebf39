"""The organization's own settings: letting its HTTP requests reach private networks."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from temporalio.testing import WorkflowEnvironment

from tests.conftest import ApiHarness, serve_api
from tests.utils.api import create_workflow, manual_then, start_run, wait_for_end
from tests.utils.servers import serve


@pytest.fixture
async def guarded_api(
    database_url: str, temporal_env: WorkflowEnvironment, task_queue: str, tmp_path: Path
) -> AsyncIterator[ApiHarness]:
    """The API of an engine that keeps organizations off private networks by default."""
    async with serve_api(
        database_url, temporal_env, task_queue, tmp_path, http_allow_private_networks=False
    ) as harness:
        yield harness


@pytest.fixture
async def local_service() -> AsyncIterator[str]:
    app = FastAPI()

    @app.get("/status")
    async def status() -> dict[str, str]:
        return {"status": "fine"}

    async with serve(app) as url:
        yield url


async def test_private_networks_are_off_until_the_organization_allows_them(
    guarded_api: ApiHarness, local_service: str
) -> None:
    client = guarded_api.client
    check = {
        "id": "check", "type": "http.request",
        "parameters": {"method": "GET", "url": f"{local_service}/status"},
        "data": {"retry": {"maximum_attempts": 1}},
    }  # fmt: skip
    workflow_id = await create_workflow(client, manual_then(check))
    assert (await client.get("/organization")).json()["allow_private_networks"] is False

    refused = await wait_for_end(client, await start_run(client, workflow_id))
    allowed = await client.patch("/organization", json={"allow_private_networks": True})
    reached = await wait_for_end(client, await start_run(client, workflow_id))

    assert refused["status"] == "failed"
    assert "may not call private networks" in refused["error"]["message"]
    assert allowed.json()["allow_private_networks"] is True
    assert allowed.json()["name"] == "Tests"
    assert reached["status"] == "succeeded"
    assert reached["nodes"]["check"]["output"]["body"] == {"status": "fine"}


async def test_an_update_leaves_out_fields_as_they_are(api: ApiHarness) -> None:
    await api.client.patch("/organization", json={"allow_private_networks": True})
    renamed = (await api.client.patch("/organization", json={"name": "Renamed"})).json()
    assert (renamed["name"], renamed["allow_private_networks"]) == ("Renamed", True)
