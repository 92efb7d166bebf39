"""The caller's own organization (organizations are created with `python -m app.cli`)."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from app.api.deps import CallerDep, SessionDep, WriterDep
from app.api.responses import AUTHENTICATED, WRITES
from app.store import organizations as store

router = APIRouter(prefix="/organization", tags=["organization"], responses=AUTHENTICATED)


class OrganizationUpdate(BaseModel):
    """Fields left out stay as they are."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(
        default=None, min_length=1, max_length=200, examples=["Acme social team"]
    )
    allow_private_networks: bool | None = Field(
        default=None,
        description="Let `http.request` nodes reach private, loopback and link-local addresses "
        "(services on the organization's own network). Off by default.",
        examples=[True],
    )


class OrganizationPublic(BaseModel):
    id: str
    name: str
    allow_private_networks: bool
    created_at: datetime


@router.get("", operation_id="get_organization", response_model=OrganizationPublic)
async def get_organization(caller: CallerDep, session: SessionDep) -> OrganizationPublic:
    """The organization the API key belongs to: every request is scoped to it."""
    organization = await store.get_organization(session, organization_id=caller.organization_id)
    return OrganizationPublic.model_validate(organization, from_attributes=True)


@router.patch(
    "", operation_id="update_organization", response_model=OrganizationPublic, responses=WRITES
)
async def update_organization(
    body: OrganizationUpdate, caller: WriterDep, session: SessionDep
) -> OrganizationPublic:
    """Rename the organization, or let its HTTP requests reach private networks."""
    organization = await store.update_organization(
        session,
        organization_id=caller.organization_id,
        name=body.name,
        allow_private_networks=body.allow_private_networks,
    )
    return OrganizationPublic.model_validate(organization, from_attributes=True)
