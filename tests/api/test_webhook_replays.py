"""Replayed webhook deliveries (issue 12, point 2), and Standard Webhooks senders.

The delivery-id header is not signed: a captured delivery replayed under new ids must start
nothing new, and an id guessed by whoever replays one must not suppress a real event. Senders
built on the `standardwebhooks` package sign their id, and are verified by it.
"""

from __future__ import annotations

import asyncio
import json
import time
from datetime import UTC, datetime, timedelta

from standardwebhooks import Webhook

from tests.api.test_webhooks import deliver, hmac_digest, signed, webhook
from tests.conftest import ApiHarness
from tests.utils.api import wait_for_end

# Body-signed and timestamped deliveries


async def test_a_captured_delivery_replayed_under_new_ids_starts_nothing_new(
    api: ApiHarness,
) -> None:
    _, url, secret = await webhook(api)
    body = b'{"event": "paid", "amount": 10}'
    signature = signed(secret, body)
    first = await deliver(url, body, **{"X-Hub-Signature-256": signature, "X-Delivery-Id": "d-1"})
    replays = [
        await deliver(url, body, **{"X-Hub-Signature-256": signature, "X-Delivery-Id": f"d-{n}"})
        for n in (2, 3)
    ]
    unlabelled = await deliver(url, body, **{"X-Hub-Signature-256": signature})
    assert first.json()["created"] is True
    for replay in [*replays, unlabelled]:
        assert replay.json() == {"run_id": first.json()["run_id"], "created": False}


async def test_an_id_guessed_by_a_replay_does_not_suppress_the_real_event(
    api: ApiHarness,
) -> None:
    _, url, secret = await webhook(api)
    old = b'{"event": "paid", "n": 1}'
    await deliver(url, old, **{"X-Hub-Signature-256": signed(secret, old), "X-Delivery-Id": "d-1"})
    await deliver(url, old, **{"X-Hub-Signature-256": signed(secret, old), "X-Delivery-Id": "d-2"})
    real = b'{"event": "paid", "n": 2}'
    answer = await deliver(
        url, real, **{"X-Hub-Signature-256": signed(secret, real), "X-Delivery-Id": "d-2"}
    )
    assert answer.status_code == 202
    assert answer.json()["created"] is True
    final = await wait_for_end(api.client, answer.json()["run_id"])
    assert final["output"]["echo"]["body"] == {"event": "paid", "n": 2}


async def test_a_senders_retry_under_its_id_starts_nothing_new_after_the_window(
    api: ApiHarness,
) -> None:
    _, url, secret = await webhook(api, dedup_window="PT1S")
    body = b'{"event": "paid"}'
    headers = {"X-Hub-Signature-256": signed(secret, body), "X-Delivery-Id": "evt_1"}
    first = await deliver(url, body, **headers)
    await asyncio.sleep(1.2)
    retry = await deliver(url, body, **headers)
    assert retry.json() == {"run_id": first.json()["run_id"], "created": False}


async def test_a_timestamped_delivery_is_never_accepted_twice_even_without_a_dedup_window(
    api: ApiHarness,
) -> None:
    """Within the tolerance the signature is accepted, so the body's receipt is kept at
    least twice as long, whatever `dedup_window` says."""
    _, url, secret = await webhook(
        api, signature_header="Stripe-Signature", signature_scheme="timestamped",
        dedup_window="PT0S", delivery_id_header=None,
    )  # fmt: skip
    body = b'{"type": "charge.succeeded"}'
    now = int(time.time())
    header = f"t={now},v1={hmac_digest(secret, f'{now}.'.encode() + body).hex()}"
    first = await deliver(url, body, **{"Stripe-Signature": header})
    replay = await deliver(url, body, **{"Stripe-Signature": header})
    assert first.json()["created"] is True
    assert replay.json() == {"run_id": first.json()["run_id"], "created": False}


# Standard Webhooks


def standard_headers(
    secret: str, body: bytes, message_id: str, at: datetime | None = None
) -> dict[str, str]:
    """What a sender built on the `standardwebhooks` package sends."""
    moment = at or datetime.now(UTC)
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(int(moment.timestamp())),
        "webhook-signature": Webhook(secret).sign(message_id, moment, body.decode()),
    }


