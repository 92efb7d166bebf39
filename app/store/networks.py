"""Whether an organization's HTTP requests may reach private networks (off by default)."""

from __future__ import annotations

from sqlmodel import col, select, update
from sqlmodel.ext.asyncio.session import AsyncSession

from app.db.models import Organization


async def private_networks_allowed(session: AsyncSession, *, organization_id: str) -> bool:
    allowed = (
        await session.exec(
            select(Organization.allow_private_networks).where(Organization.id == organization_id)
        )
    ).first()
    return bool(allowed)


async def allow_private_networks(
    session: AsyncSession, *, organization_id: str, allowed: bool
) -> None:
    """Let (or stop) the organization's `http.request` nodes reach private, loopback and
    link-local addresses, e.g. services on its own network; commits."""
    await session.exec(
        update(Organization)
        .where(col(Organization.id) == organization_id)
        .values(allow_private_networks=allowed)
    )
    await session.commit()
