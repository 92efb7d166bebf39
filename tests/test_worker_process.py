"""`python worker.py`: a stopping worker drains its running activities before it exits."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from temporalio.testing import WorkflowEnvironment

from tests.utils.servers import serve
from tests.workflows.harness import graph, node, start, worker
from workflows.state import RunState

ROOT = Path(__file__).resolve().parent.parent


class SlowPlatform:
    """An HTTP endpoint that answers after a pause, counting calls and telling when one began."""

    def __init__(self) -> None:
        self.calls = 0
        self.called = asyncio.Event()
        self.release = asyncio.Event()


@pytest.fixture
async def slow() -> AsyncIterator[tuple[str, SlowPlatform]]:
    platform = SlowPlatform()
    app = FastAPI()

    @app.get("/slow")
    async def slow_answer() -> dict[str, int]:
        platform.calls += 1
        platform.called.set()
        await platform.release.wait()
        return {"call": platform.calls}

    async with serve(app) as url:
        yield url, platform


async def test_sigterm_lets_the_running_activity_finish_then_the_worker_exits(
    temporal_env: WorkflowEnvironment,
    task_queue: str,
    tmp_path: Path,
    slow: tuple[str, SlowPlatform],
) -> None:
    url, platform = slow
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("TEMPORAL_", "DATABASE_URL"))},
        "ENVIRONMENT": "test",
        "DATA_DIR": str(tmp_path),
        "TEMPORAL_ADDRESS": temporal_env.client.service_client.config.target_host,
        "TEMPORAL_TASK_QUEUE": task_queue,
        "WORKER_SHUTDOWN_GRACE_SECONDS": "30",
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable, "worker.py", cwd=ROOT, env=env,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        fetch = node(
            "fetch", "http.request", {"method": "GET", "url": f"{url}/slow"},
            retry={"maximum_attempts": 1},
        )  # fmt: skip
        handle = await start(
            temporal_env.client, task_queue, graph(fetch, edges=[("start", "fetch")])
        )
        async with asyncio.timeout(30):
            await platform.called.wait()

        process.send_signal(signal.SIGTERM)
        await asyncio.sleep(0.5)
        assert process.returncode is None, "the worker stopped before its activity finished"
        platform.release.set()
        async with asyncio.timeout(30):
            assert await process.wait() == 0

        # The drained worker reported the activity; any worker can take the run from there.
        async with worker(temporal_env.client, task_queue):
            state: RunState = await handle.result()
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert state.status == "succeeded"
    assert state.nodes["fetch"].output["body"] == {"call": 1}
    assert platform.calls == 1
