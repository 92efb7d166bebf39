"""A webhook delivery: its capped body, its proof of origin, the trigger payload it makes,
and the run id that keeps a repeated delivery from starting a second run.

Signatures and tokens are compared in constant time. The secret, and any header that could
carry one or prove knowledge of one (a token, a signature of any scheme), never reaches the
run's payload.

A repeated delivery starts nothing new: the same signed body within the trigger's replay
window names the run it started first, whatever delivery id comes with it, and a sender's
retry names its run by its delivery id and body (`delivery_run_id`).
"""

from __future__ import annotations

import hmac
import time
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pydantic import ValidationError
from sqlmodel.ext.asyncio.session import AsyncSession

from app.contract import strict_json
from app.errors import (
    AuthenticationError,
    ConflictError,
    ErrorDetail,
    PayloadTooLargeError,
    PermissionDeniedError,
)
from app.language.nodes.triggers import WebhookTriggerParameters
from app.language.parameter_validators import message_of
from app.language.plan import Plan
from app.services import webhook_signatures as signatures
from app.services.runs.starting import keyed_run_id
from app.store.webhooks import claim_body, claim_key
from app.vault.webhook_secrets import token_matches

_SECRET_BEARING_WORDS = (
    "signature", "hmac", "token", "secret", "auth", "api-key", "apikey", "password", "cookie",
)  # fmt: skip
"""Header names holding any of these carry a secret or prove knowledge of one (a signature
of a body is an oracle for whoever reads it): Authorization, cookies, X-Hub-Signature and
X-Hub-Signature-256, Stripe-Signature, webhook-signature, X-Shopify-Hmac-Sha256,
X-Gitlab-Token... They are kept out of every run, whatever scheme the trigger uses."""


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


@dataclass(frozen=True)
class Proof:
    """What an authenticated delivery proved, for deduplication."""

    body_identity: str | None
    """The same for the same body however often and with whatever time it was signed
    (`webhook_signatures.body_identity`); None for a token, which signs nothing."""
    signed_id: str | None = None
    """The message id the signature covers (Standard Webhooks), which a replay cannot
    change."""


def authenticate(
    parameters: WebhookTriggerParameters,
    delivery: Delivery,
    secret: str | None,
    *,
    now: float | None = None,
) -> Proof:
    """Raise 401 unless the delivery proves it knows the webhook's secret; return what it
    proved (`webhook_signatures` checks each scheme).

    Args:
        now: Unix time the timestamped schemes measure against; the clock when None.
    """
    if secret is None:
        raise AuthenticationError(
            "this webhook has no secret yet: set one with PUT .../webhooks/{node_id}/secret"
        )
    if parameters.authentication == "token":
        given = signatures.proof_header(delivery.headers, parameters.token_header)
        if not hmac.compare_digest(given.encode(), secret.encode()):
            raise AuthenticationError(f"wrong {parameters.token_header}")
        return Proof(body_identity=None)
    moment = time.time() if now is None else now
    digest = signatures.hmac_of(secret, delivery.body)
    if parameters.signature_scheme == "standard_webhooks":
        signed_id = signatures.verify_standard_webhooks(
            delivery.headers, secret, delivery.body, moment
        )
        return Proof(body_identity=signatures.body_identity(digest), signed_id=signed_id)
    signature = signatures.proof_header(delivery.headers, parameters.signature_header)
    if parameters.signature_scheme == "timestamped":
        signatures.verify_timestamped(parameters, signature, secret, delivery.body, moment)
    else:
        signatures.verify_body(parameters, signature, digest)
    return Proof(body_identity=signatures.body_identity(digest))


def verification_challenge(
    query: Mapping[str, str], *, verify_token_hash: str | None, secret_key: str
) -> str | None:
    """Meta's subscription check (`hub.mode=subscribe`): the challenge to echo back, None when
    the request is not one, 403 when the verify token is wrong or none was set."""
    if query.get("hub.mode") != "subscribe":
        return None
    given = query.get("hub.verify_token", "")
    if verify_token_hash is None or not token_matches(
        given, verify_token_hash, secret_key=secret_key
    ):
        raise PermissionDeniedError("the verify token does not match this webhook's")
    return query.get("hub.challenge", "")


