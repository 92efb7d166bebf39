"""Connecting, renewing and disconnecting accounts: what the accounts API does, with the
platforms and the vault, in one place. Every token is checked with its platform first, so an
account is never stored with a token that does not work."""

from __future__ import annotations

import hmac
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from sqlmodel.ext.asyncio.session import AsyncSession

from activities.accounts.pkce import code_challenge, new_code_verifier, new_state
from activities.accounts.tokens import TokenKeeper
from activities.endpoints import PlatformEndpoints
from activities.errors import AccountError
from activities.instagram.tokens import InstagramTokens
from activities.x.oauth import X_SCOPES, XOAuth
from app.db.engine import release
from app.db.models import Account
from app.db.types import utcnow
from app.errors import (
    ConflictError,
    ErrorDetail,
    InvalidInputError,
    PermissionDeniedError,
    ServiceUnavailableError,
)
from app.store.accounts import connect_account, delete_account, get_account
from app.vault import Vault
from app.vault.authorizations import (
    PendingAuthorization,
    begin_authorization,
    browser_hash,
    take_authorization,
)
from app.vault.credentials import CredentialKind, load_credential

log = logging.getLogger(__name__)

AUTHORIZATION_TTL = timedelta(minutes=10)
"""How long a person has to approve on X's consent page."""
INSTAGRAM_TOKEN_LIFETIME = timedelta(days=60)
"""A long-lived Instagram token's lifetime, assumed from now when its age is not given."""


@dataclass(frozen=True)
class StartedAuthorization:
    authorize_url: str
    expires_at: datetime


