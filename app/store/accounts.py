"""Connected accounts of an organization. Their secrets live in the vault (`Credential`),
written in the same transaction as the account, so an account never exists half connected."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, cast

from sqlalchemy import func
from sqlmodel import col, select, update
from sqlmodel.ext.asyncio.session import AsyncSession

from app.db.models import Account, Credential
from app.db.types import utcnow
from app.errors import ConflictError, NotFoundError
from app.vault import Vault, VaultError
from app.vault.credentials import (
    AI_BASE_URL_FIELD,
    ALLOWED_HOSTS_FIELD,
    CredentialKind,
    credential_row,
    load_credential,
    open_row,
    swap_credential,
)

log = logging.getLogger(__name__)

AccountStatus = Literal["active", "expired", "revoked"]
"""`expired`: the token ran out and cannot be renewed; `revoked`: the platform no longer honours
the grant. Either way the account must be connected again; connecting makes it `active`."""


async def connect_account(
    session: AsyncSession,
    vault: Vault,
    *,
    organization_id: str,
    platform: str,
    display_name: str,
    kind: CredentialKind,
    secret: Mapping[str, Any],
    external_id: str | None = None,
    scopes: list[str] | None = None,
    expires_at: datetime | None = None,
) -> Account:
    """Store an account with its sealed credential in one commit.

    The same platform account connected again (same `external_id`) is updated in place and
    made active, so workflows that name it keep working."""
    account: Account | None = None
    if external_id is not None:
        account = (
            await session.exec(
                select(Account).where(
                    Account.organization_id == organization_id,
                    Account.platform == platform,
                    Account.external_id == external_id,
                )
            )
        ).first()
    if account is None:
        account = Account(organization_id=organization_id, platform=platform, display_name="")
    account.display_name = display_name
    account.external_id = external_id
    account.scopes = scopes or []
    account.status = "active"
    account.updated_at = utcnow()
    session.add(account)
    await session.flush()
    fresh = credential_row(
        vault,
        organization_id=organization_id,
        account_id=account.id,
        kind=kind,
        secret=secret,
        expires_at=expires_at,
    )
    existing = await session.get(Credential, account.id)
    if existing is None:
        session.add(fresh)
    else:
        # A new version, so a refresh that read the old grant cannot swap over the new one.
        existing.kind, existing.key_id, existing.ciphertext = kind, fresh.key_id, fresh.ciphertext
        existing.expires_at, existing.refreshing_until = expires_at, None
        existing.version += 1
        existing.updated_at = utcnow()
        session.add(existing)
    await session.commit()
    await session.refresh(account)
    return account


async def list_accounts(
    session: AsyncSession,
    *,
    organization_id: str,
    platform: str | None = None,
    offset: int = 0,
    limit: int = 100,
) -> tuple[list[Account], int]:
    """A page of the organization's accounts, oldest first, and how many there are."""
    where = [Account.organization_id == organization_id]
    if platform is not None:
        where.append(Account.platform == platform)
    total = (await session.exec(select(func.count()).select_from(Account).where(*where))).one()
    rows = await session.exec(
        select(Account)
        .where(*where)
        .order_by(col(Account.created_at), col(Account.id))
        .offset(offset)
        .limit(limit)
    )
    return list(rows.all()), total


async def get_account(session: AsyncSession, *, organization_id: str, account_id: str) -> Account:
    """The organization's account; another organization's is as unknown as a missing one."""
    account = (
        await session.exec(
            select(Account)
            .where(Account.id == account_id, Account.organization_id == organization_id)
            .execution_options(populate_existing=True)
        )
    ).first()
    if account is None:
        raise NotFoundError(f"account '{account_id}' does not exist")
    return account


@dataclass(frozen=True)
class CredentialSummary:
    """What may be shown of a credential: never a secret field."""

    kind: str
    expires_at: datetime | None
    allowed_hosts: list[str] | None
    """An HTTP credential's hosts; None for other kinds, or when the vault cannot open it."""
    base_url: str | None = None
    """An AI account's base URL (not secret); None for other kinds, or when the vault cannot
    open it."""


