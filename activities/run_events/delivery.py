"""One attempt to deliver a run event: signed (Standard Webhooks), POSTed through the same
guarded connections as `http.request` (private addresses only where the organization or the
installation allows them), and recorded in the delivery log whatever happens.

The subscription is read at each attempt: one deleted or disabled since the event stops its
delivery, and a rotated secret signs the next attempt."""

from __future__ import annotations

import time
from datetime import datetime

import httpx
from temporalio import activity

from activities.network import HTTP_POOL, PERMIT_PRIVATE, AddressNotAllowedError
from activities.retry_delays import retry_after_seconds
from activities.run_events.signing import signature
from activities.services import ActionServices
from activities.transports import Borrowed
from app.contract.run_events import ATTEMPT_ACTIVITY, Attempt, AttemptOutcome
from app.db.types import utcnow
from app.store import event_subscriptions as store
from app.vault.webhook_secrets import binding, from_text

TIMEOUT_SECONDS = 15.0
"""A receiver that has not answered by then has failed this attempt."""
USER_AGENT = "Flowhold-Webhooks/1"


class RunEventDeliverer:
    def __init__(self, services: ActionServices) -> None:
        self._services = services

    @activity.defn(name=ATTEMPT_ACTIVITY)
    async def attempt(self, attempt: Attempt) -> AttemptOutcome:
        delivery = attempt.delivery
        async with self._services.database.session() as session:
            subscription = await store.find_subscription(
                session,
                organization_id=delivery.organization_id,
                subscription_id=delivery.subscription_id,
            )
        if subscription is None or not subscription.enabled:
            return AttemptOutcome(status="stopped")
        secret = str(
            self._services.vault.open(
                from_text(subscription.secret_sealed), binding=binding(subscription.id)
            )["secret"]
        )
        timestamp = int(time.time())
        headers = {
            "content-type": "application/json",
            "user-agent": USER_AGENT,
            "webhook-id": delivery.event_id,
            "webhook-timestamp": str(timestamp),
            "webhook-signature": signature(secret, delivery.event_id, timestamp, delivery.body),
        }
        attempted_at = utcnow()
        began = time.monotonic()
        status_code, error, retry_after = await self._post(
            subscription.url, headers, delivery.body, delivery.organization_id, attempted_at
        )
        delivered = status_code is not None and 200 <= status_code < 300
        outcome = "delivered" if delivered else "gave_up" if attempt.last else "failed"
        async with self._services.database.session() as session:
            await store.record_attempt(
                session,
                store.attempt_row(
                    organization_id=delivery.organization_id,
                    subscription_id=delivery.subscription_id,
                    event_id=delivery.event_id,
                    event_type=delivery.event_type,
                    run_id=delivery.run_id,
                    attempt=attempt.number,
                    outcome=outcome,
                    status_code=status_code,
                    error=error,
                    duration_ms=int((time.monotonic() - began) * 1000),
                    attempted_at=attempted_at,
                ),
            )
        return AttemptOutcome(
            status="delivered" if delivered else "failed", retry_after_seconds=retry_after
        )

    async def _post(
        self, url: str, headers: dict[str, str], body: str, organization_id: str, now: datetime
    ) -> tuple[int | None, str | None, float | None]:
        """The answer's status, what went wrong (None when it was a 2xx), and the
        receiver's Retry-After in seconds."""
        permitted = self._services.private_networks_allowed

        async def permit() -> bool:
            return await permitted(organization_id)

        try:
            async with (
                httpx.AsyncClient(
                    transport=Borrowed(self._services.transports.get(HTTP_POOL)),
                    timeout=TIMEOUT_SECONDS,
                    follow_redirects=False,
                    trust_env=False,
                ) as client,
                client.stream(
                    "POST",
                    url,
                    content=body.encode(),
                    headers=headers,
                    extensions={PERMIT_PRIVATE: permit},
                ) as response,
            ):
                status = response.status_code
                if 200 <= status < 300:
                    return status, None, None
                wait = retry_after_seconds(response.headers.get("retry-after"), now)
                return status, f"the receiver answered {status}", wait
        except AddressNotAllowedError as refused:
            return None, f"{refused.message}: this organization may not call private networks", None
        except httpx.TimeoutException:
            return None, f"no answer within {TIMEOUT_SECONDS:.0f} s", None
        except httpx.HTTPError as failed:
            return None, f"{type(failed).__name__}: {failed}"[:500], None
