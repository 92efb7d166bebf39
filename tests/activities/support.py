"""Real services for activity tests: a migrated database, a vault, organizations and accounts
made through the app's own persistence functions."""

from __future__ import annotations

import base64
import dataclasses
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any

from temporalio.common import RetryPolicy
from temporalio.testing import ActivityEnvironment

from activities.endpoints import PlatformEndpoints
from activities.registry import action_services
from activities.services import ActionServices
from app.contract.actions import ActionInput
from app.db.engine import Database
from app.db.models import Organization
from app.db.types import utcnow
from app.store.accounts import connect_account
from app.store.organizations import update_organization
from app.vault import Vault
from app.vault.credentials import CredentialKind
from emulator.control import InstagramAccount, XAccount

TEST_VAULT_KEYS = "test:" + base64.b64encode(b"flowhold-tests-vault-key-32bytes").decode()


def vault_for_tests() -> Vault:
    return Vault.from_spec(TEST_VAULT_KEYS)


def services_for(
    database_url: str,
    endpoints: PlatformEndpoints | None = None,
    *,
    allow_private: bool = False,
) -> ActionServices:
    return action_services(
        Database(database_url),
        vault_for_tests(),
        endpoints or PlatformEndpoints(),
        allow_private_networks=allow_private,
    )


async def new_organization(database: Database, *, private_networks: bool = False) -> str:
    async with database.session() as session:
        organization = Organization(name="Activities")
        session.add(organization)
        await session.commit()
        if private_networks:
            await update_organization(
                session, organization_id=organization.id, allow_private_networks=True
            )
        return organization.id


async def new_account(
    services: ActionServices,
    *,
    organization_id: str,
    platform: str,
    kind: CredentialKind,
    secret: Mapping[str, Any],
    external_id: str | None = None,
    expires_at: datetime | None = None,
    display_name: str = "test account",
) -> str:
    async with services.database.session() as session:
        account = await connect_account(
            session,
            services.vault,
            organization_id=organization_id,
            platform=platform,
            display_name=display_name,
            kind=kind,
            secret=secret,
            external_id=external_id,
            expires_at=expires_at,
        )
        return account.id


async def connect_emulated(
    services: ActionServices, organization_id: str, x: XAccount, instagram: InstagramAccount
) -> tuple[str, str]:
    """Connect an emulated X user and Instagram account as the platforms' OAuth flows would;
    returns their account ids (X, Instagram)."""
    x_account = await new_account(
        services, organization_id=organization_id, platform="x", kind="oauth2",
        secret={"access_token": x.access_token, "refresh_token": str(x.refresh_token)},
        external_id=x.user_id, expires_at=x.expires_at,
    )  # fmt: skip
    instagram_account = await new_account(
        services, organization_id=organization_id, platform="instagram", kind="token",
        secret={"access_token": instagram.access_token}, external_id=instagram.ig_user_id,
        expires_at=instagram.expires_at,
    )  # fmt: skip
    return x_account, instagram_account


def action(
    node_type: str,
    parameters: dict[str, Any],
    *,
    organization_id: str,
    account_id: str | None = None,
    node_id: str = "node",
) -> ActionInput:
    return ActionInput(
        node_id=node_id,
        node_type=node_type,
        parameters=parameters,
        organization_id=organization_id,
        account_id=account_id,
        idempotency_key=f"run/{node_id}/0",
    )


class Attempts:
    """Runs an activity as Temporal would on successive attempts: each attempt sees the
    heartbeat details the previous one recorded last (unless `forget` says they were lost),
    and all share the time the activity was first scheduled."""

    def __init__(
        self,
        scheduled: datetime | None = None,
        on_progress: Callable[[Any], None] | None = None,
        retry_policy: RetryPolicy | None = None,
    ) -> None:
        self.heartbeats: list[Any] = []
        self.attempt = 0
        self.scheduled = scheduled or utcnow()
        self.on_progress = on_progress
        """Called with each heartbeat's details, as the activity records them."""
        self.start_to_close = timedelta(minutes=5)
        self.retry_policy = retry_policy
        """The node's retry policy, as the activity reads it from its info."""

    def forget(self) -> None:
        """Lose the recorded heartbeat details, as a server may when an attempt fails."""
        self.heartbeats.clear()

    async def run(self, function: Callable[..., Any], argument: ActionInput) -> Any:
        self.attempt += 1
        environment = ActivityEnvironment()
        previous = [self.heartbeats[-1]] if self.heartbeats else []
        environment.info = dataclasses.replace(
            environment.info,
            attempt=self.attempt,
            heartbeat_details=previous,
            scheduled_time=self.scheduled,
            started_time=utcnow(),
            start_to_close_timeout=self.start_to_close,
            retry_policy=self.retry_policy,
        )
        environment.on_heartbeat = self._beat
        return await environment.run(function, argument)

    def _beat(self, *details: Any) -> None:
        if details:
            self.heartbeats.append(details[0])
            if self.on_progress is not None:
                self.on_progress(details[0])
