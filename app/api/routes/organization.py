"""The caller's own organization (organizations are created with `python -m app.cli`)."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic.json_schema import SkipJsonSchema

from app.api.deps import AdminDep, CallerDep, SessionDep
from app.api.responses import AUTHENTICATED, WRITES
from app.store import organizations as store

router = APIRouter(prefix="/organization", tags=["organization"], responses=AUTHENTICATED)


class OrganizationUpdate(BaseModel):
    """Fields left out stay as they are."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(
        default=None, min_length=1, max_length=200, examples=["Acme social team"]
    )
    # Declared only to refuse it by name: reaching private networks is the operator's call
    # (an API key could otherwise point requests at the operator's internal network).
    allow_private_networks: SkipJsonSchema[object] = None

    @field_validator("allow_private_networks")
    @classmethod
    def _operator_only(cls, _: object) -> None:
        raise ValueError(
            "allow_private_networks is set by the operator: "
            "python -m app.cli private-networks --organization ORG on|off"
        )


class OrganizationPublic(BaseModel):
    id: str
    name: str
    allow_private_networks: bool = Field(
        description="`http.request` nodes may reach private, loopback and link-local addresses "
        "(set by the operator with `python -m app.cli private-networks`)."
    )
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
    body: OrganizationUpdate, caller: AdminDep, session: SessionDep
) -> OrganizationPublic:
    """Rename the organization. Whether its HTTP requests may reach private networks is the
    operator's decision (`python -m app.cli private-networks`): 422 here."""
    organization = await store.update_organization(
        session, organization_id=caller.organization_id, name=body.name
    )
    return OrganizationPublic.model_validate(organization, from_attributes=True)
