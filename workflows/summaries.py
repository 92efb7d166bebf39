"""What the Temporal UI shows for a run's activities and child runs: the node's name and id.

A summary is user metadata on the command (`ScheduleActivityTask`, `StartChildWorkflowExecution`):
the server stores it on the event for the UI, and neither the SDK nor the server compares it
when a history is replayed, so adding or changing one needs no `workflow.patched`
(tests/workflows/test_replay.py replays histories recorded without it)."""

from __future__ import annotations

from app.language.plan import PlanNode

SUMMARY_LENGTH = 200
"""The UI shows one line; node names are at most 200 characters already."""


def node_summary(node: PlanNode) -> str:
    """`Post to X (announce)`: the name a person gave the node, then its id."""
    suffix = f" ({node.id})"
    return node.name[: max(SUMMARY_LENGTH - len(suffix), 1)] + suffix
