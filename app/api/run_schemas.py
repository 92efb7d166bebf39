"""What the runs API accepts and returns: the HTTP contract of runs.

The interpreter has models of the same names (`workflows.state`), which are part of every
recorded history; these are the API's own, mapped from the run service's answers
(`app.services.runs`), so that the replay contract and the HTTP contract change apart. The
names are those the OpenAPI document has always given them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from app.api.schemas import MAX_VERSION
from app.services.runs import RunStatus

NodeStatus = Literal["pending", "running", "waiting", "succeeded", "failed", "skipped", "cancelled"]


class _Answer(BaseModel):
    # Filled from the service's answers, which are objects, not dicts.
    model_config = ConfigDict(from_attributes=True)


class RunCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"input": {"name": "Ada"}}]}
    )

    input: Any = Field(
        default=None,
        description="The trigger payload, readable as `trigger`; checked against the manual "
        "trigger's `input_schema` when it has one.",
    )
    version: int | None = Field(
        default=None, ge=1, le=MAX_VERSION, description="Defaults to the latest version."
    )


class RunRerun(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"from": "failed_step", "version": "latest", "input": {"name": "Ada"}}]
        },
    )

    start_from: Literal["start", "failed_step"] = Field(
        default="start",
        alias="from",
        description="`start`: run everything again. `failed_step`: keep the nodes the failed "
        "run finished (their outputs; their side effects are not repeated) and the "
        "iterations its loops finished, and run the failed nodes and what follows them.",
    )
    version: Literal["same", "latest"] = Field(
        default="same",
        description="`same`: the run's own version. `latest`: the workflow's latest version; "
        "from the failed step, a 409 lists the kept nodes it no longer has (removed, renamed, "
        "of another type, moved into or out of a loop).",
    )
    input: Any = Field(
        default=None,
        description="A corrected trigger payload (checked against a manual trigger's "
        "`input_schema`); left out, the run's original input.",
    )


class RunCreated(BaseModel):
    id: str
    workflow_id: str
    version: int
    created: bool = Field(
        default=True,
        description="False when an Idempotency-Key named a run started before: that run.",
    )


class NodeError(_Answer):
    type: str
    message: str
    node_id: str | None = None


class WaitingFor(_Answer):
    """Something a node is waiting for: an event, a decision, or a moment."""

    node_id: str
    kind: Literal["event", "approval", "delay"]
    event: str | None = None
    until: datetime | None = None
    approvers: list[str] | None = None


class NodeRetry(_Answer):
    """The retry a running action is on, as Temporal reports it (shown only while it lasts)."""

    attempt: int = Field(description="The attempt under way, or the next one while it waits.")
    running: bool = Field(description="An attempt is under way (false: waiting for the next).")
    last_error: NodeError | None = Field(default=None, description="Why the last attempt failed.")
    last_attempt_ended_at: datetime | None = None
    next_attempt_at: datetime | None = Field(
        default=None, description="While it waits: when the next attempt starts."
    )
    waiting_for: Literal["rate_limit", "quota", "backoff"] | None = Field(
        default=None,
        description="While it waits: `rate_limit` (the platform's rate limit is spent until "
        "`next_attempt_at`), `quota` (waiting on its account's pacing: it acts at "
        "`next_attempt_at`) or `backoff` (the node's retry policy).",
    )


class NodeState(_Answer):
    status: NodeStatus = "pending"
    attempts: int = 0
    started_at: datetime | None = None
    ended_at: datetime | None = None
    output: Any = None
    error: NodeError | None = None
    retry: NodeRetry | None = Field(
        default=None,
        description="While an action is retried: its attempt, last error and next attempt.",
    )


class DroppedEvents(_Answer):
    """Events the run let go of before any wait took them, over its whole chain of runs."""

    unexpected: int = 0
    overflow: int = 0


class RunStatePublic(_Answer):
    """A run's state: what `GET /runs/{id}` answers, and each `state` event of its stream."""

    status: RunStatus = Field(
        default=RunStatus.RUNNING,
        description="`running` until the run ends; then `succeeded`, `failed`, `cancelled` "
        "(asked to stop), `terminated` (stopped at once) or `timed_out` (over its time limit).",
    )
    nodes: dict[str, NodeState] = Field(default_factory=dict)
    variables: dict[str, Any] = Field(default_factory=dict)
    waiting_for: list[WaitingFor] = Field(default_factory=list)
    output: dict[str, Any] | None = None
    error: NodeError | None = None
    started_at: datetime | None = None
    ended_at: datetime | None = None
    dropped_events: DroppedEvents = Field(default_factory=DroppedEvents)
    state_unavailable: str | None = None


class RunPublic(RunStatePublic):
    id: str
    workflow_id: str | None = None
    workflow_version: int | None = None
    trigger: str | None = Field(
        default=None,
        description="`manual`, `schedule` or `webhook`; `sub_workflow` for a child run.",
    )
    rerun_of: str | None = Field(default=None, description="The run this one re-runs.")
    reused_nodes: list[str] | None = Field(
        default=None,
        description="For a rerun from the failed step: the nodes it kept from `rerun_of` "
        "(their outputs, without running them again).",
    )
    input: Any = Field(
        default=None,
        description="The trigger payload the run started with (readable as `trigger`), as "
        "`/rerun` starts it again: the manual input, a webhook's delivery, a schedule's time, "
        "a parent's `sub_workflow` input.",
    )


class RunSummaryPublic(_Answer):
    id: str
    workflow_id: str | None
    workflow_version: int | None
    trigger: str | None
    status: RunStatus
    started_at: datetime
    ended_at: datetime | None


class RunsPublic(BaseModel):
    data: list[RunSummaryPublic]
    count: int = Field(description="How many runs match, on every page.")
    next_page_token: str | None = Field(
        description="Pass as `page_token` for the next page; null on the last page."
    )


class EventInput(BaseModel):
    """A named event delivered to the run; `wait_for_event` nodes consume matching ones."""

    name: str = Field(min_length=1, max_length=100)
    payload: Any = None


class DecisionInput(BaseModel):
    """An approver's answer to a waiting `approval` node. Who decided is not the caller's to
    say: it is the person the API key belongs to (`by` may repeat it, nothing else)."""

    # Who decided and how are recorded by the API alone: a body cannot carry them.
    model_config = ConfigDict(extra="forbid")

    node_id: str | None = Field(
        default=None, description="The approval node; may be left out when only one waits."
    )
    approved: bool
    by: str | None = Field(
        default=None,
        min_length=1,
        max_length=320,
        description="Leave out with a key bound to a person: it decides as that person (a "
        "different `by` is a 403). Required with a key bound to no one: recorded as said, "
        "`verified: false`, and refused by approvals that name their approvers.",
    )
    comment: str = Field(default="", max_length=5000)


class DecisionPublic(BaseModel):
    run_id: str
    node_id: str = Field(description="The approval node that was decided.")


class RunTerminate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(default="", max_length=500, examples=["posted by mistake"])


class RunAccepted(BaseModel):
    run_id: str
    action: Literal["event", "cancel", "terminate"]
