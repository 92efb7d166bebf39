"""Sealed credentials in the database: save, open, compare-and-swap, re-encrypt.

Every write that replaces a secret names the version it read; a write that lost a race
changes nothing and says so, so rotating refresh tokens are never overwritten by a stale copy.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.db.models import Credential
from app.db.types import utcnow
from app.logs import remember_secrets
from app.vault._cipher import Sealed, Vault

CredentialKind = Literal[
    "oauth2", "token", "bearer", "basic", "header", "query", "openai", "anthropic"
]
"""`oauth2`: access + refresh token (X); `token`: a token without refresh grant (X bot token,
Instagram long-lived token); `openai` and `anthropic`: an AI provider's API key and base URL
(the provider's API the key is for); the rest are HTTP credentials."""
AI_BASE_URL_FIELD = "base_url"
"""Where an AI account's base URL is kept: sealed with its key, so the key cannot be sent
elsewhere without sealing it again."""
ALLOWED_HOSTS_FIELD = "allowed_hosts"
"""Where an HTTP credential's host patterns (`activities.http.hosts`) are kept: inside the
sealed secret, so they cannot be changed without sealing it again."""


@dataclass(frozen=True)
class OpenCredential:
    """A credential with its secret opened, as the code that uses it sees it."""

    account_id: str
    organization_id: str
    kind: str
    secret: Mapping[str, Any] = field(repr=False)
    """Opened secret fields; kept out of repr so no log or traceback shows them."""
    expires_at: datetime | None
    refreshing_until: datetime | None
    version: int
    """The row version this was read at: the precondition of `swap_credential`."""


def _binding(organization_id: str, account_id: str, kind: str) -> tuple[str, ...]:
    return ("credential", organization_id, account_id, kind)


def credential_row(
    vault: Vault,
    *,
    organization_id: str,
    account_id: str,
    kind: CredentialKind,
    secret: Mapping[str, Any],
    expires_at: datetime | None = None,
) -> Credential:
    """A new credential row, sealed; the caller adds it to its transaction."""
    sealed = vault.seal(secret, binding=_binding(organization_id, account_id, kind))
    return Credential(
        account_id=account_id,
        organization_id=organization_id,
        kind=kind,
        key_id=sealed.key_id,
        ciphertext=sealed.ciphertext,
        expires_at=expires_at,
    )


def open_row(vault: Vault, row: Credential) -> OpenCredential:
    secret = vault.open(
        Sealed(row.key_id, row.ciphertext),
        binding=_binding(row.organization_id, row.account_id, row.kind),
    )
    # Opened here means it may travel in a request this process logs about. The base URL and
    # host patterns are sealed to bind them to the key, not because they are secret.
    remember_secrets(
        {k: v for k, v in secret.items() if k not in (AI_BASE_URL_FIELD, ALLOWED_HOSTS_FIELD)}
    )
    return OpenCredential(
        account_id=row.account_id,
        organization_id=row.organization_id,
        kind=row.kind,
        secret=secret,
        expires_at=row.expires_at,
        refreshing_until=row.refreshing_until,
        version=row.version,
    )


async def load_credential(
    session: AsyncSession, vault: Vault, *, organization_id: str, account_id: str
) -> OpenCredential | None:
    """The account's credential, read fresh from the database; None when it has none."""
    row = (
        await session.exec(
            select(Credential)
            .where(
                Credential.account_id == account_id,
                Credential.organization_id == organization_id,
            )
            .execution_options(populate_existing=True)
        )
    ).first()
    return open_row(vault, row) if row is not None else None


async def swap_credential(
    session: AsyncSession,
    vault: Vault,
    *,
    current: OpenCredential,
    secret: Mapping[str, Any] | None = None,
    kind: CredentialKind | None = None,
    expires_at: datetime | None = None,
    refreshing_until: datetime | None = None,
    commit: bool = True,
) -> bool:
    """Replace the credential read as `current` (its lease too) and commit, unless someone
    changed it since: then nothing is written and the answer is False.

    `secret=None` keeps the secret and its expiry, and only sets the lease; `kind` changes what
    kind of credential the new secret is (None: the same). `commit=False`
    leaves the commit to a caller that writes more in the same transaction (and rolls it all
    back when the answer is False).
    """
    values: dict[str, Any] = {
        "version": current.version + 1,
        "refreshing_until": refreshing_until,
        "updated_at": utcnow(),
    }
    if secret is not None:
        new_kind = kind or current.kind
        sealed = vault.seal(
            secret, binding=_binding(current.organization_id, current.account_id, new_kind)
        )
        values.update(
            kind=new_kind, key_id=sealed.key_id, ciphertext=sealed.ciphertext, expires_at=expires_at
        )
    result = await session.exec(
        update(Credential)
        .where(
            col(Credential.account_id) == current.account_id,
            col(Credential.version) == current.version,
        )
        .values(**values)
    )
    if commit:
        await session.commit()
    return bool(result.rowcount == 1)
