"""A worker process killed in the middle of a run, the run failing on the replacement worker,
and a rerun from the failed step through the API: every action takes effect exactly once.

On the dev server: a worker that dies in the middle of a task would stop the time-skipping
server's clock for good (tests/utils/temporal.py)."""

from __future__ import annotations

from pathlib import Path

from temporalio.testing import WorkflowEnvironment

from activities.registry import action_services_from_settings
from app.api.main import create_app
from emulator.testing import EmulatorHandle
from temporal.worker import build_worker
from tests.activities.test_worker_crash import forget_sticky_queue, worker_process
from tests.utils.api import create_workflow, eventually, manual_then, start_run, wait_for_end
from tests.utils.api_servers import SHUTDOWN_GRACE, make_settings
from tests.utils.effects import effects_service
from tests.utils.factories import new_organization
from tests.utils.servers import http_client, serve


async def test_a_run_failed_after_its_worker_was_killed_reruns_from_the_failed_step_once(
    temporal_env: WorkflowEnvironment,
    task_queue: str,
    shared_database_url: str,
    emulator: EmulatorHandle,
    tmp_path: Path,
) -> None:
    target = temporal_env.client.service_client.config.target_host
    settings = make_settings(shared_database_url, target, task_queue, tmp_path)
    _, key = await new_organization(settings, "Crash")
    services = action_services_from_settings(settings)
    process = await worker_process(
        temporal_env, task_queue, shared_database_url, emulator, tmp_path
    )
    try:
        async with (
            effects_service() as effects,
            serve(create_app(settings)) as url,
            http_client(
                base_url=url, headers={"Authorization": f"Bearer {key}"}, timeout=30
            ) as client,
        ):
            graph = manual_then(
                effects.node("first", "/first"),
                # The attempt the killed worker made is given up after 3 s, then retried.
                effects.node(
                    "second", "/second", timeout_seconds=3,
                    retry={"maximum_attempts": 2, "initial_interval_seconds": 1},
                ),
            )  # fmt: skip
            effects.hanging.add("second")
            run_id = await start_run(client, await create_workflow(client, graph))
            await eventually(lambda: _arrived(effects.arrived), bool, seconds=60)
            process.kill()
            await process.wait()
            await forget_sticky_queue(
                temporal_env.client, temporal_env.client.get_workflow_handle(run_id)
            )
            # The platform now refuses the step: the replacement worker's retry fails the run.
            effects.hanging.clear()
            effects.failing.add("second")
            async with build_worker(
                temporal_env.client, task_queue, services=services,
                graceful_shutdown=SHUTDOWN_GRACE,
            ):  # fmt: skip
                failed = await eventually(
                    lambda: client.get(f"/runs/{run_id}"),
                    lambda answer: answer.json()["status"] != "running",
                    seconds=60,
                )
                assert failed.json()["status"] == "failed", failed.text
                assert failed.json()["error"]["node_id"] == "second"
                assert effects.done == {"first": 1}

                effects.failing.clear()
                rerun = await client.post(f"/runs/{run_id}/rerun", json={"from": "failed_step"})
                assert rerun.status_code == 201, rerun.text
                final = await wait_for_end(client, rerun.json()["id"])

            assert final["status"] == "succeeded", final
            assert final["reused_nodes"] == ["first"]
            assert effects.done == {"first": 1, "second": 1}, "each action took effect once"
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
        await services.close()


async def _arrived(arrived: dict[str, int]) -> bool:
    """Whether the killed worker's attempt at `second` reached the platform."""
    return arrived.get("second", 0) > 0
