"""The API over real HTTP for tests: servers started once per session and database kind, each
test in an organization of its own.

Every record belongs to one organization and every route answers only for the caller's, so
tests sharing a server and a database are as apart as two customers are; starting uvicorn, a
worker and a migrated database for each test cost more than most tests themselves.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, ExitStack, asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from activities.registry import action_services_from_settings
from app.api.main import create_app
from app.services.error_workflows import engine_activities
from app.settings import Settings
from temporal.client import TemporalConnection, connect
from temporal.worker import build_worker
from tests.utils.databases import fresh_database
from tests.utils.factories import new_organization
from tests.utils.servers import http_client, serve

SHUTDOWN_GRACE = timedelta(seconds=1)
"""What a session's worker gives activities still running when the session ends: a run a test
left behind (a schedule that fired, say) must not hold the end of the suite for 30 s."""


@dataclass
class ApiServer:
    """The API served over real HTTP, with a worker polling the task queue it starts runs on."""

    url: str
    settings: Settings
    temporal: Client


@dataclass
class ApiHarness:
    """An organization of its own on an API server, and a client authorized as its first key."""

    url: str
    client: httpx.AsyncClient
    organization_id: str
    api_key: str
    settings: Settings
    temporal: Client


SHARED_FAILURE_LIMIT = 1_000_000
"""Many tests send wrong keys and signatures on purpose, all from 127.0.0.1, to servers they
share: the per-address limits would answer unrelated tests 429 (tests/api/test_hardening.py
checks the limits on servers of their own)."""


def make_settings(
    database_url: str, temporal_target: str, task_queue: str, tmp: Path, **extra: Any
) -> Settings:
    limits = {
        "failed_authentications_per_minute": SHARED_FAILURE_LIMIT,
        "failed_deliveries_per_minute": SHARED_FAILURE_LIMIT,
    }
    return Settings(
        environment="test",
        database_url=database_url,
        temporal_address=temporal_target,
        temporal_task_queue=task_queue,
        data_dir=tmp,
        **(limits | extra),
    )


@asynccontextmanager
async def running_api(
    database_url: str,
    temporal_env: WorkflowEnvironment,
    task_queue: str,
    tmp: Path,
    **settings: Any,
) -> AsyncIterator[ApiServer]:
    """The API over real HTTP and a worker on `task_queue`; `settings` override."""
    target = temporal_env.client.service_client.config.target_host
    resolved = make_settings(database_url, target, task_queue, tmp, **settings)
    services = action_services_from_settings(resolved)
    # A worker encrypts and decrypts payloads as the API does, or neither could read the other.
    worker_client = (
        await connect(TemporalConnection.from_settings(resolved))
        if resolved.payload_encryption
        else temporal_env.client
    )
    try:
        async with (
            build_worker(
                worker_client,
                task_queue,
                services=services,
                graceful_shutdown=SHUTDOWN_GRACE,
                engine_activities=engine_activities,
            ),
            serve(create_app(resolved)) as url,
        ):
            yield ApiServer(url, resolved, temporal_env.client)
    finally:
        await services.close()


@asynccontextmanager
async def organization_on(server: ApiServer) -> AsyncIterator[ApiHarness]:
    """A new organization on `server`, and a client authorized as its first key."""
    organization_id, api_key = await new_organization(server.settings, "Tests")
    async with http_client(
        base_url=server.url, headers={"Authorization": f"Bearer {api_key}"}, timeout=30
    ) as client:
        yield ApiHarness(
            server.url, client, organization_id, api_key, server.settings, server.temporal
        )


class SharedDatabases:
    """One migrated database per kind, made on first use and dropped when the session ends."""

    def __init__(self, stack: ExitStack, tmp: pytest.TempPathFactory) -> None:
        self._stack = stack
        self._tmp = tmp
        self._urls: dict[str, str] = {}

    def url(self, kind: str) -> str:
        if kind not in self._urls:
            directory = self._tmp.mktemp(f"shared-{kind}")
            self._urls[kind] = self._stack.enter_context(fresh_database(kind, directory))
        return self._urls[kind]


class SharedApis:
    """API servers started on first use and stopped when the session ends: one for each
    database kind and set of settings, each with its own worker and task queue."""

    def __init__(
        self,
        stack: AsyncExitStack,
        databases: SharedDatabases,
        temporal_env: WorkflowEnvironment,
        tmp: pytest.TempPathFactory,
    ) -> None:
        self._stack = stack
        self._databases = databases
        self._temporal_env = temporal_env
        self._tmp = tmp
        self._servers: dict[tuple[str, tuple[tuple[str, Any], ...]], ApiServer] = {}

    async def get(self, kind: str, **settings: Any) -> ApiServer:
        """The server on the shared database of `kind`, with `settings` overriding."""
        key = (kind, tuple(sorted(settings.items())))
        if key not in self._servers:
            self._servers[key] = await self._stack.enter_async_context(
                running_api(
                    self._databases.url(kind),
                    self._temporal_env,
                    f"api-{uuid.uuid4().hex[:12]}",
                    self._tmp.mktemp("api"),
                    **settings,
                )
            )
        return self._servers[key]