async def credential_summary(
    session: AsyncSession, vault: Vault, *, account: Account
) -> CredentialSummary | None:
    """The kind and expiry of the account's credential and, for HTTP accounts, the hosts it
    is bound to (opened from the sealed secret, of which nothing else leaves here)."""
    row = (
        await session.exec(select(Credential).where(Credential.account_id == account.id))
    ).first()
    if row is None:
        return None
    hosts: list[str] | None = None
    base_url: str | None = None
    if account.platform in ("http", "ai"):
        try:
            opened = open_row(vault, row)
        except VaultError:
            log.warning("account %s: its credential does not open with VAULT_KEYS", account.id)
        else:
            if account.platform == "http":
                hosts = [str(host) for host in opened.secret.get(ALLOWED_HOSTS_FIELD) or ()]
            else:
                base_url = str(opened.secret.get(AI_BASE_URL_FIELD) or "") or None
    return CredentialSummary(row.kind, row.expires_at, hosts, base_url)


async def update_account(
    session: AsyncSession,
    vault: Vault,
    *,
    organization_id: str,
    account_id: str,
    display_name: str | None = None,
    allowed_hosts: list[str] | None = None,
    credential: tuple[CredentialKind, dict[str, Any]] | None = None,
    pacing: tuple[int | None, int] | None = None,
) -> Account:
    """Rename the account, bind its credential to other hosts, replace the credential
    (kind and secret, its hosts included), and/or set its pacing (actions per window, None:
    none; the window's seconds), in one commit.

    Without `credential`, the secret is opened and sealed again with the new hosts, so nobody
    has to paste it again; a credential changed meanwhile (or one the vault cannot open)
    changes nothing."""
    account = await get_account(session, organization_id=organization_id, account_id=account_id)
    if allowed_hosts is not None or credential is not None:
        try:
            current = await load_credential(
                session, vault, organization_id=organization_id, account_id=account_id
            )
        except VaultError:
            raise ConflictError(
                f"account '{account_id}': its credential does not open with the vault's keys; "
                "connect it again"
            ) from None
        if current is None:
            raise ConflictError(f"account '{account_id}' has no credential: connect it again")
        kind, secret = credential or (cast(CredentialKind, current.kind), current.secret)
        hosts = (
            allowed_hosts if allowed_hosts is not None else current.secret.get(ALLOWED_HOSTS_FIELD)
        )
        if hosts is not None:
            secret = {**secret, ALLOWED_HOSTS_FIELD: list(hosts)}
        replaced = await swap_credential(
            session, vault, current=current, secret=secret, kind=kind,
            expires_at=current.expires_at, refreshing_until=current.refreshing_until,
            commit=False,
        )  # fmt: skip
        if not replaced:
            await session.rollback()
            raise ConflictError(f"account '{account_id}' changed meanwhile: try again")
    if display_name is not None:
        account.display_name = display_name
    if pacing is not None:
        account.actions_per_window, seconds = pacing
        account.action_window_seconds = seconds if account.actions_per_window else None
    account.updated_at = utcnow()
    session.add(account)
    await session.commit()
    await session.refresh(account)
    return account


async def delete_account(session: AsyncSession, *, organization_id: str, account_id: str) -> None:
    """Delete the account and, with it, its credential."""
    account = await get_account(session, organization_id=organization_id, account_id=account_id)
    await session.delete(account)
    await session.commit()


async def set_account_status(
    session: AsyncSession, *, organization_id: str, account_id: str, status: AccountStatus
) -> None:
    """Record what the platform said about the account; commits."""
    await session.exec(
        update(Account)
        .where(col(Account.id) == account_id, col(Account.organization_id) == organization_id)
        .values(status=status, updated_at=utcnow())
    )
    await session.commit()


async def account_platforms(session: AsyncSession, *, organization_id: str) -> dict[str, str]:
    """Account id → platform, for every account of the organization (validation reads this)."""
    rows = await session.exec(
        select(Account.id, Account.platform).where(Account.organization_id == organization_id)
    )
    return dict(rows.all())
