"""Event subscriptions: URLs the organization's run events are delivered to, signed
(Standard Webhooks), and each subscription's delivery log."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, Response, status
from pydantic import BaseModel, ConfigDict, Field

from app.api.deps import CallerDep, SessionDep, SettingsDep, WriterDep
from app.api.responses import AUTHENTICATED, WRITES, errors
from app.contract.run_events import RunEventType
from app.db.models import EventDeliveryAttempt, EventSubscription
from app.services import event_subscriptions as service
from app.store import event_subscriptions as store

router = APIRouter(
    prefix="/event-subscriptions", tags=["event subscriptions"], responses=AUTHENTICATED
)

EventTypes = Annotated[list[RunEventType], Field(min_length=1, max_length=3)]
Id = Annotated[str, Field(max_length=40, pattern=r"^[A-Za-z0-9_~-]+$")]
WorkflowIds = Annotated[list[Id], Field(max_length=100)]
Url = Annotated[str, Field(max_length=2000, pattern=r"^[^\s\x00-\x1f\x7f]+$")]
"""No spaces or control characters (NUL would not even fit in a PostgreSQL text)."""
Description = Annotated[str, Field(max_length=500, pattern=r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$")]


class SubscriptionCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"url": "https://example.com/flowhold", "event_types": ["run.failed"]},
            ]
        },
    )

    url: Url = Field(description="https; http only for a permitted private host.")
    event_types: EventTypes
    workflow_ids: WorkflowIds | None = Field(
        default=None, description="Only runs of these workflows; null: of every workflow."
    )
    enabled: bool = True
    description: Description = ""


class SubscriptionUpdate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"enabled": False}, {"event_types": ["run.failed"]}]},
    )

    url: Url | None = None
    event_types: EventTypes | None = None
    workflow_ids: WorkflowIds | None = None
    enabled: bool | None = None
    description: Description | None = None


class SubscriptionPublic(BaseModel):
    id: str
    url: str
    event_types: list[str]
    workflow_ids: list[str] | None
    enabled: bool
    description: str
    created_at: datetime
    updated_at: datetime


class SubscriptionWithSecret(SubscriptionPublic):
    secret: str = Field(
        description="`whsec_<base64>`: verify each delivery's `webhook-signature` with it. "
        "Shown this once."
    )


class SubscriptionsPublic(BaseModel):
    data: list[SubscriptionPublic]
    count: int


class DeliveryAttemptPublic(BaseModel):
    id: str
    event_id: str = Field(description="The delivery's `webhook-id`, the same on every attempt.")
    event_type: str
    run_id: str
    attempt: int
    outcome: str = Field(description="`delivered`, `failed` (retried later) or `gave_up`.")
    status_code: int | None
    error: str | None
    duration_ms: int
    attempted_at: datetime


class DeliveryAttemptsPublic(BaseModel):
    data: list[DeliveryAttemptPublic]
    limit: int
    offset: int


def _public(subscription: EventSubscription) -> SubscriptionPublic:
    return SubscriptionPublic(
        **subscription.model_dump(exclude={"secret_sealed", "organization_id"})
    )


def _attempt(attempt: EventDeliveryAttempt) -> DeliveryAttemptPublic:
    return DeliveryAttemptPublic(
        **attempt.model_dump(exclude={"organization_id", "subscription_id"})
    )


@router.post(
    "",
    operation_id="create_event_subscription",
    status_code=status.HTTP_201_CREATED,
    response_model=SubscriptionWithSecret,
    responses={**WRITES, **errors(409)},
)
async def create_event_subscription(
    body: SubscriptionCreate, caller: WriterDep, session: SessionDep, settings: SettingsDep
) -> SubscriptionWithSecret:
    """Subscribe a URL to run events. The answer holds its signing secret, this once."""
    subscription, secret = await service.create(
        session,
        settings,
        organization_id=caller.organization_id,
        url=body.url,
        event_types=body.event_types,
        workflow_ids=body.workflow_ids,
        enabled=body.enabled,
        description=body.description,
    )
    return SubscriptionWithSecret(**_public(subscription).model_dump(), secret=secret)


@router.get("", operation_id="list_event_subscriptions", response_model=SubscriptionsPublic)
async def list_event_subscriptions(caller: CallerDep, session: SessionDep) -> SubscriptionsPublic:
    """The organization's event subscriptions (never their secrets)."""
    found = await store.list_subscriptions(session, organization_id=caller.organization_id)
    return SubscriptionsPublic(data=[_public(row) for row in found], count=len(found))


