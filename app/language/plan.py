"""The compiled plan: what a run carries and the interpreter walks.

Plain, versioned data (docs/architecture.md; README, "The workflow language"). The interpreter reads
nothing but this; editing or deleting the stored workflow never changes a plan
already handed to a run. Field meanings stay stable within a `format_version`;
a change of meaning is a new format version that the interpreter learns to read.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

PLAN_FORMAT_VERSION = 1

NodeKind = Literal["trigger", "control", "action"]
OnError = Literal["fail", "continue", "route"]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class RetrySpec(_Frozen):
    """How often and how far apart an action is retried (Temporal's RetryPolicy)."""

    maximum_attempts: int = Field(default=3, ge=1, le=100)
    initial_interval_seconds: float = Field(default=1.0, gt=0, le=86_400)
    backoff_coefficient: float = Field(default=2.0, ge=1, le=100)
    maximum_interval_seconds: float = Field(default=300.0, gt=0, le=86_400)
    non_retryable_error_types: tuple[str, ...] = ()


class PlanNode(_Frozen):
    """One node of the plan, with everything the interpreter needs to run it."""

    id: str
    type: str
    kind: NodeKind
    name: str
    parameters: dict[str, Any] = Field(default_factory=dict)
    """Parameters as the user wrote them; `{{ }}` templates are rendered at run time."""
    expression_fields: tuple[str, ...] = ()
    """Parameter paths holding bare expressions (`cases.*.condition`): evaluated, not rendered."""
    next: dict[str, tuple[str, ...]] = Field(default_factory=dict)
    """Outgoing edges: handle name → target node ids, sorted."""
    incoming: tuple[str, ...] = ()
    """Nodes with an edge into this one (loop back edges excluded), sorted."""
    loop: str | None = None
    """The innermost loop whose body this node is in."""
    activity: str | None = None
    """Registered activity name, for action nodes."""
    account_id: str | None = None
    """The connected account an action uses; the activity reads its secret from the vault."""
    retry: RetrySpec | None = None
    timeout_seconds: float | None = None
    on_error: OnError = "fail"
    disabled: bool = False


_EVERY_PLAN_NODE_FIELD = set(PlanNode.model_fields)


def plan_node(**fields: Any) -> PlanNode:
    """A validated `PlanNode` given every field, as the compiler gives them.

    Each such node's set of given fields is the same: they share one rather than keep a
    set of 15 names each (700 bytes, about half of what a node's plan keeps otherwise). A
    frozen model never adds to it, and `model_copy` copies it before adding.
    """
    node = PlanNode(**fields)
    object.__setattr__(node, "__pydantic_fields_set__", _EVERY_PLAN_NODE_FIELD)
    return node


class Plan(_Frozen):
    """A whole compiled workflow version."""

    format_version: int = PLAN_FORMAT_VERSION
    triggers: tuple[str, ...]
    """Ids of the trigger nodes; a run starts from one of them."""
    nodes: dict[str, PlanNode]
    """Every node by id, in id order."""
    variables: dict[str, Any] = Field(default_factory=dict)
    """Workflow variables and their initial values."""
    timezone: str = "UTC"

    def canonical_json(self) -> bytes:
        """The plan's bytes: the same graph always compiles to the same bytes."""
        return json.dumps(
            self.model_dump(mode="json"), sort_keys=True, separators=(",", ":"), ensure_ascii=False
        ).encode()

    def content_hash(self) -> str:
        return "sha256:" + hashlib.sha256(self.canonical_json()).hexdigest()
