"""Managing event subscriptions: which URLs an organization may subscribe, their secrets.

A URL is checked the way `http.request` checks where it goes (`activities.network`): a host
that resolves to a private, loopback or link-local address is refused unless the
organization or the installation allows private networks (`HTTP_ALLOW_PRIVATE_NETWORKS`).
It must be https, except for such a permitted private host (a receiver on the same machine
or network, as in tests). Each delivery checks the addresses again where it connects, so a
name that resolves elsewhere later gains nothing.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Sequence
from urllib.parse import urlsplit

from sqlmodel.ext.asyncio.session import AsyncSession

from activities.network import is_public
from app.db.models import EventSubscription, Workflow
from app.errors import ConflictError, ErrorDetail, InvalidInputError
from app.settings import Settings
from app.store import event_subscriptions as store
from app.store.networks import private_networks_allowed
from app.vault.webhook_secrets import new_secret, seal

RESOLVE_TIMEOUT_SECONDS = 5.0
URL_PATH = ("body", "url")


def _refused(message: str, path: tuple[str | int, ...] = URL_PATH) -> InvalidInputError:
    return InvalidInputError(message, [ErrorDetail(message, path=path, code="invalid_value")])


async def _addresses(host: str, port: int) -> list[str]:
    """The host's addresses; none when it does not resolve (yet): deliveries check again."""
    try:
        return [str(ipaddress.ip_address(host))]
    except ValueError:
        pass
    loop = asyncio.get_running_loop()
    try:
        infos = await asyncio.wait_for(
            loop.getaddrinfo(host, port, type=socket.SOCK_STREAM), RESOLVE_TIMEOUT_SECONDS
        )
    except (OSError, UnicodeError, ValueError, TimeoutError):
        return []
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


async def check_url(
    session: AsyncSession, settings: Settings, *, organization_id: str, url: str
) -> str:
    """The URL, if this organization may subscribe it; a 422 naming `body.url` otherwise."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as error:
        raise _refused(f"not a URL: {error}") from None
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise _refused("must be an absolute https:// URL")
    if parts.username is not None or parts.password is not None:
        # It would be stored and shown in the clear: receivers check the signature instead.
        raise _refused("must not carry a user name or password")
    if parts.fragment:
        raise _refused("must not have a #fragment")
    host = parts.hostname
    addresses = await _addresses(host, port or (443 if parts.scheme == "https" else 80))
    private = [address for address in addresses if not is_public(address)]
    if private:
        allowed = settings.http_allow_private_networks or await private_networks_allowed(
            session, organization_id=organization_id
        )
        if not allowed:
            raise _refused(
                f"{host} resolves to {private[0]}, a private or local address: this "
                "organization may not call private networks"
            )
    elif parts.scheme != "https":
        raise _refused("must be https (http only for a private host the organization may call)")
    return url


async def check_workflows(
    session: AsyncSession, *, organization_id: str, workflow_ids: Sequence[str] | None
) -> list[str] | None:
    if workflow_ids is None:
        return None
    for index, workflow_id in enumerate(workflow_ids):
        workflow = await session.get(Workflow, workflow_id)
        if workflow is None or workflow.organization_id != organization_id:
            message = f"workflow {workflow_id} not found in this organization"
            raise InvalidInputError(
                message,
                [
                    ErrorDetail(
                        message, path=("body", "workflow_ids", index), code="unknown_workflow"
                    )
                ],
            )
    return list(dict.fromkeys(workflow_ids))


async def create(
    session: AsyncSession,
    settings: Settings,
    *,
    organization_id: str,
    url: str,
    event_types: Sequence[str],
    workflow_ids: Sequence[str] | None,
    enabled: bool,
    description: str,
) -> tuple[EventSubscription, str]:
    """The new subscription and its secret, which is shown this once."""
    if await store.count_subscriptions(session, organization_id=organization_id) >= (
        store.MAX_SUBSCRIPTIONS
    ):
        raise ConflictError(
            f"this organization has {store.MAX_SUBSCRIPTIONS} event subscriptions, the most "
            "it may have: delete one first"
        )
    subscription = EventSubscription(
        organization_id=organization_id,
        url=await check_url(session, settings, organization_id=organization_id, url=url),
        event_types=list(dict.fromkeys(event_types)),
        workflow_ids=await check_workflows(
            session, organization_id=organization_id, workflow_ids=workflow_ids
        ),
        enabled=enabled,
        description=description,
        secret_sealed="",
    )
    secret = new_secret()
    subscription.secret_sealed = seal(
        secret, bound_to=subscription.id, vault_keys=settings.vault_keys
    )
    await store.add_subscription(session, subscription)
    return subscription, secret


async def rotate_secret(
    session: AsyncSession, settings: Settings, subscription: EventSubscription
) -> str:
    """A new secret for the subscription, shown this once; the old one signs nothing more."""
    secret = new_secret()
    subscription.secret_sealed = seal(
        secret, bound_to=subscription.id, vault_keys=settings.vault_keys
    )
    await store.save_subscription(session, subscription)
    return secret
