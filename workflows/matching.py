"""Matching delivered events against the waits' `match` expressions, within a budget of
work per workflow task.

Each delivery, and each wait that starts, matches the buffered events again (up to
`RunLimits.buffered_events` of them, for every event wait): each match is bounded as a node's
expressions are (`Limits.max_work`), but hundreds of them would still run past Temporal's
2 s deadlock detector inside one workflow task. So the matches of one task share
`MATCH_WORK_PER_TASK`: past it, matching stops, the waiting nodes take a breath (a 1 ms
timer, which ends the task, as `pace.Pace` does) and the next task matches on from where
the events stand. Work is counted, never timed, so a replay stops at the same places.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from workflows.context import node_meter
    from workflows.control import evaluate
    from workflows.pace import BREATH, WORK_PER_TASK

MATCH_WORK_PER_TASK = WORK_PER_TASK
"""Units of work (`Meter`) of the matches of one workflow task."""
MATCH_BREATH_PATCH = "breathe-while-matching-events"
"""Runs recorded before matched every event in one task however long it took
(INVARIANTS.md). Only called when the budget is first passed in a task."""


class Matching:
    """The work matches did in the current workflow task, and the breath past the budget."""

    def __init__(self) -> None:
        self._task = -1
        self._work = 0
        self.short = False
        """This task matched enough: waits that found nothing yet breathe, then match on."""
        self._breath: asyncio.Task[None] | None = None

    def new_task(self) -> None:
        """Start counting again when a new workflow task runs (the history has grown)."""
        length = workflow.info().get_current_history_length()
        if length != self._task:
            self._task, self._work, self.short = length, 0, False

    def match(self, source: str, context: Mapping[str, Any]) -> bool | None:
        """Whether the `match` expression holds in `context`; None, without evaluating it,
        when the task's budget is spent. Raises `NodeFailedError` when it fails."""
        self.new_task()
        if self._work > MATCH_WORK_PER_TASK and not self.short:
            self.short = workflow.patched(MATCH_BREATH_PATCH)
        if self.short:
            return None
        meter = node_meter()
        try:
            return bool(evaluate(source, context, meter))
        finally:
            self._work += meter.work

    async def breathe(self) -> None:
        """Wait for the next workflow task: one timer for every wait that ran short."""
        if self._breath is None or self._breath.done():
            self._breath = asyncio.create_task(workflow.sleep(BREATH))
        # `wait`, not `await`: a wait cancelled here must not cancel the others' breath.
        await workflow.wait([self._breath])
