"""What action activities need besides their input, built once per worker and shared
(`activities.registry.action_services` builds it)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from activities.accounts.tokens import TokenKeeper
from activities.endpoints import PlatformEndpoints
from activities.transports import Transports
from app.db.engine import Database
from app.store.networks import private_networks_allowed
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

    async def private_networks_allowed(self, organization_id: str) -> bool:
        """Whether requests for `organization_id` may reach private addresses."""
        if self.allow_private_networks:
            return True
        async with self.database.session() as session:
            return await private_networks_allowed(session, organization_id=organization_id)

    async def close(self) -> None:
        self.threads.shutdown(wait=False, cancel_futures=True)
        await self.transports.aclose()
        await self.database.dispose()
