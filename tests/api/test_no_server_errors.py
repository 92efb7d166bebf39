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

import pytest
from temporalio.testing import WorkflowEnvironment

from tests.conftest import ApiHarness, serve_api
from tests.emulator.testing import EmulatorHandle
from tests.utils.emulated import emulator_server, emulator_settings

__all__ = ["emulator_server"]

ST = Path(sys.executable).parent / "st"
FULL = os.environ.get("FLOWHOLD_FUZZ") == "full"


@pytest.fixture
async def api(
    database_url: str,
    temporal_env: WorkflowEnvironment,
    task_queue: str,
    tmp_path: Path,
    emulator_server: EmulatorHandle,
) -> AsyncIterator[ApiHarness]:
    """The API with X and Instagram played by the emulator: an unreachable platform is a
    503 by design, and the fuzzing is after our own 5xx."""
    async with serve_api(
        database_url, temporal_env, task_queue, tmp_path, **emulator_settings(emulator_server)
    ) as harness:
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
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    output, _ = await process.communicate()
    assert process.returncode == 0, output.decode()[-8000:]
