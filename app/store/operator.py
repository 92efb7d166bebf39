"""The operator's keys, and the organizations the operator creates, lists and deletes.

An operator key is the installation's, not an organization's: it is made on the command line
(`python -m app.cli create-operator-key`), stored as a keyed hash like API keys, and opens
only `/operator/...`; it reads nothing inside an organization. A deleted organization keeps
its rows (the operator purges the database when they choose) but is listed nowhere, and its
API keys are revoked and its approval links spent in the same transaction, so nothing of it
is reachable any more.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from sqlmodel import col, func, select, update
from sqlmodel.ext.asyncio.session import AsyncSession

from app.db.models import ApiKey, ApprovalLink, OperatorKey, Organization, Workflow
from app.db.types import utcnow
from app.errors import ConflictError, NotFoundError
from app.vault.derivation import keyed_hash

OPERATOR_KEY_PREFIX = "fho_"
OPERATOR_KEY_LENGTH = len(OPERATOR_KEY_PREFIX) + 43


def looks_like_an_operator_key(key: str) -> bool:
    return len(key) <= OPERATOR_KEY_LENGTH + 20 and key.startswith(OPERATOR_KEY_PREFIX)


def _hash(key: str, *, secret_key: str) -> str:
    # Its own purpose: an API key's hash can never match an operator key's.
    return keyed_hash(secret_key, "operator-key-hash", key)


@dataclass(frozen=True)
class IssuedOperatorKey:
    """A new operator key: `secret` is shown this once and never again."""

    record: OperatorKey
    secret: str


async def create_operator_key(
    session: AsyncSession, *, name: str, secret_key: str
) -> IssuedOperatorKey:
    secret = OPERATOR_KEY_PREFIX + secrets.token_urlsafe(32)
    record = OperatorKey(
        name=name, prefix=secret[:10], key_hash=_hash(secret, secret_key=secret_key)
    )
    session.add(record)
    await session.commit()
    return IssuedOperatorKey(record=record, secret=secret)


async def authenticate_operator(
    session: AsyncSession, *, key: str, secret_key: str
) -> OperatorKey | None:
    """The live operator key, or None."""
    return (
        await session.exec(
            select(OperatorKey).where(
                OperatorKey.key_hash == _hash(key, secret_key=secret_key),
                col(OperatorKey.revoked_at).is_(None),
            )
        )
    ).first()


async def list_operator_keys(session: AsyncSession) -> list[OperatorKey]:
    rows = await session.exec(select(OperatorKey).order_by(col(OperatorKey.created_at)))
    return list(rows.all())


async def revoke_operator_key(session: AsyncSession, *, key_id: str) -> OperatorKey:
    key = await session.get(OperatorKey, key_id)
    if key is None:
        raise NotFoundError(f"operator key '{key_id}' not found")
    if key.revoked_at is None:
        key.revoked_at = utcnow()
        session.add(key)
        await session.commit()
    return key


async def live_organizations(
    session: AsyncSession, *, limit: int, offset: int
) -> tuple[list[Organization], int]:
    """Organizations not deleted, oldest first, one page, and how many there are."""
    live = col(Organization.deleted_at).is_(None)
    rows = await session.exec(
        select(Organization)
        .where(live)
        .order_by(col(Organization.created_at), col(Organization.id))
        .limit(limit)
        .offset(offset)
    )
    count = (await session.exec(select(func.count()).select_from(Organization).where(live))).one()
    return list(rows.all()), count


async def live_organization(session: AsyncSession, *, organization_id: str) -> Organization:
    organization = await session.get(Organization, organization_id)
    if organization is None or organization.deleted_at is not None:
        raise NotFoundError(f"organization '{organization_id}' not found")
    return organization


async def delete_organization(session: AsyncSession, *, organization_id: str) -> Organization:
    """Delete an organization none of whose workflows is active: mark it deleted and revoke
    its keys in one transaction. 409 while a workflow is active (its schedules and webhook
    endpoints would go on starting runs): the organization deactivates them first. Its
    approval links are spent too, so none decides anything after."""
    organization = await live_organization(session, organization_id=organization_id)
    active = (
        await session.exec(
            select(func.count())
            .select_from(Workflow)
            .where(Workflow.organization_id == organization_id, col(Workflow.active))
        )
    ).one()
    if active:
        raise ConflictError(
            f"organization '{organization_id}' has {active} active workflow"
            f"{'' if active == 1 else 's'}: deactivate them first "
            "(POST /workflows/{id}/deactivate with one of its admin keys)"
        )
    now = utcnow()
    organization.deleted_at = now
    session.add(organization)
    await session.exec(
        update(ApiKey)
        .where(col(ApiKey.organization_id) == organization_id, col(ApiKey.revoked_at).is_(None))
        .values(revoked_at=now)
    )
    # An approval link decides without a key: spent now, it decides nothing any more.
    await session.exec(
        update(ApprovalLink)
        .where(
            col(ApprovalLink.organization_id) == organization_id,
            col(ApprovalLink.used_at).is_(None),
        )
        .values(used_at=now)
    )
    await session.commit()
    return organization
