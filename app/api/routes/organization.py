"""The caller's own organization (organizations are created with `python -m app.cli`), and
its run quotas (`app.services.quotas`)."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic.json_schema import SkipJsonSchema

from app.api.deps import AdminDep, CallerDep, SessionDep
from app.api.responses import AUTHENTICATED, WRITES
from app.db.models import Organization
from app.services.quotas import hour_of
from app.store import organizations as store
from app.store import quotas as quota_store

router = APIRouter(prefix="/organization", tags=["organization"], responses=AUTHENTICATED)


class OrganizationQuotas(BaseModel):
    """Limits on the runs the organization starts through the API (manual, webhook, rerun,
    bulk rerun). Over one, a start answers 429 with `Retry-After`. Null: no limit. In an
    update, a field left out stays as it is."""

    model_config = ConfigDict(extra="forbid")

    runs_per_hour: int | None = Field(
        default=None, ge=1, le=1_000_000,
        description="Runs started per clock hour (UTC), counted across every API process.",
        examples=[500],
    )  # fmt: skip
    max_concurrent_runs: int | None = Field(
        default=None, ge=1, le=100_000,
        description="Top-level runs running at once (sub-workflow runs are part of their "
        "parent's and are not counted), counted in Temporal's visibility.",
        examples=[20],
    )  # fmt: skip


class QuotasPublic(OrganizationQuotas):
    runs_started_this_hour: int = Field(
        description="Runs counted against `runs_per_hour` in the current hour (0 without it)."
    )


class OrganizationUpdate(BaseModel):
    """Fields left out stay as they are."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(
        default=None, min_length=1, max_length=200, examples=["Acme social team"]
    )
    quotas: OrganizationQuotas | None = Field(
        default=None,
        description="Change the run quotas: each field given is set (null: no limit), the "
        "others stay.",
        examples=[{"runs_per_hour": 500, "max_concurrent_runs": 20}],
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
    quotas: QuotasPublic
    created_at: datetime


async def _public(session: SessionDep, organization: Organization) -> OrganizationPublic:
    started = await quota_store.runs_started(
        session, organization_id=organization.id, hour=hour_of(datetime.now(UTC))
    )
    quotas = QuotasPublic(
        runs_per_hour=organization.runs_per_hour,
        max_concurrent_runs=organization.max_concurrent_runs,
        runs_started_this_hour=started if organization.runs_per_hour else 0,
    )
    return OrganizationPublic(
        id=organization.id,
        name=organization.name,
        allow_private_networks=organization.allow_private_networks,
        quotas=quotas,
        created_at=organization.created_at,
    )


@router.get("", operation_id="get_organization", response_model=OrganizationPublic)
async def get_organization(caller: CallerDep, session: SessionDep) -> OrganizationPublic:
    """The organization the API key belongs to: every request is scoped to it."""
    organization = await store.get_organization(session, organization_id=caller.organization_id)
    return await _public(session, organization)


@router.patch(
    "", operation_id="update_organization", response_model=OrganizationPublic, responses=WRITES
)
async def update_organization(
    body: OrganizationUpdate, caller: AdminDep, session: SessionDep
) -> OrganizationPublic:
    """Rename the organization, or set its run quotas (`runs_per_hour`,
    `max_concurrent_runs`). Whether its HTTP requests may reach private networks is the
    operator's decision (`python -m app.cli private-networks`): 422 here."""
    quotas = body.quotas.model_dump(include=body.quotas.model_fields_set) if body.quotas else {}
    organization = await store.update_organization(
        session, organization_id=caller.organization_id, name=body.name, quotas=quotas
    )
    return await _public(session, organization)
