"""Acting on runs: events, approvals, cancel, terminate, re-run, and following by SSE."""

from __future__ import annotations

import json
from typing import Any

from tests.conftest import ApiHarness
from tests.utils.api import (
    APPROVAL_GRAPH,
    FAILING_GRAPH,
    GREETING_GRAPH,
    WAITING_GRAPH,
    as_key,
    create_workflow,
    person_key,
    start_run,
    wait_for_end,
    wait_until_waiting,
)


async def test_an_event_resumes_the_waiting_run_with_its_payload(api: ApiHarness) -> None:
    run_id = await start_run(api.client, await create_workflow(api.client, WAITING_GRAPH))
    await wait_until_waiting(api.client, run_id, "pay")
    sent = await api.client.post(
        f"/runs/{run_id}/events", json={"name": "paid", "payload": {"amount": 3}}
    )
    assert sent.status_code == 202
    assert (await wait_for_end(api.client, run_id))["output"] == {"pay": {"amount": 3}}


async def test_an_event_no_wait_of_the_run_listens_for_is_refused(api: ApiHarness) -> None:
    run_id = await start_run(api.client, await create_workflow(api.client, WAITING_GRAPH))
    await wait_until_waiting(api.client, run_id, "pay")
    refused = await api.client.post(f"/runs/{run_id}/events", json={"name": "shipped"})
    assert refused.status_code == 422
    error = refused.json()["error"]
    assert "no event named 'shipped'" in error["message"]
    assert error["details"][0]["path"] == ["body", "name"]
    assert "'paid'" in error["details"][0]["message"]
    await api.client.post(f"/runs/{run_id}/events", json={"name": "paid", "payload": 1})
    final = await wait_for_end(api.client, run_id)
    assert final["output"] == {"pay": 1}
    assert final["dropped_events"] == {"unexpected": 0, "overflow": 0}


async def test_an_event_for_an_ended_run_is_a_conflict(api: ApiHarness) -> None:
    run_id = await start_run(api.client, await create_workflow(api.client), {"name": "x"})
    await wait_for_end(api.client, run_id)
    response = await api.client.post(f"/runs/{run_id}/events", json={"name": "paid"})
    assert response.status_code == 409


async def test_an_approval_is_decided_by_an_allowed_approver(api: ApiHarness) -> None:
    run_id = await start_run(api.client, await create_workflow(api.client, APPROVAL_GRAPH))
    await wait_until_waiting(api.client, run_id, "review")
    _, key = await person_key(api.client, "ann")
    async with as_key(api, key) as ann:
        decided = await ann.post(
            f"/runs/{run_id}/decisions", json={"approved": False, "comment": "no"}
        )
    assert decided.status_code == 200, decided.text
    assert decided.json() == {"run_id": run_id, "node_id": "review"}
    final = await wait_for_end(api.client, run_id)
    assert final["nodes"]["review"]["output"]["comment"] == "no"


async def test_a_decision_from_someone_not_allowed_is_refused(api: ApiHarness) -> None:
    run_id = await start_run(api.client, await create_workflow(api.client, APPROVAL_GRAPH))
    await wait_until_waiting(api.client, run_id, "review")
    _, key = await person_key(api.client, "bob")
    async with as_key(api, key) as bob:
        refused = await bob.post(f"/runs/{run_id}/decisions", json={"approved": True})
    assert refused.status_code == 403
    assert (
        "'bob' is not among the approvers of approval 'review'"
        in (refused.json()["error"]["message"])
    )
    state = (await api.client.get(f"/runs/{run_id}")).json()
    assert state["status"] == "running"
    await api.client.post(f"/runs/{run_id}/cancel")


async def test_a_decision_when_no_approval_waits_is_a_409_saying_so(api: ApiHarness) -> None:
    run_id = await start_run(api.client, await create_workflow(api.client, WAITING_GRAPH))
    await wait_until_waiting(api.client, run_id, "pay")
    refused = await api.client.post(
        f"/runs/{run_id}/decisions", json={"approved": True, "by": "ann"}
    )
    assert refused.status_code == 409
    assert refused.json()["error"]["message"] == (
        "decision refused: no approval is waiting in this run"
    )
    await api.client.post(f"/runs/{run_id}/cancel")


