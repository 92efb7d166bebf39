"""A worker process killed while its action waits on the platform (issue 4.9): X has taken the
post, the answer never reaches the worker, and a replacement worker finishes the run without
posting twice (docs/architecture.md, invariant 4).

On the dev server: a worker that dies in the middle of a task would stop the time-skipping
server's clock for good (tests/utils/temporal.py)."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from temporalio.api.common.v1 import WorkflowExecution
from temporalio.api.enums.v1 import EventType
from temporalio.api.workflowservice.v1 import ResetStickyTaskQueueRequest
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from activities.services import ActionServices
from emulator import record
from emulator.testing import EmulatorHandle
from tests.activities.support import TEST_VAULT_KEYS, services_for
from tests.utils.emulated import emulator_settings
from tests.utils.servers import serve
from tests.workflows.harness import (
    X_ACCOUNT,
    Handle,
    connect_harness_accounts,
    graph,
    node,
    start,
    worker,
)

ROOT = Path(__file__).resolve().parent.parent.parent


async def worker_process(
    temporal_env: WorkflowEnvironment,
    task_queue: str,
    database_url: str,
    emulator: EmulatorHandle,
    tmp_path: Path,
) -> asyncio.subprocess.Process:
    """`python worker.py` on the test's task queue, database and emulator."""
    settings = {
        "environment": "test",
        "data_dir": str(tmp_path),
        "database_url": database_url,
        "vault_keys": TEST_VAULT_KEYS,
        "temporal_address": temporal_env.client.service_client.config.target_host,
        "temporal_task_queue": task_queue,
        **emulator_settings(emulator),
    }
    inherited = {k: v for k, v in os.environ.items() if not k.startswith("TEMPORAL_")}
    return await asyncio.create_subprocess_exec(
        sys.executable, "worker.py", cwd=ROOT,
        env=inherited | {name.upper(): str(value) for name, value in settings.items()},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip


async def forget_sticky_queue(client: Client, handle: Handle) -> None:
    """Send the run's next workflow task to its task queue rather than to the killed worker's
    sticky queue, where it would wait out the SDK's 10 s sticky timeout: the server's
    recovery, which this test is not about, without the wait."""
    await client.workflow_service.reset_sticky_task_queue(
        ResetStickyTaskQueueRequest(
            namespace=client.namespace,
            execution=WorkflowExecution(workflow_id=handle.id, run_id=handle.result_run_id or ""),
        )
    )


async def last_start_of(handle: Handle, activity: str) -> tuple[int, str]:
    """The attempt number and worker identity of the activity's last start."""
    scheduled: set[int] = set()
    found: tuple[int, str] | None = None
    async for event in handle.fetch_history_events():
        attributes = event.activity_task_scheduled_event_attributes
        if (
            event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED
            and attributes.activity_type.name == activity
        ):
            scheduled.add(event.event_id)
        if event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED:
            started = event.activity_task_started_event_attributes
            if started.scheduled_event_id in scheduled:
                found = (started.attempt, started.identity)
    assert found is not None, f"{activity} never started"
    return found


async def test_a_worker_killed_after_x_took_the_post_leaves_exactly_one_post(
    temporal_env: WorkflowEnvironment,
    task_queue: str,
    module_database_url: str,
    services: ActionServices,
    emulator: EmulatorHandle,
    tmp_path: Path,
) -> None:
    await connect_harness_accounts(services, emulator)
    # X creates the post, then holds its answer until the caller is gone.
    emulator.fail_next("POST", "/2/tweets", hang=True, when="after")
    process = await worker_process(
        temporal_env, task_queue, module_database_url, emulator, tmp_path
    )
    try:
        post = node(
            "post", "x.post", {"text": "exactly once"}, account_id=X_ACCOUNT,
            # A lost attempt is given up after this, then retried by whichever worker polls.
            timeout_seconds=3, retry={"maximum_attempts": 3, "initial_interval_seconds": 1},
        )  # fmt: skip
        handle = await start(
            temporal_env.client, task_queue, graph(post, edges=[("start", "post")])
        )
        async with asyncio.timeout(60):  # until X has taken the post
            while True:
                if emulator.posts_by("ada"):
                    break
                await asyncio.sleep(0.05)
        process.kill()
        await process.wait()
        await forget_sticky_queue(temporal_env.client, handle)
        assert emulator.count(record.X_POST_CREATED) == 1

        async with worker(temporal_env.client, task_queue, services=services):
            state = await handle.result()
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()

    assert state.status == "succeeded"
    [made] = emulator.posts_by("ada", include_deleted=True)
    assert state.nodes["post"].output == {"id": made.id, "text": "exactly once"}
    assert emulator.count(record.X_POST_CREATED) == 1
    attempt, identity = await last_start_of(handle, "x.post")
    assert attempt == 2, "the attempt the killed worker ran must have been retried"
    assert identity.startswith(f"{os.getpid()}@"), "the replacement worker finished it"


def once_per_key_target() -> tuple[FastAPI, dict[str, int], asyncio.Event, asyncio.Event]:
    """A target that makes one effect per `Idempotency-Key`: the first request of a key makes
    it (`made` is set) and never answers (until `release`), a repeat answers what the first
    made."""
    app = FastAPI()
    effects: dict[str, int] = {}
    made, release = asyncio.Event(), asyncio.Event()

    @app.post("/effect")
    async def effect(request: Request) -> dict[str, Any]:
        key = request.headers["Idempotency-Key"]
        if key in effects:
            return {"effect": effects[key]}
        effects[key] = len(effects) + 1
        made.set()
        await release.wait()
        return {"effect": effects[key]}

    return app, effects, made, release


async def test_a_step_whose_worker_was_killed_is_retried_after_its_heartbeat_timeout_once(
    temporal_env: WorkflowEnvironment,
    task_queue: str,
    module_database_url: str,
    emulator: EmulatorHandle,
    tmp_path: Path,
) -> None:
    """Issue 14.5: the step's attempt is given up when its beats stop (the heartbeat timeout,
    10 s), not at its 60 s time limit, and retried by the next worker with the same
    idempotency key: one effect. How long recovery took is printed (`-s`), not asserted."""
    app, effects, made, release = once_per_key_target()
    services = services_for(module_database_url, allow_private=True)
    process: asyncio.subprocess.Process | None = None
    try:
        async with serve(app) as base_url:
            process = await worker_process(
                temporal_env, task_queue, module_database_url, emulator, tmp_path
            )
            call = node("call", "http.request", {"method": "POST", "url": f"{base_url}/effect",
                                                 "body": {"type": "json", "json": {}}})  # fmt: skip
            handle = await start(
                temporal_env.client, task_queue, graph(call, edges=[("start", "call")])
            )
            async with asyncio.timeout(60):
                await made.wait()
            await asyncio.sleep(1.5)  # the attempt has beaten at least once: a live attempt
            process.kill()
            await process.wait()
            killed = time.monotonic()
            async with worker(temporal_env.client, task_queue, services=services):
                state = await handle.result()
            print(f"\nrun finished {time.monotonic() - killed:.1f} s after its worker was killed")
            release.set()
    finally:
        release.set()
        await services.close()
        if process is not None and process.returncode is None:
            process.kill()
            await process.wait()

    assert state.status == "succeeded", state.error
    assert len(effects) == 1, effects
    assert state.nodes["call"].output["body"] == {"effect": 1}
    attempt, identity = await last_start_of(handle, "http.request")
    assert attempt == 2, "the attempt the killed worker ran must have been retried"
    assert identity.startswith(f"{os.getpid()}@"), "the replacement worker finished it"