async def test_a_delivery_signed_by_the_standardwebhooks_package_starts_a_run(
    api: ApiHarness,
) -> None:
    _, url, secret = await webhook(api, signature_scheme="standard_webhooks")
    body = b'{"type": "invoice.paid"}'
    response = await deliver(url, body, **standard_headers(secret, body, "msg_1"))
    assert response.status_code == 202, response.text
    final = await wait_for_end(api.client, response.json()["run_id"])
    assert final["output"]["echo"]["body"] == {"type": "invoice.paid"}
    headers = final["output"]["echo"]["headers"]
    assert headers["webhook-id"] == "msg_1"
    assert "webhook-timestamp" in headers
    assert "webhook-signature" not in headers


async def test_a_standard_webhooks_message_starts_one_run_however_often_it_comes(
    api: ApiHarness,
) -> None:
    """A replay of the captured message, and the sender's retry (same id, new time)."""
    _, url, secret = await webhook(api, signature_scheme="standard_webhooks")
    body = b'{"type": "invoice.paid"}'
    captured = standard_headers(secret, body, "msg_1", datetime.now(UTC) - timedelta(seconds=5))
    first = await deliver(url, body, **captured)
    replay = await deliver(url, body, **captured)
    retry = await deliver(url, body, **standard_headers(secret, body, "msg_1"))
    assert first.json()["created"] is True
    for again in (replay, retry):
        assert again.json() == {"run_id": first.json()["run_id"], "created": False}


async def test_a_standard_webhooks_signature_holds_only_for_its_own_id(api: ApiHarness) -> None:
    _, url, secret = await webhook(api, signature_scheme="standard_webhooks")
    body = b'{"type": "invoice.paid"}'
    moved = {**standard_headers(secret, body, "msg_1"), "webhook-id": "msg_2"}
    response = await deliver(url, body, **moved)
    assert response.status_code == 401
    assert "webhook-signature does not match" in response.json()["error"]["message"]


async def test_a_standard_webhooks_delivery_older_than_five_minutes_is_refused(
    api: ApiHarness,
) -> None:
    _, url, secret = await webhook(api, signature_scheme="standard_webhooks")
    body = b"{}"
    old = datetime.now(UTC) - timedelta(minutes=6)
    response = await deliver(url, body, **standard_headers(secret, body, "msg_1", old))
    assert response.status_code == 401
    assert "more than 300 seconds from now" in response.json()["error"]["message"]


async def test_a_standard_webhooks_trigger_takes_only_a_whsec_secret(api: ApiHarness) -> None:
    workflow_id, _, _ = await webhook(api, signature_scheme="standard_webhooks")
    path = f"/workflows/{workflow_id}/webhooks/hook/secret"
    refused = await api.client.put(path, json={"secret": "a-plain-text-secret-here"})
    taken = await api.client.put(path, json={"secret": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"})
    assert refused.status_code == 422
    assert refused.json()["error"]["details"][0]["path"] == ["body", "secret"]
    assert taken.status_code == 200


async def test_standard_webhooks_refuse_the_settings_they_do_not_use(api: ApiHarness) -> None:
    graph = {
        "nodes": [
            {
                "id": "hook", "type": "trigger.webhook",
                "parameters": {"signature_scheme": "standard_webhooks", "signature_header": "X-S"},
            }
        ],
        "edges": [],
    }  # fmt: skip
    response = await api.client.post("/workflows", json={"name": "w", "graph": graph})
    assert response.status_code == 422
    [detail] = response.json()["error"]["details"]
    assert detail["path"][-1] == "signature_header"
    assert "webhook-signature" in detail["message"]


async def test_a_standard_webhooks_body_from_the_package_keeps_its_exact_bytes(
    api: ApiHarness,
) -> None:
    """The signature covers the raw body: one written with other spacing is another body."""
    _, url, secret = await webhook(api, signature_scheme="standard_webhooks")
    sent = json.dumps({"a": 1, "b": [1, 2]}, separators=(",", ":")).encode()
    headers = standard_headers(secret, sent, "msg_9")
    assert (await deliver(url, sent, **headers)).status_code == 202
    respaced = json.dumps({"a": 1, "b": [1, 2]}).encode()
    assert (await deliver(url, respaced, **headers)).status_code == 401
