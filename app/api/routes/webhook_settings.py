"""A workflow's webhook endpoints: their URLs, and setting their secrets."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field

from app.api.deps import CallerDep, SessionDep, SettingsDep, WriterDep
from app.api.responses import AUTHENTICATED, WRITES, errors
from app.db.models import Webhook
from app.errors import ErrorDetail, InvalidInputError
from app.language.plan import Plan
from app.services.webhook_delivery import stored_parameters
from app.services.webhook_signatures import STANDARD_KEY_FORM, standard_webhooks_key
from app.settings import Settings
from app.store import webhooks as store
from app.store import workflows as workflow_store
from app.vault.webhook_secrets import new_secret, seal, token_hash

router = APIRouter(prefix="/workflows", tags=["webhooks"], responses=AUTHENTICATED)


class WebhookPublic(BaseModel):
    node_id: str
    url: str = Field(description="Where senders deliver; the id in it is unguessable.")
    method: str
    authentication: Literal["hmac_sha256", "token"]
    secret_set: bool = Field(description="Deliveries are refused until a secret is set.")
    verify_token_set: bool = Field(description="Whether Meta's GET verification is answered.")


class WebhooksPublic(BaseModel):
    data: list[WebhookPublic]
    count: int


class WebhookSecretUpdate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{}, {"secret": "my-meta-app-secret", "verify_token": "x7"}]
        },
    )

    secret: str | None = Field(
        default=None,
        min_length=16,
        max_length=200,
        description="Your own secret (e.g. a Meta app secret). Empty: the server makes one and "
        "answers it this once.",
    )
    verify_token: str | None = Field(
        default=None,
        min_length=8,
        max_length=200,
        description="The verify token you gave Meta, for its `hub.challenge` GET.",
    )


class WebhookSecretPublic(WebhookPublic):
    secret: str | None = Field(
        description="The generated secret, shown this once; null when you gave your own."
    )


def webhook_url(request: Request, settings: Settings, webhook_id: str) -> str:
    base = settings.public_url.rstrip("/") or str(request.base_url).rstrip("/")
    return f"{base}/hooks/{webhook_id}"


def _public(request: Request, settings: Settings, plan: Plan, webhook: Webhook) -> WebhookPublic:
    parameters = stored_parameters(plan, webhook.node_id)
    return WebhookPublic(
        node_id=webhook.node_id,
        url=webhook_url(request, settings, webhook.id),
        method=parameters.method,
        authentication=parameters.authentication,
        secret_set=webhook.secret_sealed is not None,
        verify_token_set=webhook.verify_token_hash is not None,
    )


@router.get(
    "/{workflow_id}/webhooks",
    operation_id="list_webhooks",
    response_model=WebhooksPublic,
    responses=errors(404),
)
async def list_webhooks(
    workflow_id: str,
    request: Request,
    caller: CallerDep,
    session: SessionDep,
    settings: SettingsDep,
) -> WebhooksPublic:
    """The URL and settings of each webhook trigger of the latest version (never secrets)."""
    version = await workflow_store.get_version(
        session, organization_id=caller.organization_id, workflow_id=workflow_id
    )
    rows = await store.list_webhooks(
        session, organization_id=caller.organization_id, workflow_id=workflow_id
    )
    data = [_public(request, settings, version.plan, row) for row in rows]
    return WebhooksPublic(data=data, count=len(data))


@router.put(
    "/{workflow_id}/webhooks/{node_id}/secret",
    operation_id="set_webhook_secret",
    response_model=WebhookSecretPublic,
    responses={**WRITES, **errors(404)},
)
async def set_webhook_secret(
    workflow_id: str,
    node_id: str,
    body: WebhookSecretUpdate,
    request: Request,
    caller: WriterDep,
    session: SessionDep,
    settings: SettingsDep,
) -> WebhookSecretPublic:
    """Set (or rotate) the secret deliveries are signed with or carry as a token; the old one
    stops working at once. Stored encrypted, never shown again."""
    version = await workflow_store.get_version(
        session, organization_id=caller.organization_id, workflow_id=workflow_id
    )
    webhook = await store.get_webhook(
        session, organization_id=caller.organization_id, workflow_id=workflow_id, node_id=node_id
    )
    plan = Plan.model_validate(version.plan)
    generated = None if body.secret else new_secret()
    secret = body.secret or generated
    assert secret is not None
    scheme = stored_parameters(plan, node_id).signature_scheme if node_id in plan.nodes else None
    if scheme == "standard_webhooks" and standard_webhooks_key(secret) is None:
        raise InvalidInputError(
            "not a Standard Webhooks secret",
            [ErrorDetail(STANDARD_KEY_FORM, path=("body", "secret"), code="invalid_secret")],
        )
    webhook = await store.set_webhook_secret(
        session,
        organization_id=caller.organization_id,
        workflow_id=workflow_id,
        node_id=node_id,
        secret_sealed=seal(secret, bound_to=webhook.id, vault_keys=settings.vault_keys),
        verify_token_hash=(
            token_hash(body.verify_token, secret_key=settings.secret_key)
            if body.verify_token
            else None
        ),
    )
    return WebhookSecretPublic(
        **_public(request, settings, version.plan, webhook).model_dump(), secret=generated
    )
