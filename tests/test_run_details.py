"""Counting the retries of running actions into their nodes' attempts
(`app.services.runs.details`)."""

from __future__ import annotations

from temporalio.api.common.v1 import ActivityType
from temporalio.api.workflow.v1 import PendingActivityInfo

from app.services.runs.details import count_retries_under_way
from tests.workflows.harness import compiled, graph, node
from workflows.state import NodeState, RunState

TWO_REQUESTS = compiled(
    graph(
        node("a", "http.request", {"method": "GET", "url": "https://example.com/a"}),
        node("b", "http.request", {"method": "GET", "url": "https://example.com/b"}),
        edges=[("start", "a"), ("start", "b")],
    )
)


def pending(attempt: int) -> PendingActivityInfo:
    return PendingActivityInfo(activity_type=ActivityType(name="http.request"), attempt=attempt)


def running(*node_ids: str) -> RunState:
    return RunState(
        nodes={
            node_id: NodeState(status="running" if node_id in node_ids else "pending", attempts=1)
            for node_id in ("start", "a", "b")
        }
    )


def test_the_retry_of_the_only_running_node_of_its_type_counts_for_it() -> None:
    state = count_retries_under_way(running("a"), TWO_REQUESTS, [pending(3)])
    assert state.nodes["a"].attempts == 3
    assert state.nodes["b"].attempts == 1


def test_a_retry_shared_by_several_running_nodes_of_its_type_counts_for_none() -> None:
    state = count_retries_under_way(running("a", "b"), TWO_REQUESTS, [pending(3)])
    assert [state.nodes[n].attempts for n in ("a", "b")] == [1, 1]
