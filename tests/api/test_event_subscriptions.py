"""Run event subscriptions (issue 16 point 4b): URLs an organization subscribes to runs
failing, succeeding and waiting for approval, delivered signed (Standard Webhooks) to a real
receiver over HTTP, once per event and subscription, logged, and managed through the API.
Real Temporal dev server and worker, SQLite and PostgreSQL. The retry schedule's waits are
in tests/activities/test_run_event_delivery.py, on the time-skipping server."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from standardwebhooks import Webhook
from temporalio.testing import ActivityEnvironment

from activities.run_events.publishing import RunEventPublisher
from app.contract.run_events import PUBLISH_ACTIVITY, RunEvent, delivery_workflow_id, event_id
from app.db.engine import Database
from app.services.runs.starting import new_run_id
from tests.api.test_organization import allow_private_networks
from tests.api.test_webhooks import deliver, signed, webhook
from tests.conftest import ApiHarness
from tests.utils.api import (
    FAILING_GRAPH,
    as_key,
    create_workflow,
    eventually,
    foreign_client,
    manual_then,
    start_run,
    wait_for_end,
    wait_until_waiting,
)
from tests.utils.api_servers import SharedApis, organization_on
from tests.utils.event_receiver import Receiver, payload, verify_signature
from tests.utils.servers import serve
from tests.utils.temporal import history_text

ECHO = manual_then({"id": "echo", "type": "transform", "parameters": {"value": "{{ trigger }}"}})
APPROVAL = manual_then({"id": "review", "type": "approval", "parameters": {"message": "ok?"}})
ALL_EVENTS = ["run.failed", "run.succeeded", "run.waiting_for_approval"]


@pytest.fixture
async def receiver() -> AsyncIterator[tuple[Receiver, str]]:
    events = Receiver()
    async with serve(events.app()) as url:
        yield events, url


async def subscribe(
    client: httpx.AsyncClient, url: str, events: list[str] | None = None, **fields: Any
) -> dict[str, Any]:
    response = await client.post(
        "/event-subscriptions", json={"url": url, "event_types": events or ALL_EVENTS, **fields}
    )
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def deliveries(client: httpx.AsyncClient, subscription_id: str) -> list[dict[str, Any]]:
    response = await client.get(f"/event-subscriptions/{subscription_id}/deliveries")
    assert response.status_code == 200, response.text
    data: list[dict[str, Any]] = response.json()["data"]
    return data


async def test_each_run_event_is_delivered_signed(
    api: ApiHarness, receiver: tuple[Receiver, str]
) -> None:
    events, url = receiver
    subscription = await subscribe(api.client, f"{url}/all", description="ops")
    secret = subscription["secret"]
    assert secret.startswith("whsec_")
    fine = await create_workflow(api.client, ECHO, name="fine")
    failing = await create_workflow(api.client, FAILING_GRAPH, name="fails")
    waiting = await create_workflow(api.client, APPROVAL, name="waits")
    succeeded = await start_run(api.client, fine, {"token": "not in any event"})
    failed = await start_run(api.client, failing, {"n": 3})
    paused = await start_run(api.client, waiting, {})
    await wait_for_end(api.client, succeeded)
    await wait_for_end(api.client, failed)
    await wait_until_waiting(api.client, paused, "review")

    got = await eventually(lambda: _received(events, "all"), lambda found: len(found) == 3)
    by_type = {payload(one)["type"]: one for one in got}
    assert set(by_type) == set(ALL_EVENTS)
    for one in got:
        verify_signature(secret, one)
        # The reference implementation agrees (it checks the timestamp's tolerance too).
        Webhook(secret).verify(one.body, one.headers)
        assert one.headers["webhook-id"] == payload(one)["id"]
        assert one.headers["content-type"] == "application/json"
    assert b"not in any event" not in b"".join(one.body for one in got)

    done = payload(by_type["run.succeeded"])
    assert done["id"] == event_id(succeeded, "run.succeeded")
    assert done["data"] == {
        "run_id": succeeded,
        "workflow_id": fine,
        "workflow_name": "fine",
        "workflow_version": 1,
        "status": "succeeded",
    }
    broke = payload(by_type["run.failed"])["data"]
    assert (broke["run_id"], broke["workflow_name"], broke["status"]) == (failed, "fails", "failed")
    assert broke["node_id"] == "boom"
    assert broke["error"] == {"type": "WorkflowFailed", "message": "failed on 3"}
    asked = payload(by_type["run.waiting_for_approval"])
    assert asked["id"] == event_id(paused, "run.waiting_for_approval", "review")
    assert asked["data"]["approval_node_id"] == "review"
    assert asked["data"]["status"] == "waiting"

    log = await eventually(
        lambda: deliveries(api.client, subscription["id"]), lambda found: len(found) == 3
    )
    assert {entry["outcome"] for entry in log} == {"delivered"}
    assert {entry["status_code"] for entry in log} == {204}
    assert {entry["run_id"] for entry in log} == {succeeded, failed, paused}
    assert all(entry["attempt"] == 1 and entry["duration_ms"] >= 0 for entry in log)
    await api.client.post(f"/runs/{paused}/cancel")


async def _received(events: Receiver, path: str) -> list[Any]:
    return list(events.received[path])


async def test_subscriptions_get_only_their_events(
    api: ApiHarness, receiver: tuple[Receiver, str]
) -> None:
    """By event type, by workflow, not when disabled, and never another organization's."""
    events, url = receiver
    fine = await create_workflow(api.client, ECHO, name="fine")
    other = await create_workflow(api.client, ECHO, name="other")
    await subscribe(api.client, f"{url}/failures", ["run.failed"])
    await subscribe(api.client, f"{url}/fine-only", ["run.succeeded"], workflow_ids=[fine])
    off = await subscribe(api.client, f"{url}/off", enabled=False)
    await subscribe(api.client, f"{url}/witness", ["run.succeeded"])
    first = await start_run(api.client, other, {})
    second = await start_run(api.client, fine, {})
    await wait_for_end(api.client, first)
    await wait_for_end(api.client, second)
    got = await eventually(lambda: _received(events, "witness"), lambda found: len(found) == 2)
    assert {payload(one)["data"]["run_id"] for one in got} == {first, second}
    await eventually(lambda: _received(events, "fine-only"), lambda found: len(found) == 1)
    [only] = events.received["fine-only"]
    assert payload(only)["data"]["run_id"] == second
    assert events.received["failures"] == []
    assert events.received["off"] == []
    assert await deliveries(api.client, off["id"]) == []


