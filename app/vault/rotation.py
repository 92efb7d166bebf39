"""Moving every sealed secret to the current key, so a retired key can leave VAULT_KEYS."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlmodel import col, select, update
from sqlmodel.ext.asyncio.session import AsyncSession

from app.db.models import Credential, EventSubscription, OAuthAuthorization, Webhook
from app.errors import VaultError
from app.vault._cipher import Sealed, Vault
from app.vault.authorizations import authorization_binding
from app.vault.credentials import open_row, swap_credential
from app.vault.webhook_secrets import binding, from_text, to_text


@dataclass(frozen=True)
class Reencrypted:
    """What a re-encryption did."""

    credentials: int
    """Credentials re-sealed with the current key."""
    authorizations: int
    """Pending OAuth authorizations re-sealed."""
    webhooks: int = 0
    """Webhook secrets re-sealed, event subscriptions' signing secrets with them."""
    unreadable: list[str] = field(default_factory=list)
    """Accounts whose credential does not open (unknown key, or altered): left as they are."""


async def reencrypt_all(session: AsyncSession, vault: Vault) -> Reencrypted:
    """Re-seal every secret not sealed with the current key; commits row by row.

    Credentials are swapped on their version, so a token refresh running meanwhile is never
    undone: a row it changed was sealed with the current key by that writer already.
    """
    credentials = 0
    unreadable: list[str] = []
    stale = select(Credential).where(Credential.key_id != vault.current_key_id)
    for row in (await session.exec(stale)).all():
        try:
            current = open_row(vault, row)
        except VaultError:
            unreadable.append(row.account_id)
            continue
        resealed = await swap_credential(
            session,
            vault,
            current=current,
            secret=current.secret,
            expires_at=current.expires_at,
            refreshing_until=current.refreshing_until,
        )
        credentials += int(resealed)
    authorizations = 0
    pending = select(OAuthAuthorization).where(OAuthAuthorization.key_id != vault.current_key_id)
    for authorization in (await session.exec(pending)).all():
        try:
            resealed_authorization = vault.reseal(
                Sealed(authorization.key_id, authorization.ciphertext),
                binding=authorization_binding(authorization),
            )
        except VaultError:
            continue  # Expires within minutes anyway; the person starts the connection again.
        if resealed_authorization is None:
            continue
        result = await session.exec(
            update(OAuthAuthorization)
            .where(
                col(OAuthAuthorization.state_hash) == authorization.state_hash,
                col(OAuthAuthorization.key_id) == authorization.key_id,
            )
            .values(
                key_id=resealed_authorization.key_id, ciphertext=resealed_authorization.ciphertext
            )
        )
        await session.commit()
        authorizations += result.rowcount
    webhooks = await _reseal_webhook_secrets(session, vault, unreadable)
    webhooks += await _reseal_subscription_secrets(session, vault, unreadable)
    return Reencrypted(credentials, authorizations, webhooks, unreadable)


async def _reseal_webhook_secrets(
    session: AsyncSession, vault: Vault, unreadable: list[str]
) -> int:
    resealed_count = 0
    sealed_rows = select(Webhook).where(col(Webhook.secret_sealed).is_not(None))
    for webhook in (await session.exec(sealed_rows)).all():
        assert webhook.secret_sealed is not None
        try:
            resealed = vault.reseal(from_text(webhook.secret_sealed), binding=binding(webhook.id))
        except VaultError:
            unreadable.append(webhook.id)
            continue
        if resealed is None:
            continue
        result = await session.exec(
            update(Webhook)
            .where(
                col(Webhook.id) == webhook.id,
                col(Webhook.secret_sealed) == webhook.secret_sealed,
            )
            .values(secret_sealed=to_text(resealed))
        )
        await session.commit()
        resealed_count += result.rowcount
    return resealed_count


async def _reseal_subscription_secrets(
    session: AsyncSession, vault: Vault, unreadable: list[str]
) -> int:
    """Event subscriptions' signing secrets, sealed like webhook secrets (bound to their id)."""
    resealed_count = 0
    for subscription in (await session.exec(select(EventSubscription))).all():
        try:
            resealed = vault.reseal(
                from_text(subscription.secret_sealed), binding=binding(subscription.id)
            )
        except VaultError:
            unreadable.append(subscription.id)
            continue
        if resealed is None:
            continue
        result = await session.exec(
            update(EventSubscription)
            .where(
                col(EventSubscription.id) == subscription.id,
                col(EventSubscription.secret_sealed) == subscription.secret_sealed,
            )
            .values(secret_sealed=to_text(resealed))
        )
        await session.commit()
        resealed_count += result.rowcount
    return resealed_count
