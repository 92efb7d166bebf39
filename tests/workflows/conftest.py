from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from activities.registry import action_services_from_settings
from activities.services import ActionServices
from app.settings import get_settings
from tests.utils.databases import fresh_database
from tests.utils.temporal import close_open_runs
from tests.workflows.harness import worker


@pytest.fixture(scope="session")
async def worker_services(
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[ActionServices]:
    """The services of the process settings, as `python worker.py` would build them: built
    once, as their connection pools cost more to make than most of these tests take. On a
    migrated database of their own: runs started as the API starts them publish their run
    events, which reads the organization's subscriptions."""
    with fresh_database("sqlite", tmp_path_factory.mktemp("worker")) as url:
        settings = get_settings().model_copy(update={"database_url": url})
        services = action_services_from_settings(settings)
        yield services
        await services.close()


@pytest.fixture
async def client(
    time_skipping_env: WorkflowEnvironment, task_queue: str, worker_services: ActionServices
) -> AsyncIterator[Client]:
    """A time-skipping server's client with a worker polling this test's task queue."""
    async with worker(time_skipping_env.client, task_queue, services=worker_services):
        yield time_skipping_env.client
        await close_open_runs(time_skipping_env.client)


@pytest.fixture
async def dev_client(
    temporal_env: WorkflowEnvironment, task_queue: str, worker_services: ActionServices
) -> AsyncIterator[Client]:
    """The dev server's client with a worker on this test's task queue: for what the
    time-skipping server gets wrong (signals racing a continue-as-new) or lacks (visibility)."""
    async with worker(temporal_env.client, task_queue, services=worker_services):
        yield temporal_env.client
