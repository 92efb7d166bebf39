"""Approval links: one row per link minted, so that each is used once.

The token a person holds is signed (`app.services.approval_links`); the row is what makes it
single-use. Claiming is one conditional `UPDATE`, so of two requests that use the same link
at the same moment exactly one claims it, on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.db.models import ApprovalLink
from app.db.types import utcnow


async def create_link(
    session: AsyncSession,
    *,
    organization_id: str,
    run_id: str,
    node_id: str,
    approver: str,
    minted_by_key_id: str,
    expires_at: datetime,
) -> ApprovalLink:
    link = ApprovalLink(
        organization_id=organization_id,
        run_id=run_id,
        node_id=node_id,
        approver=approver,
        minted_by_key_id=minted_by_key_id,
        expires_at=expires_at,
    )
    session.add(link)
    await session.commit()
    return link


async def find_link(
    session: AsyncSession, *, organization_id: str, link_id: str
) -> ApprovalLink | None:
    return (
        await session.exec(
            select(ApprovalLink).where(
                ApprovalLink.id == link_id, ApprovalLink.organization_id == organization_id
            )
        )
    ).first()


async def claim_link(
    session: AsyncSession, *, organization_id: str, link_id: str
) -> datetime | None:
    """Mark the link used; the moment it was claimed, or None when it was used already."""
    now = utcnow()
    result = await session.exec(
        update(ApprovalLink)
        .where(
            col(ApprovalLink.id) == link_id,
            col(ApprovalLink.organization_id) == organization_id,
            col(ApprovalLink.used_at).is_(None),
        )
        .values(used_at=now)
    )
    await session.commit()
    return now if result.rowcount == 1 else None


async def release_link(
    session: AsyncSession, *, organization_id: str, link_id: str, claimed_at: datetime
) -> None:
    """Give back a claim whose decision the run did not take, so the link is not spent on it."""
    await session.exec(
        update(ApprovalLink)
        .where(
            col(ApprovalLink.id) == link_id,
            col(ApprovalLink.organization_id) == organization_id,
            col(ApprovalLink.used_at) == claimed_at,
        )
        .values(used_at=None)
    )
    await session.commit()
