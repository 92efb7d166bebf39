"""No generated request, valid or not, gets a 5xx: schemathesis against our own OpenAPI.

The suite runs a small fuzzing budget on every backend; `make fuzz` (FLOWHOLD_FUZZ=full) runs
every phase, boundary-value coverage and stateful sequences included, with many more cases.
"""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

from tests.conftest import ApiHarness

ST = Path(sys.executable).parent / "st"
FULL = os.environ.get("FLOWHOLD_FUZZ") == "full"


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