@router.get(
    "/{subscription_id}",
    operation_id="get_event_subscription",
    response_model=SubscriptionPublic,
    responses=errors(404),
)
async def get_event_subscription(
    subscription_id: str, caller: CallerDep, session: SessionDep
) -> SubscriptionPublic:
    """One event subscription (never its secret)."""
    subscription = await store.get_subscription(
        session, organization_id=caller.organization_id, subscription_id=subscription_id
    )
    return _public(subscription)


@router.patch(
    "/{subscription_id}",
    operation_id="update_event_subscription",
    response_model=SubscriptionPublic,
    responses={**WRITES, **errors(404)},
)
async def update_event_subscription(
    subscription_id: str,
    body: SubscriptionUpdate,
    caller: WriterDep,
    session: SessionDep,
    settings: SettingsDep,
) -> SubscriptionPublic:
    """Change what is given; `workflow_ids: null` subscribes runs of every workflow again.
    Deliveries under way read the change at their next attempt."""
    subscription = await store.get_subscription(
        session, organization_id=caller.organization_id, subscription_id=subscription_id
    )
    given = body.model_fields_set
    if body.url is not None:
        subscription.url = await service.check_url(
            session, settings, organization_id=caller.organization_id, url=body.url
        )
    if body.event_types is not None:
        subscription.event_types = list(dict.fromkeys(body.event_types))
    if "workflow_ids" in given:
        subscription.workflow_ids = await service.check_workflows(
            session, organization_id=caller.organization_id, workflow_ids=body.workflow_ids
        )
    if body.enabled is not None:
        subscription.enabled = body.enabled
    if body.description is not None:
        subscription.description = body.description
    await store.save_subscription(session, subscription)
    return _public(subscription)


@router.delete(
    "/{subscription_id}",
    operation_id="delete_event_subscription",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    responses={**WRITES, **errors(404)},
)
async def delete_event_subscription(
    subscription_id: str, caller: WriterDep, session: SessionDep
) -> Response:
    """Stop delivering to the URL, deliveries under way included; its log goes with it."""
    await store.delete_subscription(
        session, organization_id=caller.organization_id, subscription_id=subscription_id
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/{subscription_id}/secret",
    operation_id="rotate_event_subscription_secret",
    response_model=SubscriptionWithSecret,
    responses={**WRITES, **errors(404)},
)
async def rotate_event_subscription_secret(
    subscription_id: str, caller: WriterDep, session: SessionDep, settings: SettingsDep
) -> SubscriptionWithSecret:
    """A new signing secret, shown this once; the next attempt of every delivery is signed
    with it, and the old one signs nothing more."""
    subscription = await store.get_subscription(
        session, organization_id=caller.organization_id, subscription_id=subscription_id
    )
    secret = await service.rotate_secret(session, settings, subscription)
    return SubscriptionWithSecret(**_public(subscription).model_dump(), secret=secret)


@router.get(
    "/{subscription_id}/deliveries",
    operation_id="list_event_deliveries",
    response_model=DeliveryAttemptsPublic,
    responses=errors(404),
)
async def list_event_deliveries(
    subscription_id: str,
    caller: CallerDep,
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
    event_id: Annotated[str | None, Query(max_length=40, pattern=r"^[A-Za-z0-9_]+$")] = None,
) -> DeliveryAttemptsPublic:
    """Every delivery attempt to this subscription, newest first: the status the receiver
    answered or what went wrong, how long it took, and when."""
    await store.get_subscription(
        session, organization_id=caller.organization_id, subscription_id=subscription_id
    )
    found = await store.list_attempts(
        session,
        organization_id=caller.organization_id,
        subscription_id=subscription_id,
        limit=limit,
        offset=offset,
        event_id=event_id,
    )
    return DeliveryAttemptsPublic(data=[_attempt(row) for row in found], limit=limit, offset=offset)
