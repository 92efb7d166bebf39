"""Connected accounts of an organization (their secrets live in the vault)."""

from __future__ import annotations

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.db.models import Account


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


async def account_platforms(session: AsyncSession, *, organization_id: str) -> dict[str, str]:
    """Account id → platform, for every account of the organization (validation reads this)."""
    rows = await session.exec(
        select(Account.id, Account.platform).where(Account.organization_id == organization_id)
    )
    return dict(rows.all())
