"""What a polling trigger's poller workflow (`workflows.poll`) and the activity that starts
runs for new items (`app.services.polling`) agree on. A Temporal Schedule per `trigger.poll`
node starts the poller with a `PollInput`; part of recorded histories: fields are only ever
added, with defaults."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict

POLL_WORKFLOW = "FlowPoll"
POLL_RUNS_ACTIVITY = "flowhold.start_polled_runs"


class PollInput(BaseModel):
    """One poll of one `trigger.poll` node, as the version the schedule was made from has it."""

    model_config = ConfigDict(frozen=True)

    organization_id: str
    workflow_id: str
    workflow_version: int
    node_id: str
    source_type: str
    """The source's action node type (`http.request`)."""
    source_activity: str
    """Its registered activity, which the poller calls as the interpreter would."""
    source_parameters: dict[str, Any]
    source_account_id: str | None = None
    source_timeout_seconds: float


class PolledItems(BaseModel):
    """What one poll read and did."""

    model_config = ConfigDict(frozen=True)

    listed: int
    """Items the source listed (at most `MAX_POLL_ITEMS`)."""
    new: int
    """Of those, items never seen before."""
    started: list[str]
    """The runs started for new items, oldest item first (already started ones included)."""
    first_poll: bool = False
    """The first poll, which only remembered the items listed (`start_with: new_items`)."""
    skipped: str | None = None
    """Why nothing was done (the workflow is inactive, or its trigger is gone)."""
