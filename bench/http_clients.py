"""What the platform actions' HTTP clients cost: N activities against the emulator, calls per
second, for `http.request` (httpx), `instagram.insights`-style Graph reads (httpx) and `x.me`
(tweepy / requests).

The activities run as Temporal would run them (`ActivityEnvironment`), M at once, with the
worker's real `ActionServices`; the emulator serves them over real HTTP on loopback. Figures
of one run can be saved and a later run compared with them, so a change to the clients is
measured on the same machine:

    .venv/bin/python -m bench.http_clients --save /tmp/before.json     # before the change
    .venv/bin/python -m bench.http_clients --against /tmp/before.json  # after: prints ratios

Not a test: the figures go in notes.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from temporalio.testing import ActivityEnvironment

from activities.endpoints import PlatformEndpoints
from activities.http.request import HttpActivities
from activities.instagram.actions import InstagramActivities
from activities.registry import action_services
from activities.services import ActionServices
from activities.x.actions import XActivities
from app.contract.actions import ActionInput
from app.db.engine import Database
from app.db.models import Organization
from app.store.accounts import connect_account
from app.vault import Vault
from bench.machine import print_header, record
from emulator.config import X_ENDPOINTS, EmulatorConfig, XTier
from emulator.testing import EmulatorHandle, running_emulator
from tests.utils.databases import fresh_database
from tests.utils.emulated import emulator_endpoints

VAULT_KEYS = "bench:" + "QkVOQ0gtS0VZLWZvci1odHRwLWNsaWVudHMtMzJieXQ="
Call = Callable[[int], Awaitable[Any]]


def _action(node_type: str, parameters: dict[str, Any], organization: str, **extra: Any) -> Any:
    def build(number: int) -> ActionInput:
        return ActionInput(
            node_id="bench", node_type=node_type, parameters=parameters,
            organization_id=organization, idempotency_key=f"bench/{number}", **extra,
        )  # fmt: skip

    return build


async def _accounts(services: ActionServices, emulator: EmulatorHandle) -> tuple[str, str, str]:
    """An organization with an X and an Instagram account of the emulator's."""
    x_user = emulator.add_x_user("bench")
    ig_user = emulator.add_instagram_user("bench.ig")
    async with services.database.session() as session:
        organization = Organization(name="bench")
        session.add(organization)
        await session.commit()
        accounts = [
            await connect_account(
                session,
                services.vault,
                organization_id=organization.id,
                platform=platform,
                display_name="bench",
                kind="token",
                secret={"access_token": token},
                external_id=external_id,
            )
            for platform, token, external_id in (
                ("x", x_user.access_token, x_user.user_id),
                ("instagram", ig_user.access_token, ig_user.ig_user_id),
            )
        ]
        return organization.id, accounts[0].id, accounts[1].id


def _unlimited(count: int) -> EmulatorConfig:
    """Rate limits that every round fits in: the bench measures clients, not limits."""
    budget = 10 * count + 100
    tier = XTier("bench", dict.fromkeys(X_ENDPOINTS, budget), posts_per_24_hours=budget)
    return EmulatorConfig(x_tier=tier, instagram_calls_per_hour=budget)


async def _rate(call: Call, count: int, concurrency: int) -> float:
    """Calls per second of `count` calls, `concurrency` in flight."""
    numbers = iter(range(count))

    async def lane() -> None:
        for number in numbers:
            await call(number)

    began = time.perf_counter()
    await asyncio.gather(*(lane() for _ in range(concurrency)))
    return count / (time.perf_counter() - began)


async def measure(count: int, concurrency: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as folder, fresh_database("sqlite", Path(folder)) as url:
        async with running_emulator(_unlimited(count)) as emulator:
            endpoints: PlatformEndpoints = emulator_endpoints(emulator)
            services = action_services(
                Database(url), Vault.from_spec(VAULT_KEYS), endpoints,
                allow_private_networks=True,  # the emulator is on loopback
            )  # fmt: skip
            try:
                return await _measure(services, emulator, count, concurrency)
            finally:
                await services.close()


async def _measure(
    services: ActionServices, emulator: EmulatorHandle, count: int, concurrency: int
) -> dict[str, float]:
    organization, x_account, ig_account = await _accounts(services, emulator)
    http, x, instagram = (
        HttpActivities(services),
        XActivities(services),
        InstagramActivities(services),
    )
    url = f"{emulator.url}/_emulator/clock"
    insights = {"target": "account", "metrics": ["reach"]}
    kinds: dict[str, tuple[Callable[..., Any], Callable[[int], ActionInput]]] = {
        "http.request": (http.request, _action("http.request", {"url": url}, organization)),
        "x.me": (x.me, _action("x.me", {}, organization, account_id=x_account)),
        "instagram.insights": (
            instagram.insights,
            _action("instagram.insights", insights, organization, account_id=ig_account),
        ),
    }
    rates: dict[str, float] = {}
    environment = ActivityEnvironment()
    for name, (activity, build) in kinds.items():

        async def call(number: int, activity: Any = activity, build: Any = build) -> Any:
            return await environment.run(activity, build(number))

        await _rate(call, min(count, 20), concurrency)  # warm up: imports, first connections
        rates[name] = await _rate(call, count, concurrency)
    return rates


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=500)
    parser.add_argument("--concurrency", type=int, default=10)
    parser.add_argument("--save", type=Path, help="write the figures here")
    parser.add_argument("--against", type=Path, help="figures of an earlier run to compare")
    arguments = parser.parse_args()
    machine = print_header("bench.http_clients")
    rates = asyncio.run(measure(arguments.calls, arguments.concurrency))
    before = json.loads(arguments.against.read_text()) if arguments.against else {}
    print(f"{arguments.calls} calls per kind, {arguments.concurrency} at once")
    for name, rate in rates.items():
        line = f"{name:20} {rate:8.1f} calls/s"
        if name in before:
            line += f"   before {before[name]:8.1f} calls/s   ratio {rate / before[name]:5.2f}x"
        print(line)
    if arguments.save:
        arguments.save.write_text(json.dumps(rates, indent=2))
    headline = ", ".join(f"{name} {rate:.0f}" for name, rate in rates.items())
    headline += f" calls/s ({arguments.calls} each, {arguments.concurrency} at once)"
    record("http_clients", headline, rates, machine)


if __name__ == "__main__":
    main()