async def test_another_organizations_runs_reach_no_subscription_of_ours(
    api: ApiHarness, receiver: tuple[Receiver, str]
) -> None:
    events, url = receiver
    ours = await subscribe(api.client, f"{url}/ours")
    async with await foreign_client(api) as other:
        theirs = await create_workflow(other, ECHO, name="theirs")
        run_id = await start_run(other, theirs, {})
        await wait_for_end(other, run_id)
        assert (await other.get(f"/event-subscriptions/{ours['id']}")).status_code == 404
        listed = (await other.get("/event-subscriptions")).json()
        assert listed == {"data": [], "count": 0}
    witness = await create_workflow(api.client, ECHO, name="mine")
    mine = await start_run(api.client, witness, {})
    await wait_for_end(api.client, mine)
    got = await eventually(lambda: _received(events, "ours"), lambda found: len(found) >= 1)
    assert [payload(one)["data"]["run_id"] for one in got] == [mine]


async def _published(api: ApiHarness, run_id: str) -> bool:
    """Whether the run took its publishing step (a local activity, recorded as a marker)."""
    await wait_for_end(api.client, run_id)
    return PUBLISH_ACTIVITY in await history_text(api.temporal.get_workflow_handle(run_id))


async def _hooked_run(api: ApiHarness, url: str, secret: str) -> str:
    body = json.dumps({"delivery": new_run_id()}).encode()  # not a repeat of an earlier one
    answer = await deliver(url, body, **{"X-Hub-Signature-256": signed(secret, body)})
    assert answer.status_code == 202, answer.text
    run_id: str = answer.json()["run_id"]
    return run_id


