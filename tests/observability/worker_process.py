"""`python worker.py` as a process of its own, with settings from the environment."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from temporalio.testing import WorkflowEnvironment

ROOT = Path(__file__).resolve().parent.parent.parent


@asynccontextmanager
async def worker_process(
    temporal_env: WorkflowEnvironment,
    task_queue: str,
    tmp_path: Path,
    stderr: Path | None = None,
    **settings: str,
) -> AsyncIterator[asyncio.subprocess.Process]:
    """The worker on `task_queue`; what it writes to stderr (its logs) goes to `stderr`."""
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("TEMPORAL_", "DATABASE_URL"))},
        "ENVIRONMENT": "test",
        "DATA_DIR": str(tmp_path),
        "TEMPORAL_ADDRESS": temporal_env.client.service_client.config.target_host,
        "TEMPORAL_TASK_QUEUE": task_queue,
        "WORKER_SHUTDOWN_GRACE_SECONDS": "1",
        **settings,
    }
    # Opened once, before the worker starts: nothing else runs on the loop yet.
    with open(stderr or os.devnull, "wb") as errors:  # noqa: ASYNC230
        process = await asyncio.create_subprocess_exec(
            sys.executable, "worker.py", cwd=ROOT, env=env,
            stdout=subprocess.DEVNULL, stderr=errors,
        )  # fmt: skip
        try:
            yield process
        finally:
            if process.returncode is None:
                process.terminate()
                try:
                    async with asyncio.timeout(30):
                        await process.wait()
                except TimeoutError:
                    process.kill()
                    await process.wait()
