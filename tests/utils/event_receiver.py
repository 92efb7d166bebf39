"""A real HTTP receiver of run events for tests: it keeps every delivery it gets, verifies
nothing itself (tests do, with `verify_signature`), and can fail the first deliveries to a
path with a status and a Retry-After."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI, Request, Response


@dataclass(frozen=True)
class Received:
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    received: dict[str, list[Received]] = field(default_factory=lambda: defaultdict(list))
    failures: dict[str, tuple[int, int, str | None]] = field(default_factory=dict)
    """By path: how many deliveries to fail, with which status and Retry-After."""

    def fail_first(
        self, path: str, times: int, status: int = 503, retry_after: str | None = None
    ) -> None:
        self.failures[path] = (times, status, retry_after)

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.post("/{path}")
        async def receive(path: str, request: Request) -> Response:
            self.received[path].append(Received(dict(request.headers), await request.body()))
            times, status, retry_after = self.failures.get(path, (0, 200, None))
            if len(self.received[path]) <= times:
                headers = {"Retry-After": retry_after} if retry_after else {}
                return Response(status_code=status, headers=headers)
            return Response(status_code=204)

        return app


def verify_signature(secret: str, received: Received) -> None:
    """The Standard Webhooks check, written here from the specification: the HMAC-SHA256 of
    `{id}.{timestamp}.{body}` under the base64-decoded secret, among the `v1,` signatures."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    headers = received.headers
    signed = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.".encode() + received.body
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    offered = [
        entry.split(",", 1)[1]
        for entry in headers["webhook-signature"].split(" ")
        if entry.startswith("v1,")
    ]
    assert any(hmac.compare_digest(expected, one) for one in offered), headers


def payload(received: Received) -> Any:
    return json.loads(received.body)
