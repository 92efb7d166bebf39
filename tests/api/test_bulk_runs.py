"""Bulk operations on runs over real HTTP on a real Temporal server: counted first (a dry
run), cancelled or terminated through a Temporal batch operation, rerun one by one; bounded,
and recorded with who asked, when, the filter and how many runs matched."""

from __future__ import annotations

from typing import Any

import pytest

from app.services.runs import bulk
from tests.conftest import ApiHarness
from tests.utils.api import (
    FAILING_GRAPH,
    WAITING_GRAPH,
    create_workflow,
    eventually,
    run_state,
    start_run,
    wait_for_end,
    wait_until_waiting,
)


async def waiting_runs(api: ApiHarness, count: int) -> tuple[str, list[str]]:
    workflow_id = await create_workflow(api.client, WAITING_GRAPH)
    run_ids = [await start_run(api.client, workflow_id) for _ in range(count)]
    for run_id in run_ids:
        await wait_until_waiting(api.client, run_id, "pay")
    return workflow_id, run_ids


async def matched_when_visible(api: ApiHarness, params: dict[str, str], body: dict[str, Any],
                               count: int) -> dict[str, Any]:  # fmt: skip
    """A dry run, once visibility shows all `count` runs."""
    answer = await eventually(
        lambda: api.client.post("/runs/bulk", params=params, json=body),
        lambda response: response.status_code != 200 or response.json()["matched"] == count,
    )
    assert answer.status_code == 200, answer.text
    found: dict[str, Any] = answer.json()
    return found


async def test_a_bulk_cancel_counts_first_then_cancels_every_matching_run_and_is_recorded(
    api: ApiHarness,
) -> None:
    workflow_id, run_ids = await waiting_runs(api, 3)
    other_workflow, [other_run] = await waiting_runs(api, 1)
    where = {"workflow_id": workflow_id}

    dry = await matched_when_visible(api, where, {"action": "cancel"}, 3)
    assert dry["id"] is None
    assert dry["dry_run"] is True
    assert sorted(dry["run_ids"]) == sorted(run_ids)
    assert dry["filter"] == {"workflow_id": workflow_id, "status": "running"}
    assert (await api.client.get("/bulk-operations")).json()["data"] == [], "a dry run is not kept"

    done = await api.client.post(
        "/runs/bulk", params=where, json={"action": "cancel", "dry_run": False}
    )
    assert done.status_code == 200, done.text
    operation = done.json()
    assert operation["matched"] == 3
    assert operation["dry_run"] is False
    for run_id in run_ids:
        assert (await wait_for_end(api.client, run_id))["status"] == "cancelled"
    assert (await run_state(api.client, other_run))["status"] == "running", other_workflow

    recorded = await eventually(
        lambda: api.client.get(f"/bulk-operations/{operation['id']}"),
        lambda response: response.json()["batch"]["state"] == "completed",
    )
    shown = recorded.json()
    assert shown["batch"]["total"] == 3
    assert shown["batch"]["completed"] == 3
    assert shown["key_id"] is not None
    assert shown["created_at"] is not None
    assert shown["filter"] == {"workflow_id": workflow_id, "status": "running"}
    listed = (await api.client.get("/bulk-operations")).json()["data"]
    assert [each["id"] for each in listed] == [operation["id"]]
    await api.client.post(f"/runs/{other_run}/cancel")


async def test_a_bulk_terminate_terminates_the_running_runs(api: ApiHarness) -> None:
    workflow_id, run_ids = await waiting_runs(api, 2)
    where = {"workflow_id": workflow_id, "status": "running"}
    await matched_when_visible(api, where, {"action": "terminate"}, 2)
    done = await api.client.post(
        "/runs/bulk", params=where, json={"action": "terminate", "dry_run": False, "reason": "x"}
    )
    assert done.status_code == 200, done.text
    assert done.json()["options"]["reason"] == "x"
    for run_id in run_ids:
        assert (await wait_for_end(api.client, run_id))["status"] == "terminated"


async def test_a_bulk_rerun_starts_each_failed_run_again_and_records_the_new_runs(
    api: ApiHarness,
) -> None:
    workflow_id = await create_workflow(api.client, FAILING_GRAPH)
    failed = [await start_run(api.client, workflow_id, {"n": n}) for n in (1, 2)]
    for run_id in failed:
        await wait_for_end(api.client, run_id)
    where = {"workflow_id": workflow_id, "status": "failed"}
    body = {"action": "rerun", "from": "failed_step"}
    await matched_when_visible(api, where, body, 2)

    done = await api.client.post("/runs/bulk", params=where, json={**body, "dry_run": False})

    assert done.status_code == 200, done.text
    operation = done.json()
    assert sorted(operation["outcomes"]) == sorted(failed)
    assert operation["options"]["from"] == "failed_step"
    for original, outcome in operation["outcomes"].items():
        again = await wait_for_end(api.client, outcome["run_id"])
        assert again["rerun_of"] == original
        assert again["input"]["n"] in (1, 2)


async def test_bulk_operations_refuse_what_they_cannot_act_on(
    api: ApiHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    cancel_done = await api.client.post(
        "/runs/bulk", params={"status": "succeeded"}, json={"action": "cancel"}
    )
    assert cancel_done.status_code == 422
    assert cancel_done.json()["error"]["details"][0]["path"] == ["query", "status"]
    rerun_any = await api.client.post("/runs/bulk", json={"action": "rerun"})
    assert rerun_any.status_code == 422
    assert "failed" in rerun_any.json()["error"]["message"]
    unknown = await api.client.post("/runs/bulk", json={"action": "delete"})
    assert unknown.status_code == 422
    assert unknown.json()["error"]["details"][0]["path"] == ["body", "action"]
    assert (await api.client.get("/bulk-operations/bulk_nope")).status_code == 404

    workflow_id, run_ids = await waiting_runs(api, 2)
    await matched_when_visible(api, {"workflow_id": workflow_id}, {"action": "cancel"}, 2)
    monkeypatch.setattr(bulk, "MAX_RUNS", 1)  # the bound, not the code, made small
    over = await api.client.post(
        "/runs/bulk",
        params={"workflow_id": workflow_id},
        json={"action": "cancel", "dry_run": False},
    )
    assert over.status_code == 422, over.text
    assert over.json()["error"]["details"][0]["code"] == "too_many_runs"
    assert "2 runs match" in over.json()["error"]["message"]
    for run_id in run_ids:
        assert (await run_state(api.client, run_id))["status"] == "running"
        await api.client.post(f"/runs/{run_id}/cancel")
