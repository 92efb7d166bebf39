"""Whether an organization's HTTP requests may reach private networks (off by default)."""

from __future__ import annotations

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.db.models import Organization


async def private_networks_allowed(session: AsyncSession, *, organization_id: str) -> bool:
    allowed = (
        await session.exec(
            select(Organization.allow_private_networks).where(Organization.id == organization_id)
        )
    ).first()
    return bool(allowed)
