"""Records for tests, made through the same persistence functions the app uses (and an
account row without a credential, which the app never makes)."""

from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession

from app.db.engine import Database
from app.db.models import Account
from app.settings import Settings
from app.store.organizations import create_organization


async def new_organization(settings: Settings, name: str = "Other") -> tuple[str, str]:
    """A new organization: its id and its first API key."""
    database = Database(settings.resolved_database_url)
    try:
        async with database.session() as session:
            organization, key = await create_organization(
                session, name=name, key_name="test key", secret_key=settings.secret_key
            )
        return organization.id, key.secret
    finally:
        await database.dispose()


async def new_organization_key(settings: Settings, name: str = "Other") -> str:
    return (await new_organization(settings, name))[1]


async def new_account(settings: Settings, *, organization_id: str, platform: str) -> str:
    """A connected account of the organization; returns its id."""
    database = Database(settings.resolved_database_url)
    try:
        async with database.session() as session:
            account = await create_account(
                session,
                organization_id=organization_id,
                platform=platform,
                display_name=f"test {platform}",
            )
        return account.id
    finally:
        await database.dispose()


async def create_account(
    session: AsyncSession,
    *,
    organization_id: str,
    platform: str,
    display_name: str,
    scopes: list[str] | None = None,
) -> Account:
    account = Account(
        organization_id=organization_id,
        platform=platform,
        display_name=display_name,
        scopes=scopes or [],
    )
    session.add(account)
    await session.commit()
    return account
