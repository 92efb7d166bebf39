"""A read-only key reads everything and is refused (403) on every operation that writes."""

from __future__ import annotations

import re
from functools import partial

from tests.api.test_foreign_organization import (
    BODIES,
    HTTP_ACCOUNT,
    PATH_PARAMETER,
    TRIGGERS,
    _value,
)
from tests.conftest import ApiHarness
from tests.utils.api import create_workflow, start_run, wait_until_waiting
from tests.utils.servers import http_client

READS_WITH_A_BODY = {"validate_workflow", "preview_expression"}


async def test_a_read_only_key_is_refused_on_every_write(api: ApiHarness) -> None:
    workflow_id = await create_workflow(api.client, TRIGGERS)
    run_id = await start_run(api.client, workflow_id)
    await wait_until_waiting(api.client, run_id, "review")
    key = (await api.client.post("/api-keys", json={"name": "r", "read_only": True})).json()
    account_id = (await api.client.post("/accounts/http", json=HTTP_ACCOUNT)).json()["id"]
    values = {
        "workflow_id": workflow_id, "run_id": run_id, "key_id": key["id"], "version": "1",
        "other": "1", "account_id": account_id, "operation_id": "bulk_none",
        "organization_id": api.organization_id,
        "subscription_id": "evs_none",
    }  # fmt: skip
    document = (await api.client.get("/openapi.json")).json()
    refused = []
    async with http_client(
        base_url=api.url, headers={"Authorization": f"Bearer {key['key']}"}, timeout=30
    ) as reader:
        for path, item in document["paths"].items():
            # Without a key: webhook deliveries, X's callback, a decision with an approval link;
            # the codec endpoint takes the operator's codec token, never a key.
            if path.startswith(("/hooks/", "/codec/")) or path in {
                "/accounts/x/callback", "/approval-links/decision"
            }:  # fmt: skip
                continue
            fill = {**values, "node_id": "tick" if "/schedules/" in path else "hook"}
            url = PATH_PARAMETER.sub(partial(_value, fill), path)
            for method, operation in item.items():
                operation_id = operation["operationId"]
                if method == "get" or operation_id in READS_WITH_A_BODY:
                    continue
                body = (
                    BODIES.get(operation_id, {"name": "x"}) if "requestBody" in operation else None
                )
                if operation_id == "import_workflow":
                    body = (await api.client.get(f"/workflows/{workflow_id}/export")).json()
                response = await reader.request(method, url, json=body)
                assert response.status_code == 403, (operation_id, response.text)
                refused.append(operation_id)
        assert (await reader.get(f"/runs/{run_id}")).status_code == 200
    assert len(refused) == 36, refused
    assert (await api.client.get(f"/runs/{run_id}")).json()["status"] == "running"
    account = (await api.client.get(f"/accounts/{account_id}")).json()
    assert account["allowed_hosts"] == HTTP_ACCOUNT["allowed_hosts"]
    await api.client.post(f"/runs/{run_id}/cancel")


async def test_a_delivery_with_each_accepted_method_starts_a_run(api: ApiHarness) -> None:
    for method in ("PUT", "PATCH", "GET"):
        graph = {
            "nodes": [
                {
                    "id": "hook",
                    "type": "trigger.webhook",
                    "parameters": {"method": method, "authentication": "token"},
                }
            ],
            "edges": [],
        }
        workflow_id = await create_workflow(api.client, graph)
        hook = (
            await api.client.put(f"/workflows/{workflow_id}/webhooks/hook/secret", json={})
        ).json()
        await api.client.post(f"/workflows/{workflow_id}/activate")
        async with http_client() as sender:
            response = await sender.request(
                method,
                hook["url"],
                params={"q": "1"},
                headers={"X-Webhook-Token": hook["secret"]},
            )
        assert response.status_code == 202, (method, response.text)
        assert re.match(r"^run_", response.json()["run_id"])
