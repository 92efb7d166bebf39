"""What a run takes in, what it reports while it runs, and what it returns."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from app.contract.payload_limits import MAX_RUN_STATE_BYTES
from app.language.plan import Plan

TriggerKind = Literal["manual", "schedule", "webhook", "poll"]
"""What starts a run from outside."""
SUB_WORKFLOW_TRIGGER: Literal["sub_workflow"] = "sub_workflow"
"""The trigger kind of a child run, started by its parent's `sub_workflow` node."""
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

    kind: TriggerKind | Literal["sub_workflow"]
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


class EventInput(BaseModel):
    """A named event delivered to the run; `wait_for_event` nodes consume matching ones."""

    name: str = Field(min_length=1, max_length=100)
    payload: Any = None


def expected_events(plan: Plan) -> frozenset[str]:
    """The event names a run of `plan` takes: those its `wait_for_event` nodes wait for."""
    return frozenset(
        str(node.parameters.get("event"))
        for node in plan.nodes.values()
        if node.type == "wait_for_event" and not node.disabled
    )


APPROVER_REFUSED = "ApproverRefused"
"""The error type of a decision refused for who made it (the API answers 403), as opposed to
one that answers nothing waiting (409)."""


class DecisionInput(BaseModel):
    """An approver's answer to a waiting `approval` node."""

    node_id: str | None = Field(
        default=None, description="The approval node; may be left out when only one waits."
    )
    approved: bool
    by: str = Field(min_length=1, max_length=320)
    comment: str = Field(default="", max_length=5000)
    verified: bool = False
    """Whether the API established `by`: a key bound to that person, or that person's
    approval link. False: `by` is what a key bound to no one said (and decisions recorded
    before identities were kept)."""
    via: Literal["key", "link"] | None = None
    """How the decision came: with an API key, or with an approval link. None in decisions
    recorded before identities were kept, whose output stays as it was."""
    key_id: str | None = None
    """The API key that decided, or that minted the link."""
    link_id: str | None = None
    """The approval link used, when `via` is `link`."""


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
    """When the wait ends at the latest: a delay's moment, an event's or approval's timeout."""
    approvers: list[str] | None = None
    """Who may decide an approval, rendered when it started (empty: anyone). None for an
    approval parked by a run from before approvers were rendered."""


class NodeState(BaseModel):
    status: NodeStatus = "pending"
    attempts: int = 0
    """Times the node's work was tried: each time it ran (per loop iteration, each counts),
    and each Temporal retry of an action's activity, once that action has ended (runs
    recorded before actions reported their attempt count one per run). The API adds the
    retries of an action still running (`app.services.runs.details`)."""
    started_at: datetime | None = None
    ended_at: datetime | None = None
    output: Any = None
    error: NodeError | None = None


class DroppedEvents(BaseModel):
    """Events the run let go of before any wait took them, over its whole chain of runs."""

    unexpected: int = 0
    """Named for no `wait_for_event` node of the plan: nothing would ever take them."""
    overflow: int = 0
    """The oldest events not taken yet, dropped to keep within `RunLimits`' buffer bounds."""


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
    dropped_events: DroppedEvents = Field(default_factory=DroppedEvents)
    state_unavailable: str | None = None
    """Set (to why) when the API could not read the live state of a running run: the status
    comes from Temporal, and nodes, variables and waits are left empty."""


# -- continuing as new ---------------------------------------------------------------------


class LoopResults(BaseModel):
    """A loop's results so far, kept no larger than one node's output may be."""

    kept: dict[int, Any] = Field(default_factory=dict)
    """Results by item index, until they grow past the limit."""
    size_bytes: int = 0
    """JSON size of every result finished so far, kept or not."""
    truncated: bool = False
    preview: str = ""
    """The start of the kept results' JSON, once they were dropped."""


class LoopSnapshot(BaseModel):
    """A loop between two iterations: what is left to do and what is done."""

    count: int
    next_index: int
    remaining: list[Any]
    """Items not started yet; the first is item `next_index`."""
    results: LoopResults
    running: dict[int, ScopeSnapshot] = Field(default_factory=dict)
    """Iterations under way, each parked in a wait."""
    resume_at: datetime | None = None
    """A loop with `until` between two iterations: when its delay ends. Such a loop keeps
    its iteration bound in `count`, the iterations started in `next_index` and the last
    result, the next iteration's `item`, as the one element of `remaining`."""


