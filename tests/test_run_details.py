"""Counting the retries of running actions into their nodes' attempts, and showing the retry
each is on (`app.services.runs.retries`)."""

from __future__ import annotations

from google.protobuf.timestamp_pb2 import Timestamp
from temporalio.api.common.v1 import ActivityType
from temporalio.api.enums.v1 import PendingActivityState
from temporalio.api.failure.v1 import ApplicationFailureInfo, Failure
from temporalio.api.workflow.v1 import PendingActivityInfo

from app.services.runs.retries import LiveNodeState, owners_by_type, with_retries
from tests.workflows.harness import compiled, graph, node
from workflows.state import NodeState, RunState

TWO_REQUESTS = compiled(
    graph(
        node("a", "http.request", {"method": "GET", "url": "https://example.com/a"}),
        node("b", "http.request", {"method": "GET", "url": "https://example.com/b"}),
        edges=[("start", "a"), ("start", "b")],
    )
)


def pending(attempt: int, failed_with: str | None = None) -> PendingActivityInfo:
    info = PendingActivityInfo(
        activity_id="7",
        activity_type=ActivityType(name="http.request"),
        attempt=attempt,
        state=PendingActivityState.PENDING_ACTIVITY_STATE_SCHEDULED,
        next_attempt_schedule_time=Timestamp(seconds=2_000_000_000),
    )
    if failed_with:
        info.last_failure.CopyFrom(
            Failure(
                message="no",
                application_failure_info=ApplicationFailureInfo(type=failed_with),
            )
        )
    return info


def running(*node_ids: str) -> RunState:
    return RunState(
        nodes={
            node_id: NodeState(status="running" if node_id in node_ids else "pending", attempts=1)
            for node_id in ("start", "a", "b")
        }
    )


def test_the_retry_of_the_only_running_node_of_its_type_counts_for_it() -> None:
    state = running("a")
    retries = [pending(3, "HTTP429")]
    shown = with_retries(state, retries, owners_by_type(state, TWO_REQUESTS, retries))
    assert shown.nodes["a"].attempts == 3
    assert shown.nodes["b"].attempts == 1
    a = shown.nodes["a"]
    assert isinstance(a, LiveNodeState)
    assert a.retry is not None
    assert a.retry.waiting_for == "rate_limit"
    assert a.retry.last_error is not None
    assert a.retry.last_error.type == "HTTP429"


def test_a_retry_after_another_failure_waits_for_its_backoff() -> None:
    shown = with_retries(running("a"), [pending(2, "HTTP503")], {"7": "a"})
    a = shown.nodes["a"]
    assert isinstance(a, LiveNodeState)
    assert a.retry is not None
    assert a.retry.waiting_for == "backoff"
    assert not a.retry.running


def test_a_retry_shared_by_several_running_nodes_of_its_type_is_nobody_s_by_type() -> None:
    state = running("a", "b")
    assert owners_by_type(state, TWO_REQUESTS, [pending(3)]) == {}
    shown = with_retries(state, [pending(3)], {})
    assert [shown.nodes[n].attempts for n in ("a", "b")] == [1, 1]
