"""Every route that takes an id answers 404 to another organization, and changes nothing."""

from __future__ import annotations

import re
from functools import partial
from typing import Any

from tests.conftest import ApiHarness
from tests.utils.api import create_workflow, foreign_client, start_run, wait_until_waiting

# A valid body for each operation that takes one, so that only ownership can refuse it.
BODIES: dict[str, Any] = {
    "update_workflow": {"name": "taken over"},
    "duplicate_workflow": {},
    "restore_workflow_version": {},
    "start_run": {},
    "send_run_event": {"name": "go"},
    "decide_run_approval": {"approved": True, "by": "ann"},
    "create_approval_link": {"approver": "ann"},
    "terminate_run": {},
    "rerun_run": {"from": "failed_step"},
    "bulk_runs": {"action": "cancel", "dry_run": False},
    "backfill_schedule": {"start_at": "2025-01-01T00:00:00Z", "end_at": "2025-01-02T00:00:00Z"},
    "set_webhook_secret": {},
    "update_account": {"allowed_hosts": ["attacker.example"]},
    "create_event_subscription": {
        "url": "https://93.184.216.34/hook",
        "event_types": ["run.failed"],
    },
    "update_event_subscription": {"enabled": False},
}
HTTP_ACCOUNT = {
    "display_name": "Billing",
    "credential": {"type": "bearer", "token": "t0ken"},
    "allowed_hosts": ["api.example.com"],
}
# A workflow with every kind of trigger, and a run that waits: every route has a target.
TRIGGERS = {
    "nodes": [
        {"id": "start", "type": "trigger.manual"},
        {"id": "tick", "type": "trigger.schedule", "parameters": {"cron": ["0 9 * * *"]}},
        {"id": "hook", "type": "trigger.webhook"},
        {"id": "review", "type": "approval", "parameters": {"message": "ok?"}},
    ],
    "edges": [
        {"source": "start", "target": "review"},
        {"source": "tick", "target": "review"},
        {"source": "hook", "target": "review"},
    ],
}


PATH_PARAMETER = re.compile(r"\{(\w+)\}")


def _value(values: dict[str, str], match: re.Match[str]) -> str:
    return values[match[1]]


async def test_another_organization_gets_404_on_every_route_with_an_id(api: ApiHarness) -> None:
    workflow_id = await create_workflow(api.client, TRIGGERS)
    assert (await api.client.post(f"/workflows/{workflow_id}/activate")).is_success
    run_id = await start_run(api.client, workflow_id)
    await wait_until_waiting(api.client, run_id, "review")
    key_id = (await api.client.post("/api-keys", json={"name": "mine"})).json()["id"]
    account_id = (await api.client.post("/accounts/http", json=HTTP_ACCOUNT)).json()["id"]
    operation_id = (
        await api.client.post(
            "/runs/bulk", params={"workflow_id": "wf_none"},
            json={"action": "cancel", "dry_run": False},
        )
    ).json()["id"]  # fmt: skip
    subscription = BODIES["create_event_subscription"]
    subscription_id = (await api.client.post("/event-subscriptions", json=subscription)).json()[
        "id"
    ]
    values = {
        "workflow_id": workflow_id, "run_id": run_id, "key_id": key_id, "version": "1",
        "other": "1", "account_id": account_id, "operation_id": operation_id,
        "subscription_id": subscription_id,
    }  # fmt: skip

    document = (await api.client.get("/openapi.json")).json()
    tried = []
    async with await foreign_client(api) as other:
        for path, item in document["paths"].items():
            # The operator's routes are no organization's: an API key is 403 there
            # (tests/api/test_operator_organizations.py).
            if "{" not in path or path.startswith(("/hooks/", "/operator/")):
                continue
            fill = {**values, "node_id": "tick" if "/schedules/" in path else "hook"}
            url = PATH_PARAMETER.sub(partial(_value, fill), path)
            for method, operation in item.items():
                operation_id = operation["operationId"]
                body = BODIES.get(operation_id) if "requestBody" in operation else None
                if "requestBody" in operation:
                    assert operation_id in BODIES, f"add a valid body for {operation_id}"
                response = await other.request(method, url, json=body)
                assert response.status_code == 404, (operation_id, response.text)
                assert response.json()["error"]["type"] == "not_found"
                tried.append(operation_id)

    assert len(tried) == 39, tried
    state = (await api.client.get(f"/runs/{run_id}")).json()
    assert state["status"] == "running"
    workflow = (await api.client.get(f"/workflows/{workflow_id}")).json()
    assert (workflow["name"], workflow["active"]) == ("greet", True)
    assert (await api.client.get(f"/api-keys/{key_id}")).json()["revoked_at"] is None
    account = (await api.client.get(f"/accounts/{account_id}")).json()
    assert (account["status"], account["allowed_hosts"]) == ("active", ["api.example.com"])
    kept = (await api.client.get(f"/event-subscriptions/{subscription_id}")).json()
    assert kept["enabled"] is True
    await api.client.post(f"/runs/{run_id}/cancel")
    await api.client.post(f"/workflows/{workflow_id}/deactivate")
