"""A loop's results: kept in full while they fit in one node's output, else a preview."""

from __future__ import annotations

from typing import Any

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from workflows.bounded import MAX_OUTPUT_BYTES, PREVIEW_CHARACTERS, as_json
    from workflows.state import LoopResults

_RESULTS_BUDGET = MAX_OUTPUT_BYTES - 64
"""Results kept in full while their JSON fits in one node's output with the count beside."""
RESULTS_ROOM = MAX_OUTPUT_BYTES + 2 * PREVIEW_CHARACTERS
"""What a loop's results may take in the run's state while it runs (`record`)."""


def record(results: LoopResults, index: int, value: Any) -> None:
    """Add one iteration's result; past the budget, keep only a preview and the size."""
    results.size_bytes += len(as_json(value).encode()) + 1
    if results.truncated:
        return
    results.kept[index] = value
    if results.size_bytes > _RESULTS_BUDGET:
        ordered = [results.kept.get(i) for i in range(max(results.kept) + 1)]
        results.preview = as_json(ordered)[:PREVIEW_CHARACTERS]
        results.kept.clear()
        results.truncated = True


def loop_output(results: LoopResults, count: int) -> dict[str, Any]:
    if results.truncated:
        marker = {"truncated": True, "size_bytes": results.size_bytes, "preview": results.preview}
        return {"results": marker, "count": count}
    return {"results": [results.kept.get(i) for i in range(count)], "count": count}


def iteration_result(ended: dict[str, Any]) -> Any:
    """An iteration's result: the output of the body's last node, or of each by id."""
    return next(iter(ended.values())) if len(ended) == 1 else ended
