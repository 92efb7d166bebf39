"""What `GET /runs/{id}/nodes/{node_id}` answers: one node of a run in detail."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from app.api.run_schemas import NodeError, NodeRetry, NodeStatus


class _Answer(BaseModel):
    # Filled from the run service's answers, which are objects, not dicts.
    model_config = ConfigDict(from_attributes=True)


class NodeAttemptPublic(_Answer):
    """One attempt of an action's work (Temporal's retries of its activity)."""

    attempt: int = Field(description="1 for the first try; counted anew each time the node runs.")
    outcome: Literal["running", "succeeded", "failed", "timed_out", "cancelled"]
    started_at: datetime | None = None
    ended_at: datetime | None = None
    error: NodeError | None = Field(
        default=None,
        description="Why it failed. Temporal keeps the failures of the last two attempts "
        "only: an earlier attempt shows `failed` with no error.",
    )


class NodeDetailPublic(_Answer):
    node_id: str
    status: NodeStatus
    attempts_count: int = Field(description="As `attempts` in the run's state.")
    started_at: datetime | None = None
    ended_at: datetime | None = None
    input: dict[str, Any] | None = Field(
        default=None,
        description="An action's parameters as rendered for this run (the last time it ran), "
        "as its activity received them: accounts go by id, never a secret. Null for control "
        "nodes and triggers, whose parameters the run renders without recording them.",
    )
    output: Any = None
    error: NodeError | None = None
    retry: NodeRetry | None = Field(
        default=None, description="As `retry` in the run's state: the retry under way."
    )
    attempts: list[NodeAttemptPublic] = Field(
        default_factory=list,
        description="Each attempt of an action, every time it ran (a node in a loop's body "
        "runs once per item); empty for control nodes and triggers.",
    )
