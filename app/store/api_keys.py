"""API keys: issued once in clear, stored as a keyed hash, looked up by that hash.

Each key has a scope, and a scope allows what the ones before it allow:

    read    read everything of the organization
    write   + workflows, runs, events and decisions
    admin   + API keys, accounts and the organization itself
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal, get_args

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.db.models import ApiKey, Organization
from app.db.types import utcnow
from app.errors import NotFoundError
from app.vault.derivation import keyed_hash, legacy_keyed_hash

KEY_PREFIX = "fh_"

Scope = Literal["read", "write", "admin"]
SCOPES: tuple[Scope, ...] = get_args(Scope)
"""In order: each allows what the ones before it allow."""


def allows(scope: str, needed: Scope) -> bool:
    """Whether a key of `scope` may do what needs `needed`."""
    return scope in SCOPES and SCOPES.index(scope) >= SCOPES.index(needed)


KEY_LENGTH = len(KEY_PREFIX) + 43
"""`fh_` and 32 random bytes in URL-safe base64."""


def looks_like_a_key(key: str) -> bool:
    """Whether `key` could be one of ours: anything else is refused without hashing it."""
    return len(key) <= KEY_LENGTH + 20 and key.startswith(KEY_PREFIX)


def hash_key(key: str, *, secret_key: str) -> str:
    return keyed_hash(secret_key, "api-key-hash", key)


@dataclass(frozen=True)
class IssuedKey:
    """A new key: `secret` is shown to the caller this once and never again."""

    record: ApiKey
    secret: str


async def issue_key(
    session: AsyncSession,
    *,
    organization_id: str,
    name: str,
    scope: Scope = "write",
    expires_at: datetime | None = None,
    person: str | None = None,
    secret_key: str,
) -> IssuedKey:
    secret = KEY_PREFIX + secrets.token_urlsafe(32)
    record = ApiKey(
        organization_id=organization_id,
        name=name,
        prefix=secret[:10],
        key_hash=hash_key(secret, secret_key=secret_key),
        scope=scope,
        expires_at=expires_at,
        person=person,
    )
    session.add(record)
    await session.flush()
    return IssuedKey(record=record, secret=secret)


async def authenticate(
    session: AsyncSession, *, key: str, secret_key: str
) -> tuple[ApiKey, Organization] | None:
    """The live key and its organization, or None for an unknown, revoked or expired key.

    A key stored under the hash of before per-purpose keys is found by that hash and stored
    again under the current one."""
    digest = hash_key(key, secret_key=secret_key)
    legacy = legacy_keyed_hash(secret_key, key)
    row = (
        await session.exec(
            select(ApiKey, Organization)
            .join(Organization, Organization.id == ApiKey.organization_id)  # type: ignore[arg-type]
            .where(
                col(ApiKey.key_hash).in_([digest, legacy]),
                ApiKey.revoked_at.is_(None),  # type: ignore[union-attr]
                # Its keys are revoked with it; this holds even for one revoked by hand since.
                col(Organization.deleted_at).is_(None),
            )
        )
    ).first()
    if row is None:
        return None
    api_key, organization = row
    now = utcnow()
    if api_key.expires_at is not None and api_key.expires_at <= now:
        return None
    if api_key.key_hash != digest or _stale(api_key.last_used_at, now):
        api_key.key_hash = digest
        api_key.last_used_at = now
        session.add(api_key)
        await session.commit()
    return api_key, organization


async def is_live(session: AsyncSession, *, key_id: str) -> bool:
    """Whether the key of `key_id` still authenticates: not revoked, not expired. For
    requests that outlive their authentication (a run's stream): one lookup by id."""
    key = await session.get(ApiKey, key_id)
    if key is None or key.revoked_at is not None:
        return False
    return key.expires_at is None or key.expires_at > utcnow()


LAST_USED_PRECISION = timedelta(minutes=1)
"""How stale `last_used_at` may be: writing it at every request made every request a write,
which a burst of them queues on (SQLite has one writer at a time)."""


def _stale(last_used_at: datetime | None, now: datetime) -> bool:
    return last_used_at is None or now - last_used_at >= LAST_USED_PRECISION


async def list_keys(session: AsyncSession, *, organization_id: str) -> list[ApiKey]:
    """Every key of the organization, revoked ones included, oldest first."""
    rows = await session.exec(
        select(ApiKey)
        .where(ApiKey.organization_id == organization_id)
        .order_by(ApiKey.created_at, ApiKey.id)  # type: ignore[arg-type]
    )
    return list(rows.all())


async def get_key(session: AsyncSession, *, organization_id: str, key_id: str) -> ApiKey:
    key = (
        await session.exec(
            select(ApiKey).where(ApiKey.id == key_id, ApiKey.organization_id == organization_id)
        )
    ).first()
    if key is None:
        raise NotFoundError(f"API key '{key_id}' not found")
    return key


async def revoke_key(session: AsyncSession, *, organization_id: str, key_id: str) -> ApiKey:
    """Revoke a key for good; revoking it again changes nothing."""
    key = await get_key(session, organization_id=organization_id, key_id=key_id)
    if key.revoked_at is None:
        key.revoked_at = utcnow()
        session.add(key)
        await session.commit()
    return key


async def create_key(
    session: AsyncSession,
    *,
    organization_id: str,
    name: str,
    scope: Scope = "write",
    expires_at: datetime | None = None,
    person: str | None = None,
    secret_key: str,
) -> IssuedKey:
    """Issue and store a key for an existing organization."""
    issued = await issue_key(
        session,
        organization_id=organization_id,
        name=name,
        scope=scope,
        expires_at=expires_at,
        person=person,
        secret_key=secret_key,
    )
    await session.commit()
    return issued
