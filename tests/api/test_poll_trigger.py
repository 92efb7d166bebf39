"""A polling trigger starts one run per new item of its source, over real HTTP, on a real
Temporal server: its Temporal Schedule starts each poll, its cursor is in the database."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from sqlmodel import select
from temporalio.client import (
    ScheduleActionExecutionStartWorkflow,
    ScheduleActionStartWorkflow,
    WorkflowFailureError,
    WorkflowHistory,
)
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.exceptions import ActivityError, ApplicationError
from temporalio.service import RPCError
from temporalio.worker import Replayer

from app.contract.polling import POLL_WORKFLOW, PolledItems, PollInput
from app.db.engine import Database
from app.db.models import PollCursor
from app.services.polling import poll_run_id
from tests.conftest import ApiHarness
from tests.utils.api import create_workflow, eventually, wait_for_end
from tests.utils.servers import serve
from workflows.poll import FlowPollWorkflow

NEVER_DUE = ["0 0 29 2 *"]
"""Polls come only when a test triggers them (the next 29 February is far enough)."""


class Feed:
    """A real HTTP endpoint listing posts, newest first, as most APIs do."""

    def __init__(self) -> None:
        self.posts: list[dict[str, Any]] = []
        self.reads = 0
        self.url = ""

    def publish(self, *ids: str) -> None:
        for post_id in ids:
            self.posts.insert(0, {"id": post_id, "text": f"post {post_id}"})


@pytest.fixture
async def feed() -> AsyncIterator[Feed]:
    app = FastAPI()
    listed = Feed()

    @app.get("/posts")
    async def posts() -> list[dict[str, Any]]:
        listed.reads += 1
        return listed.posts

    @app.get("/wrapped")
    async def wrapped() -> dict[str, Any]:
        return {"data": {"posts": "not a list"}}

    async with serve(app) as url:
        listed.url = url
        yield listed


def polling_graph(url: str, text: str = "new", **trigger: Any) -> dict[str, Any]:
    parameters = {
        "cron": NEVER_DUE,
        "source": {"type": "http.request", "parameters": {"method": "GET", "url": url}},
    } | trigger
    return {
        "nodes": [
            {"id": "watch", "type": "trigger.poll", "parameters": parameters},
            {
                "id": "greet",
                "type": "transform",
                "parameters": {"value": text + " {{ trigger.item_id }}: {{ trigger.item.text }}"},
            },
        ],
        "edges": [{"source": "watch", "target": "greet"}],
    }


async def poll(api: ApiHarness, workflow_id: str) -> PolledItems:
    """Trigger the poll trigger's schedule once and wait for that poll to end."""
    result, _ = await poll_with_history(api, workflow_id)
    return result


async def poll_with_history(
    api: ApiHarness, workflow_id: str
) -> tuple[PolledItems, WorkflowHistory]:
    """`poll`, and the history of the `FlowPoll` workflow that polled."""
    handle = api.temporal.get_schedule_handle(f"{workflow_id}.watch")
    # The schedule learns that its last poll ended a moment after it did; until then it would
    # skip this one (overlap `skip`).
    idle = await eventually(handle.describe, lambda d: not d.info.running_actions)
    await handle.trigger()
    described = await eventually(
        handle.describe, lambda d: d.info.num_actions > idle.info.num_actions
    )
    # Polls started within one second share a workflow id: the run id tells them apart.
    started = described.info.recent_actions[-1].action
    assert isinstance(started, ScheduleActionExecutionStartWorkflow)
    polled = api.temporal.get_workflow_handle(
        started.workflow_id, run_id=started.first_execution_run_id, result_type=PolledItems
    )
    result: PolledItems = await polled.result()
    return result, await polled.fetch_history()


RECORDED_POLL = (
    Path(__file__).parents[1] / "workflows" / "histories" / "poll" / "poll_started_three_runs.json"
)
"""A poll's history that `tests/workflows/test_replay.py` replays; written again only when
`RECORD_POLL_HISTORY=1` (after a deliberate change to `workflows/poll.py`, never to make
replay pass)."""


async def replays(history: WorkflowHistory) -> None:
    """The poll replays against the poller as it is now; recorded when asked."""
    replayer = Replayer(workflows=[FlowPollWorkflow], data_converter=pydantic_data_converter)
    result = await replayer.replay_workflow(history, raise_on_replay_failure=False)
    assert result.replay_failure is None, repr(result.replay_failure)
    if os.environ.get("RECORD_POLL_HISTORY") == "1":
        RECORDED_POLL.parent.mkdir(exist_ok=True)
        RECORDED_POLL.write_text(history.to_json() + "\n")


async def poll_runs(api: ApiHarness, workflow_id: str) -> list[dict[str, Any]]:
    response = await api.client.get("/runs", params={"workflow_id": workflow_id, "trigger": "poll"})
    assert response.status_code == 200, response.text
    runs: list[dict[str, Any]] = response.json()["data"]
    return runs


