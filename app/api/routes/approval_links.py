"""Approval links: a write key mints one for an approver of a waiting approval; the approver
decides with it alone, once, before it expires (`app.services.approval_links`). The token
travels in bodies only, never in a URL, where proxies and browsers would keep it."""

from __future__ import annotations

from datetime import datetime, timedelta

from fastapi import APIRouter, Request, status
from pydantic import BaseModel, ConfigDict, Field

from app.api.deps import RunsDep, SessionDep, SettingsDep, WriterDep, source_of
from app.api.responses import AUTHENTICATED, WRITES, errors
from app.api.run_schemas import DecisionPublic
from app.api.schemas import Person
from app.api.throttle import FailureLimiter
from app.errors import AuthenticationError
from app.services import approval_links

router = APIRouter(tags=["approval links"])


class ApprovalLinkCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    node_id: str | None = Field(
        default=None, description="The approval node; may be left out when only one waits."
    )
    approver: Person = Field(
        description="Who decides with the link; when the approval names its approvers, one "
        "of them.",
        examples=["ana@example.com"],
    )
    expires_in: int = Field(
        default=int(approval_links.DEFAULT_LIFETIME.total_seconds()),
        ge=60,
        le=int(approval_links.MAX_LIFETIME.total_seconds()),
        description="Seconds the link works for (60 s to 30 days; default 7 days).",
    )


class ApprovalLinkCreated(BaseModel):
    id: str
    run_id: str
    node_id: str
    approver: str
    expires_at: datetime
    token: str = Field(
        description="Shown this once: whoever holds it decides as the approver, once. Send it "
        "to them; they `POST /approval-links/decision` with it.",
        examples=["fhal_eyJsIjoi...Q"],
    )


class ApprovalLinkDecision(BaseModel):
    model_config = ConfigDict(extra="forbid")

    token: str = Field(
        min_length=1,
        max_length=approval_links.MAX_TOKEN_LENGTH,
        description="The token the approval link was minted with.",
        examples=["fhal_eyJsIjoi...Q"],
    )
    approved: bool = Field(examples=[True])
    comment: str = Field(default="", max_length=5000, examples=["looks right"])


@router.post(
    "/runs/{run_id}/approval-links",
    operation_id="create_approval_link",
    status_code=status.HTTP_201_CREATED,
    response_model=ApprovalLinkCreated,
    responses={**AUTHENTICATED, **WRITES, **errors(404, 409, 503)},
)
async def create_approval_link(
    run_id: str,
    body: ApprovalLinkCreate,
    caller: WriterDep,
    session: SessionDep,
    settings: SettingsDep,
    runs: RunsDep,
) -> ApprovalLinkCreated:
    """Mint a signed, single-use link for one approver of a waiting approval: 409 when the
    run waits for no such approval, 422 when the approval names its approvers and this is
    not one of them. The decision made with it records the approver, the link and this key."""
    minted = await approval_links.mint(
        session,
        runs,
        organization_id=caller.organization_id,
        run_id=run_id,
        node_id=body.node_id,
        approver=body.approver,
        lifetime=timedelta(seconds=body.expires_in),
        minted_by_key_id=caller.api_key_id,
        secret_key=settings.secret_key,
    )
    return ApprovalLinkCreated(
        id=minted.id,
        run_id=minted.run_id,
        node_id=minted.node_id,
        approver=minted.approver,
        expires_at=minted.expires_at,
        token=minted.token,
    )


@router.post(
    "/approval-links/decision",
    operation_id="decide_with_approval_link",
    response_model=DecisionPublic,
    responses=errors(401, 403, 409, 422, 429, 503),
)
async def decide_with_approval_link(
    body: ApprovalLinkDecision,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    runs: RunsDep,
) -> DecisionPublic:
    """Approve or reject as the approver the link was minted for, without an API key: 401
    for a link not minted here or altered, 403 once expired, 409 once used (or when the
    approval no longer waits). Failed links count against the caller's address like bad
    API keys (429)."""
    limiter: FailureLimiter = request.app.state.failed_authentication
    source = source_of(request)
    limiter.check(source)
    try:
        used = await approval_links.decide(
            session,
            runs,
            token=body.token,
            approved=body.approved,
            comment=body.comment,
            secret_key=settings.secret_key,
        )
    except AuthenticationError:
        limiter.failed(source)
        raise
    return DecisionPublic(run_id=used.run_id, node_id=used.node_id)
