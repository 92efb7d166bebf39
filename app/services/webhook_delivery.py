"""A webhook delivery: its capped body, its proof of origin, the trigger payload it makes,
and the run id that keeps a repeated delivery from starting a second run.

Signatures and tokens are compared in constant time. The secret, and any header that could
carry one or prove knowledge of one (a token, a signature of any scheme), never reaches the
run's payload.

A delivery names its run by the sender's delivery id when it has one. Senders that send no
id are deduplicated by the signature of the raw body within the trigger's `dedup_window`:
the id holds the signature and the window-long time slot it arrived in, and a delivery also
looks for the same signature's run in the slot before, started less than a window ago.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pydantic import ValidationError
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

from app.errors import (
    AuthenticationError,
    ConflictError,
    ErrorDetail,
    PayloadTooLargeError,
    PermissionDeniedError,
)
from app.language.nodes.triggers import WebhookTriggerParameters
from app.language.plan import Plan
from app.services.runs.starting import keyed_run_id
from app.vault.webhook_secrets import token_hash

_SECRET_BEARING_WORDS = (
    "signature", "hmac", "token", "secret", "auth", "api-key", "apikey", "password", "cookie",
)  # fmt: skip
"""Header names holding any of these carry a secret or prove knowledge of one (a signature
of a body is an oracle for whoever reads it): Authorization, cookies, X-Hub-Signature and
X-Hub-Signature-256, Stripe-Signature, webhook-signature, X-Shopify-Hmac-Sha256,
X-Gitlab-Token... They are kept out of every run, whatever scheme the trigger uses."""

MAX_PROOF_LENGTH = 2048
"""A signature or token header longer than this is refused unread: every parse before the
secret is checked is bounded, whatever a sender (or anyone who knows the URL) sends."""
MAX_SIGNATURES = 16
"""Signatures one header may offer (several while a sender rotates its secret)."""
MAX_TIMESTAMP_DIGITS = 12
"""Unix seconds in at most 12 digits: until the year 33658."""


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
    declared = declared_length or ""
    # Digits only, read only when short enough to be a size (HTTP servers allow 20 digits).
    digits = declared.isascii() and declared.isdigit()
    if digits and (len(declared) > 20 or int(declared) > limit):
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
) -> str | None:
    """Raise 401 unless the delivery proves it knows the webhook's secret; return the hex
    HMAC-SHA256 of the raw body (None for a token), which deduplicates deliveries that carry
    no delivery id. Of the body alone, not of what a timestamped signature signs: a sender
    that retries signs again with a new time, and the retry must still count as the same.

    Args:
        now: Unix time the timestamped scheme measures against; the clock when None.
    """
    if secret is None:
        raise AuthenticationError(
            "this webhook has no secret yet: set one with PUT .../webhooks/{node_id}/secret"
        )
    if parameters.authentication == "token":
        given = _proof_header(delivery, parameters.token_header)
        if not hmac.compare_digest(given.encode(), secret.encode()):
            raise AuthenticationError(f"wrong {parameters.token_header}")
        return None
    header = parameters.signature_header
    signature = _proof_header(delivery, header)
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
    if signed is not delivery.body:
        digest = hmac.new(secret.encode(), delivery.body, hashlib.sha256).digest()
    return digest.hex()


def _proof_header(delivery: Delivery, name: str) -> str:
    """The header `name` proving the secret; 401 when it is missing or too long to be one."""
    value = delivery.headers.get(name.lower())
    if value is None:
        raise AuthenticationError(f"missing {name} header")
    if len(value) > MAX_PROOF_LENGTH:
        raise AuthenticationError(f"{name} is longer than {MAX_PROOF_LENGTH} characters")
    return value


def is_unix_time(text: str) -> bool:
    """Whether `text` is Unix seconds as senders write them: ASCII digits, few enough to be a
    time (so reading it can neither fail nor overflow)."""
    return 0 < len(text) <= MAX_TIMESTAMP_DIGITS and text.isascii() and text.isdigit()


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
    if stamp is None or not is_unix_time(stamp) or not 0 < len(candidates) <= MAX_SIGNATURES:
        raise AuthenticationError(
            f"{header} must be t=<unix seconds>,v1=<{parameters.signature_encoding} HMAC-SHA256 "
            f"of '<t>.<body>'> (at most {MAX_SIGNATURES} v1)"
        )
    tolerance = parameters.signature_tolerance.total_seconds()
    if abs(int(now) - int(stamp)) > tolerance:
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


def carries_secret(name: str, parameters: WebhookTriggerParameters) -> bool:
    """Whether the header `name` (any case) may carry a secret or a proof of one: the
    trigger's own signature and token headers, and those of every other scheme."""
    lowered = name.lower()
    own = {parameters.signature_header.lower(), parameters.token_header.lower()}
    return lowered in own or any(word in lowered for word in _SECRET_BEARING_WORDS)


def trigger_payload(parameters: WebhookTriggerParameters, delivery: Delivery) -> dict[str, Any]:
    """What the run sees as `trigger`: method, headers (none that carries a secret or a proof
    of one), query and the body (JSON or text)."""
    return {
        "method": delivery.method,
        "headers": {
            name: value
            for name, value in delivery.headers.items()
            if not carries_secret(name, parameters)
        },
        "query": dict(delivery.query),
        "body": _body(delivery),
    }


def stored_parameters(plan: Plan, node_id: str) -> WebhookTriggerParameters:
    """The parameters of a stored webhook trigger; 409 when they no longer pass the checks
    they passed when stored (checks only grow stricter)."""
    try:
        return WebhookTriggerParameters.of_stored_plan(plan.nodes[node_id].parameters)
    except ValidationError as error:
        raise ConflictError(
            f"webhook trigger '{node_id}' has settings that are no longer accepted: "
            "save the workflow again with valid ones",
            [
                ErrorDetail(problem["msg"], path=("parameters", *problem["loc"]), node_id=node_id)
                for problem in error.errors(include_url=False)
            ],
        ) from None


def signature_run_ids(
    *, organization_id: str, webhook_id: str, digest: str, now: datetime, window: timedelta
) -> tuple[str, str]:
    """The run ids a signed delivery without a delivery id names: in its own time slot, and
    in the slot before (where a delivery less than a window ago may have started the run)."""
    slot = int(now.timestamp() // window.total_seconds())
    return (
        keyed_run_id(organization_id, f"hook_{webhook_id}_{slot}", digest),
        keyed_run_id(organization_id, f"hook_{webhook_id}_{slot - 1}", digest),
    )


async def started_since(client: Client, run_id: str, since: datetime) -> bool:
    """Whether the run exists and started at or after `since`."""
    try:
        description = await client.get_workflow_handle(run_id).describe()
    except RPCError as error:
        if error.status == RPCStatusCode.NOT_FOUND:
            return False
        raise
    return description.start_time >= since
