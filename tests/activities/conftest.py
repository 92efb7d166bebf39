"""Activity tests: one migrated SQLite database, services pointed at the emulator, and an
organization, per test module; the emulator itself is shared by the session."""

from collections.abc import AsyncIterator, Iterator

import pytest

from activities.services import ActionServices
from emulator.testing import EmulatorHandle
from tests.activities.support import new_organization, services_for
from tests.utils.databases import fresh_database
from tests.utils.emulated import emulator_endpoints


@pytest.fixture(scope="module")
def module_database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with fresh_database("sqlite", tmp_path_factory.mktemp("activities")) as url:
        yield url


@pytest.fixture(scope="module")
async def services(
    module_database_url: str, emulator_server: EmulatorHandle
) -> AsyncIterator[ActionServices]:
    services = services_for(module_database_url, emulator_endpoints(emulator_server))
    yield services
    await services.close()


@pytest.fixture(scope="module")
async def organization(services: ActionServices) -> str:
    """An organization that has not allowed private networks."""
    return await new_organization(services.database)
