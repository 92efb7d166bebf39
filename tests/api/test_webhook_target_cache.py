"""What an API process keeps of a webhook between deliveries (`app.services.webhook_targets`)
never outlives a change: a deactivation, a rotated secret or a new version applies from the
next delivery on, also in another API process that had kept the webhook."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from app.api.main import create_app
from app.services.webhook_targets import DeliveryTargets
from tests.api.test_sub_workflows import calling, create, plain
from tests.api.test_webhooks import ECHO, deliver, hook_graph, signed, webhook
from tests.conftest import ApiHarness
from tests.utils.api import wait_for_end
from tests.utils.servers import serve


@pytest.fixture
async def other_api(api: ApiHarness) -> AsyncIterator[str]:
    """A second API process on the same database and Temporal server, with its own memory."""
    async with serve(create_app(api.settings)) as url:
        yield url


def on(api_url: str, hook_url: str) -> str:
    return api_url + "/hooks/" + hook_url.rsplit("/hooks/", 1)[1]


async def delivered(url: str, secret: str, event: Any) -> httpx.Response:
    body = json.dumps({"event": event}).encode()
    return await deliver(url, body, **{"X-Hub-Signature-256": signed(secret, body)})


async def test_a_deactivated_workflow_takes_no_delivery_in_either_process(
    api: ApiHarness, other_api: str
) -> None:
    workflow_id, url, secret = await webhook(api)
    for n, target in enumerate((url, on(other_api, url))):  # both keep the webhook
        assert (await delivered(target, secret, n)).status_code == 202
    deactivated = await api.client.post(f"/workflows/{workflow_id}/deactivate")
    assert deactivated.status_code == 200, deactivated.text
    for n, target in enumerate((url, on(other_api, url)), start=2):
        refused = await delivered(target, secret, n)
        assert refused.status_code == 404
        assert refused.json()["error"]["message"] == "no such webhook, or its workflow is inactive"
    await api.client.post(f"/workflows/{workflow_id}/activate")
    assert (await delivered(on(other_api, url), secret, 4)).status_code == 202


async def test_a_rotated_secret_applies_at_once_in_either_process(
    api: ApiHarness, other_api: str
) -> None:
    workflow_id, url, old = await webhook(api)
    assert (await delivered(on(other_api, url), old, 0)).status_code == 202
    rotated = await api.client.put(f"/workflows/{workflow_id}/webhooks/hook/secret", json={})
    new = rotated.json()["secret"]
    for n, target in enumerate((url, on(other_api, url))):
        refused = await delivered(target, old, f"old-{n}")
        assert refused.status_code == 401
        assert old not in refused.text
        assert (await delivered(target, new, f"new-{n}")).status_code == 202


async def test_a_new_version_runs_from_the_next_delivery_in_either_process(
    api: ApiHarness, other_api: str
) -> None:
    workflow_id, url, secret = await webhook(api)
    first = await delivered(on(other_api, url), secret, "v1")
    assert (await wait_for_end(api.client, first.json()["run_id"]))["workflow_version"] == 1
    graph = hook_graph()
    graph["nodes"][1] = ECHO | {"parameters": {"value": {"again": "{{ trigger.body.event }}"}}}
    updated = await api.client.patch(f"/workflows/{workflow_id}", json={"graph": graph})
    assert updated.json()["latest_version"] == 2
    for target in (url, on(other_api, url)):
        accepted = await delivered(target, secret, target)
        final = await wait_for_end(api.client, accepted.json()["run_id"])
        assert final["workflow_version"] == 2
        assert final["output"]["echo"] == {"again": target}


async def test_a_process_keeps_at_most_its_capacity_of_webhooks(api: ApiHarness) -> None:
    app = create_app(api.settings)
    kept = DeliveryTargets(vault_keys=api.settings.vault_keys, capacity=2)
    app.state.webhook_targets = kept
    async with serve(app) as other:
        for n in range(3):
            _, url, secret = await webhook(api)
            assert (await delivered(on(other, url), secret, n)).status_code == 202
    assert len(kept) == 2


async def test_a_kept_webhook_still_carries_its_pinned_sub_workflow(api: ApiHarness) -> None:
    child = await create(api, plain({"doubled": "{{ trigger.body.event * 2 }}"}))
    graph = calling(child)
    graph["nodes"][0] = {"id": "hook", "type": "trigger.webhook"}
    graph["edges"] = [{"source": "hook", "target": "call"}]
    workflow_id = await create(api, graph)
    secret = (
        await api.client.put(f"/workflows/{workflow_id}/webhooks/hook/secret", json={})
    ).json()
    await api.client.post(f"/workflows/{workflow_id}/activate")
    for event in (1, 2):  # the second from what the process kept
        accepted = await delivered(secret["url"], secret["secret"], event)
        final = await wait_for_end(api.client, accepted.json()["run_id"])
        assert final["status"] == "succeeded", final
        assert final["output"]["call"]["out"] == {"doubled": event * 2}
