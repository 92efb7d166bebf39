"""Schedule triggers are Temporal Schedules: activation, pause, new versions, run now, backfill."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from temporalio.client import ScheduleOverlapPolicy
from temporalio.service import RPCError

from tests.conftest import ApiHarness
from tests.utils.api import create_workflow, eventually, wait_for_end


def scheduled_graph(**trigger: Any) -> dict[str, Any]:
    parameters = {"interval": {"every": "P1D", "offset": "PT9H"}, "input": {"report": "daily"}}
    parameters.update(trigger)
    return {
        "nodes": [
            {"id": "tick", "type": "trigger.schedule", "parameters": parameters},
            {
                "id": "stamp",
                "type": "transform",
                "parameters": {"value": "{{ trigger.report }} due {{ trigger.scheduled_time }}"},
            },
        ],
        "edges": [{"source": "tick", "target": "stamp"}],
    }


async def schedules_of(api: ApiHarness, workflow_id: str) -> list[dict[str, Any]]:
    response = await api.client.get(f"/workflows/{workflow_id}/schedules")
    assert response.status_code == 200, response.text
    data: list[dict[str, Any]] = response.json()["data"]
    return data


async def scheduled_runs(api: ApiHarness, workflow_id: str, count: int) -> list[dict[str, Any]]:
    """The workflow's schedule-triggered runs once there are `count` of them, each ended."""
    listed = await eventually(
        lambda: api.client.get("/runs", params={"workflow_id": workflow_id, "trigger": "schedule"}),
        # The page is read before the count: wait until the page itself holds them all.
        lambda response: len(response.json()["data"]) >= count,
    )
    return [await wait_for_end(api.client, run["id"]) for run in listed.json()["data"]]


async def test_activation_creates_a_running_schedule_with_its_next_fire_times(
    api: ApiHarness,
) -> None:
    workflow_id = await create_workflow(api.client, scheduled_graph())
    assert await schedules_of(api, workflow_id) == []
    await api.client.post(f"/workflows/{workflow_id}/activate")
    [schedule] = await schedules_of(api, workflow_id)
    assert (schedule["node_id"], schedule["paused"]) == ("tick", False)
    fire_times = [datetime.fromisoformat(t) for t in schedule["next_fire_times"]]
    assert len(fire_times) >= 2
    assert all((t.hour, t.minute) == (9, 0) for t in fire_times)
    assert fire_times[1] - fire_times[0] == timedelta(days=1)


async def test_calendar_times_are_read_in_the_time_zone(api: ApiHarness) -> None:
    calendar = [{"minute": 30, "hour": [9, 17], "day_of_week": 1}]
    graph = scheduled_graph(interval=None, calendar=calendar, timezone="America/New_York")
    workflow_id = await create_workflow(api.client, graph)
    await api.client.post(f"/workflows/{workflow_id}/activate")
    [schedule] = await schedules_of(api, workflow_id)
    local = [
        datetime.fromisoformat(t).astimezone(ZoneInfo("America/New_York"))
        for t in schedule["next_fire_times"]
    ]
    assert {(t.isoweekday(), t.hour, t.minute) for t in local} == {(1, 9, 30), (1, 17, 30)}


async def test_no_fire_time_falls_outside_start_and_end(api: ApiHarness) -> None:
    midnight = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    start = midnight + timedelta(days=2)
    end = start + timedelta(days=2, hours=12)
    graph = scheduled_graph(start_at=start.isoformat(), end_at=end.isoformat())
    workflow_id = await create_workflow(api.client, graph)
    await api.client.post(f"/workflows/{workflow_id}/activate")
    [schedule] = await schedules_of(api, workflow_id)
    fire_times = [datetime.fromisoformat(t) for t in schedule["next_fire_times"]]
    assert fire_times == [start + timedelta(days=day, hours=9) for day in range(3)]


