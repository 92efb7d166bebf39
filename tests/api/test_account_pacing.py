"""Account pacing through the API (issue 15 point 6): an account's `pacing` (at most N actions
per window) is set with `PATCH /accounts/{id}`, checked (422 naming the field), kept to the
organization, and an action over it waits, shown as `retry.waiting_for: quota` until its
slot, instead of acting or failing. Real Temporal dev server, real databases, X played by
the emulator over HTTP. The wait run to its end: tests/activities/test_account_pacing.py."""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import Any

import pytest

from tests.utils.accounts_api import AccountsApi, accounts, accounts_api
from tests.utils.api import create_workflow, eventually, manual_then, run_state, start_run

__all__ = ["accounts", "accounts_api"]

HOUR = 3600


async def x_account(accounts: AccountsApi) -> tuple[str, str]:
    """A connected X account of a new emulated user: (account id, user name)."""
    name = f"pace{uuid.uuid4().hex[:8]}"
    accounts.emulator.add_x_user(name)
    tokens = accounts.emulator.issue_x_tokens(name)
    created = await accounts.client.post(
        "/accounts/x/tokens", json={"access_token": tokens.access_token}
    )
    assert created.status_code == 201, created.text
    account_id: str = created.json()["id"]
    return account_id, name


async def test_pacing_is_set_read_and_lifted(accounts: AccountsApi) -> None:
    account_id, _ = await x_account(accounts)
    assert (await accounts.client.get(f"/accounts/{account_id}")).json()["pacing"] is None
    paced = await accounts.client.patch(
        f"/accounts/{account_id}", json={"pacing": {"actions_per_window": 2}}
    )
    assert paced.status_code == 200, paced.text
    assert paced.json()["pacing"] == {"actions_per_window": 2, "window_seconds": HOUR}
    listed = (await accounts.client.get("/accounts")).json()["data"]
    assert [a["pacing"] for a in listed if a["id"] == account_id] == [paced.json()["pacing"]]
    lifted = await accounts.client.patch(
        f"/accounts/{account_id}", json={"pacing": {"actions_per_window": None}}
    )
    assert lifted.json()["pacing"] is None


@pytest.mark.parametrize(
    ("pacing", "field", "code"),
    [
        ({"actions_per_window": 0}, "actions_per_window", "out_of_range"),
        ({"actions_per_window": 1, "window_seconds": 0}, "window_seconds", "out_of_range"),
        ({"actions_per_window": 1, "window_seconds": 10**8}, "window_seconds", "out_of_range"),
        ({"actions_per_window": "two"}, "actions_per_window", "wrong_type"),
        ({"window_seconds": 60}, "actions_per_window", "missing"),
        ({"actions_per_window": 1, "burst": 3}, "burst", "unknown_field"),
    ],
)
async def test_wrong_pacing_is_422_naming_the_field_and_changes_nothing(
    accounts: AccountsApi, pacing: dict[str, Any], field: str, code: str
) -> None:
    account_id, _ = await x_account(accounts)
    response = await accounts.client.patch(f"/accounts/{account_id}", json={"pacing": pacing})
    assert response.status_code == 422, response.text
    [detail] = response.json()["error"]["details"]
    assert detail["path"] == ["body", "pacing", field]
    assert detail["code"] == code
    assert (await accounts.client.get(f"/accounts/{account_id}")).json()["pacing"] is None


async def test_another_organization_cannot_pace_the_account(accounts: AccountsApi) -> None:
    account_id, _ = await x_account(accounts)
    response = await accounts.other.patch(
        f"/accounts/{account_id}", json={"pacing": {"actions_per_window": 1}}
    )
    assert response.status_code == 404, response.text
    assert (await accounts.client.get(f"/accounts/{account_id}")).json()["pacing"] is None


async def test_an_action_over_its_accounts_pacing_waits_on_its_quota(
    accounts: AccountsApi,
) -> None:
    account_id, name = await x_account(accounts)
    await accounts.client.patch(
        f"/accounts/{account_id}", json={"pacing": {"actions_per_window": 1}}
    )
    post = {
        "id": "post",
        "type": "x.post",
        "account_id": account_id,
        "parameters": {"text": "{{ trigger.text }}"},
        "retry": {"maximum_attempts": 3},
    }
    workflow_id = await create_workflow(accounts.client, manual_then(post))
    first = await start_run(accounts.client, workflow_id, {"text": "first"})
    done = await eventually(
        lambda: run_state(accounts.client, first), lambda s: s["status"] != "running"
    )
    assert done["status"] == "succeeded", done
    posted_at = datetime.fromisoformat(done["nodes"]["post"]["started_at"]).timestamp()
    second = await start_run(accounts.client, workflow_id, {"text": "second"})
    try:
        state = await eventually(
            lambda: run_state(accounts.client, second),
            lambda s: (s["nodes"]["post"].get("retry") or {}).get("running") is False,
        )
        node = state["nodes"]["post"]
        retry = node["retry"]
        assert state["status"] == "running"
        assert node["status"] == "running"
        assert retry["waiting_for"] == "quota"
        assert retry["last_error"]["type"] == "QuotaWait"
        assert "pacing" in retry["last_error"]["message"]
        next_at = datetime.fromisoformat(retry["next_attempt_at"]).timestamp()
        # Its slot: an hour after the first post's (both on the server's clock).
        assert posted_at + HOUR - 5 <= next_at <= posted_at + HOUR + 60
        detail = (await accounts.client.get(f"/runs/{second}/nodes/post")).json()
        assert detail["retry"]["waiting_for"] == "quota"
        async with accounts.client.stream("GET", f"/runs/{second}/stream") as stream:
            async for line in stream.aiter_lines():
                if line.startswith("data: "):
                    streamed = json.loads(line.removeprefix("data: "))
                    break
        assert streamed["nodes"]["post"]["retry"]["waiting_for"] == "quota"
        assert [post.text for post in accounts.emulator.posts_by(name)] == ["first"]
    finally:
        await accounts.client.post(f"/runs/{second}/terminate", json={})


async def ended_run(accounts: AccountsApi, run_id: str) -> dict[str, Any]:
    return await eventually(
        lambda: run_state(accounts.client, run_id), lambda s: s["status"] != "running"
    )


async def test_a_paced_node_with_no_attempt_to_spare_fails_saying_what_to_change(
    accounts: AccountsApi,
) -> None:
    account_id, name = await x_account(accounts)
    await accounts.client.patch(
        f"/accounts/{account_id}", json={"pacing": {"actions_per_window": 1}}
    )
    post = {
        "id": "post",
        "type": "x.post",
        "account_id": account_id,
        "parameters": {"text": "{{ trigger.text }}"},
        "retry": {"maximum_attempts": 1},
    }
    workflow_id = await create_workflow(accounts.client, manual_then(post))
    for text, outcome in (("first", "succeeded"), ("second", "failed")):
        ended = await ended_run(
            accounts, await start_run(accounts.client, workflow_id, {"text": text})
        )
        assert ended["status"] == outcome, ended
    error = ended["nodes"]["post"]["error"]
    assert error["type"] == "QuotaWait"
    assert "maximum_attempts of 2 or more" in error["message"]
    assert [post.text for post in accounts.emulator.posts_by(name)] == ["first"]
