"""Webhook deliveries: the public URLs senders call. No API key; the sender proves itself
with the webhook's secret (a signature of the body, or a token)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request, status
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from pydantic import BaseModel, Field

from app.api.deps import (
    LazyTemporalDep,
    SessionDep,
    SettingsDep,
    connect_temporal,
    run_service,
    source_of,
)
from app.api.responses import ErrorResponse, errors
from app.api.run_schemas import NodeError
from app.api.throttle import FailureLimiter
from app.errors import (
    AppError,
    AuthenticationError,
    MethodNotAllowedError,
    NotFoundError,
    PermissionDeniedError,
)
from app.logs import log_fields
from app.services import webhook_delivery
from app.services.metrics import count_delivery
from app.services.runs import RunStatus
from app.services.webhook_dedup_keys import dedup_key_digest
from app.services.webhook_targets import DeliveryTargets

router = APIRouter(tags=["webhook deliveries"])


class WebhookAccepted(BaseModel):
    run_id: str
    created: bool = Field(
        description="False when the delivery was seen before (a sender's retry, or a replay "
        "of a captured one): no new run was started."
    )


class WebhookResult(WebhookAccepted):
    status: RunStatus
    output: dict[str, Any] | None
    error: NodeError | None


async def deliver_webhook(
    webhook_id: str,
    request: Request,
    session: SessionDep,
    lazy_temporal: LazyTemporalDep,
    settings: SettingsDep,
) -> Response:
    """Start a run of the workflow's latest version with the request as `trigger`
    (`method`, `headers`, `query`, `body`). A repeated delivery starts nothing new: the same
    signed body within the trigger's replay window (whatever delivery id it carries), or the
    same delivery id with the same body, or the same `dedup_key` value within its window
    (README: Webhook replays).
    Meta's `GET ?hub.mode=subscribe&hub.verify_token=…&hub.challenge=…` is answered with the
    challenge when the verify token matches. An address whose deliveries keep failing (no
    such webhook, a bad signature or token) gets 429 with `Retry-After` for a while."""
    limiter: FailureLimiter = request.app.state.failed_deliveries
    source = source_of(request)
    try:
        limiter.check(source)
        try:
            answer, created = await _deliver(webhook_id, request, session, lazy_temporal, settings)
        except (AuthenticationError, PermissionDeniedError, NotFoundError):
            limiter.failed(source)
            raise
    except AppError as refused:
        count_delivery("refused", refused.status_code)
        raise
    if created is not None:
        count_delivery("accepted" if created else "deduplicated", answer.status_code)
    return answer


async def _deliver(
    webhook_id: str,
    request: Request,
    session: SessionDep,
    lazy_temporal: LazyTemporalDep,
    settings: SettingsDep,
) -> tuple[Response, bool | None]:
    """The answer, and whether it started a new run (None: no run, Meta's verification)."""
    targets: DeliveryTargets = request.app.state.webhook_targets
    target = await targets.find(session, webhook_id)
    log_fields(organization_id=target.organization_id, workflow_id=target.version.workflow_id)
    parameters = target.parameters
    query = dict(request.query_params)
    if request.method == "GET":
        challenge = webhook_delivery.verification_challenge(
            query, verify_token_hash=target.verify_token_hash, secret_key=settings.secret_key
        )
        if challenge is not None:
            return PlainTextResponse(challenge), None
    if request.method != parameters.method:
        raise MethodNotAllowedError(f"this webhook accepts {parameters.method}")
    delivery = webhook_delivery.Delivery(
        method=request.method,
        headers={name.lower(): value for name, value in request.headers.items()},
        query=query,
        body=await webhook_delivery.read_capped(
            request.stream(),
            declared_length=request.headers.get("content-length"),
            limit=parameters.max_body_bytes,
        ),
    )
    proof = webhook_delivery.authenticate(parameters, delivery, target.secret)
    payload = webhook_delivery.trigger_payload(parameters, delivery)
    key_digest = (
        dedup_key_digest(parameters.dedup_key, payload, node_id=target.node_id)
        if parameters.dedup_key is not None
        else None
    )
    run_id = await webhook_delivery.delivery_run_id(
        session,
        organization_id=target.organization_id,
        webhook_id=target.webhook_id,
        parameters=parameters,
        delivery=delivery,
        proof=proof,
        now=datetime.now(UTC),
        key_digest=key_digest,
    )
    start = await target.run_start(session, payload)
    # Starting the run and waiting for it need no database connection: give it back.
    await session.close()
    temporal = await connect_temporal(lazy_temporal)
    runs = run_service(temporal, settings, request.app.state.database)
    started = await runs.start(start, run_id=run_id, payload_field=("body",))
    log_fields(run_id=started.id)
    accepted = WebhookAccepted(run_id=started.id, created=started.created)
    if parameters.response_mode == "wait_for_result":
        ended = await runs.wait(
            organization_id=target.organization_id,
            run_id=accepted.run_id,
            seconds=parameters.response_timeout.total_seconds(),
        )
        if ended is not None:
            result = WebhookResult(
                **accepted.model_dump(),
                status=ended.status,
                output=ended.output,
                error=NodeError.model_validate(ended.error) if ended.error else None,
            )
            return JSONResponse(result.model_dump(mode="json")), started.created
    answer = JSONResponse(accepted.model_dump(mode="json"), status_code=status.HTTP_202_ACCEPTED)
    return answer, started.created


_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "model": WebhookResult,
        "description": "With `response_mode: wait_for_result`, the run ended in time; or "
        "(text/plain) the `hub.challenge` of Meta's verification request.",
    },
    **errors(401, 403, 404, 413, 422, 429, 503),
    405: {"model": ErrorResponse, "description": "The trigger accepts another method."},
}
for _method in ("POST", "GET", "PUT", "PATCH"):
    router.add_api_route(
        "/hooks/{webhook_id}",
        deliver_webhook,
        methods=[_method],
        operation_id=f"deliver_webhook_{_method.lower()}",
        summary=f"Deliver a webhook ({_method})",
        status_code=status.HTTP_202_ACCEPTED,
        response_model=WebhookAccepted,
        responses=_RESPONSES,
    )
