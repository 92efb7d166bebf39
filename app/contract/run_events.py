"""Run events an organization may subscribe URLs to: what the interpreter publishes, what a
delivery workflow carries, and how a delivery is identified. The interpreter sends a
`RunEvent` to `PUBLISH_ACTIVITY` (`activities.run_events.publishing`), which starts one
`DELIVERY_WORKFLOW` (`workflows.run_event_delivery`) per matching subscription. Part of
recorded histories: fields are only ever added, with defaults."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from typing import Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field

RunEventType = Literal["run.failed", "run.succeeded", "run.waiting_for_approval"]
RUN_EVENT_TYPES: tuple[str, ...] = get_args(RunEventType)

PUBLISH_ACTIVITY = "flowhold.publish_run_event"
DELIVERY_WORKFLOW = "flowhold.RunEventDelivery"
ATTEMPT_ACTIVITY = "flowhold.attempt_run_event_delivery"

DELIVERY_DELAYS: tuple[timedelta, ...] = (
    timedelta(seconds=5),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=5),
    timedelta(hours=10),
)
"""The waits between attempts (Standard Webhooks' suggested schedule): seven attempts over
about 18 hours, then the delivery gives up."""
MAX_RETRY_AFTER = timedelta(hours=12)
"""A receiver's `Retry-After` is honoured up to this; a longer one waits this long."""
MAX_ERROR_MESSAGE = 2000
"""A failed node's error message is cut to this many characters in a payload."""


def event_id(run_id: str, event_type: str, node_id: str | None = None) -> str:
    """The same event of the same run (and approval node) always has the same id: it is the
    `webhook-id` receivers deduplicate by, and part of each delivery's workflow id."""
    digest = hashlib.sha256(f"{run_id}\n{event_type}\n{node_id or ''}".encode()).hexdigest()
    return f"evt_{digest[:32]}"


def delivery_workflow_id(event: str, subscription_id: str) -> str:
    """One delivery per event and subscription, however often the event is published."""
    return f"{event}~{subscription_id}"


class RunEventError(BaseModel):
    model_config = ConfigDict(frozen=True)

    type: str
    message: str


class RunEvent(BaseModel):
    """A run failed, succeeded or started waiting for an approval."""

    model_config = ConfigDict(frozen=True)

    type: RunEventType
    organization_id: str
    run_id: str
    workflow_id: str
    workflow_version: int
    status: str
    at: datetime
    node_id: str | None = None
    """The failed node (run.failed) or the approval node (run.waiting_for_approval)."""
    error: RunEventError | None = None

    @property
    def id(self) -> str:
        return event_id(self.run_id, self.type, self.node_id)

    def payload(self, workflow_name: str | None) -> dict[str, Any]:
        """The body subscribers receive: no run input or output, bounded in size."""
        data: dict[str, Any] = {
            "run_id": self.run_id,
            "workflow_id": self.workflow_id,
            "workflow_name": workflow_name,
            "workflow_version": self.workflow_version,
            "status": self.status,
        }
        if self.type == "run.failed":
            data["node_id"] = self.node_id
            data["error"] = (
                {"type": self.error.type, "message": self.error.message[:MAX_ERROR_MESSAGE]}
                if self.error
                else None
            )
        elif self.type == "run.waiting_for_approval":
            data["approval_node_id"] = self.node_id
        return {"type": self.type, "id": self.id, "timestamp": self.at.isoformat(), "data": data}


class Delivery(BaseModel):
    """One event to one subscription: the body is fixed when the event is published, so
    every attempt sends the same bytes under the same `webhook-id`."""

    model_config = ConfigDict(frozen=True)

    organization_id: str
    subscription_id: str
    event_id: str
    event_type: str
    run_id: str
    body: str


class Attempt(BaseModel):
    model_config = ConfigDict(frozen=True)

    delivery: Delivery
    number: int = Field(ge=1)
    last: bool = False
    """No attempt follows this one: the log records a failure as the delivery given up."""


class AttemptOutcome(BaseModel):
    model_config = ConfigDict(frozen=True)

    status: Literal["delivered", "failed", "stopped"]
    """`stopped`: nothing more to try (the subscription was deleted or disabled)."""
    retry_after_seconds: float | None = None
    """The receiver's `Retry-After`, when it failed and named one."""
