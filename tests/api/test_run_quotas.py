"""An organization's run quotas (issue 15 point 6): runs started per hour and runs at once, set
through `PATCH /organization`, enforced for every start through the API across API processes
sharing the database, answered 429 with `Retry-After` and a detail code, one organization's
quota never touching another's. Real Temporal dev server, real SQLite and PostgreSQL, two API
apps over real HTTP."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from app.api.main import create_app
from tests.api.test_bulk_runs import matched_when_visible
from tests.api.test_webhooks import deliver, signed, webhook
from tests.conftest import ApiHarness
from tests.utils.api import (
    FAILING_GRAPH,
    WAITING_GRAPH,
    create_workflow,
    eventually,
    foreign_client,
    start_run,
    wait_for_end,
    wait_until_waiting,
)
from tests.utils.servers import http_client, serve


async def set_quotas(client: httpx.AsyncClient, **quotas: Any) -> dict[str, Any]:
    response = await client.patch("/organization", json={"quotas": quotas})
    assert response.status_code == 200, response.text
    answered: dict[str, Any] = response.json()["quotas"]
    return answered


def refused(response: httpx.Response, code: str) -> int:
    """The `Retry-After` of a 429 whose detail carries `code`."""
    assert response.status_code == 429, response.text
    [detail] = response.json()["error"]["details"]
    assert detail["code"] == code
    assert detail["path"][-1] in response.json()["error"]["message"]
    return int(response.headers["Retry-After"])


async def test_quotas_are_set_read_and_cleared_through_the_organization(api: ApiHarness) -> None:
    fresh = (await api.client.get("/organization")).json()["quotas"]
    assert fresh == {
        "runs_per_hour": None, "max_concurrent_runs": None, "runs_started_this_hour": 0,
    }  # fmt: skip
    assert await set_quotas(api.client, runs_per_hour=100) == {
        "runs_per_hour": 100, "max_concurrent_runs": None, "runs_started_this_hour": 0,
    }  # fmt: skip
    # A field left out stays; null lifts the limit.
    await set_quotas(api.client, max_concurrent_runs=5)
    both = (await api.client.get("/organization")).json()["quotas"]
    assert (both["runs_per_hour"], both["max_concurrent_runs"]) == (100, 5)
    cleared = await set_quotas(api.client, runs_per_hour=None)
    assert (cleared["runs_per_hour"], cleared["max_concurrent_runs"]) == (None, 5)


@pytest.mark.parametrize(
    ("quotas", "field", "code"),
    [
        ({"runs_per_hour": 0}, "runs_per_hour", "out_of_range"),
        ({"max_concurrent_runs": -1}, "max_concurrent_runs", "out_of_range"),
        ({"runs_per_hour": "many"}, "runs_per_hour", "wrong_type"),
        ({"runs_per_hour": 10**9}, "runs_per_hour", "out_of_range"),
        ({"per_minute": 3}, "per_minute", "unknown_field"),
    ],
)
async def test_wrong_quotas_are_422_naming_the_field_and_change_nothing(
    api: ApiHarness, quotas: dict[str, Any], field: str, code: str
) -> None:
    await set_quotas(api.client, runs_per_hour=7)
    response = await api.client.patch("/organization", json={"quotas": quotas})
    assert response.status_code == 422, response.text
    [detail] = response.json()["error"]["details"]
    assert detail["path"] == ["body", "quotas", field]
    assert detail["code"] == code
    assert (await api.client.get("/organization")).json()["quotas"]["runs_per_hour"] == 7


async def test_only_an_admin_key_sets_quotas(api: ApiHarness) -> None:
    made = await api.client.post("/api-keys", json={"name": "writer", "scope": "write"})
    async with http_client(
        base_url=api.url, headers={"Authorization": f"Bearer {made.json()['key']}"}, timeout=30
    ) as writer:
        response = await writer.patch("/organization", json={"quotas": {"runs_per_hour": 1}})
    assert response.status_code == 403, response.text
    assert (await api.client.get("/organization")).json()["quotas"]["runs_per_hour"] is None


async def test_runs_per_hour_holds_across_two_api_processes_sharing_the_database(
    api: ApiHarness,
) -> None:
    workflow_id = await create_workflow(api.client)
    await set_quotas(api.client, runs_per_hour=3)
    async with (
        serve(create_app(api.settings)) as other_url,
        http_client(base_url=other_url, headers=api.client.headers, timeout=30) as other,
    ):
        await start_run(api.client, workflow_id)
        await start_run(other, workflow_id)
        await start_run(api.client, workflow_id)
        for client in (other, api.client):
            response = await client.post(f"/workflows/{workflow_id}/runs", json={"input": None})
            retry_after = refused(response, "quota_runs_per_hour")
            now = datetime.now(UTC)
            until_next_hour = 3600 - (now.minute * 60 + now.second)
            assert 1 <= retry_after <= until_next_hour + 1
    quotas = (await api.client.get("/organization")).json()["quotas"]
    assert quotas["runs_started_this_hour"] == 3
    listed = (await api.client.get("/runs", params={"workflow_id": workflow_id})).json()
    assert listed["count"] == 3


async def test_a_repeated_request_gives_its_count_back(api: ApiHarness) -> None:
    workflow_id = await create_workflow(api.client)
    await set_quotas(api.client, runs_per_hour=2)
    for _ in range(2):
        response = await api.client.post(
            f"/workflows/{workflow_id}/runs",
            json={"input": None},
            headers={"Idempotency-Key": "once"},
        )
        assert response.status_code in (200, 201), response.text
    assert (await api.client.get("/organization")).json()["quotas"]["runs_started_this_hour"] == 1
    await start_run(api.client, workflow_id)
    response = await api.client.post(f"/workflows/{workflow_id}/runs", json={"input": None})
    refused(response, "quota_runs_per_hour")
    # The quota spent, the repeat still answers with the run it started, and a new key is 429.
    repeat = await api.client.post(
        f"/workflows/{workflow_id}/runs", json={"input": None}, headers={"Idempotency-Key": "once"}
    )
    assert repeat.status_code == 200, repeat.text
    new_key = await api.client.post(
        f"/workflows/{workflow_id}/runs", json={"input": None}, headers={"Idempotency-Key": "new"}
    )
    refused(new_key, "quota_runs_per_hour")


async def test_runs_at_once_are_limited_until_one_ends(api: ApiHarness) -> None:
    workflow_id = await create_workflow(api.client, WAITING_GRAPH)
    await set_quotas(api.client, max_concurrent_runs=1)
    first = await start_run(api.client, workflow_id)
    await wait_until_waiting(api.client, first, "pay")

    async def second_start() -> httpx.Response:
        return await api.client.post(f"/workflows/{workflow_id}/runs", json={"input": None})

    # Temporal's visibility shows a started run shortly after it starts.
    response = await eventually(second_start, lambda answer: answer.status_code == 429)
    assert refused(response, "quota_concurrent_runs") >= 1
    assert (await api.client.post(f"/runs/{first}/cancel")).status_code == 202
    started = await eventually(second_start, lambda answer: answer.status_code == 201)
    assert started.json()["id"] != first


async def test_one_organizations_quota_never_refuses_another(api: ApiHarness) -> None:
    workflow_id = await create_workflow(api.client)
    await set_quotas(api.client, runs_per_hour=1)
    await start_run(api.client, workflow_id)
    refused(
        await api.client.post(f"/workflows/{workflow_id}/runs", json={"input": None}),
        "quota_runs_per_hour",
    )
    async with await foreign_client(api) as other:
        theirs = await create_workflow(other)
        for _ in range(2):
            await start_run(other, theirs)
        assert (await other.get("/organization")).json()["quotas"]["runs_per_hour"] is None
        # Nor can it read or spend this organization's quota through a run id of ours.
        assert (await other.post(f"/workflows/{workflow_id}/runs", json={})).status_code == 404


async def test_a_webhook_delivery_over_quota_is_429_and_its_retry_starts_the_run(
    api: ApiHarness,
) -> None:
    _, url, secret = await webhook(api)
    await set_quotas(api.client, runs_per_hour=1)
    first = json.dumps({"n": 1}).encode()
    second = json.dumps({"n": 2}).encode()
    accepted = await deliver(url, first, **{"X-Hub-Signature-256": signed(secret, first)})
    assert accepted.status_code == 202, accepted.text
    over = await deliver(url, second, **{"X-Hub-Signature-256": signed(secret, second)})
    refused(over, "quota_runs_per_hour")
    # The sender retries once the quota allows (here: raised): the same delivery starts its run.
    await set_quotas(api.client, runs_per_hour=2)
    again = await deliver(url, second, **{"X-Hub-Signature-256": signed(secret, second)})
    assert again.status_code == 202, again.text
    assert again.json()["created"] is True


async def test_reruns_count_and_a_bulk_rerun_records_each_refusal(api: ApiHarness) -> None:
    workflow_id = await create_workflow(api.client, FAILING_GRAPH)
    await set_quotas(api.client, runs_per_hour=4)
    failed = [await start_run(api.client, workflow_id, {"n": n}) for n in range(3)]
    for run_id in failed:
        await wait_for_end(api.client, run_id)
    where = {"workflow_id": workflow_id, "status": "failed"}
    body = {"action": "rerun"}
    await matched_when_visible(api, where, body, 3)
    done = await api.client.post("/runs/bulk", params=where, json={**body, "dry_run": False})
    assert done.status_code == 200, done.text
    outcomes = done.json()["outcomes"]
    assert sorted(outcomes) == sorted(failed)
    assert sum("run_id" in outcome for outcome in outcomes.values()) == 1
    refusals = [outcome["error"] for outcome in outcomes.values() if "error" in outcome]
    assert len(refusals) == 2
    assert all("runs_per_hour" in refusal for refusal in refusals)
    rerun = await api.client.post(f"/runs/{failed[0]}/rerun", json={})
    refused(rerun, "quota_runs_per_hour")
