"""Deduplicating webhook deliveries that carry no delivery id: by their signature, in a window."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from app.services.webhook_delivery import signature_run_ids

WINDOW = timedelta(hours=1)
NOON = datetime(2025, 5, 1, 12, 0, tzinfo=UTC)


def ids(now: datetime, digest: str = "ab" * 32) -> tuple[str, str]:
    return signature_run_ids(
        organization_id="org_1", webhook_id="wh_1", digest=digest, now=now, window=WINDOW
    )


def test_the_same_signature_within_one_window_names_the_same_run() -> None:
    assert ids(NOON) == ids(NOON + timedelta(minutes=59))


def test_the_next_window_also_looks_at_the_previous_one() -> None:
    current, _ = ids(NOON)
    later_current, later_previous = ids(NOON + WINDOW)
    assert later_previous == current
    assert later_current != current


def test_another_signature_or_another_webhook_names_another_run() -> None:
    assert ids(NOON)[0] != ids(NOON, digest="cd" * 32)[0]
    other_hook = signature_run_ids(
        organization_id="org_1", webhook_id="wh_2", digest="ab" * 32, now=NOON, window=WINDOW
    )
    assert other_hook[0] != ids(NOON)[0]