async def test_jitter_overlap_and_catchup_window_reach_the_temporal_schedule(
    api: ApiHarness,
) -> None:
    policies = {"jitter": "PT45S", "overlap": "buffer_all", "catchup_window": "PT2H"}
    workflow_id = await create_workflow(api.client, scheduled_graph(**policies))
    await api.client.post(f"/workflows/{workflow_id}/activate")
    handle = api.temporal.get_schedule_handle(f"{workflow_id}.tick")
    described = (await handle.describe()).schedule
    assert described.spec.jitter == timedelta(seconds=45)
    assert described.policy.overlap == ScheduleOverlapPolicy.BUFFER_ALL
    assert described.policy.catchup_window == timedelta(hours=2)
    changed = {"jitter": "PT5M", "overlap": "cancel_other", "catchup_window": "P1D"}
    new = scheduled_graph(**changed)
    assert (await api.client.patch(f"/workflows/{workflow_id}", json={"graph": new})).is_success
    described = (await handle.describe()).schedule
    assert described.spec.jitter == timedelta(minutes=5)
    assert described.policy.overlap == ScheduleOverlapPolicy.CANCEL_OTHER
    assert described.policy.catchup_window == timedelta(days=1)


async def test_deactivation_pauses_the_schedule(api: ApiHarness) -> None:
    workflow_id = await create_workflow(api.client, scheduled_graph())
    await api.client.post(f"/workflows/{workflow_id}/activate")
    await api.client.post(f"/workflows/{workflow_id}/deactivate")
    [schedule] = await schedules_of(api, workflow_id)
    assert schedule["paused"] is True


async def test_a_new_version_updates_the_schedule(api: ApiHarness) -> None:
    workflow_id = await create_workflow(api.client, scheduled_graph())
    await api.client.post(f"/workflows/{workflow_id}/activate")
    new = scheduled_graph(cron=["30 7 * * *"], interval=None, timezone="Europe/Paris")
    assert (await api.client.patch(f"/workflows/{workflow_id}", json={"graph": new})).is_success
    [schedule] = await schedules_of(api, workflow_id)
    first = datetime.fromisoformat(schedule["next_fire_times"][0])
    paris = first.astimezone(ZoneInfo("Europe/Paris"))
    assert (paris.hour, paris.minute) == (7, 30)


async def test_a_removed_schedule_trigger_loses_its_schedule(api: ApiHarness) -> None:
    workflow_id = await create_workflow(api.client, scheduled_graph())
    await api.client.post(f"/workflows/{workflow_id}/activate")
    manual = {"nodes": [{"id": "start", "type": "trigger.manual"}], "edges": []}
    await api.client.patch(f"/workflows/{workflow_id}", json={"graph": manual})
    with pytest.raises(RPCError):
        await api.temporal.get_schedule_handle(f"{workflow_id}.tick").describe()


async def test_deleting_the_workflow_deletes_its_schedules(api: ApiHarness) -> None:
    workflow_id = await create_workflow(api.client, scheduled_graph())
    await api.client.post(f"/workflows/{workflow_id}/activate")
    assert (await api.client.delete(f"/workflows/{workflow_id}")).status_code == 204
    with pytest.raises(RPCError):
        await api.temporal.get_schedule_handle(f"{workflow_id}.tick").describe()


async def test_a_schedule_triggered_now_runs_with_its_input_and_due_time(api: ApiHarness) -> None:
    workflow_id = await create_workflow(api.client, scheduled_graph())
    await api.client.post(f"/workflows/{workflow_id}/activate")
    before = datetime.now(UTC) - timedelta(seconds=5)
    response = await api.client.post(f"/workflows/{workflow_id}/schedules/tick/trigger")
    assert response.status_code == 202
    [run] = await scheduled_runs(api, workflow_id, 1)
    assert response.json() == {"node_id": "tick", "action": "trigger", "run_id": run["id"]}
    report, _, due = run["output"]["stamp"].partition(" due ")
    assert report == "daily"
    assert datetime.fromisoformat(due) >= before
    assert run["trigger"] == "schedule"


