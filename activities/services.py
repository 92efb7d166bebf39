"""What action activities need besides their input, built once per worker and shared."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from activities.transports import Transports
from app.db.engine import Database
from app.platforms.endpoints import PlatformEndpoints
from app.platforms.renewal import refresh_policies
from app.platforms.tokens import TokenKeeper
from app.settings import Settings
from app.vault import Vault


@dataclass
class ActionServices:
    """The database, the vault and the platforms, as the activity classes receive them."""

    database: Database
    vault: Vault = field(repr=False)
    endpoints: PlatformEndpoints
    tokens: TokenKeeper
    transports: Transports
    """The worker's connection pools (X, Instagram, HTTP), closed with the services."""
    allow_private_networks: bool = False
    """Every organization may reach private addresses (HTTP_ALLOW_PRIVATE_NETWORKS)."""
    threads: ThreadPoolExecutor = field(
        default_factory=lambda: ThreadPoolExecutor(max_workers=32, thread_name_prefix="platform")
    )
    """Where synchronous clients (tweepy) run, sized for waiting on the network rather than
    the default executor's few threads per core."""

    @classmethod
    def create(
        cls,
        database: Database,
        vault: Vault,
        endpoints: PlatformEndpoints,
        *,
        allow_private_networks: bool = False,
    ) -> ActionServices:
        return cls(
            database=database,
            vault=vault,
            endpoints=endpoints,
            tokens=TokenKeeper(database, vault, refresh_policies(endpoints)),
            transports=Transports.create(endpoints),
            allow_private_networks=allow_private_networks,
        )

    @classmethod
    def from_settings(cls, settings: Settings) -> ActionServices:
        """Services for `settings`; the database engine connects on first use only."""
        return cls.create(
            Database(settings.resolved_database_url),
            Vault.from_spec(settings.vault_keys),
            PlatformEndpoints.from_settings(settings),
            allow_private_networks=settings.http_allow_private_networks,
        )

    async def close(self) -> None:
        self.threads.shutdown(wait=False, cancel_futures=True)
        await self.transports.aclose()
        await self.database.dispose()
