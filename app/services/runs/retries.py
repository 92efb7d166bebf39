"""Why a running action is not done yet: the retry Temporal is on, read from the run's
description (its pending activities), never kept in the run's state.

The interpreter learns of an action's attempts only once the action ends, and retries leave no
event in the history while they last; Temporal's description knows each pending activity's
attempt, the last failure, and when the next attempt is due. A platform's rate limit is one
of those failures (`RATE_LIMIT_TYPES`), retried after the wait the platform asked for
(`next_retry_delay`), so a node waiting out a rate limit is a pending activity whose last
failure is a rate limit and whose next attempt is when the window resets. An action
waiting for a slot of its account's pacing (`activities.pacing`) is one too: its last
failure is a `QuotaWait`, and its next attempt is its slot (`waiting_for: quota`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Literal

from google.protobuf.timestamp_pb2 import Timestamp
from pydantic import BaseModel
from temporalio.api.enums.v1 import PendingActivityState
from temporalio.api.failure.v1 import Failure
from temporalio.api.workflow.v1 import PendingActivityInfo

from app.contract.failures import QUOTA_WAIT_TYPES, RATE_LIMIT_TYPES
from app.language.plan import Plan
from workflows.state import NodeError, NodeState, RunState

RetryWait = Literal["rate_limit", "quota", "backoff"]


class NodeRetry(BaseModel):
    """The retry a running action is on."""

    attempt: int
    """The attempt under way, or the next one while it waits."""
    running: bool
    """An attempt is under way now (False: waiting for the next one)."""
    last_error: NodeError | None = None
    """Why the attempt before failed."""
    last_attempt_ended_at: datetime | None = None
    next_attempt_at: datetime | None = None
    """When the next attempt starts, while it waits for it."""
    waiting_for: RetryWait | None = None
    """While it waits: `rate_limit` (the platform's rate limit, until `next_attempt_at`),
    `quota` (its account's pacing: a slot at `next_attempt_at`, acting then) or `backoff`
    (the node's retry policy)."""


class LiveNodeState(NodeState):
    """A node's state with what Temporal says of the action under way: never recorded in a
    history, only added by the API's readers."""

    retry: NodeRetry | None = None


def retrying(pending: Iterable[PendingActivityInfo]) -> list[PendingActivityInfo]:
    """The pending activities that are past their first attempt or failed one."""
    return [info for info in pending if info.attempt > 1 or info.HasField("last_failure")]


def owners_by_type(
    state: RunState, plan: Plan, pending: Sequence[PendingActivityInfo]
) -> dict[str, str]:
    """The running node each pending activity belongs to, by activity id, where its type is
    that of one running node only (the others need the history: `ambiguous`)."""
    running: dict[str, list[str]] = {}
    for node_id, node in plan.nodes.items():
        node_state = state.nodes.get(node_id)
        if node.activity and node_state is not None and node_state.status == "running":
            running.setdefault(node.activity, []).append(node_id)
    owners: dict[str, str] = {}
    for info in pending:
        candidates = running.get(info.activity_type.name, [])
        if len(candidates) == 1:
            owners[info.activity_id] = candidates[0]
    return owners


def with_retries(
    state: RunState, pending: Sequence[PendingActivityInfo], owners: Mapping[str, str]
) -> RunState:
    """`state` with each pending activity's earlier attempts counted in its node's, and the
    retry it is on shown on the node. Activities whose node is unknown change nothing."""
    extra: dict[str, int] = {}
    retries: dict[str, NodeRetry] = {}
    for info in pending:
        node_id = owners.get(info.activity_id)
        if node_id is None or node_id not in state.nodes:
            continue
        extra[node_id] = extra.get(node_id, 0) + max(info.attempt, 1) - 1
        retry = retry_of(info)
        # A node in a loop may have several: the one furthest along says the most.
        if node_id not in retries or retry.attempt > retries[node_id].attempt:
            retries[node_id] = retry
    if not retries:
        return state
    nodes: dict[str, NodeState] = {
        node_id: LiveNodeState(
            **node.model_dump(exclude={"attempts"}),
            attempts=node.attempts + extra[node_id],
            retry=retries[node_id],
        )
        if node_id in retries
        else node
        for node_id, node in state.nodes.items()
    }
    return state.model_copy(update={"nodes": nodes})


def retry_of(info: PendingActivityInfo) -> NodeRetry:
    last_error = failure_error(info.last_failure) if info.HasField("last_failure") else None
    running = info.state in (
        PendingActivityState.PENDING_ACTIVITY_STATE_STARTED,
        PendingActivityState.PENDING_ACTIVITY_STATE_CANCEL_REQUESTED,
    )
    next_at = None if running else timestamp(info.next_attempt_schedule_time)
    wait: RetryWait | None = None
    if next_at is not None and last_error is not None:
        if last_error.type in QUOTA_WAIT_TYPES:
            wait = "quota"
        elif last_error.type in RATE_LIMIT_TYPES:
            wait = "rate_limit"
        else:
            wait = "backoff"
    return NodeRetry(
        attempt=max(info.attempt, 1),
        running=running,
        last_error=last_error,
        last_attempt_ended_at=timestamp(info.last_attempt_complete_time),
        next_attempt_at=next_at,
        waiting_for=wait,
    )


def failure_error(failure: Failure) -> NodeError:
    """A failure Temporal recorded of an activity, as a node's error."""
    if failure.HasField("application_failure_info") and failure.application_failure_info.type:
        kind = failure.application_failure_info.type
    elif failure.HasField("timeout_failure_info"):
        kind = "TimeoutError"
    elif failure.HasField("canceled_failure_info"):
        kind = "CancelledError"
    else:
        kind = "ActivityError"
    return NodeError(type=kind, message=failure.message)


def timestamp(stamp: Timestamp) -> datetime | None:
    """A protobuf time, None when unset."""
    if not stamp.seconds and not stamp.nanos:
        return None
    return stamp.ToDatetime(tzinfo=UTC)