async def test_a_run_no_subscription_listens_to_skips_publishing(
    api: ApiHarness, receiver: tuple[Receiver, str]
) -> None:
    """Whether a run publishes is read where it starts, by hand or by a webhook: a run that
    no enabled subscription would hear of spends nothing on its events, and a subscription
    hears of the runs started once it is enabled."""
    events, url = receiver
    hooked, hook_url, secret = await webhook(api)
    fine = await create_workflow(api.client, ECHO, name="fine")
    assert not await _published(api, await start_run(api.client, fine, {}))
    assert not await _published(api, await _hooked_run(api, hook_url, secret))

    off = await subscribe(api.client, f"{url}/later", enabled=False)
    await subscribe(api.client, f"{url}/elsewhere", workflow_ids=[hooked])
    assert not await _published(api, await start_run(api.client, fine, {}))
    assert await _published(api, await _hooked_run(api, hook_url, secret))

    enabled = await api.client.patch(f"/event-subscriptions/{off['id']}", json={"enabled": True})
    assert enabled.status_code == 200, enabled.text
    heard = await start_run(api.client, fine, {})
    assert await _published(api, heard)
    got = await eventually(lambda: _received(events, "later"), lambda found: len(found) == 1)
    assert payload(got[0])["data"]["run_id"] == heard


async def test_an_event_published_twice_is_delivered_once(
    api: ApiHarness, receiver: tuple[Receiver, str]
) -> None:
    """The publishing activity run again, as after a worker died before it reported."""
    events, url = receiver
    subscription = await subscribe(api.client, f"{url}/once")
    workflow_id = await create_workflow(api.client, ECHO, name="once")
    event = RunEvent(
        type="run.succeeded",
        organization_id=api.organization_id,
        # Its own id: both databases' tests share one Temporal server, where ids are unique.
        run_id=new_run_id(),
        workflow_id=workflow_id,
        workflow_version=1,
        status="succeeded",
        at=datetime.now(UTC),
    )
    database = Database(api.settings.resolved_database_url, api.settings.database_pool)
    try:
        publisher = RunEventPublisher(database)
        environment = ActivityEnvironment(client=api.temporal)
        environment.info = replace(environment.info, task_queue=api.settings.temporal_task_queue)
        first = await environment.run(publisher.publish, event)
        again = await environment.run(publisher.publish, event)
    finally:
        await database.dispose()
    assert (first, again) == (1, 0)
    handle = api.temporal.get_workflow_handle(delivery_workflow_id(event.id, subscription["id"]))
    assert await handle.result() == "delivered"
    assert len(events.received["once"]) == 1
    assert [entry["event_id"] for entry in await deliveries(api.client, subscription["id"])] == [
        event.id
    ]
    # The secret never travels through Temporal: neither the delivery's history nor the run's.
    assert subscription["secret"] not in await history_text(handle)
    assert subscription["secret"].removeprefix("whsec_") not in await history_text(handle)


