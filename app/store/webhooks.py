"""Webhook endpoints: one per `trigger.webhook` node of a workflow's latest version."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.db.models import Webhook, WebhookDedupKey, WebhookReceipt, Workflow
from app.db.types import utcnow
from app.errors import ConflictError, NotFoundError
from app.language.plan import Plan

WEBHOOK_TRIGGER = "trigger.webhook"


def webhook_nodes(plan: Plan) -> list[str]:
    return [node_id for node_id in plan.triggers if plan.nodes[node_id].type == WEBHOOK_TRIGGER]


async def sync_webhooks(
    session: AsyncSession, *, organization_id: str, workflow_id: str, plan: Plan
) -> None:
    """Give every webhook node of `plan` an endpoint, keeping the URLs of nodes that stay;
    endpoints of removed nodes go with their secrets. Flushes; the caller commits."""
    wanted = set(webhook_nodes(plan))
    existing = await list_webhooks(
        session, organization_id=organization_id, workflow_id=workflow_id
    )
    for webhook in existing:
        if webhook.node_id not in wanted:
            await session.delete(webhook)
    for node_id in sorted(wanted - {webhook.node_id for webhook in existing}):
        session.add(
            Webhook(organization_id=organization_id, workflow_id=workflow_id, node_id=node_id)
        )
    await session.flush()


async def list_webhooks(
    session: AsyncSession, *, organization_id: str, workflow_id: str
) -> list[Webhook]:
    rows = await session.exec(
        select(Webhook)
        .where(Webhook.organization_id == organization_id, Webhook.workflow_id == workflow_id)
        .order_by(col(Webhook.node_id))
    )
    return list(rows.all())


async def get_webhook(
    session: AsyncSession, *, organization_id: str, workflow_id: str, node_id: str
) -> Webhook:
    webhook = (
        await session.exec(
            select(Webhook).where(
                Webhook.organization_id == organization_id,
                Webhook.workflow_id == workflow_id,
                Webhook.node_id == node_id,
            )
        )
    ).first()
    if webhook is None:
        raise NotFoundError(f"workflow '{workflow_id}' has no webhook trigger '{node_id}'")
    return webhook


async def set_webhook_secret(
    session: AsyncSession,
    *,
    organization_id: str,
    workflow_id: str,
    node_id: str,
    secret_sealed: str | None,
    verify_token_hash: str | None,
) -> Webhook:
    """Replace the webhook's secret and (when given) its verify token."""
    webhook = await get_webhook(
        session, organization_id=organization_id, workflow_id=workflow_id, node_id=node_id
    )
    webhook.secret_sealed = secret_sealed
    if verify_token_hash is not None:
        webhook.verify_token_hash = verify_token_hash
    webhook.updated_at = utcnow()
    session.add(webhook)
    await session.commit()
    return webhook


async def find_delivery_target(
    session: AsyncSession, *, webhook_id: str
) -> tuple[Webhook, Workflow] | None:
    """The webhook and its workflow, for a delivery to its public URL."""
    row = (
        await session.exec(
            select(Webhook, Workflow)
            .join(Workflow, col(Workflow.id) == col(Webhook.workflow_id))
            .where(Webhook.id == webhook_id)
        )
    ).first()
    return (row[0], row[1]) if row else None


_CLAIM_ATTEMPTS = 3
SWEEP_EVERY = timedelta(minutes=1)
"""How often a process deletes a webhook's receipts past their window (at most; a claim that
meets an expired receipt of its own body sweeps at once)."""
_last_sweeps: dict[str, datetime] = {}
_SWEEPS_KEPT = 10_000


def _sweep_due(webhook_id: str, now: datetime, window: timedelta) -> bool:
    last = _last_sweeps.get(webhook_id)
    if last is not None and last <= now < last + min(window, SWEEP_EVERY):
        return False
    if len(_last_sweeps) >= _SWEEPS_KEPT:
        _last_sweeps.clear()
    _last_sweeps[webhook_id] = now
    return True


async def claim_body(
    session: AsyncSession,
    *,
    organization_id: str,
    webhook_id: str,
    digest: str,
    run_id: str,
    now: datetime,
    window: timedelta,
) -> str:
    """The run a received body names: the run of its receipt if that is less than `window`
    old, else `run_id`, whose receipt is recorded now. Concurrent deliveries of one body agree
    on one run (the key is the webhook and the body's digest). Commits.

    A new body costs one insert: the receipt is written first, and only when one of this
    body is there already is it read. Receipts past their window are swept now and then
    (`SWEEP_EVERY`), and at once when the body's own receipt is one of them.

    Raises:
        ConflictError: The same body kept arriving at the same instant (retry).
    """
    sweep = _sweep_due(webhook_id, now, window)
    for _ in range(_CLAIM_ATTEMPTS):
        if sweep:
            # Receipts past the window name nothing any more.
            await session.exec(
                delete(WebhookReceipt).where(
                    col(WebhookReceipt.webhook_id) == webhook_id,
                    col(WebhookReceipt.received_at) <= now - window,
                )
            )
        session.add(
            WebhookReceipt(
                webhook_id=webhook_id, digest=digest, organization_id=organization_id,
                run_id=run_id, received_at=now,
            )
        )  # fmt: skip
        try:
            await session.commit()
        except IntegrityError:
            await session.rollback()  # a receipt of this body is there: which run it names
        else:
            return run_id
        receipt = (
            await session.exec(
                select(WebhookReceipt).where(
                    WebhookReceipt.organization_id == organization_id,
                    WebhookReceipt.webhook_id == webhook_id,
                    WebhookReceipt.digest == digest,
                )
            )
        ).first()
        if receipt is not None and receipt.received_at > now - window:
            await session.commit()
            return receipt.run_id
        sweep = True  # gone meanwhile, or expired: sweep it and claim again
    raise ConflictError("the same body is being delivered many times at once: retry")


async def claim_key(
    session: AsyncSession,
    *,
    organization_id: str,
    webhook_id: str,
    key_digest: str,
    run_id: str,
    now: datetime,
    window: timedelta,
) -> str:
    """The run a delivery's dedup key names: the run of the key's row while it has not
    expired, else `run_id`, whose row is recorded now to expire after `window`. Concurrent
    deliveries with one key, in any API process, agree on one run (the key is the webhook
    and the key's digest, in the database). Commits.

    Raises:
        ConflictError: The same key kept arriving at the same instant (retry).
    """
    sweep = _sweep_due(f"key:{webhook_id}", now, window)
    for _ in range(_CLAIM_ATTEMPTS):
        if sweep:
            await session.exec(
                delete(WebhookDedupKey).where(
                    col(WebhookDedupKey.webhook_id) == webhook_id,
                    col(WebhookDedupKey.expires_at) <= now,
                )
            )
        session.add(
            WebhookDedupKey(
                webhook_id=webhook_id, key_digest=key_digest, organization_id=organization_id,
                run_id=run_id, expires_at=now + window,
            )
        )  # fmt: skip
        try:
            await session.commit()
        except IntegrityError:
            await session.rollback()  # the key is there: which run it names
        else:
            return run_id
        row = (
            await session.exec(
                select(WebhookDedupKey).where(
                    WebhookDedupKey.organization_id == organization_id,
                    WebhookDedupKey.webhook_id == webhook_id,
                    WebhookDedupKey.key_digest == key_digest,
                )
            )
        ).first()
        if row is not None and row.expires_at > now:
            await session.commit()
            return row.run_id
        sweep = True  # gone meanwhile, or expired: sweep it and claim again
    raise ConflictError("deliveries with the same dedup_key keep arriving at once: retry")
