"""OAuth authorizations in progress: the PKCE verifier, sealed, keyed by a hash of `state`.

The state travels through the user's browser; only its SHA-256 is stored, so a copy of the
database cannot complete anyone's authorization.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import delete
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.db.models import OAuthAuthorization
from app.db.types import utcnow
from app.vault._cipher import Sealed, Vault


def state_hash(state: str) -> str:
    return hashlib.sha256(state.encode()).hexdigest()


def browser_hash(browser_secret: str) -> str:
    return hashlib.sha256(browser_secret.encode()).hexdigest()


def authorization_binding(row: OAuthAuthorization) -> tuple[str, ...]:
    return ("oauth-authorization", row.organization_id, row.state_hash)


@dataclass(frozen=True)
class PendingAuthorization:
    """An authorization taken back for its callback: what the code exchange needs."""

    organization_id: str
    platform: str
    redirect_uri: str
    scopes: list[str]
    code_verifier: str = field(repr=False)
    browser_hash: str | None = field(default=None, repr=False)
    """SHA-256 of the secret the starting browser holds in a cookie; None for authorizations
    started before they were bound to a browser."""
    return_to: str | None = None
    """A path on the API's own origin to send the browser back to after the callback."""


async def begin_authorization(
    session: AsyncSession,
    vault: Vault,
    *,
    organization_id: str,
    platform: str,
    state: str,
    code_verifier: str,
    redirect_uri: str,
    scopes: list[str],
    expires_at: datetime,
    browser_secret: str,
    return_to: str | None = None,
) -> None:
    """Remember an authorization until its callback (or `expires_at`), bound to the browser
    that holds `browser_secret` (only its hash is kept), with where the browser goes back to
    after it (`return_to`); commits."""
    row = OAuthAuthorization(
        state_hash=state_hash(state),
        organization_id=organization_id,
        platform=platform,
        redirect_uri=redirect_uri,
        scopes=scopes,
        key_id="",
        ciphertext=b"",
        expires_at=expires_at,
    )
    secret = {"code_verifier": code_verifier, "browser_hash": browser_hash(browser_secret)}
    if return_to is not None:
        # Not secret, but sealed with the rest so that nobody can change where it leads.
        secret["return_to"] = return_to
    sealed = vault.seal(secret, binding=authorization_binding(row))
    row.key_id, row.ciphertext = sealed.key_id, sealed.ciphertext
    # Abandoned authorizations would pile up otherwise; each new one sweeps the expired.
    await session.exec(
        delete(OAuthAuthorization).where(col(OAuthAuthorization.expires_at) < utcnow())
    )
    session.add(row)
    await session.commit()


async def take_authorization(
    session: AsyncSession, vault: Vault, *, state: str
) -> PendingAuthorization | None:
    """The live authorization for `state`, removed so it can be used once; None when unknown
    or expired. Commits."""
    row = (
        await session.exec(
            select(OAuthAuthorization).where(OAuthAuthorization.state_hash == state_hash(state))
        )
    ).first()
    if row is None:
        return None
    # Deleting by key and counting the rows makes two callbacks with one state race safely.
    removed = await session.exec(
        delete(OAuthAuthorization).where(col(OAuthAuthorization.state_hash) == row.state_hash)
    )
    await session.commit()
    if removed.rowcount != 1 or row.expires_at <= utcnow():
        return None
    secret = vault.open(Sealed(row.key_id, row.ciphertext), binding=authorization_binding(row))
    return PendingAuthorization(
        organization_id=row.organization_id,
        platform=row.platform,
        redirect_uri=row.redirect_uri,
        scopes=list(row.scopes),
        code_verifier=secret["code_verifier"],
        browser_hash=secret.get("browser_hash"),
        return_to=secret.get("return_to"),
    )
