"""Reading a running run when no worker answers its state query: the API still answers."""

from __future__ import annotations

import contextlib
from pathlib import Path

from temporalio.testing import WorkflowEnvironment

from activities.registry import action_services_from_settings
from app.api.main import create_app
from temporal.worker import build_worker
from tests.conftest import make_settings
from tests.utils.api import WAITING_GRAPH, create_workflow, eventually, start_run
from tests.utils.factories import new_organization
from tests.utils.servers import http_client, serve


async def test_a_running_run_without_a_worker_reads_as_running_without_node_detail(
    shared_database_url: str, temporal_env: WorkflowEnvironment, task_queue: str, tmp_path: Path
) -> None:
    target = temporal_env.client.service_client.config.target_host
    settings = make_settings(shared_database_url, target, task_queue, tmp_path)
    _, api_key = await new_organization(settings, "Tests")
    services = action_services_from_settings(settings)
    async with (
        serve(create_app(settings)) as url,
        http_client(
            base_url=url, headers={"Authorization": f"Bearer {api_key}"}, timeout=60
        ) as client,
    ):
        # The dev server, not the time-skipping one: a run left without a worker there
        # would stop its clock for every later test.
        async with build_worker(temporal_env.client, task_queue, services=services):
            workflow_id = await create_workflow(client, WAITING_GRAPH)
            run_id = await start_run(client, workflow_id)

            async def live() -> dict[str, object]:
                run: dict[str, object] = (await client.get(f"/runs/{run_id}")).json()
                return run

            waiting = await eventually(live, lambda run: bool(run.get("waiting_for")))
            assert waiting["state_unavailable"] is None
        # The worker is gone (it stopped between workflow tasks: the run waits for an
        # event). Unbounded, the query waited for a worker and the request hung.
        response = await client.get(f"/runs/{run_id}")
        with contextlib.suppress(Exception):
            await temporal_env.client.get_workflow_handle(run_id).terminate("test over")
    await services.close()
    assert response.status_code == 200, response.text
    run = response.json()
    assert run["status"] == "running"
    assert run["nodes"] == {}
    assert "no worker answered" in run["state_unavailable"]
    assert run["started_at"] is not None
