"""Meta webhooks from the emulator to a receiver served over real HTTP: signed deliveries and
the subscription check, in Python and through the control API."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import httpx
import pytest
from fastapi import FastAPI, Request, Response
from fastapi.responses import PlainTextResponse

from emulator import record
from emulator.config import SANDBOX_APP_SECRET
from emulator.testing import EmulatorHandle
from tests.utils.servers import free_port, serve

VERIFY_TOKEN = "let-me-in"


@dataclass
class Receiver:
    """A webhook endpoint as an app would write one: checks signatures and tokens."""

    url: str
    bodies: list[bytes] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)


def receiver_app(receiver: Receiver) -> FastAPI:
    app = FastAPI()

    @app.post("/hook")
    async def delivered(request: Request) -> Response:
        raw = await request.body()
        receiver.bodies.append(raw)
        receiver.headers.append(dict(request.headers))
        expected = hmac.new(SANDBOX_APP_SECRET.encode(), raw, hashlib.sha256).hexdigest()
        given = request.headers.get("x-hub-signature-256", "")
        if not hmac.compare_digest(given, f"sha256={expected}"):
            return PlainTextResponse("bad signature", status_code=403)
        return PlainTextResponse("EVENT_RECEIVED")

    @app.get("/hook")
    async def check(request: Request) -> Response:
        query = request.query_params
        if query.get("hub.mode") == "subscribe" and query.get("hub.verify_token") == VERIFY_TOKEN:
            return PlainTextResponse(query.get("hub.challenge", ""))
        return PlainTextResponse("forbidden", status_code=403)

    return app


@pytest.fixture(scope="module")
async def receiver_server() -> AsyncIterator[Receiver]:
    holder = Receiver("")
    async with serve(receiver_app(holder)) as url:
        holder.url = f"{url}/hook"
        yield holder


@pytest.fixture
def receiver(receiver_server: Receiver) -> Receiver:
    """The module's receiver, with nothing received yet."""
    receiver_server.bodies.clear()
    receiver_server.headers.clear()
    return receiver_server


async def test_a_delivery_is_signed_over_its_raw_body(
    emulator: EmulatorHandle, receiver: Receiver
) -> None:
    payload = {"object": "instagram", "entry": [{"id": "1784", "time": 1, "changes": []}]}

    delivery = await emulator.deliver_webhook(receiver.url, payload)

    assert (delivery.status, delivery.body) == (200, "EVENT_RECEIVED")
    [headers] = receiver.headers
    assert headers["x-hub-signature-256"] == delivery.signature
    assert headers["x-hub-signature"].startswith("sha1=")
    assert headers["content-type"] == "application/json"
    assert emulator.count(record.WEBHOOK_DELIVERED) == 1


async def test_a_delivery_signed_with_another_secret_is_refused_by_the_receiver(
    emulator: EmulatorHandle, receiver: Receiver
) -> None:
    delivery = await emulator.deliver_webhook(receiver.url, {"object": "instagram"}, app_secret="x")

    assert (delivery.status, delivery.body) == (403, "bad signature")


async def test_an_unreachable_receiver_is_reported_not_raised(emulator: EmulatorHandle) -> None:
    delivery = await emulator.deliver_webhook(f"http://127.0.0.1:{free_port()}/hook", {"a": 1})

    assert delivery.status == 0
    assert delivery.error is not None
    assert delivery.error.startswith("ConnectError")


async def test_a_receiver_that_echoes_the_challenge_is_verified(
    emulator: EmulatorHandle, receiver: Receiver
) -> None:
    verification = await emulator.verify_webhook(receiver.url, VERIFY_TOKEN, challenge="1158201444")

    assert (verification.status, verification.body) == (200, "1158201444")
    assert verification.verified
    assert emulator.count(record.WEBHOOK_VERIFIED) == 1


async def test_a_wrong_verify_token_is_not_verified(
    emulator: EmulatorHandle, receiver: Receiver
) -> None:
    verification = await emulator.verify_webhook(receiver.url, "guess")

    assert verification.status == 403
    assert not verification.verified


async def test_an_instagram_change_is_delivered_over_the_control_api(
    http: httpx.AsyncClient, receiver: Receiver
) -> None:
    response = await http.post(
        "/_emulator/meta/webhooks/deliver",
        json={
            "url": receiver.url,
            "instagram_change": {
                "ig_user_id": "17841400000000001",
                "field": "comments",
                "value": {"id": "17865799348089039", "text": "nice"},
            },
        },
    )

    assert response.json()["status"] == 200
    [entry] = httpx.Response(200, content=receiver.bodies[0]).json()["entry"]
    assert entry["id"] == "17841400000000001"
    assert entry["changes"] == [
        {"field": "comments", "value": {"id": "17865799348089039", "text": "nice"}}
    ]


async def test_a_delivery_request_needs_exactly_one_body(
    http: httpx.AsyncClient, receiver: Receiver
) -> None:
    response = await http.post("/_emulator/meta/webhooks/deliver", json={"url": receiver.url})

    assert response.status_code == 422
    assert receiver.bodies == []


async def test_verification_runs_over_the_control_api(
    http: httpx.AsyncClient, receiver: Receiver
) -> None:
    response = await http.post(
        "/_emulator/meta/webhooks/verify", json={"url": receiver.url, "verify_token": VERIFY_TOKEN}
    )

    body = response.json()
    assert body["verified"] is True
    assert body["body"] == body["challenge"]