async def test_a_backfill_starts_one_run_per_due_time_in_the_range(api: ApiHarness) -> None:
    workflow_id = await create_workflow(api.client, scheduled_graph(interval={"every": "PT1H"}))
    await api.client.post(f"/workflows/{workflow_id}/activate")
    start = datetime(2025, 3, 1, 0, 30, tzinfo=UTC)
    response = await api.client.post(
        f"/workflows/{workflow_id}/schedules/tick/backfill",
        json={
            "start_at": start.isoformat(),
            "end_at": (start + timedelta(hours=3)).isoformat(),
            "overlap": "allow_all",
        },
    )
    assert response.status_code == 202, response.text
    assert (response.json()["due"], response.json()["starting"]) == (3, 3)
    runs = await scheduled_runs(api, workflow_id, 3)
    due = sorted(run["output"]["stamp"].partition(" due ")[2] for run in runs)
    assert due == ["2025-03-01T01:00:00Z", "2025-03-01T02:00:00Z", "2025-03-01T03:00:00Z"]


async def test_a_backfill_of_three_missed_days_starts_each_by_default(api: ApiHarness) -> None:
    # The trigger keeps its default overlap, `skip`, which would start only the first.
    workflow_id = await create_workflow(api.client, scheduled_graph())
    await api.client.post(f"/workflows/{workflow_id}/activate")
    start = datetime(2025, 3, 1, 10, 0, tzinfo=UTC)
    response = await api.client.post(
        f"/workflows/{workflow_id}/schedules/tick/backfill",
        json={"start_at": start.isoformat(), "end_at": (start + timedelta(days=3)).isoformat()},
    )
    assert response.status_code == 202, response.text
    answer = response.json()
    assert (answer["overlap"], answer["due"], answer["starting"]) == ("buffer_all", 3, 3)
    assert answer["message"] == "3 runs were due in the range: each starts, one after another"
    runs = await scheduled_runs(api, workflow_id, 3)
    due = sorted(run["output"]["stamp"].partition(" due ")[2] for run in runs)
    assert due == ["2025-03-02T09:00:00Z", "2025-03-03T09:00:00Z", "2025-03-04T09:00:00Z"]


async def test_a_backfill_asked_to_skip_says_only_one_starts(api: ApiHarness) -> None:
    workflow_id = await create_workflow(api.client, scheduled_graph())
    await api.client.post(f"/workflows/{workflow_id}/activate")
    start = datetime(2025, 3, 1, 10, 0, tzinfo=UTC)
    response = await api.client.post(
        f"/workflows/{workflow_id}/schedules/tick/backfill",
        json={
            "start_at": start.isoformat(),
            "end_at": (start + timedelta(days=3)).isoformat(),
            "overlap": "skip",
        },
    )
    assert response.status_code == 202, response.text
    answer = response.json()
    assert (answer["due"], answer["starting"]) == (3, 1)
    assert "only the first starts" in answer["message"]


async def test_an_inactive_workflow_cannot_be_triggered_or_backfilled(api: ApiHarness) -> None:
    workflow_id = await create_workflow(api.client, scheduled_graph())
    trigger = await api.client.post(f"/workflows/{workflow_id}/schedules/tick/trigger")
    assert trigger.status_code == 409
    assert trigger.json()["error"]["message"] == "the workflow is inactive: activate it first"


async def test_an_empty_or_long_backfill_range_is_a_422(api: ApiHarness) -> None:
    workflow_id = await create_workflow(api.client, scheduled_graph())
    await api.client.post(f"/workflows/{workflow_id}/activate")
    url = f"/workflows/{workflow_id}/schedules/tick/backfill"
    empty = {"start_at": "2025-01-02T00:00:00Z", "end_at": "2025-01-01T00:00:00Z"}
    long = {"start_at": "2020-01-01T00:00:00Z", "end_at": "2025-01-01T00:00:00Z"}
    naive = {"start_at": "2025-01-01T00:00:00", "end_at": "2025-01-02T00:00:00Z"}
    for body in (empty, long, naive):
        response = await api.client.post(url, json=body)
        assert response.status_code == 422, response.text


async def test_an_unknown_schedule_node_is_a_404(api: ApiHarness) -> None:
    workflow_id = await create_workflow(api.client, scheduled_graph())
    await api.client.post(f"/workflows/{workflow_id}/activate")
    response = await api.client.post(f"/workflows/{workflow_id}/schedules/nope/trigger")
    assert response.status_code == 404
