"""`GET /metrics`: requests by route template and status, runs started by trigger, webhook
deliveries accepted, deduplicated and refused; no organization in sight; the token guards it."""

from __future__ import annotations

import json

from tests.api.test_webhooks import deliver, signed, webhook
from tests.conftest import ApiHarness
from tests.observability.metrics_text import sample
from tests.utils.api import create_workflow, start_run, wait_for_end
from tests.utils.api_servers import SharedApis, organization_on
from tests.utils.servers import http_client


async def scrape(url: str, **headers: str) -> str:
    async with http_client(timeout=30) as anonymous:
        response = await anonymous.get(f"{url}/metrics", headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    return response.text


async def test_requests_are_counted_by_route_template_and_status(api: ApiHarness) -> None:
    before = await scrape(api.url)
    run_id = await start_run(api.client, await create_workflow(api.client))
    await wait_for_end(api.client, run_id)
    missing = await api.client.get("/runs/run_nosuchrun")
    assert missing.status_code == 404
    nowhere = await api.client.get("/no/such/path")
    assert nowhere.status_code == 404
    after = await scrape(api.url)

    def delta(**labels: str) -> float:
        name = "flowhold_api_requests_total"
        return sample(after, name, **labels) - sample(before, name, **labels)

    assert delta(method="POST", route="/workflows", status="201") == 1
    assert delta(method="POST", route="/workflows/{workflow_id}/runs", status="201") == 1
    assert delta(method="GET", route="/runs/{run_id}", status="200") >= 1
    assert delta(method="GET", route="/runs/{run_id}", status="404") == 1
    assert delta(method="GET", route="unmatched", status="404") == 1
    runs = "flowhold_runs_started_total"
    assert sample(after, runs, trigger="manual") - sample(before, runs, trigger="manual") == 1
    # Ids and names of tenants never appear: series are by route template only.
    assert run_id not in after
    assert api.organization_id not in after
    assert "flowhold_api_request_duration_seconds_bucket" in after


async def test_webhook_deliveries_are_counted_by_outcome(api: ApiHarness) -> None:
    _, url, secret = await webhook(api)
    body = json.dumps({"n": 1}).encode()
    before = await scrape(api.url)
    first = await deliver(url, body, **{"X-Hub-Signature-256": signed(secret, body)})
    assert first.status_code == 202, first.text
    again = await deliver(url, body, **{"X-Hub-Signature-256": signed(secret, body)})
    assert again.json()["created"] is False
    forged = await deliver(url, body, **{"X-Hub-Signature-256": signed("wrong", body)})
    assert forged.status_code == 401
    after = await scrape(api.url)

    def delta(**labels: str) -> float:
        name = "flowhold_webhook_deliveries_total"
        return sample(after, name, **labels) - sample(before, name, **labels)

    assert delta(outcome="accepted", status="202") == 1
    assert delta(outcome="deduplicated", status="202") == 1
    assert delta(outcome="refused", status="401") == 1
    runs = "flowhold_runs_started_total"
    assert sample(after, runs, trigger="webhook") - sample(before, runs, trigger="webhook") == 1
    # The run says in the Temporal UI what started it.
    described = await api.temporal.get_workflow_handle(first.json()["run_id"]).describe()
    assert await described.static_summary() == "greet (webhook)"


async def test_a_metrics_token_keeps_metrics_to_those_who_have_it(
    api_servers: SharedApis, backend: str
) -> None:
    server = await api_servers.get(backend, metrics_token="scrape-me-9f2c1d7e")
    async with http_client(timeout=30) as anonymous:
        refused = await anonymous.get(f"{server.url}/metrics")
        wrong = await anonymous.get(
            f"{server.url}/metrics", headers={"Authorization": "Bearer scrape-me-wrong"}
        )
    assert refused.status_code == 401
    assert wrong.status_code == 401
    assert "scrape-me" not in refused.text + wrong.text
    text = await scrape(server.url, Authorization="Bearer scrape-me-9f2c1d7e")
    assert "flowhold_api_requests_total" in text


async def test_metrics_can_be_turned_off(api_servers: SharedApis, backend: str) -> None:
    server = await api_servers.get(backend, metrics_enabled=False)
    async with organization_on(server) as harness:
        response = await harness.client.get("/metrics")
    assert response.status_code == 404
    assert response.json()["error"]["type"] == "not_found"