class Connections:
    def __init__(self, vault: Vault, endpoints: PlatformEndpoints, keeper: TokenKeeper) -> None:
        self.vault = vault
        self.endpoints = endpoints
        self.keeper = keeper
        self.x = XOAuth(endpoints)
        self.instagram = InstagramTokens(endpoints)

    async def paste_x_tokens(
        self,
        session: AsyncSession,
        *,
        organization_id: str,
        access_token: str,
        refresh_token: str | None,
        expires_in: int | None,
        scopes: list[str],
        display_name: str | None,
    ) -> Account:
        """A bot account from tokens obtained elsewhere, checked with X first."""
        user = await self.x.me(access_token)
        kind: CredentialKind = "oauth2" if refresh_token else "token"
        secret = {"access_token": access_token}
        if refresh_token:
            secret["refresh_token"] = refresh_token
        return await connect_account(
            session, self.vault, organization_id=organization_id, platform="x",
            display_name=display_name or f"@{user.username}", kind=kind, secret=secret,
            external_id=user.id, scopes=scopes,
            expires_at=utcnow() + timedelta(seconds=expires_in) if expires_in else None,
        )  # fmt: skip

    async def start_x_authorization(
        self,
        session: AsyncSession,
        *,
        organization_id: str,
        browser_secret: str,
        return_to: str | None = None,
    ) -> StartedAuthorization:
        """An authorize URL for X, valid for the browser holding `browser_secret` only; the
        callback sends the browser on to `return_to` (a path here) when one is given."""
        if not self.endpoints.x_client_id:
            raise ServiceUnavailableError(
                "X is not configured here: set X_CLIENT_ID (and X_CLIENT_SECRET)"
            )
        state, verifier = new_state(), new_code_verifier()
        expires_at = utcnow() + AUTHORIZATION_TTL
        await begin_authorization(
            session, self.vault, organization_id=organization_id, platform="x", state=state,
            code_verifier=verifier, redirect_uri=self.endpoints.x_redirect_uri,
            scopes=list(X_SCOPES), expires_at=expires_at, browser_secret=browser_secret,
            return_to=return_to,
        )  # fmt: skip
        url = self.x.authorize_url(state=state, code_challenge=code_challenge(verifier))
        return StartedAuthorization(authorize_url=url, expires_at=expires_at)

    async def take_x_authorization(
        self, session: AsyncSession, *, state: str
    ) -> PendingAuthorization:
        """The authorization the callback's `state` names, spent so it is used once (a 422
        when unknown, used or expired)."""
        pending = await take_authorization(session, self.vault, state=state)
        if pending is None or pending.platform != "x":
            unknown = "this authorization is unknown, was used already or expired: start again"
            raise InvalidInputError(unknown, [ErrorDetail(unknown, path=("query", "state"))])
        return pending

    async def finish_x_authorization(
        self,
        session: AsyncSession,
        *,
        pending: PendingAuthorization,
        code: str,
        browser_secret: str | None,
    ) -> Account:
        """Exchange the callback's code (with the PKCE verifier kept for its `state`), in the
        browser that started the authorization only: otherwise anyone could send a link made
        for their organization to someone else, whose approval would connect that person's X
        account to the sender's organization."""
        if (
            browser_secret is None
            or pending.browser_hash is None
            or not hmac.compare_digest(browser_hash(browser_secret), pending.browser_hash)
        ):
            raise PermissionDeniedError(
                "this authorization was started in another browser: start it again from the "
                "browser that approves it"
            )
        grant = await self.x.exchange_code(code=code, code_verifier=pending.code_verifier)
        user = await self.x.me(grant.access_token)
        return await connect_account(
            session, self.vault, organization_id=pending.organization_id, platform="x",
            display_name=f"@{user.username}",
            kind="oauth2" if grant.refresh_token else "token", secret=grant.secret(),
            external_id=user.id, scopes=list(grant.scopes or pending.scopes),
            expires_at=grant.expires_at(utcnow()),
        )  # fmt: skip

    async def forget_x_authorization(
        self, session: AsyncSession, *, state: str
    ) -> PendingAuthorization | None:
        """The person declined (or X failed): spend the authorization; None when unknown."""
        pending = await take_authorization(session, self.vault, state=state)
        return pending if pending is not None and pending.platform == "x" else None

    async def connect_instagram(
        self,
        session: AsyncSession,
        *,
        organization_id: str,
        access_token: str,
        expires_in: int | None,
        display_name: str | None,
    ) -> Account:
        """An Instagram professional account from a long-lived token, checked with Meta."""
        user = await self.instagram.user(access_token)
        lifetime = timedelta(seconds=expires_in) if expires_in else INSTAGRAM_TOKEN_LIFETIME
        return await connect_account(
            session, self.vault, organization_id=organization_id, platform="instagram",
            display_name=display_name or user.username, kind="token",
            secret={"access_token": access_token}, external_id=user.id,
            expires_at=utcnow() + lifetime,
        )  # fmt: skip

    async def renew(
        self, session: AsyncSession, *, organization_id: str, account_id: str
    ) -> Account:
        """Renew the account's token now (X: refresh token; Instagram: the token itself)."""
        account = await get_account(session, organization_id=organization_id, account_id=account_id)
        credential = await load_credential(
            session, self.vault, organization_id=organization_id, account_id=account_id
        )
        policy = self.keeper.policies.get(account.platform)
        if credential is None or policy is None or not credential.secret.get(policy.needs):
            raise ConflictError(
                f"this {account.platform} account's credential cannot be renewed: "
                "connect it again instead"
            )
        await release(session)
        await self.keeper.access_token(
            organization_id=organization_id, account_id=account_id, platform=account.platform,
            refused=str(credential.secret.get("access_token")),
        )  # fmt: skip
        return await get_account(session, organization_id=organization_id, account_id=account_id)

    async def disconnect(
        self, session: AsyncSession, *, organization_id: str, account_id: str
    ) -> Literal["revoked", "not revoked", "nothing to revoke"]:
        """Delete the account and its credential; an X grant is revoked at X first, as far as
        X answers (the account goes either way: the person asked for it)."""
        account = await get_account(session, organization_id=organization_id, account_id=account_id)
        outcome: Literal["revoked", "not revoked", "nothing to revoke"] = "nothing to revoke"
        if account.platform == "x" and self.endpoints.x_client_id:
            credential = await load_credential(
                session, self.vault, organization_id=organization_id, account_id=account_id
            )
            token = credential.secret.get("refresh_token") if credential else None
            await release(session)
            if token:
                try:
                    await self.x.revoke(str(token))
                    outcome = "revoked"
                except AccountError as error:
                    log.warning("account %s: X did not revoke its grant: %s", account_id, error)
                    outcome = "not revoked"
        await delete_account(session, organization_id=organization_id, account_id=account_id)
        return outcome
