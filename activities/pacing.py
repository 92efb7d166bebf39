"""Account pacing: at most `actions_per_window` actions per `action_window_seconds` with one
account, spread out rather than failed.

Before an action with a paced account acts, it takes its slot in the account's window
(`app.store.quotas.take_action_slot`, in the database every worker shares), keyed by the
run and the action's idempotency key (run, node, iteration), so a retried attempt finds the
slot it took instead of taking another. A slot in the future means wait: the attempt raises
a retryable `QuotaWait` whose `next_retry_delay` is the time left, without acting, and
Temporal starts the next attempt when the slot comes (a durable timer on the server, which
the API shows as the node waiting on its quota). That attempt finds its slot due and acts.

Times are Temporal's: the attempt's `started_time` as the server recorded it, never the
worker's clock, so workers whose clocks differ agree on the window (and a time-skipping
test server moves it).
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from typing import Any

from temporalio import activity

from app.contract.actions import Action, ActionInput
from app.contract.failures import FailureType
from app.db.engine import Database
from app.db.models import Account
from app.store.quotas import take_action_slot


def slot_key(workflow_id: str, idempotency_key: str) -> str:
    """One action of one run, whatever its attempt, short enough for its column."""
    return hashlib.sha256(f"{workflow_id}\n{idempotency_key}".encode()).hexdigest()


def server_now() -> datetime:
    """When the server started this attempt."""
    started = activity.info().started_time
    return started if started.tzinfo else started.replace(tzinfo=UTC)


async def wait_for_slot(database: Database, action: ActionInput) -> timedelta:
    """Take (or find) this action's slot; how long until it is due (zero: act now)."""
    if action.account_id is None:
        return timedelta(0)
    async with database.session() as session:
        account = await session.get(Account, action.account_id)
        if (
            account is None
            or account.organization_id != action.organization_id
            or not account.actions_per_window
            or not account.action_window_seconds
        ):
            # No pacing; an unknown account is the action's own failure to report.
            return timedelta(0)
        now = server_now()
        at = await take_action_slot(
            session,
            account_id=account.id,
            key=slot_key(activity.info().workflow_id or "", action.idempotency_key),
            now=now,
            limit=account.actions_per_window,
            window=timedelta(seconds=account.action_window_seconds),
        )
    return max(at - now, timedelta(0))


def last_attempt() -> bool:
    """No retry follows this attempt, so it cannot wait for a slot."""
    info = activity.info()
    policy = info.retry_policy
    return policy is not None and 0 < policy.maximum_attempts <= info.attempt


def paced(action: Action, database: Database) -> Action:
    """`action`, registered under its own name, acting only in its slot of its account's pacing."""
    name = activity._Definition.must_from_callable(action).name

    @activity.defn(name=name)
    async def in_its_slot(input: ActionInput) -> Any:
        wait = await wait_for_slot(database, input)
        if wait > timedelta(0):
            due = server_now() + wait
            message = f"waiting on the account's pacing: its slot is at {due.isoformat()}"
            if last_attempt():
                message = (
                    f"the account's pacing has no free slot before {due.isoformat()} and the "
                    "node has no attempt left to wait for it: give it retry.maximum_attempts "
                    "of 2 or more"
                )
            raise FailureType.QuotaWait.error(message, next_retry_delay=wait)
        return await action(input)

    return in_its_slot
