"""Where an event goes when the wait for it is inside a sub-workflow.

A `sub_workflow` node runs a child run: a run of its own, with its own id
(`<parent>~<node>~<iteration>`), its own waits and its own events. The parent does not
forward events to its children (which child, and which of its iterations, would be a guess;
an event is taken by one wait only), so an event for a child's wait is sent to the child's
id. When one is sent to the parent instead, the API says which child run listens for it.
"""

from __future__ import annotations

from collections.abc import Mapping

from app.errors import ErrorDetail
from app.language.calls import MAX_SUB_WORKFLOW_DEPTH, calls, pinned_key
from app.language.plan import Plan
from workflows.state import RunInput, expected_events

ITERATION = "<iteration>"
"""Stands for the loop iteration path in a child's id (`2-0`), which the plan cannot know."""


def child_listeners(run_id: str, run: RunInput, event: str) -> list[ErrorDetail]:
    """One detail per `sub_workflow` node of the run whose child run (or a run it starts in
    turn) listens for `event`, naming the run id to send the event to."""
    details = []
    for node_id, child_id in _listening_children(run_id, run.plan, run.workflows, event, 0):
        details.append(
            ErrorDetail(
                message=f"the run does not forward events to its sub-workflows: the child run "
                f"that node '{node_id}' starts listens for '{event}'; send it to "
                f"POST /runs/{child_id}/events",
                path=("body", "name"),
                node_id=node_id,
                code="event_for_child_run",
            )
        )
    return details


def _listening_children(
    run_id: str, plan: Plan, carried: Mapping[str, Plan], event: str, depth: int
) -> list[tuple[str, str]]:
    """(node id in `plan`, run id to send to) for each call leading to a wait for `event`."""
    if depth >= MAX_SUB_WORKFLOW_DEPTH:
        return []
    found = []
    for call in calls(plan):
        key = pinned_key(call)
        child = carried.get(key) if key is not None else None
        if child is None:
            continue
        iteration = "0" if plan.nodes[call.node_id].loop is None else ITERATION
        child_id = f"{run_id}~{call.node_id}~{iteration}"
        if event in expected_events(child):
            found.append((call.node_id, child_id))
            continue
        deeper = _listening_children(child_id, child, carried, event, depth + 1)
        found.extend((call.node_id, grandchild) for _, grandchild in deeper)
    return found
