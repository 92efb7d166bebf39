"""Organizations: the owner of every other record."""

from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession

from app.db.models import Organization
from app.store.api_keys import IssuedKey, issue_key


async def create_organization(
    session: AsyncSession, *, name: str, key_name: str, secret_key: str
) -> tuple[Organization, IssuedKey]:
    """A new organization and its first API key, in one transaction."""
    organization = Organization(name=name)
    session.add(organization)
    await session.flush()
    key = await issue_key(
        session, organization_id=organization.id, name=key_name, secret_key=secret_key
    )
    await session.commit()
    return organization, key