async def outputs(api: ApiHarness, run_ids: list[str]) -> list[Any]:
    return [(await wait_for_end(api.client, run_id))["output"]["greet"] for run_id in run_ids]


async def activated(api: ApiHarness, graph: dict[str, Any]) -> str:
    workflow_id = await create_workflow(api.client, graph)
    response = await api.client.post(f"/workflows/{workflow_id}/activate")
    assert response.is_success, response.text
    return workflow_id


async def test_each_new_item_starts_one_run_and_a_repeated_poll_starts_none(
    api: ApiHarness, feed: Feed
) -> None:
    feed.publish("p0", "p1")
    workflow_id = await activated(api, polling_graph(f"{feed.url}/posts"))
    first = await poll(api, workflow_id)
    # The items already there when the trigger first polls start nothing: no flood.
    assert (first.first_poll, first.listed, first.started) == (True, 2, [])
    feed.publish("p2", "p3", "p4")
    second, history = await poll_with_history(api, workflow_id)
    await replays(history)
    assert (second.listed, second.new) == (5, 3)
    assert second.started == [
        poll_run_id(api.organization_id, workflow_id, "watch", p) for p in ("p2", "p3", "p4")
    ]
    assert await outputs(api, second.started) == [f"new p{n}: post p{n}" for n in (2, 3, 4)]
    again = await poll(api, workflow_id)
    assert (again.listed, again.new, again.started) == (5, 0, [])
    runs = await eventually(lambda: poll_runs(api, workflow_id), lambda runs: len(runs) >= 3)
    assert sorted(run["id"] for run in runs) == sorted(second.started)
    assert feed.reads == 3


async def test_a_poll_whose_cursor_did_not_move_starts_no_run_twice(
    api: ApiHarness, feed: Feed
) -> None:
    """A worker killed after starting a poll's runs and before moving the cursor leaves the
    cursor where it was: the poll retried (or the next one) finds the same items new."""
    workflow_id = await activated(api, polling_graph(f"{feed.url}/posts"))
    await poll(api, workflow_id)
    feed.publish("q1", "q2")
    started = (await poll(api, workflow_id)).started
    assert len(started) == 2
    database = Database(api.settings.database_url)
    try:
        async with database.session() as session:
            cursor = (
                await session.exec(select(PollCursor).where(PollCursor.workflow_id == workflow_id))
            ).one()
            cursor.seen = []  # as it was before that poll
            session.add(cursor)
            await session.commit()
    finally:
        await database.dispose()
    retried = await poll(api, workflow_id)
    assert (retried.new, retried.started) == (2, started)
    await outputs(api, started)
    runs = await eventually(lambda: poll_runs(api, workflow_id), lambda runs: len(runs) >= 2)
    assert sorted(run["id"] for run in runs) == sorted(started)


async def test_a_new_version_keeps_the_cursor_and_reactivation_resumes_from_it(
    api: ApiHarness, feed: Feed
) -> None:
    feed.publish("r1")
    workflow_id = await activated(api, polling_graph(f"{feed.url}/posts"))
    await poll(api, workflow_id)
    feed.publish("r2")
    [on_first] = (await poll(api, workflow_id)).started
    changed = polling_graph(f"{feed.url}/posts", text="again")
    response = await api.client.patch(f"/workflows/{workflow_id}", json={"graph": changed})
    assert response.is_success, response.text
    # The new version polls from where the last one stopped: r1 and r2 start nothing.
    assert (await poll(api, workflow_id)).started == []
    feed.publish("r3")
    [on_second] = (await poll(api, workflow_id)).started
    assert await outputs(api, [on_first, on_second]) == ["new r2: post r2", "again r3: post r3"]

    await api.client.post(f"/workflows/{workflow_id}/deactivate")
    handle = api.temporal.get_schedule_handle(f"{workflow_id}.watch")
    schedule = (await handle.describe()).schedule
    assert schedule.state.paused
    # A poll under way as the workflow is deactivated starts nothing.
    assert isinstance(schedule.action, ScheduleActionStartWorkflow)
    [arguments] = await api.temporal.data_converter.decode(
        list(schedule.action.args),
        [PollInput],
    )
    feed.publish("r4")
    in_flight = await api.temporal.execute_workflow(
        POLL_WORKFLOW,
        arguments,
        id=f"poll_in_flight_{workflow_id}",
        task_queue=api.settings.temporal_task_queue,
        result_type=PolledItems,
    )
    assert (in_flight.skipped, in_flight.started) == ("the workflow is inactive", [])

    await api.client.post(f"/workflows/{workflow_id}/activate")
    resumed = await poll(api, workflow_id)
    # Not from scratch: only the item published meanwhile is new.
    assert (resumed.first_poll, resumed.new) == (False, 1)
    assert await outputs(api, resumed.started) == ["again r4: post r4"]