async def test_managing_subscriptions(api: ApiHarness) -> None:
    created = await subscribe(api.client, "https://93.184.216.34/hook", ["run.failed"])
    subscription_id = created["id"]
    first_secret = created["secret"]
    shown = (await api.client.get(f"/event-subscriptions/{subscription_id}")).json()
    assert "secret" not in shown
    assert "secret_sealed" not in shown
    assert shown["event_types"] == ["run.failed"]
    assert shown["enabled"] is True
    listed = (await api.client.get("/event-subscriptions")).json()
    assert [one["id"] for one in listed["data"]] == [subscription_id]
    assert first_secret not in str(listed)

    changed = await api.client.patch(
        f"/event-subscriptions/{subscription_id}",
        json={"enabled": False, "event_types": ["run.succeeded", "run.failed"]},
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["enabled"] is False
    assert changed.json()["event_types"] == ["run.succeeded", "run.failed"]
    half = await api.client.patch(
        f"/event-subscriptions/{subscription_id}",
        json={"event_types": ["run.succeeded"], "workflow_ids": ["wf_" + "0" * 24]},
    )
    assert half.status_code == 422, half.text
    assert half.json()["error"]["details"][0]["path"] == ["body", "workflow_ids", 0]
    bad_url = await api.client.patch(
        f"/event-subscriptions/{subscription_id}", json={"url": "http://93.184.216.34/x"}
    )
    assert bad_url.status_code == 422
    assert bad_url.json()["error"]["details"][0]["path"] == ["body", "url"]
    kept = (await api.client.get(f"/event-subscriptions/{subscription_id}")).json()
    assert kept["event_types"] == ["run.succeeded", "run.failed"]
    assert kept["url"] == "https://93.184.216.34/hook"
    workflow_id = await create_workflow(api.client, ECHO, name="only this")
    narrowed = await api.client.patch(
        f"/event-subscriptions/{subscription_id}", json={"workflow_ids": [workflow_id]}
    )
    assert narrowed.json()["workflow_ids"] == [workflow_id]
    widened = await api.client.patch(
        f"/event-subscriptions/{subscription_id}", json={"workflow_ids": None}
    )
    assert widened.json()["workflow_ids"] is None
    rotated = await api.client.post(f"/event-subscriptions/{subscription_id}/secret")
    assert rotated.status_code == 200, rotated.text
    assert rotated.json()["secret"].startswith("whsec_")
    assert rotated.json()["secret"] != first_secret

    reader_key = (await api.client.post("/api-keys", json={"name": "r", "read_only": True})).json()
    async with as_key(api, reader_key["key"]) as reader:
        assert (await reader.get(f"/event-subscriptions/{subscription_id}")).status_code == 200
        assert (
            await reader.get(f"/event-subscriptions/{subscription_id}/deliveries")
        ).status_code == 200
        refused = await reader.patch(
            f"/event-subscriptions/{subscription_id}", json={"enabled": True}
        )
        assert refused.status_code == 403

    assert (await api.client.delete(f"/event-subscriptions/{subscription_id}")).status_code == 204
    assert (await api.client.get(f"/event-subscriptions/{subscription_id}")).status_code == 404
    assert (
        await api.client.get(f"/event-subscriptions/{subscription_id}/deliveries")
    ).status_code == 404


@pytest.mark.parametrize(
    ("body", "path", "code"),
    [
        ({"url": "ftp://example.com/x"}, ["body", "url"], "invalid_value"),
        ({"url": "http://93.184.216.34/x"}, ["body", "url"], "invalid_value"),
        ({"url": "https://user:pw@93.184.216.34/x"}, ["body", "url"], "invalid_value"),
        ({"url": "not a url"}, ["body", "url"], "wrong_form"),
        ({"url": "https://[::1/x"}, ["body", "url"], "invalid_value"),
        ({"description": "a\u0000b"}, ["body", "description"], "wrong_form"),
        ({"event_types": ["run.exploded"]}, ["body", "event_types", 0], "not_allowed"),
        ({"event_types": []}, ["body", "event_types"], "out_of_range"),
        ({"workflow_ids": ["wf_nothere"]}, ["body", "workflow_ids", 0], "unknown_workflow"),
        ({"secret": "mine"}, ["body", "secret"], "unknown_field"),
    ],
)
async def test_bad_subscriptions_are_refused_naming_the_field(
    api: ApiHarness, body: dict[str, Any], path: list[Any], code: str
) -> None:
    good = {"url": "https://93.184.216.34/hook", "event_types": ["run.failed"]}
    response = await api.client.post("/event-subscriptions", json={**good, **body})
    assert response.status_code == 422, response.text
    details = response.json()["error"]["details"]
    assert [(detail["path"], detail["code"]) for detail in details] == [(path, code)], details
    assert (await api.client.get("/event-subscriptions")).json()["count"] == 0


@pytest.fixture
async def guarded_api(api_servers: SharedApis, backend: str) -> AsyncIterator[ApiHarness]:
    """The API of an engine that keeps organizations off private networks by default (the
    other tests' engine lets every organization call them: their receivers are on loopback)."""
    server = await api_servers.get(backend, http_allow_private_networks=False)
    async with organization_on(server) as harness:
        yield harness


async def test_a_private_receiver_is_refused_until_the_organization_may_call_private_networks(
    guarded_api: ApiHarness, receiver: tuple[Receiver, str]
) -> None:
    _, url = receiver
    client = guarded_api.client
    for private in (f"{url}/x", "https://10.1.2.3/x", "https://[::1]/x", "http://localhost/x"):
        refused = await client.post(
            "/event-subscriptions", json={"url": private, "event_types": ["run.failed"]}
        )
        assert refused.status_code == 422, (private, refused.text)
        [detail] = refused.json()["error"]["details"]
        assert detail["path"] == ["body", "url"]
        assert "may not call private networks" in detail["message"]
    await allow_private_networks(guarded_api)
    await subscribe(client, f"{url}/x", ["run.failed"])
    async with await foreign_client(guarded_api) as other:
        theirs = await other.post(
            "/event-subscriptions", json={"url": f"{url}/x", "event_types": ["run.failed"]}
        )
        assert theirs.status_code == 422
