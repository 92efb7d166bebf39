"""Meta webhooks, sent by the emulator to a receiver: signed deliveries
(`X-Hub-Signature-256: sha256=<hex HMAC-SHA256(app secret, raw body)>`) and the subscription
check (`GET ?hub.mode=subscribe&hub.challenge=...&hub.verify_token=...`).

Meta retries failed deliveries for hours; the emulator sends once and reports what came back,
so a test decides what to do next."""

from __future__ import annotations

import functools
import hashlib
import hmac
import json
import secrets
import ssl
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

import httpx

from emulator import record as kinds
from emulator.record import SideEffect
from emulator.state import EmulatorState

MAX_BODY = 2000
"""How much of a receiver's answer a report keeps."""
USER_AGENT = "facebookexternalua"


@functools.cache
def tls_context() -> ssl.SSLContext:
    """One TLS context for every client: building one costs ~30 ms."""
    return ssl.create_default_context()


def signature_256(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def instagram_change(ig_user_id: str, field: str, value: Any, at: datetime) -> dict[str, Any]:
    """The body Meta sends when something changes on an Instagram account (a comment, a
    mention, story insights...)."""
    return {
        "object": "instagram",
        "entry": [
            {
                "id": ig_user_id,
                "time": int(at.timestamp()),
                "changes": [{"field": field, "value": value}],
            }
        ],
    }


@dataclass(frozen=True)
class Delivery:
    """What happened to one webhook delivery."""

    url: str
    status: int
    """The receiver's HTTP status; 0 when it could not be reached."""
    body: str
    """The start of the receiver's answer."""
    signature: str
    """The `X-Hub-Signature-256` value sent."""
    error: str | None = None
    """Why the receiver could not be reached."""

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Verification:
    """What a receiver answered to the subscription check."""

    url: str
    status: int
    body: str
    challenge: str
    verified: bool
    """Whether it answered 200 with exactly the challenge, as Meta requires."""
    error: str | None = None

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


async def deliver(
    state: EmulatorState, url: str, payload: dict[str, Any], *, app_secret: str | None = None
) -> Delivery:
    """POST `payload` to `url` as Meta does, signed with `app_secret` (default: the
    configured app secret; pass another to send a signature the receiver must refuse)."""
    raw = json.dumps(payload, separators=(",", ":")).encode()
    secret = state.config.meta_app_secret if app_secret is None else app_secret
    signed = signature_256(secret, raw)
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "X-Hub-Signature": "sha1=" + hmac.new(secret.encode(), raw, hashlib.sha1).hexdigest(),
        "X-Hub-Signature-256": signed,
    }
    timeout = state.config.webhook_timeout.total_seconds()
    try:
        async with httpx.AsyncClient(timeout=timeout, verify=tls_context()) as client:
            response = await client.post(url, content=raw, headers=headers)
        delivery = Delivery(url, response.status_code, response.text[:MAX_BODY], signed)
    except httpx.HTTPError as error:
        delivery = Delivery(url, 0, "", signed, f"{type(error).__name__}: {error}")
    state.record.add(
        SideEffect(
            kinds.WEBHOOK_DELIVERED,
            url,
            state.clock.now(),
            {"status": delivery.status, "object": payload.get("object")},
        )
    )
    return delivery


async def verify(
    state: EmulatorState, url: str, verify_token: str, challenge: str | None = None
) -> Verification:
    """Perform the subscription check against `url` and report the answer."""
    challenge = challenge or str(secrets.randbelow(10**9))
    params = {"hub.mode": "subscribe", "hub.challenge": challenge, "hub.verify_token": verify_token}
    timeout = state.config.webhook_timeout.total_seconds()
    try:
        async with httpx.AsyncClient(timeout=timeout, verify=tls_context()) as client:
            response = await client.get(url, params=params, headers={"User-Agent": USER_AGENT})
        status, body, error = response.status_code, response.text[:MAX_BODY], None
    except httpx.HTTPError as failure:
        status, body, error = 0, "", f"{type(failure).__name__}: {failure}"
    verified = status == 200 and body == challenge
    state.record.add(
        SideEffect(
            kinds.WEBHOOK_VERIFIED, url, state.clock.now(), {"status": status, "verified": verified}
        )
    )
    return Verification(url, status, body, challenge, verified, error)
