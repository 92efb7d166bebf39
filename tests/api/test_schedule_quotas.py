"""Run quotas hold for runs fired by Temporal Schedules too (issue 15 point 6): such a run asks
to be admitted before its first node and, refused, fails with `QuotaExceeded` having done
none of its work; the hour's count is taken once per run however often it asks. Real
Temporal dev server, real SQLite and PostgreSQL, the schedule triggered by hand."""

from __future__ import annotations

import asyncio
from typing import Any

from app.contract.failures import FailureType
from app.db.engine import Database
from app.services.quotas import RunQuotas, running_query
from tests.api.test_run_quotas import set_quotas
from tests.api.test_schedules import scheduled_graph
from tests.conftest import ApiHarness
from tests.utils.api import (
    WAITING_GRAPH,
    create_workflow,
    eventually,
    start_run,
    wait_for_end,
    wait_until_waiting,
)


async def trigger(api: ApiHarness, workflow_id: str) -> dict[str, Any]:
    """Fire the schedule now and wait for the run it started to end."""
    response = await api.client.post(f"/workflows/{workflow_id}/schedules/tick/trigger")
    assert response.status_code == 202, response.text
    run_id = response.json()["run_id"]
    assert run_id is not None
    return await wait_for_end(api.client, run_id)


async def runs_started_this_hour(api: ApiHarness) -> int:
    quotas = (await api.client.get("/organization")).json()["quotas"]
    count: int = quotas["runs_started_this_hour"]
    return count


async def test_a_scheduled_run_over_runs_per_hour_fails_quota_exceeded(api: ApiHarness) -> None:
    workflow_id = await create_workflow(api.client, scheduled_graph())
    await api.client.post(f"/workflows/{workflow_id}/activate")
    await set_quotas(api.client, runs_per_hour=1)
    # Ended before the next trigger: the schedule's overlap policy would skip it otherwise.
    first = await trigger(api, workflow_id)
    assert first["status"] == "succeeded", first
    assert first["output"]["stamp"].startswith("daily due ")
    # Temporal names a scheduled run by its second: a trigger within the first's second
    # would start a run of the same id, which the trigger's answer cannot tell apart.
    await asyncio.sleep(1.1)
    second = await trigger(api, workflow_id)
    assert second["status"] == "failed", second
    assert second["error"]["type"] == FailureType.QuotaExceeded.value, second["error"]
    assert second["error"]["node_id"] == "tick"
    assert "runs_per_hour" in second["error"]["message"]
    assert "try again at" in second["error"]["message"]
    # Refused before its first node: the transform never ran.
    assert second["output"] is None
    assert second["nodes"].get("stamp", {}).get("status") in (None, "pending", "cancelled")
    assert await runs_started_this_hour(api) == 1


async def test_a_scheduled_run_over_runs_at_once_fails_but_never_counts_itself(
    api: ApiHarness,
) -> None:
    scheduled = await create_workflow(api.client, scheduled_graph())
    await api.client.post(f"/workflows/{scheduled}/activate")
    await set_quotas(api.client, max_concurrent_runs=1)
    # Alone, the scheduled run is running as it asks: it is not one run too many.
    alone = await trigger(api, scheduled)
    assert alone["status"] == "succeeded", alone
    waiting = await start_run(api.client, await create_workflow(api.client, WAITING_GRAPH))
    await wait_until_waiting(api.client, waiting, "pay")

    async def running() -> int:
        return (await api.temporal.count_workflows(running_query(api.organization_id))).count

    # Temporal's visibility shows a started run shortly after it starts.
    await eventually(running, lambda count: count >= 1)
    await asyncio.sleep(1.1)  # a run id per trigger (see above)
    refused = await trigger(api, scheduled)
    assert refused["status"] == "failed", refused
    assert refused["error"]["type"] == FailureType.QuotaExceeded.value
    assert "max_concurrent_runs is 1" in refused["error"]["message"]
    assert (await api.client.post(f"/runs/{waiting}/cancel")).status_code == 202


async def test_without_quotas_every_scheduled_run_runs(api: ApiHarness) -> None:
    workflow_id = await create_workflow(api.client, scheduled_graph())
    await api.client.post(f"/workflows/{workflow_id}/activate")
    for _ in range(2):
        await asyncio.sleep(1.1)  # a run id per trigger (see above)
        run = await trigger(api, workflow_id)
        assert run["status"] == "succeeded", run
    # Nothing is counted when no quota asks for it.
    assert await runs_started_this_hour(api) == 0


async def test_admitting_one_scheduled_run_again_counts_it_once(api: ApiHarness) -> None:
    """What a retried admission activity does: the same run id asks twice."""
    await set_quotas(api.client, runs_per_hour=2)
    database = Database(api.settings.resolved_database_url)
    try:
        quotas = RunQuotas(database, api.temporal)
        for _ in range(3):
            admitted = await quotas.admit(
                api.organization_id, run_id="run_sched-once", execution_id="exec-once"
            )
            assert admitted.hour is not None
        assert await runs_started_this_hour(api) == 1
        await quotas.admit(api.organization_id, run_id="run_sched-other", execution_id="exec-other")
        assert await runs_started_this_hour(api) == 2
        # The quota spent, the first run asking again is still admitted.
        await quotas.admit(api.organization_id, run_id="run_sched-once", execution_id="exec-once")
    finally:
        await database.dispose()
