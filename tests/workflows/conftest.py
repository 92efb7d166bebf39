from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from tests.utils.temporal import close_open_runs
from tests.workflows.harness import worker


@pytest.fixture
async def client(time_skipping_env: WorkflowEnvironment, task_queue: str) -> AsyncIterator[Client]:
    """A time-skipping server's client with a worker polling this test's task queue."""
    async with worker(time_skipping_env.client, task_queue):
        yield time_skipping_env.client
        await close_open_runs(time_skipping_env.client)


@pytest.fixture
async def dev_client(temporal_env: WorkflowEnvironment, task_queue: str) -> AsyncIterator[Client]:
    """The dev server's client with a worker on this test's task queue: for what the
    time-skipping server gets wrong (signals racing a continue-as-new) or lacks (visibility)."""
    async with worker(temporal_env.client, task_queue):
        yield temporal_env.client