class Parked(BaseModel):
    """A node that was under way when the run continued as new, and how to pick it up."""

    wait: WaitingFor | None = None
    loop: LoopSnapshot | None = None


class ScopeSnapshot(BaseModel):
    """Where the tokens of a scope (the run, or one loop iteration) stood."""

    outputs: dict[str, Any] = Field(default_factory=dict)
    edges: list[tuple[str, str, str, bool]] = Field(default_factory=list)
    """Decided edges: (source, handle, target, fired)."""
    decided: list[str] = Field(default_factory=list)
    followed: list[str] = Field(default_factory=list)
    ready: list[str] = Field(default_factory=list)
    """Nodes reached but not started yet."""
    parked: dict[str, Parked] = Field(default_factory=dict)
    item: Any = None
    index: int | None = None
    """The loop item and its index, for a loop iteration."""
    reused: dict[str, str | None] | None = None
    """Set in a rerun from a failed run: the nodes of this scope that ended there, each with
    the handle it left through. The scope walks the plan from its start again, passing each
    of them with its kept output (`outputs`) instead of running it, so what it decides
    follows the plan the rerun carries; `edges`, `decided`, `followed` and `ready` are
    unused. `parked` holds the loops that were part done."""


class Continuation(BaseModel):
    """Everything a run hands to its next run when it continues as new."""

    state: RunState
    scope: ScopeSnapshot
    events: list[EventInput] = Field(default_factory=list)
    """Events delivered and not consumed yet."""
    decisions: dict[str, DecisionInput] = Field(default_factory=dict)
    last_error: NodeError | None = None
    runs: int = 1
    """How many runs of this chain came before the next one."""


class RunLimits(BaseModel):
    """When a run continues as new to keep its history bounded (docs/architecture.md,
    invariant 7)."""

    model_config = ConfigDict(frozen=True)

    history_events: int = Field(default=10_000, ge=1)
    """Continue as new past this many events, or sooner when the server suggests it (by
    default at 4Ki events or 4 MiB). Temporal warns at 10Ki events and fails a run at 50Ki."""
    history_bytes: int = Field(default=10 * 1024 * 1024, ge=1)
    """...or past this many bytes of history (Temporal fails a run at 50 MiB)."""
    buffered_events: int = Field(default=1_000, ge=1)
    """Events delivered and not taken by a wait yet that a run keeps; past this, and past
    `buffered_event_bytes`, the oldest are dropped (they travel into the next run's input)."""
    buffered_event_bytes: int = Field(default=256 * 1024, ge=1)
    """The JSON size those events may take together."""
    state_bytes: int = Field(default=MAX_RUN_STATE_BYTES, ge=0)
    """The most the run's kept values (node outputs, variables, loop items and results) may
    take, as JSON; less when the run's input leaves less room (`workflows.state_budget`)."""


class RunInput(BaseModel):
    """The single input of the interpreter workflow: the plan travels with the run."""

    model_config = ConfigDict(frozen=True)

    plan: Plan
    trigger: TriggerInput
    metadata: RunMetadata
    workflows: dict[str, Plan] = Field(default_factory=dict)
    """Every plan this run's `sub_workflow` nodes may start, and their children's, by
    `wf_...@version` (`app.language.calls.plan_key`), so a run never reads the database."""
    depth: int = Field(default=0, ge=0)
    """How many parent runs this run has (0: started by a trigger)."""
    limits: RunLimits = Field(default_factory=RunLimits)
    resume: Continuation | None = None
    """Where the previous run of this chain stopped, when it continued as new."""
    error_workflow_id: str | None = None
    """The workflow started with this run's details should it fail (its workflow's error
    workflow when it started; `app.contract.failed_runs`)."""
    run_events: bool = False
    """Publish this run's events (failed, succeeded, waiting for an approval) to the
    organization's subscriptions (`app.contract.run_events`). Set where a run starts when a
    subscription listens (`app.services.runs.starting.listened_to`), and on every run of a
    schedule or a poll; child runs and runs started before subscriptions existed publish none."""
    admit_by_quota: bool = False
    """Ask the organization's run quotas before the first node (`app.contract.run_admission`)
    and fail with `QuotaExceeded` if they refuse. Set on runs a schedule fires, which never
    pass through the API that checks every other start; runs recorded before ask nothing."""
