"""Webhook triggers: unguessable URLs, signed or token deliveries, Meta's challenge, dedup, caps."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from typing import Any

import httpx
import sqlalchemy as sa

from app.db.engine import sync_url
from emulator.testing import running_emulator
from tests.conftest import ApiHarness
from tests.utils.api import create_workflow, wait_for_end
from tests.utils.servers import http_client
from tests.utils.stored_plans import rewrite_latest_plan

ECHO = {
    "id": "echo",
    "type": "transform",
    "parameters": {"value": {"body": "{{ trigger.body }}", "headers": "{{ trigger.headers }}"}},
}


def hook_graph(**parameters: Any) -> dict[str, Any]:
    return {
        "nodes": [{"id": "hook", "type": "trigger.webhook", "parameters": parameters}, ECHO],
        "edges": [{"source": "hook", "target": "echo"}],
    }


async def webhook(api: ApiHarness, **parameters: Any) -> tuple[str, str, str]:
    """An active workflow with one webhook trigger: its id, its URL and its secret."""
    workflow_id = await create_workflow(api.client, hook_graph(**parameters))
    secret = (
        await api.client.put(f"/workflows/{workflow_id}/webhooks/hook/secret", json={})
    ).json()
    await api.client.post(f"/workflows/{workflow_id}/activate")
    return workflow_id, secret["url"], secret["secret"]


def signed(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


async def deliver(url: str, body: bytes, **headers: str) -> httpx.Response:
    async with http_client(timeout=30) as anonymous:
        return await anonymous.post(url, content=body, headers=headers)


async def test_a_webhook_gets_an_unguessable_url_and_no_secret_until_one_is_set(
    api: ApiHarness,
) -> None:
    workflow_id = await create_workflow(api.client, hook_graph())
    [hook] = (await api.client.get(f"/workflows/{workflow_id}/webhooks")).json()["data"]
    assert hook["url"].startswith(f"{api.url}/hooks/wh_")
    assert len(hook["url"].rsplit("/", 1)[1]) >= 32
    assert (hook["authentication"], hook["secret_set"]) == ("hmac_sha256", False)
    set_ = await api.client.put(f"/workflows/{workflow_id}/webhooks/hook/secret", json={})
    assert set_.json()["secret"].startswith("whsec_")
    [again] = (await api.client.get(f"/workflows/{workflow_id}/webhooks")).json()["data"]
    assert again["secret_set"] is True
    assert "secret" not in again


async def test_a_signed_delivery_starts_a_run_with_the_request(api: ApiHarness) -> None:
    _, url, secret = await webhook(api)
    body = json.dumps({"entry": [1, 2]}).encode()
    response = await deliver(url, body, **{"X-Hub-Signature-256": signed(secret, body)})
    assert response.status_code == 202, response.text
    final = await wait_for_end(api.client, response.json()["run_id"])
    assert final["trigger"] == "webhook"
    assert final["output"]["echo"]["body"] == {"entry": [1, 2]}
    headers = final["output"]["echo"]["headers"]
    assert headers["user-agent"].startswith("python-httpx")
    assert "x-hub-signature-256" not in headers
    assert signed(secret, body).removeprefix("sha256=") not in json.dumps(final)


async def test_a_wrong_signature_is_refused(api: ApiHarness) -> None:
    _, url, _ = await webhook(api)
    body = b'{"a": 1}'
    response = await deliver(url, body, **{"X-Hub-Signature-256": signed("not-the-secret", body)})
    assert response.status_code == 401
    assert "does not match the body" in response.json()["error"]["message"]


async def test_a_missing_signature_is_refused(api: ApiHarness) -> None:
    _, url, _ = await webhook(api)
    response = await deliver(url, b"{}")
    assert response.status_code == 401
    assert response.json()["error"]["message"] == "missing X-Hub-Signature-256 header"


async def test_a_signature_replayed_on_another_body_is_refused(api: ApiHarness) -> None:
    _, url, secret = await webhook(api)
    signature = signed(secret, b'{"amount": 1}')
    first = await deliver(url, b'{"amount": 1}', **{"X-Hub-Signature-256": signature})
    replayed = await deliver(url, b'{"amount": 1000}', **{"X-Hub-Signature-256": signature})
    assert (first.status_code, replayed.status_code) == (202, 401)


async def test_a_replayed_delivery_starts_nothing_new(api: ApiHarness) -> None:
    _, url, secret = await webhook(api)
    body = b'{"event": "x"}'
    headers = {"X-Hub-Signature-256": signed(secret, body), "X-Delivery-Id": "d-1"}
    first = await deliver(url, body, **headers)
    await wait_for_end(api.client, first.json()["run_id"])
    again = await deliver(url, body, **headers)
    assert again.status_code == 202
    assert again.json() == {"run_id": first.json()["run_id"], "created": False}
    assert first.json()["created"] is True


async def test_a_delivery_without_an_id_is_deduplicated_by_its_signature(
    api: ApiHarness,
) -> None:
    _, url, secret = await webhook(api, delivery_id_header=None)
    body = b'{"event": "x", "at": 1}'
    first = await deliver(url, body, **{"X-Hub-Signature-256": signed(secret, body)})
    again = await deliver(url, body, **{"X-Hub-Signature-256": signed(secret, body)})
    other_body = b'{"event": "x", "at": 2}'
    other = await deliver(url, other_body, **{"X-Hub-Signature-256": signed(secret, other_body)})
    assert first.json()["created"] is True
    assert again.json() == {"run_id": first.json()["run_id"], "created": False}
    assert other.json()["created"] is True
    assert other.json()["run_id"] != first.json()["run_id"]


async def test_a_get_webhook_cannot_be_signed_as_it_has_no_body(api: ApiHarness) -> None:
    response = await api.client.post(
        "/workflows", json={"name": "w", "graph": hook_graph(method="GET")}
    )
    assert response.status_code == 422, response.text
    [detail] = response.json()["error"]["details"]
    assert detail["path"] == ["graph", "nodes", 0, "parameters", "authentication"]
    assert "GET" in detail["message"]


async def test_a_stored_get_webhook_with_hmac_is_a_conflict_not_a_crash(api: ApiHarness) -> None:
    workflow_id, url, secret = await webhook(api)

    def make_it_get(plan: dict[str, Any]) -> None:
        plan["nodes"]["hook"]["parameters"]["method"] = "GET"

    rewrite_latest_plan(api.settings, workflow_id, make_it_get)
    async with http_client(timeout=30) as anonymous:
        response = await anonymous.get(url, headers={"X-Hub-Signature-256": signed(secret, b"")})
    assert response.status_code == 409, response.text
    assert response.json()["error"]["details"][0]["path"] == ["parameters", "authentication"]
    listed = await api.client.get(f"/workflows/{workflow_id}/webhooks")
    assert listed.status_code == 409, listed.text


async def test_a_get_webhook_with_a_token_starts_a_run_from_its_query(api: ApiHarness) -> None:
    _, url, secret = await webhook(api, method="GET", authentication="token")
    async with http_client(timeout=30) as anonymous:
        response = await anonymous.get(
            url, params={"order": "42"}, headers={"X-Webhook-Token": secret}
        )
    assert response.status_code == 202, response.text
    final = await wait_for_end(api.client, response.json()["run_id"])
    assert "x-webhook-token" not in final["output"]["echo"]["headers"]


async def test_a_token_delivery_is_checked_and_the_token_kept_out_of_the_run(
    api: ApiHarness,
) -> None:
    _, url, secret = await webhook(api, authentication="token")
    assert (await deliver(url, b"hi", **{"X-Webhook-Token": "wrong"})).status_code == 401
    accepted = await deliver(url, b"hi", **{"X-Webhook-Token": secret})
    assert accepted.status_code == 202
    final = await wait_for_end(api.client, accepted.json()["run_id"])
    assert final["output"]["echo"]["body"] == "hi"
    assert secret not in json.dumps(final)


async def test_a_meta_delivery_reaches_the_run_without_either_of_its_signatures(
    api: ApiHarness,
) -> None:
    """Issue 12, point 11: Meta signs with SHA-1 (X-Hub-Signature) beside SHA-256, and the
    older header reached `trigger.headers`."""
    _, url, secret = await webhook(api)
    async with running_emulator() as meta:
        delivery = await meta.deliver_webhook(url, {"object": "instagram"}, app_secret=secret)
    assert delivery.status == 202, delivery.body
    final = await wait_for_end(api.client, json.loads(delivery.body)["run_id"])
    headers = final["output"]["echo"]["headers"]
    assert headers["user-agent"] == "facebookexternalua"
    assert not {"x-hub-signature", "x-hub-signature-256"} & set(headers)


async def test_metas_verification_challenge_is_answered_with_the_right_token(
    api: ApiHarness,
) -> None:
    workflow_id, url, _ = await webhook(api)
    await api.client.put(
        f"/workflows/{workflow_id}/webhooks/hook/secret",
        json={"secret": "my-meta-app-secret", "verify_token": "meta-verify-1"},
    )
    query = {"hub.mode": "subscribe", "hub.challenge": "1158201444"}
    async with http_client() as meta:
        good = await meta.get(url, params={**query, "hub.verify_token": "meta-verify-1"})
        bad = await meta.get(url, params={**query, "hub.verify_token": "guess"})
    assert (good.status_code, good.text) == (200, "1158201444")
    assert bad.status_code == 403


async def test_a_secret_of_ones_own_is_used_and_not_echoed(api: ApiHarness) -> None:
    workflow_id, url, _ = await webhook(api)
    answer = await api.client.put(
        f"/workflows/{workflow_id}/webhooks/hook/secret", json={"secret": "my-meta-app-secret"}
    )
    assert answer.json()["secret"] is None
    body = b"{}"
    response = await deliver(
        url, body, **{"X-Hub-Signature-256": signed("my-meta-app-secret", body)}
    )
    assert response.status_code == 202


async def test_the_secret_is_stored_encrypted(api: ApiHarness) -> None:
    workflow_id, _, secret = await webhook(api)
    engine = sa.create_engine(sync_url(api.settings.resolved_database_url))
    try:
        with engine.connect() as connection:
            stored = connection.execute(
                sa.text("SELECT secret_sealed FROM webhook WHERE workflow_id = :id"),
                {"id": workflow_id},
            ).scalar_one()
    finally:
        engine.dispose()
    assert secret not in stored
    assert secret.removeprefix("whsec_") not in stored


async def test_a_body_over_the_cap_is_refused_with_413(api: ApiHarness) -> None:
    _, url, secret = await webhook(api, max_body_bytes=16)
    body = b"x" * 17
    response = await deliver(url, body, **{"X-Hub-Signature-256": signed(secret, body)})
    assert response.status_code == 413
    assert response.json()["error"]["type"] == "too_large"


async def test_an_inactive_workflows_webhook_is_not_found(api: ApiHarness) -> None:
    workflow_id, url, secret = await webhook(api)
    await api.client.post(f"/workflows/{workflow_id}/deactivate")
    response = await deliver(url, b"{}", **{"X-Hub-Signature-256": signed(secret, b"{}")})
    assert response.status_code == 404
    assert (await deliver(f"{api.url}/hooks/wh_unknown", b"{}")).status_code == 404


async def test_another_method_than_the_triggers_is_a_405(api: ApiHarness) -> None:
    _, url, _ = await webhook(api, method="PUT")
    response = await deliver(url, b"{}")
    assert response.status_code == 405


async def test_wait_for_result_answers_with_the_runs_output(api: ApiHarness) -> None:
    _, url, token = await webhook(api, authentication="token", response_mode="wait_for_result")
    response = await deliver(url, b'{"q": 1}', **{"X-Webhook-Token": token})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "succeeded"
    assert body["output"]["echo"]["body"] == {"q": 1}


async def test_a_webhook_without_a_secret_refuses_deliveries(api: ApiHarness) -> None:
    workflow_id = await create_workflow(api.client, hook_graph())
    await api.client.post(f"/workflows/{workflow_id}/activate")
    [hook] = (await api.client.get(f"/workflows/{workflow_id}/webhooks")).json()["data"]
    response = await deliver(hook["url"], b"{}", **{"X-Hub-Signature-256": "sha256=00"})
    assert response.status_code == 401
    assert "no secret yet" in response.json()["error"]["message"]


async def test_the_url_stays_across_versions_and_goes_with_the_node(api: ApiHarness) -> None:
    workflow_id, url, _ = await webhook(api, authentication="token")
    edited = hook_graph(authentication="token", method="POST")
    await api.client.patch(f"/workflows/{workflow_id}", json={"graph": edited})
    [hook] = (await api.client.get(f"/workflows/{workflow_id}/webhooks")).json()["data"]
    assert hook["url"] == url
    manual = {"nodes": [{"id": "start", "type": "trigger.manual"}], "edges": []}
    await api.client.patch(f"/workflows/{workflow_id}", json={"graph": manual})
    assert (await deliver(url, b"{}")).status_code == 404


async def test_wait_for_result_answers_202_when_the_run_outlasts_the_timeout(
    api: ApiHarness,
) -> None:
    parameters = {"authentication": "token", "response_mode": "wait_for_result"}
    graph = {
        "nodes": [
            {
                "id": "hook",
                "type": "trigger.webhook",
                "parameters": {**parameters, "response_timeout": "PT1S"},
            },
            {"id": "pay", "type": "wait_for_event", "parameters": {"event": "paid"}},
        ],
        "edges": [{"source": "hook", "target": "pay"}],
    }
    workflow_id = await create_workflow(api.client, graph)
    token = (await api.client.put(f"/workflows/{workflow_id}/webhooks/hook/secret", json={})).json()
    await api.client.post(f"/workflows/{workflow_id}/activate")
    response = await deliver(token["url"], b"{}", **{"X-Webhook-Token": token["secret"]})
    assert response.status_code == 202
    run_id = response.json()["run_id"]
    assert (await api.client.get(f"/runs/{run_id}")).json()["status"] == "running"
    await api.client.post(f"/runs/{run_id}/cancel")


# Only a signature or a token proves a delivery (issue 5.5): there is no "none".


async def test_a_webhook_without_authentication_is_refused_with_422(api: ApiHarness) -> None:
    response = await api.client.post(
        "/workflows", json={"name": "open", "graph": hook_graph(authentication="none")}
    )
    assert response.status_code == 422
    [detail] = response.json()["error"]["details"]
    assert detail["node_id"] == "hook"
    assert detail["path"] == ["graph", "nodes", 0, "parameters", "authentication"]
    assert "use 'token'" in detail["message"]


async def test_a_version_saved_without_authentication_now_needs_a_signature(
    api: ApiHarness,
) -> None:
    workflow_id, url, _ = await webhook(api, authentication="token")

    def without_authentication(plan: dict[str, Any]) -> None:
        plan["nodes"]["hook"]["parameters"]["authentication"] = "none"

    rewrite_latest_plan(api.settings, workflow_id, without_authentication)
    [hook] = (await api.client.get(f"/workflows/{workflow_id}/webhooks")).json()["data"]
    assert hook["authentication"] == "hmac_sha256"
    response = await deliver(url, b"{}")
    assert response.status_code == 401
    assert response.json()["error"]["message"] == "missing X-Hub-Signature-256 header"


# Other signature forms (issue 5.5): base64 digests, and Stripe-style timestamped signatures.


def hmac_digest(secret: str, message: bytes) -> bytes:
    return hmac.new(secret.encode(), message, hashlib.sha256).digest()


async def test_a_base64_signature_without_prefix_is_accepted(api: ApiHarness) -> None:
    _, url, secret = await webhook(
        api,
        signature_header="X-Shopify-Hmac-Sha256",
        signature_prefix="",
        signature_encoding="base64",
    )
    body = b'{"order": 7}'
    good = base64.b64encode(hmac_digest(secret, body)).decode()
    wrong = await deliver(url, body, **{"X-Shopify-Hmac-Sha256": hmac_digest(secret, body).hex()})
    right = await deliver(url, body, **{"X-Shopify-Hmac-Sha256": good})
    assert (wrong.status_code, right.status_code) == (401, 202), right.text


def stripe_signature(secret: str, body: bytes, at: int) -> str:
    return f"t={at},v1={hmac_digest(secret, f'{at}.'.encode() + body).hex()}"


async def test_a_timestamped_signature_is_accepted_only_within_the_tolerance(
    api: ApiHarness,
) -> None:
    _, url, secret = await webhook(
        api, signature_header="Stripe-Signature", signature_scheme="timestamped"
    )
    body = b'{"type": "charge.succeeded"}'
    now = int(time.time())
    fresh = await deliver(url, body, **{"Stripe-Signature": stripe_signature(secret, body, now)})
    assert fresh.status_code == 202, fresh.text
    replayed = await deliver(
        url, body, **{"Stripe-Signature": stripe_signature(secret, body, now - 600)}
    )
    assert replayed.status_code == 401
    assert "more than 300 seconds from now" in replayed.json()["error"]["message"]
    moved = await deliver(
        url, b'{"type": "refund"}', **{"Stripe-Signature": stripe_signature(secret, body, now)}
    )
    assert moved.status_code == 401


async def test_a_timestamp_of_hundreds_or_thousands_of_digits_is_refused_with_401(
    api: ApiHarness,
) -> None:
    """Issue 12, point 6: such a `t=` raised before the signature was checked (a 500 to
    anyone who knows a webhook's URL)."""
    _, url, secret = await webhook(
        api, signature_header="Stripe-Signature", signature_scheme="timestamped"
    )
    body = b'{"type": "charge.succeeded"}'
    for digits in (400, 5000):
        at = "9" * digits
        signature = f"t={at},v1={hmac_digest(secret, f'{at}.'.encode() + body).hex()}"
        response = await deliver(url, body, **{"Stripe-Signature": signature})
        assert response.status_code == 401, (digits, response.text)
