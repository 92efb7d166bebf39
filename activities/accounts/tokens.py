"""Working access tokens for accounts, refreshed before they expire or after a refusal.

Refresh tokens rotate and are single-use, so two workers must never both spend one. A worker
that needs a refresh first takes a short lease on the credential row by compare-and-swap on
its version; the others see the lease and wait for the new token instead of refreshing. The
winner stores the new pair under the version its lease created, so nothing can overwrite it
with an older pair. This works the same on SQLite and PostgreSQL and holds no database
transaction open during the call to the platform.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from activities.accounts.grants import TokenGrant
from activities.errors import (
    AccountError,
    AccountNotFoundError,
    AccountUnusableError,
    GrantRevokedError,
    PlatformUnavailableError,
    WrongAccountError,
)
from app.db.engine import Database
from app.db.models import Account
from app.db.types import utcnow
from app.store.accounts import AccountStatus, set_account_status
from app.vault import Vault
from app.vault.credentials import OpenCredential, load_credential, swap_credential

log = logging.getLogger(__name__)

LEASE = timedelta(seconds=30)
"""How long one worker may take to refresh before another may try."""
WAIT_STEP_SECONDS = 0.1


@dataclass(frozen=True)
class RefreshPolicy:
    """How one platform's tokens are renewed."""

    refresh: Callable[[Mapping[str, Any]], Awaitable[TokenGrant]]
    """Renew from the opened secret; raises `GrantRevokedError` when the grant is gone."""
    margin: timedelta
    """Renew this long before the token expires."""
    needs: str = "refresh_token"
    """The secret field renewal needs; credentials without it cannot be renewed."""


@dataclass(frozen=True)
class AccountToken:
    """A usable access token for one account."""

    account_id: str
    external_id: str | None
    access_token: str = field(repr=False)


@dataclass(frozen=True)
class UsableCredential:
    """An active account of the expected platform and its opened credential."""

    account: Account
    credential: OpenCredential


class TokenKeeper:
    """Hands out access tokens for accounts, renewing them once for everyone when needed."""

    def __init__(
        self,
        database: Database,
        vault: Vault,
        policies: Mapping[str, RefreshPolicy],
        *,
        clock: Callable[[], datetime] = utcnow,
        lease: timedelta = LEASE,
    ) -> None:
        self.database = database
        self.vault = vault
        self.policies = policies
        self.clock = clock
        self.lease = lease

    async def credential(
        self, *, organization_id: str, account_id: str, platform: str
    ) -> UsableCredential:
        """The account's opened credential, if the account is this organization's, of
        `platform`, active and connected; else `AccountUnusableError`."""
        async with self.database.session() as session:
            return await _usable(session, self.vault, organization_id, account_id, platform)

    async def access_token(
        self,
        *,
        organization_id: str,
        account_id: str,
        platform: str,
        refused: str | None = None,
    ) -> AccountToken:
        """A token that works as far as we know. `refused`: the platform just answered 401 to
        this token, so renew it (unless someone already did)."""
        waited_until = asyncio.get_running_loop().time() + 2 * self.lease.total_seconds()
        while True:
            async with self.database.session() as session:
                usable = await _usable(session, self.vault, organization_id, account_id, platform)
                token = await self._fresh_or_renewed(session, usable, refused)
            if token is not None:
                return AccountToken(account_id, usable.account.external_id, token)
            if asyncio.get_running_loop().time() > waited_until:
                raise PlatformUnavailableError(
                    f"renewing the token of account '{account_id}' takes too long; try again"
                )
            await asyncio.sleep(WAIT_STEP_SECONDS)

    async def _fresh_or_renewed(
        self, session: AsyncSession, usable: UsableCredential, refused: str | None
    ) -> str | None:
        """The token to use, or None when another worker is renewing it (wait and re-read)."""
        credential, account = usable.credential, usable.account
        token = str(credential.secret.get("access_token", ""))
        now = self.clock()
        policy = self.policies.get(account.platform)
        margin = policy.margin if policy else timedelta(0)
        expired = credential.expires_at is not None and credential.expires_at <= now
        due = credential.expires_at is not None and credential.expires_at - margin <= now
        if token != refused and not due:
            return token
        if policy is None or not credential.secret.get(policy.needs):
            if token != refused and not expired:
                return token
            status: AccountStatus = "revoked" if token == refused else "expired"
            await self._mark(session, account, status)
            raise AccountUnusableError(
                f"the {account.platform} account '{account.id}' ({account.display_name}) has "
                f"{status} and cannot be renewed: connect it again"
            )
        if credential.refreshing_until is not None and credential.refreshing_until > now:
            return None
        leased = await swap_credential(
            session, self.vault, current=credential, refreshing_until=now + self.lease
        )
        if not leased:
            return None
        held = dataclasses.replace(credential, version=credential.version + 1)
        # Shielded: once the refresh token is spent, the new pair must be stored even if the
        # activity is cancelled meanwhile, or the account would be lost.
        return await asyncio.shield(self._renew(session, account, held, policy))

    async def _renew(
        self, session: AsyncSession, account: Account, held: OpenCredential, policy: RefreshPolicy
    ) -> str:
        try:
            grant = await policy.refresh(held.secret)
        except GrantRevokedError:
            await swap_credential(session, self.vault, current=held)
            await self._mark(session, account, "revoked")
            raise
        except AccountError:
            await swap_credential(session, self.vault, current=held)
            raise
        secret = {**held.secret, **grant.secret()}
        stored = await swap_credential(
            session,
            self.vault,
            current=held,
            secret=secret,
            expires_at=grant.expires_at(self.clock()),
        )
        if not stored:
            # Only when the refresh outlived its lease and another worker took over: that
            # worker holds the old refresh token, which the platform will refuse.
            log.error(
                "account %s: a token refresh outlived its lease; its result is lost", account.id
            )
            raise PlatformUnavailableError(
                f"renewing the token of account '{account.id}' took too long; try again"
            )
        return grant.access_token

    async def _mark(self, session: AsyncSession, account: Account, status: AccountStatus) -> None:
        await set_account_status(
            session, organization_id=account.organization_id, account_id=account.id, status=status
        )


async def _usable(
    session: AsyncSession, vault: Vault, organization_id: str, account_id: str, platform: str
) -> UsableCredential:
    account = await session.get(Account, account_id, populate_existing=True)
    if account is None or account.organization_id != organization_id:
        raise AccountNotFoundError(f"account '{account_id}' does not exist in this organization")
    if account.platform != platform:
        raise WrongAccountError(
            f"account '{account_id}' is a {account.platform} account, not {platform}",
            platform=account.platform,
        )
    if account.status != "active":
        raise AccountUnusableError(
            f"the {platform} account '{account_id}' ({account.display_name}) is "
            f"{account.status}: connect it again"
        )
    credential = await load_credential(
        session, vault, organization_id=organization_id, account_id=account_id
    )
    if credential is None:
        raise AccountUnusableError(f"account '{account_id}' has no stored credential")
    return UsableCredential(account, credential)
