"""Run events delivered to the URLs an organization subscribed (`app.contract.run_events`):
publishing an event starts a delivery workflow per subscription (`publishing`), whose every
attempt signs and POSTs the event and records how it went (`delivery`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from activities.run_events.delivery import RunEventDeliverer
from activities.run_events.publishing import RunEventPublisher
from activities.services import ActionServices


def run_event_activities(services: ActionServices) -> list[Callable[..., Any]]:
    """Registered by every worker (`temporal.worker.build_worker`)."""
    return [RunEventPublisher(services.database).publish, RunEventDeliverer(services).attempt]
