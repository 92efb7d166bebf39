"""A polling trigger whose source is an X read node (issue 15, point 4): one run per new
mention, and per new post of a user, read from the emulated X over real HTTP by a real worker;
polled again, nothing new starts."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from temporalio.client import Client, ScheduleActionExecutionStartWorkflow
from temporalio.testing import WorkflowEnvironment

from app.contract.polling import PolledItems
from emulator.control import XAccount
from tests.utils.accounts_api import AccountsApi, accounts, accounts_api
from tests.utils.api import eventually

__all__ = ["accounts", "accounts_api"]

NEVER_DUE = ["0 0 29 2 *"]
"""Polls come only when the test triggers them."""


async def post_on_x(accounts: AccountsApi, author: XAccount, text: str) -> str:
    async with httpx.AsyncClient(
        base_url=accounts.emulator.url, headers={"Authorization": f"Bearer {author.access_token}"}
    ) as client:
        response = await client.post("/2/tweets", json={"text": text})
    assert response.status_code == 201, response.text
    post_id: str = response.json()["data"]["id"]
    return post_id


async def connect(accounts: AccountsApi, user: XAccount) -> str:
    response = await accounts.client.post(
        "/accounts/x/tokens",
        json={"access_token": user.access_token, "refresh_token": user.refresh_token,
              "expires_in": 7200, "scopes": ["tweet.read", "tweet.write", "users.read"]},
    )  # fmt: skip
    assert response.status_code == 201, response.text
    account_id: str = response.json()["id"]
    return account_id


async def poll(temporal: Client, schedule_id: str) -> PolledItems:
    """Trigger the poll's schedule once and wait for that poll's result."""
    handle = temporal.get_schedule_handle(schedule_id)
    idle = await eventually(handle.describe, lambda d: not d.info.running_actions)
    await handle.trigger()
    described = await eventually(
        handle.describe, lambda d: d.info.num_actions > idle.info.num_actions
    )
    started = described.info.recent_actions[-1].action
    assert isinstance(started, ScheduleActionExecutionStartWorkflow)
    polled = temporal.get_workflow_handle(
        started.workflow_id, run_id=started.first_execution_run_id, result_type=PolledItems
    )
    result: PolledItems = await polled.result()
    return result


async def runs_of(accounts: AccountsApi, workflow_id: str) -> list[dict[str, Any]]:
    answer = await accounts.client.get("/runs", params={"workflow_id": workflow_id})
    found: list[dict[str, Any]] = answer.json()["data"]
    return found


async def polling_workflow(accounts: AccountsApi, source: dict[str, Any]) -> str:
    graph = {
        "nodes": [
            {"id": "watch", "type": "trigger.poll",
             "parameters": {"cron": NEVER_DUE, "source": source, "items": "items"}},
            {"id": "seen", "type": "transform",
             "parameters": {"value": {"id": "{{ trigger.item_id }}",
                                      "text": "{{ trigger.item.text }}"}}},
        ],
        "edges": [{"source": "watch", "target": "seen"}],
    }  # fmt: skip
    created = await accounts.client.post("/workflows", json={"name": "watch x", "graph": graph})
    assert created.status_code == 201, created.text
    workflow_id: str = created.json()["id"]
    assert (await accounts.client.post(f"/workflows/{workflow_id}/activate")).status_code == 200
    return workflow_id


@pytest.mark.parametrize("node_type", ["x.mentions", "x.user_posts"])
async def test_one_run_per_new_item_of_an_x_read_node(
    accounts: AccountsApi, temporal_env: WorkflowEnvironment, node_type: str
) -> None:
    ada = accounts.emulator.add_x_user("ada", name="Ada Lovelace")
    grace = accounts.emulator.add_x_user("grace", name="Grace Hopper")
    account_id = await connect(accounts, ada)
    # Mentions of Ada are Grace's posts; a user's posts are Grace's own, read with Ada's account.
    author, parameters = (
        (grace, {}) if node_type == "x.mentions" else (grace, {"user_id": grace.user_id})
    )
    await post_on_x(accounts, author, "@ada already there")
    workflow_id = await polling_workflow(
        accounts, {"type": node_type, "parameters": parameters, "account_id": account_id}
    )
    schedule_id = f"{workflow_id}.watch"
    try:
        first = await poll(temporal_env.client, schedule_id)
        assert first.started == []  # the first poll remembers what is there
        new = [await post_on_x(accounts, author, f"@ada news {n}") for n in range(2)]
        second = await poll(temporal_env.client, schedule_id)
        again = await poll(temporal_env.client, schedule_id)
    finally:
        await accounts.client.post(f"/workflows/{workflow_id}/deactivate")

    assert (second.new, len(second.started)) == (2, 2), second
    assert again.started == [], again
    runs = await eventually(
        lambda: runs_of(accounts, workflow_id),
        lambda found: len(found) == 2 and all(r["status"] == "succeeded" for r in found),
        seconds=60,
    )
    outputs = []
    for run in runs:
        state = (await accounts.client.get(f"/runs/{run['id']}")).json()
        outputs.append(state["nodes"]["seen"]["output"])
    assert sorted(output["id"] for output in outputs) == sorted(new)
    assert {output["text"] for output in outputs} == {"@ada news 0", "@ada news 1"}
