"""What a run takes in, what it reports while it runs, and what it returns."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from app.language.plan import Plan

TriggerKind = Literal["manual", "schedule", "webhook"]
RunStatus = Literal["running", "succeeded", "failed", "cancelled"]
NodeStatus = Literal["pending", "running", "waiting", "succeeded", "failed", "skipped", "cancelled"]

INTERPRETER_WORKFLOW = "FlowRun"
"""The registered name of the interpreter workflow: every run is one of these."""
STATE_QUERY = "state"
EVENT_SIGNAL = "event"
DECIDE_UPDATE = "decide"


class TriggerInput(BaseModel):
    """What fired the run and the payload it brought."""

    model_config = ConfigDict(frozen=True)

    kind: TriggerKind
    node_id: str
    """The trigger node the run starts from."""
    payload: Any = None


class RunMetadata(BaseModel):
    """Who and what a run belongs to; readable from expressions as `run`."""

    model_config = ConfigDict(frozen=True)

    organization_id: str
    workflow_id: str
    workflow_version: int
    plan_hash: str


class RunInput(BaseModel):
    """The single input of the interpreter workflow: the plan travels with the run."""

    model_config = ConfigDict(frozen=True)

    plan: Plan
    trigger: TriggerInput
    metadata: RunMetadata


class EventInput(BaseModel):
    """A named event delivered to the run; `wait_for_event` nodes consume matching ones."""

    name: str = Field(min_length=1, max_length=100)
    payload: Any = None


class DecisionInput(BaseModel):
    """An approver's answer to a waiting `approval` node."""

    node_id: str | None = Field(
        default=None, description="The approval node; may be left out when only one waits."
    )
    approved: bool
    by: str = Field(min_length=1, max_length=200)
    comment: str = Field(default="", max_length=5000)


class NodeError(BaseModel):
    type: str
    message: str
    node_id: str | None = None


class WaitingFor(BaseModel):
    """Something a node is waiting for: an event, a decision, or a moment."""

    node_id: str
    kind: Literal["event", "approval", "delay"]
    event: str | None = None
    until: datetime | None = None


class NodeState(BaseModel):
    status: NodeStatus = "pending"
    attempts: int = 0
    """Times the node ran (per loop iteration, each counts)."""
    started_at: datetime | None = None
    ended_at: datetime | None = None
    output: Any = None
    error: NodeError | None = None


class RunState(BaseModel):
    """The live view of a run, answered by the `state` query and returned at the end."""

    status: RunStatus = "running"
    nodes: dict[str, NodeState] = Field(default_factory=dict)
    variables: dict[str, Any] = Field(default_factory=dict)
    waiting_for: list[WaitingFor] = Field(default_factory=list)
    output: dict[str, Any] | None = None
    """Outputs of the nodes the run ended on (no edge was followed out of them), by id."""
    error: NodeError | None = None
    started_at: datetime | None = None
    ended_at: datetime | None = None
