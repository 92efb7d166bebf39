"""Events for waits inside sub-workflows: a child run is a run of its own, and its events go
to its own id. The parent's run id refuses them (422), naming the child run to send them to."""

from __future__ import annotations

from typing import Any

from tests.api.test_sub_workflows import calling, create
from tests.conftest import ApiHarness
from tests.utils.api import WAITING_GRAPH, eventually, wait_for_end


def looping_over(workflow_id: str) -> dict[str, Any]:
    """A workflow whose loop runs `workflow_id` once per item of its input."""
    return {
        "nodes": [
            {"id": "start", "type": "trigger.manual"},
            {"id": "each", "type": "loop", "parameters": {"items": "trigger.items"}},
            {"id": "call", "type": "sub_workflow", "parameters": {"workflow_id": workflow_id}},
        ],
        "edges": [
            {"source": "start", "target": "each"},
            {"source": "each", "target": "call", "sourceHandle": "body"},
            {"source": "call", "target": "each"},
        ],
    }


async def wait_until_child_waits(api: ApiHarness, child_run: str) -> None:
    """Poll until the child run (404 until its parent has started it) waits in `pay`."""
    await eventually(
        lambda: api.client.get(f"/runs/{child_run}"),
        lambda response: (
            response.status_code == 200
            and any(wait["node_id"] == "pay" for wait in response.json()["waiting_for"])
        ),
    )


async def test_an_event_for_a_childs_wait_is_refused_naming_the_child_run(
    api: ApiHarness,
) -> None:
    child = await create(api, WAITING_GRAPH)
    parent = await create(api, calling(child))
    started = await api.client.post(f"/workflows/{parent}/runs", json={"input": {}})
    run_id = started.json()["id"]
    child_run = f"{run_id}~call~0"
    await wait_until_child_waits(api, child_run)

    refused = await api.client.post(f"/runs/{run_id}/events", json={"name": "paid"})
    assert refused.status_code == 422, refused.text
    [detail] = refused.json()["error"]["details"]
    assert detail["code"] == "event_for_child_run"
    assert detail["path"] == ["body", "name"]
    assert detail["node_id"] == "call"
    assert child_run in detail["message"]

    sent = await api.client.post(f"/runs/{child_run}/events", json={"name": "paid", "payload": 4})
    assert sent.status_code == 202, sent.text
    final = await wait_for_end(api.client, run_id)
    assert final["output"] == {"call": {"pay": 4}}


async def test_a_child_in_a_loop_is_named_by_its_iteration(api: ApiHarness) -> None:
    child = await create(api, WAITING_GRAPH)
    parent = await create(api, looping_over(child))
    started = await api.client.post(f"/workflows/{parent}/runs", json={"input": {"items": [1]}})
    run_id = started.json()["id"]
    await wait_until_child_waits(api, f"{run_id}~call~0")
    refused = await api.client.post(f"/runs/{run_id}/events", json={"name": "paid"})
    assert refused.status_code == 422
    [detail] = refused.json()["error"]["details"]
    assert f"{run_id}~call~<iteration>" in detail["message"]
    await api.client.post(f"/runs/{run_id}~call~0/events", json={"name": "paid"})
    assert (await wait_for_end(api.client, run_id))["status"] == "succeeded"


async def test_an_event_nothing_listens_for_is_refused_as_before(api: ApiHarness) -> None:
    child = await create(api, WAITING_GRAPH)
    parent = await create(api, calling(child))
    started = await api.client.post(f"/workflows/{parent}/runs", json={"input": {}})
    run_id = started.json()["id"]
    await wait_until_child_waits(api, f"{run_id}~call~0")
    refused = await api.client.post(f"/runs/{run_id}/events", json={"name": "shipped"})
    assert refused.status_code == 422
    [detail] = refused.json()["error"]["details"]
    assert detail["code"] == "unknown_event"
    await api.client.post(f"/runs/{run_id}~call~0/events", json={"name": "paid"})
    await wait_for_end(api.client, run_id)
