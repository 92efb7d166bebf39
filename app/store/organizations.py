"""Organizations: the owner of every other record."""

from __future__ import annotations

from collections.abc import Mapping

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.db.models import Organization
from app.errors import NotFoundError
from app.store.api_keys import IssuedKey, issue_key

QUOTAS = frozenset({"runs_per_hour", "max_concurrent_runs"})


async def create_organization(
    session: AsyncSession, *, name: str, key_name: str, secret_key: str
) -> tuple[Organization, IssuedKey]:
    """A new organization and its first API key, in one transaction."""
    organization = Organization(name=name)
    session.add(organization)
    await session.flush()
    # The first key manages the others: it is the organization's way in.
    key = await issue_key(
        session, organization_id=organization.id, name=key_name, scope="admin",
        secret_key=secret_key,
    )  # fmt: skip
    await session.commit()
    return organization, key


async def get_organization(session: AsyncSession, *, organization_id: str) -> Organization:
    organization = await session.get(Organization, organization_id)
    if organization is None:
        raise NotFoundError(f"organization '{organization_id}' not found")
    return organization


async def update_organization(
    session: AsyncSession,
    *,
    organization_id: str,
    name: str | None = None,
    allow_private_networks: bool | None = None,
    quotas: Mapping[str, int | None] | None = None,
) -> Organization:
    """Change what is given; None leaves a field as it is. `quotas` sets each quota it names
    (`runs_per_hour`, `max_concurrent_runs`; None: no limit)."""
    organization = await get_organization(session, organization_id=organization_id)
    for quota, value in (quotas or {}).items():
        if quota not in QUOTAS:
            raise ValueError(f"not a quota: {quota}")
        setattr(organization, quota, value)
    if name is not None:
        organization.name = name
    if allow_private_networks is not None:
        organization.allow_private_networks = allow_private_networks
    session.add(organization)
    await session.commit()
    return organization


async def list_organizations(session: AsyncSession) -> list[Organization]:
    """Every organization the operator has not deleted, oldest first (for the administrative
    command line, whose commands default to the first)."""
    rows = await session.exec(
        select(Organization)
        .where(col(Organization.deleted_at).is_(None))
        .order_by(col(Organization.created_at), col(Organization.id))
    )
    return list(rows.all())
