"""TokenKeeper against the emulator: tokens renewed before expiry and after a refusal, once for
everyone when workers race (rotating refresh tokens are single-use), and accounts marked when
their grant is gone. SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Mapping
from datetime import timedelta
from typing import Any

import pytest

from activities.accounts.grants import TokenGrant
from activities.accounts.tokens import RefreshPolicy, TokenKeeper
from activities.errors import AccountUnusableError, GrantRevokedError, PlatformUnavailableError
from activities.registry import refresh_policies
from app.db.engine import Database
from app.db.models import Account
from app.db.types import utcnow
from app.store.accounts import connect_account
from app.vault.credentials import load_credential
from emulator import record
from emulator.control import XAccount
from emulator.testing import EmulatorHandle
from tests.activities.support import new_organization, vault_for_tests
from tests.utils.emulated import emulator_endpoints

LATER = timedelta(hours=2)
"""Past the lifetime of an X access token: whatever was issued now is due by then."""


class Fixture:
    def __init__(self, database: Database, emulator: EmulatorHandle, organization: str) -> None:
        self.database = database
        self.emulator = emulator
        self.organization = organization
        self.vault = vault_for_tests()
        self.policies = refresh_policies(emulator_endpoints(emulator))

    def keeper(
        self,
        *,
        ahead: timedelta = timedelta(0),
        database: Database | None = None,
        policies: Mapping[str, RefreshPolicy] | None = None,
    ) -> TokenKeeper:
        return TokenKeeper(
            database or self.database, self.vault, policies or self.policies,
            clock=lambda: utcnow() + ahead,
        )  # fmt: skip

    async def x_account(self, user: XAccount, *, refresh: bool = True) -> str:
        secret = {"access_token": user.access_token}
        if refresh and user.refresh_token:
            secret["refresh_token"] = user.refresh_token
        async with self.database.session() as session:
            account = await connect_account(
                session, self.vault, organization_id=self.organization, platform="x",
                display_name=user.username, kind="oauth2" if refresh else "token",
                secret=secret, external_id=user.user_id, expires_at=user.expires_at,
            )  # fmt: skip
            return account.id

    async def stored(self, account_id: str) -> dict[str, Any]:
        async with self.database.session() as session:
            credential = await load_credential(
                session, self.vault, organization_id=self.organization, account_id=account_id
            )
        assert credential is not None
        return dict(credential.secret)

    async def status(self, account_id: str) -> str:
        async with self.database.session() as session:
            account = await session.get(Account, account_id, populate_existing=True)
        assert account is not None
        return account.status

    async def token(self, keeper: TokenKeeper, account_id: str, **kwargs: Any) -> str:
        got = await keeper.access_token(
            organization_id=self.organization, account_id=account_id, platform="x", **kwargs
        )
        return got.access_token


@pytest.fixture
async def setup(database_url: str, emulator: EmulatorHandle) -> AsyncIterator[Fixture]:
    database = Database(database_url)
    organization = await new_organization(database)
    yield Fixture(database, emulator, organization)
    await database.dispose()


async def test_a_fresh_token_is_used_as_it_is(setup: Fixture) -> None:
    user = setup.emulator.add_x_user("ada")
    account = await setup.x_account(user)
    assert await setup.token(setup.keeper(), account) == user.access_token
    assert setup.emulator.count(record.X_TOKEN_ROTATED) == 0


async def test_a_token_about_to_expire_is_renewed_first_and_the_new_pair_kept(
    setup: Fixture,
) -> None:
    user = setup.emulator.add_x_user("ada")
    account = await setup.x_account(user)
    token = await setup.token(setup.keeper(ahead=LATER), account)
    stored = await setup.stored(account)
    assert token != user.access_token
    assert stored["access_token"] == token
    assert stored["refresh_token"] != user.refresh_token
    assert setup.emulator.count(record.X_TOKEN_ROTATED) == 1
    # The stored refresh token is the live one: it renews again.
    assert await setup.token(setup.keeper(ahead=2 * LATER), account) != token
    assert setup.emulator.count(record.X_TOKEN_ROTATED) == 2


async def test_a_refused_token_is_renewed_once_for_every_caller(setup: Fixture) -> None:
    user = setup.emulator.add_x_user("ada")
    account = await setup.x_account(user)
    keeper = setup.keeper()
    renewed = await setup.token(keeper, account, refused=user.access_token)
    # A second caller that saw the same 401 gets the renewed token, not another renewal.
    again = await setup.token(keeper, account, refused=user.access_token)
    assert renewed == again != user.access_token
    assert setup.emulator.count(record.X_TOKEN_ROTATED) == 1


async def test_two_workers_renewing_at_once_spend_the_refresh_token_once(
    setup: Fixture, database_url: str
) -> None:
    user = setup.emulator.add_x_user("ada")
    account = await setup.x_account(user)
    other_worker = Database(database_url)
    try:
        first, second = await asyncio.gather(
            setup.token(setup.keeper(ahead=LATER), account),
            setup.token(setup.keeper(ahead=LATER, database=other_worker), account),
        )
    finally:
        await other_worker.dispose()
    assert first == second != user.access_token
    assert setup.emulator.count(record.X_TOKEN_ROTATED) == 1
    assert (await setup.stored(account))["access_token"] == first
    assert await setup.token(setup.keeper(ahead=2 * LATER), account) != first


async def test_a_worker_arriving_during_a_renewal_waits_for_its_result(
    setup: Fixture, database_url: str
) -> None:
    user = setup.emulator.add_x_user("ada")
    account = await setup.x_account(user)
    started, release = asyncio.Event(), asyncio.Event()
    real = setup.policies["x"]

    async def held_refresh(secret: Mapping[str, Any]) -> TokenGrant:
        started.set()
        await release.wait()
        return await real.refresh(secret)

    held = {"x": RefreshPolicy(held_refresh, real.margin)}
    other_worker = Database(database_url)
    try:
        first = asyncio.create_task(setup.token(setup.keeper(ahead=LATER, policies=held), account))
        await started.wait()
        second = asyncio.create_task(
            setup.token(setup.keeper(ahead=LATER, database=other_worker), account)
        )
        await asyncio.sleep(0.3)
        assert not second.done()  # it cannot finish while the first holds the lease
        release.set()
        assert await first == await second
    finally:
        await other_worker.dispose()
    assert setup.emulator.count(record.X_TOKEN_ROTATED) == 1


async def test_a_revoked_grant_marks_the_account_revoked(setup: Fixture) -> None:
    user = setup.emulator.add_x_user("ada")
    account = await setup.x_account(user)
    assert user.refresh_token is not None
    setup.emulator.revoke_token(user.refresh_token)
    with pytest.raises(GrantRevokedError):
        await setup.token(setup.keeper(ahead=LATER), account)
    assert await setup.status(account) == "revoked"
    with pytest.raises(AccountUnusableError, match="revoked: connect it again"):
        await setup.token(setup.keeper(), account)


async def test_a_renewal_that_fails_for_now_leaves_the_grant_for_the_next_try(
    setup: Fixture,
) -> None:
    user = setup.emulator.add_x_user("ada")
    account = await setup.x_account(user)
    setup.emulator.fail_next("POST", "/2/oauth2/token", status=503)
    with pytest.raises(PlatformUnavailableError):
        await setup.token(setup.keeper(ahead=LATER), account)
    assert await setup.status(account) == "active"
    # The lease was released: the next attempt renews at once.
    assert await setup.token(setup.keeper(ahead=LATER), account) != user.access_token


async def test_a_lease_left_by_a_crashed_worker_lapses(setup: Fixture) -> None:
    user = setup.emulator.add_x_user("ada")
    account = await setup.x_account(user)
    crashed, gone = asyncio.Event(), asyncio.Event()

    async def crash(secret: Mapping[str, Any]) -> TokenGrant:
        crashed.set()
        await gone.wait()  # answers only after the test, as a dead worker never would
        raise PlatformUnavailableError("gone")

    dying = asyncio.create_task(
        setup.token(setup.keeper(ahead=LATER, policies={"x": RefreshPolicy(crash, LATER)}), account)
    )
    await crashed.wait()
    dying.cancel()
    # Cancelling cannot interrupt the shielded refresh, so the lease stays: a crash.
    token = await setup.token(setup.keeper(ahead=LATER + timedelta(minutes=1)), account)
    assert token != user.access_token
    assert setup.emulator.count(record.X_TOKEN_ROTATED) == 1
    gone.set()
    for task in asyncio.all_tasks():
        if task.get_coro().__qualname__ == "TokenKeeper._renew":  # type: ignore[union-attr]
            with contextlib.suppress(PlatformUnavailableError):
                await task


async def test_a_pasted_token_that_expired_marks_the_account_expired(setup: Fixture) -> None:
    user = setup.emulator.add_x_user("bot")
    account = await setup.x_account(user, refresh=False)
    with pytest.raises(AccountUnusableError, match="has expired and cannot be renewed"):
        await setup.token(setup.keeper(ahead=LATER), account)
    assert await setup.status(account) == "expired"


async def test_an_instagram_token_is_renewed_in_its_last_week(setup: Fixture) -> None:
    instagram = setup.emulator.add_instagram_user("ada.makes")
    setup.emulator.advance(timedelta(days=2))  # Meta renews tokens at least a day old.
    async with setup.database.session() as session:
        account = await connect_account(
            session, setup.vault, organization_id=setup.organization, platform="instagram",
            display_name="ada.makes", kind="token",
            secret={"access_token": instagram.access_token},
            external_id=instagram.ig_user_id, expires_at=instagram.expires_at,
        )  # fmt: skip
    keeper = setup.keeper(ahead=timedelta(days=55))
    got = await keeper.access_token(
        organization_id=setup.organization, account_id=account.id, platform="instagram"
    )
    assert got.access_token != instagram.access_token
    assert setup.emulator.count(record.INSTAGRAM_TOKEN_REFRESHED) == 1
