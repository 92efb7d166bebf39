"""Every platform the engine acts on, and what the worker and the catalog take from them.

A new platform is one new package under `activities/` that builds a `Platform`, plus a line
in `BUILT_IN`; or a separate package declaring it as a plug-in (`activities.plugins`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

from activities.accounts.tokens import RefreshPolicy, TokenKeeper
from activities.ai.platform import PLATFORM as AI
from activities.endpoints import PlatformEndpoints
from activities.http.platform import PLATFORM as HTTP
from activities.instagram.platform import PLATFORM as INSTAGRAM
from activities.pacing import paced
from activities.platform import Platform
from activities.plugins import load_plugins
from activities.services import ActionServices
from activities.transports import Transports
from activities.x.platform import PLATFORM as X
from app.contract.actions import reporting_attempt
from app.db.engine import Database
from app.language.node_type import NodeType
from app.settings import Settings
from app.vault import Vault

BUILT_IN: tuple[Platform, ...] = (HTTP, X, INSTAGRAM, AI)
PLUGINS = load_plugins(BUILT_IN)
"""The installed plug-ins, loaded once per process, so the catalog and the worker agree."""
PLATFORMS: tuple[Platform, ...] = (*BUILT_IN, *PLUGINS.platforms)


def node_types() -> Iterator[NodeType]:
    """The action node types of every platform."""
    for platform in PLATFORMS:
        yield from platform.node_types


def all_activities(services: ActionServices) -> list[Callable[..., Any]]:
    """Every action activity, bound to `services`, each paced by its account and reporting
    its attempt."""
    return [
        reporting_attempt(paced(action, services.database))
        for platform in PLATFORMS
        for action in platform.activities(services).all()
    ]


def refresh_policies(endpoints: PlatformEndpoints) -> Mapping[str, RefreshPolicy]:
    """How each platform whose tokens expire renews them, by platform name."""
    return {
        platform.name: platform.refresh_policy(endpoints)
        for platform in PLATFORMS
        if platform.refresh_policy is not None
    }


def action_services(
    database: Database,
    vault: Vault,
    endpoints: PlatformEndpoints,
    *,
    allow_private_networks: bool = False,
) -> ActionServices:
    """What every activity of a worker shares: database, vault, token keeper, pools."""
    return ActionServices(
        database=database,
        vault=vault,
        endpoints=endpoints,
        tokens=TokenKeeper(database, vault, refresh_policies(endpoints)),
        transports=Transports(endpoints),
        allow_private_networks=allow_private_networks,
    )


def action_services_from_settings(settings: Settings) -> ActionServices:
    """`action_services` for `settings`; the database engine connects on first use only."""
    return action_services(
        Database(settings.resolved_database_url, settings.database_pool),
        Vault.from_spec(settings.vault_keys),
        PlatformEndpoints.from_settings(settings),
        allow_private_networks=settings.http_allow_private_networks,
    )
