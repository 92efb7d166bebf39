"""The organization's own settings; letting its HTTP requests reach private networks is the
operator's decision (`python -m app.cli private-networks`), never an API key's."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import AsyncIterator

import pytest
from fastapi import FastAPI

from app.db.engine import Database
from app.store.organizations import update_organization
from tests.utils.api import create_workflow, manual_then, start_run, wait_for_end
from tests.utils.api_servers import ApiHarness, SharedApis, organization_on
from tests.utils.servers import serve


@pytest.fixture
async def guarded_api(api_servers: SharedApis, backend: str) -> AsyncIterator[ApiHarness]:
    """The API of an engine that keeps organizations off private networks by default."""
    server = await api_servers.get(backend, http_allow_private_networks=False)
    async with organization_on(server) as harness:
        yield harness


@pytest.fixture
async def local_service() -> AsyncIterator[str]:
    app = FastAPI()

    @app.get("/status")
    async def status() -> dict[str, str]:
        return {"status": "fine"}

    async with serve(app) as url:
        yield url


async def operator_cli(harness: ApiHarness, *argv: str) -> tuple[int, str]:
    """`python -m app.cli ARGV` in its own process, on the API's database."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "app.cli",
        *argv,
        env={
            **os.environ,
            "DATABASE_URL": harness.settings.resolved_database_url,
            "DATA_DIR": str(harness.settings.data_dir),
        },
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await process.communicate()
    assert process.returncode is not None
    return process.returncode, out.decode()


async def allow_private_networks(harness: ApiHarness) -> None:
    """Store what `private-networks --organization ID on` stores, without the command's
    process (the first test runs the command)."""
    database = Database(harness.settings.resolved_database_url)
    try:
        async with database.session() as session:
            await update_organization(
                session, organization_id=harness.organization_id, allow_private_networks=True
            )
    finally:
        await database.dispose()


async def test_private_networks_are_off_until_the_operator_allows_them(
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
    code, out = await operator_cli(
        guarded_api, "private-networks", "--organization", guarded_api.organization_id, "on"
    )
    reached = await wait_for_end(client, await start_run(client, workflow_id))

    assert refused["status"] == "failed"
    assert "may not call private networks" in refused["error"]["message"]
    assert code == 0, out
    assert (await client.get("/organization")).json()["allow_private_networks"] is True
    assert reached["status"] == "succeeded"
    assert reached["nodes"]["check"]["output"]["body"] == {"status": "fine"}


async def test_the_operator_turns_private_networks_off_again(api: ApiHarness) -> None:
    org = api.organization_id
    await allow_private_networks(api)
    code, out = await operator_cli(api, "private-networks", "--organization", org, "off")
    assert code == 0, out
    assert f"{org}: http.request may not reach private networks" in out
    assert (await api.client.get("/organization")).json()["allow_private_networks"] is False


async def test_an_api_key_cannot_let_its_organization_reach_private_networks(
    api: ApiHarness,
) -> None:
    response = await api.client.patch(
        "/organization", json={"name": "Renamed", "allow_private_networks": True}
    )
    assert response.status_code == 422, response.text
    [detail] = response.json()["error"]["details"]
    assert detail["path"] == ["body", "allow_private_networks"]
    assert "python -m app.cli private-networks" in detail["message"]
    organization = (await api.client.get("/organization")).json()
    assert (organization["name"], organization["allow_private_networks"]) == ("Tests", False)


async def test_an_update_leaves_out_fields_as_they_are(api: ApiHarness) -> None:
    await allow_private_networks(api)
    renamed = (await api.client.patch("/organization", json={"name": "Renamed"})).json()
    assert (renamed["name"], renamed["allow_private_networks"]) == ("Renamed", True)
