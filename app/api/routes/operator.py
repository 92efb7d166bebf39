"""The operator's organizations: create one (with its first admin API key, shown once), list
them, read one, delete one. Only an operator key opens these routes; it opens nothing else,
so the operator never reads an organization's workflows, runs or accounts through the API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Path, Query, Response, status
from pydantic import BaseModel, ConfigDict, Field

from app.api.deps import OperatorDep, SessionDep, SettingsDep
from app.api.responses import WRITES, errors
from app.db.models import Organization
from app.store import operator as store
from app.store.organizations import create_organization

router = APIRouter(prefix="/operator/organizations", tags=["operator"], responses=errors(401, 403))

OrganizationId = Annotated[str, Path(max_length=40)]


class OrganizationCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200, examples=["Acme social team"])
    key_name: str = Field(
        default="first key",
        min_length=1,
        max_length=200,
        description="The name of its first API key (an admin key).",
    )


class OperatorOrganization(BaseModel):
    id: str
    name: str
    allow_private_networks: bool
    created_at: datetime


class OrganizationCreated(OperatorOrganization):
    key_id: str
    key: str = Field(
        description="The organization's first API key, of scope admin: shown in this answer "
        "only, never again."
    )


class OperatorOrganizations(BaseModel):
    data: list[OperatorOrganization]
    count: int


def _public(organization: Organization) -> OperatorOrganization:
    return OperatorOrganization.model_validate(organization, from_attributes=True)


@router.post(
    "",
    operation_id="operator_create_organization",
    status_code=status.HTTP_201_CREATED,
    response_model=OrganizationCreated,
    responses=WRITES,
)
async def create(
    body: OrganizationCreate, _: OperatorDep, session: SessionDep, settings: SettingsDep
) -> OrganizationCreated:
    """A new organization and its first admin API key, in one transaction."""
    organization, key = await create_organization(
        session, name=body.name, key_name=body.key_name, secret_key=settings.secret_key
    )
    public = _public(organization)
    return OrganizationCreated(**public.model_dump(), key_id=key.record.id, key=key.secret)


@router.get("", operation_id="operator_list_organizations", response_model=OperatorOrganizations)
async def list_all(
    _: OperatorDep,
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> OperatorOrganizations:
    """Organizations not deleted, oldest first."""
    rows, count = await store.live_organizations(session, limit=limit, offset=offset)
    return OperatorOrganizations(data=[_public(row) for row in rows], count=count)


@router.get(
    "/{organization_id}",
    operation_id="operator_get_organization",
    response_model=OperatorOrganization,
    responses=errors(404),
)
async def get_one(
    organization_id: OrganizationId, _: OperatorDep, session: SessionDep
) -> OperatorOrganization:
    """One organization not deleted: its name and settings, nothing inside it."""
    return _public(await store.live_organization(session, organization_id=organization_id))


@router.delete(
    "/{organization_id}",
    operation_id="operator_delete_organization",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=errors(404, 409),
)
async def delete(organization_id: OrganizationId, _: OperatorDep, session: SessionDep) -> Response:
    """Delete an organization: its API keys are revoked at once, so nothing of it is reachable
    any more. 409 while one of its workflows is active: its schedules and webhooks would go on
    starting runs (runs in flight finish)."""
    await store.delete_organization(session, organization_id=organization_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