def _body(delivery: Delivery) -> Any:
    """The body as JSON, or as the text it is when it is not JSON the engine can keep (NaN,
    Infinity, a number past a float's range, a lone UTF-16 surrogate escape): the sender
    cannot be asked to send it again otherwise, so the run gets it exactly as sent."""
    text = delivery.body.decode("utf-8", errors="replace")
    if not text:
        return None
    try:
        document = strict_json.loads(text)
    except (ValueError, RecursionError):
        return text
    return text if strict_json.first_problem(document) is not None else document


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
                ErrorDetail(
                    message_of(problem),
                    path=("parameters", *problem["loc"]),
                    node_id=node_id,
                    code="invalid_parameter",
                )
                for problem in error.errors(include_url=False)
            ],
        ) from None


def replay_window(parameters: WebhookTriggerParameters) -> timedelta:
    """How long after a signed body first arrives the same body starts nothing new, whatever
    delivery id comes with it: the trigger's `dedup_window`; with the timestamped scheme at
    least twice its tolerance, as long as a captured signature is accepted at all (its time
    may be that far either side of now), so a replay is never accepted. Zero for a token,
    which signs no body, and for Standard Webhooks, whose signed id names the message."""
    if parameters.authentication == "token" or parameters.signature_scheme == "standard_webhooks":
        return timedelta(0)
    if parameters.signature_scheme == "timestamped":
        return max(parameters.dedup_window, 2 * parameters.signature_tolerance)
    return parameters.dedup_window


async def delivery_run_id(
    session: AsyncSession,
    *,
    organization_id: str,
    webhook_id: str,
    parameters: WebhookTriggerParameters,
    delivery: Delivery,
    proof: Proof,
    now: datetime,
    key_digest: str | None = None,
) -> str | None:
    """The run an authenticated delivery names, so that a repeated one starts nothing new;
    None: a new run.

    A delivery id names the run together with the body's digest: a sender's retry of one
    event finds its run for as long as Temporal keeps it, and an id guessed by someone
    replaying another body names another run, so a real event is never suppressed. The
    same signed body within the replay window names the run it started first, under any
    id or none (`app.store.webhooks.claim_body`). Standard Webhooks sign their id, so it
    names the message by itself: no replay can come under another. Last, a delivery with a
    dedup key (`key_digest`, from `webhook_dedup_keys`) names the run its key named first
    within the trigger's `dedup_key_window` (`app.store.webhooks.claim_key`).
    """
    scope = f"hook_{webhook_id}"
    delivery_id = proof.signed_id or (
        delivery.headers.get(parameters.delivery_id_header.lower())
        if parameters.delivery_id_header and parameters.signature_scheme != "standard_webhooks"
        else None
    )
    by_id = None
    if delivery_id:
        body = proof.body_identity
        key = delivery_id if body is None else f"{delivery_id}\n{body}"
        by_id = keyed_run_id(organization_id, scope, key)
    named = await _by_body(
        session, organization_id=organization_id, webhook_id=webhook_id,
        parameters=parameters, proof=proof, now=now, by_id=by_id,
    )  # fmt: skip
    if key_digest is None:
        return named
    # The key is claimed for the run the delivery would start otherwise (or one of its
    # own), so a delivery both keys agree on keeps one run.
    return await claim_key(
        session,
        organization_id=organization_id,
        webhook_id=webhook_id,
        key_digest=key_digest,
        run_id=named or keyed_run_id(organization_id, scope, f"key {key_digest}@{now}"),
        now=now,
        window=parameters.dedup_key_window,
    )


async def _by_body(
    session: AsyncSession,
    *,
    organization_id: str,
    webhook_id: str,
    parameters: WebhookTriggerParameters,
    proof: Proof,
    now: datetime,
    by_id: str | None,
) -> str | None:
    scope = f"hook_{webhook_id}"
    window = replay_window(parameters)
    if proof.body_identity is None or not window:
        return by_id
    return await claim_body(
        session,
        organization_id=organization_id,
        webhook_id=webhook_id,
        digest=proof.body_identity,
        run_id=by_id or keyed_run_id(organization_id, scope, f"{proof.body_identity}@{now}"),
        now=now,
        window=window,
    )