async def test_a_poll_starts_at_most_max_runs_per_poll_oldest_first(
    api: ApiHarness, feed: Feed
) -> None:
    feed.publish("s1", "s2", "s3", "s4", "s5")
    graph = polling_graph(f"{feed.url}/posts", start_with="existing_items", max_runs_per_poll=2)
    workflow_id = await activated(api, graph)
    batches = [await poll(api, workflow_id) for _ in range(4)]
    assert [len(batch.started) for batch in batches] == [2, 2, 1, 0]
    started = [run_id for batch in batches for run_id in batch.started]
    assert await outputs(api, started) == [f"new s{n}: post s{n}" for n in range(1, 6)]


async def test_a_source_answering_no_list_fails_the_poll_saying_where(
    api: ApiHarness, feed: Feed
) -> None:
    graph = polling_graph(f"{feed.url}/wrapped", items="body.data.posts")
    workflow_id = await activated(api, graph)
    with pytest.raises(WorkflowFailureError) as failed:
        await poll(api, workflow_id)
    cause = failed.value.cause
    assert isinstance(cause, ActivityError)
    assert isinstance(cause.cause, ApplicationError)
    assert cause.cause.type == "PollSourceInvalid"
    assert cause.cause.message == "the source's answer has no list at 'body.data.posts' (found str)"
    assert await poll_runs(api, workflow_id) == []


async def test_an_item_without_an_id_fails_the_poll_and_starts_nothing(
    api: ApiHarness, feed: Feed
) -> None:
    feed.posts = [{"id": "t1"}, {"text": "no id"}]
    graph = polling_graph(f"{feed.url}/posts", start_with="existing_items")
    workflow_id = await activated(api, graph)
    with pytest.raises(WorkflowFailureError) as failed:
        await poll(api, workflow_id)
    cause = failed.value.cause
    assert isinstance(cause, ActivityError)
    assert isinstance(cause.cause, ApplicationError)
    # Newest first: the item without an id is the oldest, item 0 once in order.
    assert cause.cause.message == "item 0 of the source's list has no text or integer id at 'id'"
    assert await poll_runs(api, workflow_id) == []


async def test_deleting_the_workflow_deletes_its_poll_schedule_and_cursor(
    api: ApiHarness, feed: Feed
) -> None:
    feed.publish("u1")
    workflow_id = await activated(api, polling_graph(f"{feed.url}/posts"))
    await poll(api, workflow_id)
    assert (await api.client.delete(f"/workflows/{workflow_id}")).status_code == 204
    with pytest.raises(RPCError):
        await api.temporal.get_schedule_handle(f"{workflow_id}.watch").describe()
    database = Database(api.settings.database_url)
    try:
        async with database.session() as session:
            left = await session.exec(
                select(PollCursor).where(PollCursor.workflow_id == workflow_id)
            )
            assert left.all() == []
    finally:
        await database.dispose()


@pytest.mark.parametrize(
    ("trigger", "path", "code"),
    [
        ({"source": {"type": "nope.nothing"}}, ("source", "type"), "unknown_node_type"),
        ({"source": {"type": "transform"}}, ("source", "type"), "unknown_node_type"),
        (
            {"source": {"type": "http.request", "parameters": {"method": "GET"}}},
            ("source", "parameters", "url"),
            "invalid_parameter",
        ),
        (
            {
                "source": {
                    "type": "http.request",
                    "parameters": {"method": "GET", "url": "https://a.example/{{ vars.p }}"},
                }
            },
            ("source", "parameters", "url"),
            "invalid_parameter",
        ),
        ({"interval": {"every": "PT5M"}}, ("cron",), "invalid_parameter"),
        ({"items": "body..data"}, ("items",), "invalid_parameter"),
        ({"max_runs_per_poll": 101}, ("max_runs_per_poll",), "invalid_parameter"),
        (
            {
                "source": {
                    "type": "http.request",
                    "parameters": {"method": "GET", "url": "https://a.example"},
                    "account_id": "acc_unknown",
                }
            },
            ("source", "account_id"),
            "unknown_account",
        ),
    ],
)
async def test_a_bad_poll_trigger_is_a_422_naming_the_field(
    api: ApiHarness, trigger: dict[str, Any], path: tuple[str, ...], code: str
) -> None:
    graph = polling_graph("https://a.example/posts", **trigger)
    response = await api.client.post("/workflows", json={"name": "poll", "graph": graph})
    assert response.status_code == 422, response.text
    details = response.json()["error"]["details"]
    assert any(
        detail["code"] == code
        and tuple(detail["path"]) == ("graph", "nodes", 0, "parameters", *path)
        for detail in details
    ), details