async def test_a_cancelled_run_ends_cancelled_with_its_node_states(api: ApiHarness) -> None:
    run_id = await start_run(api.client, await create_workflow(api.client, WAITING_GRAPH))
    await wait_until_waiting(api.client, run_id, "pay")
    assert (await api.client.post(f"/runs/{run_id}/cancel")).status_code == 202
    final = await wait_for_end(api.client, run_id)
    assert final["status"] == "cancelled"
    assert final["nodes"]["start"]["status"] == "succeeded"
    assert (await api.client.post(f"/runs/{run_id}/cancel")).status_code == 409


async def test_a_terminated_run_ends_terminated(api: ApiHarness) -> None:
    run_id = await start_run(api.client, await create_workflow(api.client, WAITING_GRAPH))
    response = await api.client.post(f"/runs/{run_id}/terminate", json={"reason": "oops"})
    assert response.status_code == 202
    assert (await wait_for_end(api.client, run_id))["status"] == "terminated"


async def test_a_failed_run_is_rerun_with_the_same_input_and_linked(api: ApiHarness) -> None:
    workflow_id = await create_workflow(api.client, FAILING_GRAPH)
    original = await start_run(api.client, workflow_id, {"n": 7})
    await wait_for_end(api.client, original)
    rerun = await api.client.post(f"/runs/{original}/rerun")
    assert rerun.status_code == 201, rerun.text
    again = await wait_for_end(api.client, rerun.json()["id"])
    assert again["rerun_of"] == original
    assert again["error"]["message"] == "node 'boom' failed: failed on 7"


async def test_a_succeeded_run_is_not_rerun(api: ApiHarness) -> None:
    run_id = await start_run(api.client, await create_workflow(api.client), {"name": "x"})
    await wait_for_end(api.client, run_id)
    response = await api.client.post(f"/runs/{run_id}/rerun")
    assert response.status_code == 409
    assert "only a failed" in response.json()["error"]["message"]


def parse_sse(text: str) -> list[tuple[str, Any]]:
    events = []
    for block in text.strip().split("\n\n"):
        fields = dict(line.split(": ", 1) for line in block.splitlines() if ": " in line)
        events.append((fields["event"], json.loads(fields["data"])))
    return events


async def test_a_run_is_followed_as_server_sent_events_until_it_ends(api: ApiHarness) -> None:
    run_id = await start_run(api.client, await create_workflow(api.client, WAITING_GRAPH))
    await wait_until_waiting(api.client, run_id, "pay")
    async with api.client.stream("GET", f"/runs/{run_id}/stream") as stream:
        assert stream.headers["content-type"].startswith("text/event-stream")
        await api.client.post(f"/runs/{run_id}/events", json={"name": "paid", "payload": 1})
        text = (await stream.aread()).decode()
    events = parse_sse(text)
    assert events[0][0] == "state"
    assert events[0][1]["waiting_for"][0]["node_id"] == "pay"
    assert events[-2][1]["status"] == "succeeded"
    assert events[-1] == ("end", {})


async def test_following_a_run_that_is_terminated_ends_with_its_terminated_state(
    api: ApiHarness,
) -> None:
    run_id = await start_run(api.client, await create_workflow(api.client, WAITING_GRAPH))
    await wait_until_waiting(api.client, run_id, "pay")
    async with api.client.stream("GET", f"/runs/{run_id}/stream") as stream:
        await api.client.post(f"/runs/{run_id}/terminate", json={})
        text = (await stream.aread()).decode()
    events = parse_sse(text)
    assert events[0][1]["status"] == "running"
    assert events[-2][1]["status"] == "terminated"
    assert events[-1] == ("end", {})


async def test_following_an_ended_run_sends_its_final_state_and_ends(api: ApiHarness) -> None:
    run_id = await start_run(api.client, await create_workflow(api.client, GREETING_GRAPH), {})
    await wait_for_end(api.client, run_id)
    events = parse_sse((await api.client.get(f"/runs/{run_id}/stream")).text)
    assert [name for name, _ in events] == ["state", "end"]
    assert events[0][1]["status"] == "succeeded"


async def test_following_an_unknown_run_is_a_404(api: ApiHarness) -> None:
    response = await api.client.get("/runs/run_missing/stream")
    assert response.status_code == 404
    assert response.json()["error"]["type"] == "not_found"
