"""Receipts of webhook bodies (issue 12, point 2): the same signed body within the replay
window names the run it started first, whatever delivery id it comes with; on each
configured database."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import col, select

from app.db.engine import Database
from app.db.models import Organization, Webhook, WebhookDedupKey, WebhookReceipt, Workflow
from app.store.webhooks import SWEEP_EVERY, claim_body
from app.store.webhooks import claim_key as store_claim_key

WINDOW = timedelta(hours=1)
NOON = datetime(2025, 5, 1, 12, 0, tzinfo=UTC)
BODY = "ab" * 32


@dataclass
class Hooks:
    database: Database
    organization: str
    first: str
    second: str

    async def claim(
        self, run_id: str, *, at: datetime = NOON, digest: str = BODY, webhook: str = ""
    ) -> str:
        async with self.database.session() as session:
            return await claim_body(
                session, organization_id=self.organization, webhook_id=webhook or self.first,
                digest=digest, run_id=run_id, now=at, window=WINDOW,
            )  # fmt: skip


@pytest.fixture
async def hooks(database_url: str) -> AsyncIterator[Hooks]:
    database = Database(database_url)
    async with database.session() as session:
        organization = Organization(name="Hooks")
        workflow = Workflow(organization_id=organization.id, name="hooks")
        webhooks = [
            Webhook(organization_id=organization.id, workflow_id=workflow.id, node_id=node)
            for node in ("a", "b")
        ]
        for rows in ([organization], [workflow], webhooks):  # in the order keys need them
            session.add_all(rows)
            await session.flush()
        await session.commit()
        yield Hooks(database, organization.id, webhooks[0].id, webhooks[1].id)
    await database.dispose()


async def test_the_same_body_within_the_window_names_the_first_run(hooks: Hooks) -> None:
    assert await hooks.claim("run_1") == "run_1"
    assert await hooks.claim("run_2", at=NOON + WINDOW - timedelta(seconds=1)) == "run_1"


async def test_the_same_body_after_the_window_names_a_new_run(hooks: Hooks) -> None:
    await hooks.claim("run_1")
    assert await hooks.claim("run_2", at=NOON + WINDOW) == "run_2"
    assert await hooks.claim("run_3", at=NOON + WINDOW + timedelta(minutes=1)) == "run_2"


async def test_another_body_or_another_webhook_names_its_own_run(hooks: Hooks) -> None:
    await hooks.claim("run_1")
    assert await hooks.claim("run_2", digest="cd" * 32) == "run_2"
    assert await hooks.claim("run_3", webhook=hooks.second) == "run_3"


async def test_deliveries_of_one_body_at_the_same_moment_agree_on_one_run(hooks: Hooks) -> None:
    claimed = await asyncio.gather(*(hooks.claim(f"run_{n}") for n in range(8)))
    assert len(set(claimed)) == 1


async def receipts(hooks: Hooks) -> list[tuple[str, str]]:
    async with hooks.database.session() as session:
        rows = await session.exec(select(WebhookReceipt).order_by(col(WebhookReceipt.run_id)))
        return [(row.digest, row.run_id) for row in rows if row.webhook_id == hooks.first]


async def test_receipts_past_the_window_are_swept_now_and_then(hooks: Hooks) -> None:
    await hooks.claim("run_1")
    swept = NOON + WINDOW - timedelta(seconds=30)
    await hooks.claim("run_2", digest="cd" * 32, at=swept)
    # Within SWEEP_EVERY of the last sweep a new body is only inserted: run_1 stays a while.
    await hooks.claim("run_3", digest="ef" * 32, at=NOON + WINDOW + timedelta(seconds=5))
    assert len(await receipts(hooks)) == 3
    await hooks.claim("run_4", digest="01" * 32, at=swept + SWEEP_EVERY)
    assert [run for _, run in await receipts(hooks)] == ["run_2", "run_3", "run_4"]


async def test_an_expired_receipt_of_the_body_is_replaced_between_sweeps(hooks: Hooks) -> None:
    await hooks.claim("run_1")
    await hooks.claim("run_2", digest="cd" * 32, at=NOON + WINDOW - timedelta(seconds=10))
    # The last sweep was 20 s ago: the body's own expired receipt is swept all the same.
    assert await hooks.claim("run_3", at=NOON + WINDOW + timedelta(seconds=10)) == "run_3"
    assert await hooks.claim("run_4", at=NOON + WINDOW + timedelta(seconds=20)) == "run_3"


# Dedup keys (issue 15, point 1): each key keeps its own expiry


async def claim_key(hooks: Hooks, run_id: str, *, at: datetime = NOON, key: str = BODY) -> str:
    async with hooks.database.session() as session:
        return await store_claim_key(
            session, organization_id=hooks.organization, webhook_id=hooks.first,
            key_digest=key, run_id=run_id, now=at, window=WINDOW,
        )  # fmt: skip


async def test_a_key_names_its_first_run_until_it_expires(hooks: Hooks) -> None:
    assert await claim_key(hooks, "run_1") == "run_1"
    assert await claim_key(hooks, "run_2", at=NOON + WINDOW - timedelta(seconds=1)) == "run_1"
    assert await claim_key(hooks, "run_3", at=NOON + WINDOW) == "run_3"
    assert await claim_key(hooks, "run_4", at=NOON + WINDOW + timedelta(minutes=5)) == "run_3"


async def test_claims_of_one_key_at_the_same_moment_agree_on_one_run(hooks: Hooks) -> None:
    claimed = await asyncio.gather(*(claim_key(hooks, f"run_{n}") for n in range(8)))
    assert len(set(claimed)) == 1


async def test_sweeping_body_receipts_keeps_a_key_that_holds_longer(hooks: Hooks) -> None:
    """A receipt goes with the body's window; the key's row keeps its own expiry."""
    async with hooks.database.session() as session:
        await store_claim_key(
            session, organization_id=hooks.organization, webhook_id=hooks.first,
            key_digest=BODY, run_id="run_1", now=NOON, window=WINDOW * 24,
        )  # fmt: skip
    later = NOON + WINDOW * 2
    await hooks.claim("run_2", at=later, digest="cd" * 32)  # sweeps receipts past the window
    assert await claim_key(hooks, "run_3", at=later) == "run_1"
    async with hooks.database.session() as session:
        rows = (await session.exec(select(WebhookDedupKey))).all()
    assert [(row.run_id, row.expires_at) for row in rows if row.webhook_id == hooks.first] == [
        ("run_1", NOON + WINDOW * 24)
    ]
