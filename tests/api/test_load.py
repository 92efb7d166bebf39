"""Load never makes a 5xx: many run starts at once against a real API, Temporal and database.

A request waiting on Temporal holds no database connection, so a few pooled connections serve
hundreds of requests at once; what cannot be served in time is a 503 with `Retry-After`.
"""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text
from temporalio.testing import WorkflowEnvironment

from app.api.main import create_app
from tests.utils.api import create_workflow, manual_then
from tests.utils.api_servers import make_settings
from tests.utils.factories import new_organization
from tests.utils.servers import free_port, http_client, serve

STARTS = 300
OLD_DEFAULT_POOL = {
    "database_pool_size": 5,
    "database_pool_overflow": 10,
    "database_pool_timeout_seconds": 30,
}
"""SQLAlchemy's default pool, which 1,000 starts at once ran dry (issue 11): far fewer
connections than requests in flight, enough when each request holds one only while it reads
or writes, never while it waits on Temporal."""


@pytest.fixture
async def client(
    shared_database_url: str, temporal_env: WorkflowEnvironment, tmp_path: Path
) -> AsyncIterator[httpx.AsyncClient]:
    """The API alone, as deployed: its runs go to a task queue no worker of this process
    polls, so the burst measures the API, not a worker sharing its event loop."""
    target = temporal_env.client.service_client.config.target_host
    queue = f"load-{uuid.uuid4().hex[:12]}"
    settings = make_settings(shared_database_url, target, queue, tmp_path, **OLD_DEFAULT_POOL)
    _, api_key = await new_organization(settings, "Load")
    limits = httpx.Limits(max_connections=STARTS, max_keepalive_connections=STARTS)
    async with (
        serve(create_app(settings)) as url,
        http_client(
            base_url=url,
            headers={"Authorization": f"Bearer {api_key}"},
            timeout=120,
            limits=limits,
        ) as client,
    ):
        yield client


async def test_hundreds_of_run_starts_at_once_all_start(client: httpx.AsyncClient) -> None:
    workflow_id = await create_workflow(
        client, manual_then({"id": "echo", "type": "transform", "parameters": {"value": 1}})
    )
    answers = await asyncio.gather(
        *(
            client.post(f"/workflows/{workflow_id}/runs", json={"input": {"n": number}})
            for number in range(STARTS)
        )
    )
    statuses = Counter(answer.status_code for answer in answers)
    failures = [answer.text for answer in answers if answer.status_code != 201][:3]
    assert statuses == {201: STARTS}, (statuses, failures)
    assert len({answer.json()["id"] for answer in answers}) == STARTS


async def test_a_pool_run_dry_is_a_503_with_retry_after(
    shared_database_url: str, temporal_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    target = temporal_env.client.service_client.config.target_host
    settings = make_settings(
        shared_database_url, target, "q", tmp_path,
        database_pool_size=1, database_pool_overflow=0, database_pool_timeout_seconds=0.5,
    )  # fmt: skip
    _, api_key = await new_organization(settings, "Dry pool")
    app = create_app(settings)
    async with (
        serve(app) as url,
        http_client(base_url=url, headers={"Authorization": f"Bearer {api_key}"}) as client,
        app.state.database.engine.connect() as held,
    ):
        await held.execute(text("SELECT 1"))
        response = await client.get("/workflows")
    assert response.status_code == 503
    assert response.headers["Retry-After"].isdigit()
    assert response.json()["error"]["type"] == "service_unavailable"
    assert "database is busy" in response.json()["error"]["message"]


async def test_temporal_out_of_reach_is_a_503_with_retry_after(
    shared_database_url: str, tmp_path: Path
) -> None:
    settings = make_settings(shared_database_url, f"127.0.0.1:{free_port()}", "q", tmp_path)
    _, api_key = await new_organization(settings, "No Temporal")
    async with (
        serve(create_app(settings)) as url,
        http_client(base_url=url, headers={"Authorization": f"Bearer {api_key}"}) as client,
    ):
        response = await client.get("/runs", timeout=30)
    assert response.status_code == 503
    assert response.headers["Retry-After"].isdigit()
