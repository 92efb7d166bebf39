"""A webhook delivery: its capped body, its proof of origin, and the trigger payload it makes.

Signatures and tokens are compared in constant time. The secret, and any header that could
carry one, never reaches the run's payload.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from typing import Any

from app.errors import AuthenticationError, PayloadTooLargeError, PermissionDeniedError
from app.language.nodes.triggers import WebhookTriggerParameters
from app.webhook_secrets import token_hash

# Headers that may carry credentials of the sender or of a proxy: never part of a payload.
_PRIVATE_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie"})


@dataclass(frozen=True)
class Delivery:
    method: str
    headers: Mapping[str, str]
    """Lower-case names."""
    query: Mapping[str, str]
    body: bytes


async def read_capped(
    chunks: AsyncIterator[bytes], *, declared_length: str | None, limit: int
) -> bytes:
    """The whole body, or 413 as soon as it is known to exceed `limit` bytes."""
    too_large = PayloadTooLargeError(f"the body exceeds {limit} bytes")
    if declared_length is not None and declared_length.isdigit() and int(declared_length) > limit:
        raise too_large
    body = bytearray()
    async for chunk in chunks:
        body += chunk
        if len(body) > limit:
            raise too_large
    return bytes(body)


def authenticate(
    parameters: WebhookTriggerParameters,
    delivery: Delivery,
    secret: str | None,
    *,
    now: float | None = None,
) -> None:
    """Raise 401 unless the delivery proves it knows the webhook's secret.

    Args:
        now: Unix time the timestamped scheme measures against; the clock when None.
    """
    if secret is None:
        raise AuthenticationError(
            "this webhook has no secret yet: set one with PUT .../webhooks/{node_id}/secret"
        )
    if parameters.authentication == "token":
        given = delivery.headers.get(parameters.token_header.lower())
        if given is None:
            raise AuthenticationError(f"missing {parameters.token_header} header")
        if not hmac.compare_digest(given.encode(), secret.encode()):
            raise AuthenticationError(f"wrong {parameters.token_header}")
        return
    header = parameters.signature_header
    signature = delivery.headers.get(header.lower())
    if signature is None:
        raise AuthenticationError(f"missing {header} header")
    if parameters.signature_scheme == "timestamped":
        signed, candidates = _timestamped(
            parameters, signature, delivery.body, time.time() if now is None else now
        )
    else:
        prefix = parameters.signature_prefix
        if not signature.startswith(prefix):
            raise AuthenticationError(
                f"{header} must be '{prefix}' and the {parameters.signature_encoding} "
                "HMAC-SHA256 of the body"
            )
        signed, candidates = delivery.body, [signature[len(prefix) :]]
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).digest()
    if not any(_matches(c, digest, parameters.signature_encoding) for c in candidates):
        raise AuthenticationError(
            f"{header} does not match the body: sign the raw body with the webhook's secret"
        )


def _timestamped(
    parameters: WebhookTriggerParameters, signature: str, body: bytes, now: float
) -> tuple[bytes, list[str]]:
    """What a `t=<unix seconds>,v1=<hmac>[,v1=...]` header signs, and its signatures."""
    header = parameters.signature_header
    stamp: str | None = None
    candidates: list[str] = []
    for item in signature.split(","):
        key, _, value = item.strip().partition("=")
        if key == "t":
            stamp = value
        elif key == "v1":
            candidates.append(value)
    if stamp is None or not stamp.isascii() or not stamp.isdigit() or not candidates:
        raise AuthenticationError(
            f"{header} must be t=<unix seconds>,v1=<{parameters.signature_encoding} HMAC-SHA256 "
            "of '<t>.<body>'>"
        )
    tolerance = parameters.signature_tolerance.total_seconds()
    if abs(now - int(stamp)) > tolerance:
        raise AuthenticationError(
            f"the {header} timestamp is more than {tolerance:.0f} seconds from now: "
            "a delivery is accepted only shortly after it was signed"
        )
    return stamp.encode() + b"." + body, candidates


def _matches(candidate: str, digest: bytes, encoding: str) -> bool:
    given = candidate.strip()
    if encoding == "hex":
        expected, given = digest.hex(), given.lower()
    else:
        expected = base64.b64encode(digest).decode()
    return hmac.compare_digest(given.encode(), expected.encode())


def verification_challenge(
    query: Mapping[str, str], *, verify_token_hash: str | None, secret_key: str
) -> str | None:
    """Meta's subscription check (`hub.mode=subscribe`): the challenge to echo back, None when
    the request is not one, 403 when the verify token is wrong or none was set."""
    if query.get("hub.mode") != "subscribe":
        return None
    given = query.get("hub.verify_token", "")
    if verify_token_hash is None or not hmac.compare_digest(
        token_hash(given, secret_key=secret_key).encode(), verify_token_hash.encode()
    ):
        raise PermissionDeniedError("the verify token does not match this webhook's")
    return query.get("hub.challenge", "")


def _body(delivery: Delivery) -> Any:
    text = delivery.body.decode("utf-8", errors="replace")
    if not text:
        return None
    try:
        return json.loads(text, parse_constant=_refuse_constant)
    except (ValueError, RecursionError):
        return text


def _refuse_constant(name: str) -> Any:
    # NaN and Infinity are not JSON: such a body is kept as text.
    raise ValueError(name)


def trigger_payload(parameters: WebhookTriggerParameters, delivery: Delivery) -> dict[str, Any]:
    """What the run sees as `trigger`: method, headers, query and the body (JSON or text)."""
    hidden = _PRIVATE_HEADERS | {parameters.token_header.lower()}
    return {
        "method": delivery.method,
        "headers": {name: value for name, value in delivery.headers.items() if name not in hidden},
        "query": dict(delivery.query),
        "body": _body(delivery),
    }
