"""Sandbox mode of `make run` (SANDBOX=true): the platform emulator runs beside the engine,
X and Instagram point at it, and the first organization gets an X and an Instagram account
there, so a workflow can be tried end to end without posting anything for real.

The engine talks to the emulator only as it talks to the platforms (base URLs, OAuth client)
and through the emulator's documented control API (`/_emulator/...`); it imports nothing of it.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import httpx
from sqlmodel import col, select

from app.db.engine import Database
from app.db.models import Organization
from app.errors import LaunchError
from app.settings import PROJECT_ROOT, Settings
from app.store.accounts import connect_account
from app.vault import Vault

X_USER = ("flowhold", "1000000000000000001")
"""Username and fixed id: every start updates the same account instead of adding another."""
INSTAGRAM_USER = ("flowhold.sandbox", "99000000000000001")
START_SECONDS = 30.0


def _not_ready(problem: str) -> LaunchError:
    return LaunchError(f"sandbox: {problem} (see var/emulator.log)")


@dataclass(frozen=True)
class Sandbox:
    url: str
    accounts: list[tuple[str, str, str]]
    """(platform, display name, account id) connected in the first organization."""


def emulator_url(settings: Settings) -> str:
    return settings.sandbox_url


def start_emulator(settings: Settings, log_file: Path) -> subprocess.Popen[bytes]:
    log = log_file.open("ab")
    return subprocess.Popen(  # noqa: S603 (our own emulator)
        [sys.executable, "-m", "emulator", "--host", "127.0.0.1",
         "--port", str(settings.sandbox_port)],
        cwd=PROJECT_ROOT, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        start_new_session=True,
    )  # fmt: skip


async def prepare(settings: Settings) -> Sandbox:
    """Wait for the emulator, register our OAuth client and connect the demo accounts."""
    url = emulator_url(settings)
    async with httpx.AsyncClient(
        base_url=f"{url}/_emulator", timeout=10, trust_env=False
    ) as control:
        await _wait(control)
        client = {"client_id": settings.x_client_id, "client_secret": settings.x_client_secret}
        await _post(control, "/x/clients", client)
        x = await _post(control, "/x/users", {"username": X_USER[0], "user_id": X_USER[1]})
        instagram = await _post(
            control, "/instagram/users",
            {"username": INSTAGRAM_USER[0], "ig_user_id": INSTAGRAM_USER[1]},
        )  # fmt: skip
    accounts = await _connect(settings, x, instagram)
    return Sandbox(url, accounts)


async def _wait(control: httpx.AsyncClient) -> None:
    deadline = asyncio.get_running_loop().time() + START_SECONDS
    while True:
        try:
            if (await control.get("/clock")).status_code == 200:
                return
        except httpx.TransportError:
            pass
        if asyncio.get_running_loop().time() > deadline:
            raise _not_ready(f"the emulator did not start within {START_SECONDS:.0f} s")
        await asyncio.sleep(0.2)


async def _post(control: httpx.AsyncClient, path: str, body: dict[str, str]) -> dict[str, str]:
    response = await control.post(path, json=body)
    if response.status_code != 201:
        raise _not_ready(f"the emulator refused {path}: {response.text[:200]}")
    answer: dict[str, str] = response.json()
    return answer


async def _connect(
    settings: Settings, x: dict[str, str], instagram: dict[str, str]
) -> list[tuple[str, str, str]]:
    vault = Vault.from_spec(settings.vault_keys)
    database = Database(settings.resolved_database_url)
    try:
        async with database.session() as session:
            first = (
                await session.exec(select(Organization).order_by(col(Organization.created_at)))
            ).first()
            if first is None:
                raise _not_ready("there is no organization to connect the sandbox accounts to")
            x_account = await connect_account(
                session, vault, organization_id=first.id, platform="x",
                display_name=f"@{x['username']} (sandbox)", kind="oauth2",
                secret={"access_token": x["access_token"], "refresh_token": x["refresh_token"]},
                external_id=x["user_id"], expires_at=datetime.fromisoformat(x["expires_at"]),
                scopes=["tweet.read", "tweet.write", "users.read", "offline.access", "media.write"],
            )  # fmt: skip
            instagram_account = await connect_account(
                session, vault, organization_id=first.id, platform="instagram",
                display_name=f"{instagram['username']} (sandbox)", kind="token",
                secret={"access_token": instagram["access_token"]},
                external_id=instagram["ig_user_id"],
                expires_at=datetime.fromisoformat(instagram["expires_at"]),
            )  # fmt: skip
            return [
                ("x", x_account.display_name, x_account.id),
                ("instagram", instagram_account.display_name, instagram_account.id),
            ]
    finally:
        await database.dispose()
