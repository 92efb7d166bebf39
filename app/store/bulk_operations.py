"""Bulk operations on runs: one row per operation asked, for the organization's audit."""

from __future__ import annotations

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.db.models import BulkOperation
from app.errors import NotFoundError


async def record_operation(session: AsyncSession, operation: BulkOperation) -> BulkOperation:
    session.add(operation)
    await session.commit()
    await session.refresh(operation)
    return operation


async def get_operation(
    session: AsyncSession, *, organization_id: str, operation_id: str
) -> BulkOperation:
    found = (
        await session.exec(
            select(BulkOperation).where(
                BulkOperation.id == operation_id, BulkOperation.organization_id == organization_id
            )
        )
    ).first()
    if found is None:
        raise NotFoundError(f"bulk operation '{operation_id}' not found")
    return found


async def list_operations(
    session: AsyncSession, *, organization_id: str, limit: int, offset: int
) -> list[BulkOperation]:
    """The organization's bulk operations, newest first."""
    return list(
        await session.exec(
            select(BulkOperation)
            .where(BulkOperation.organization_id == organization_id)
            .order_by(col(BulkOperation.created_at).desc(), col(BulkOperation.id))
            .limit(limit)
            .offset(offset)
        )
    )
