"""Keeping each workflow task short: Temporal fails a task that runs 2 s without yielding.

Control nodes run inside the workflow and cost no command, so a loop over thousands of
items with a body of control nodes would run whole inside one workflow task: measured on
a 2-core machine, ~130 µs per node, so 10 000 items of two or three nodes take 3-4 s and
the task fails with TMPRL1101 (potential deadlock) on every retry. `asyncio.sleep(0)`
does not help: it yields to other coroutines of the same task, which still runs on.

So a run takes a breath after `NODES_PER_TASK` nodes in one workflow task: a 1 ms timer,
which ends the task; the next one goes on. The count is of nodes, never of time, so a
replay takes its breaths at the same places; it restarts whenever the history has grown
(a new workflow task), read through `workflow.info()`, which replays the same values.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

from temporalio import workflow

NODES_PER_TASK = 500
"""~65 ms of control nodes where the measurements above were made: ample room on a slower
or busier machine. Each breath costs five history events (timer, and one task)."""
BREATH = timedelta(milliseconds=1)
PACE_PATCH = "pace-workflow-tasks"
"""Runs recorded before never took a breath (INVARIANTS.md)."""


class Pace:
    """Counts the nodes run in the current workflow task and pauses the run past the budget."""

    def __init__(self) -> None:
        self._history_length = -1
        self._nodes = 0
        self._breath: asyncio.Task[None] | None = None

    async def step(self) -> None:
        """Called before a node runs; returns at once, or after a breath."""
        length = workflow.info().get_current_history_length()
        if length != self._history_length:
            self._history_length = length
            self._nodes = 0
        self._nodes += 1
        if self._nodes <= NODES_PER_TASK or not workflow.patched(PACE_PATCH):
            return
        if self._breath is None or self._breath.done():
            # One timer for every node that reaches the budget in this task.
            self._breath = asyncio.create_task(workflow.sleep(BREATH))
        # `wait`, not `await`: a node cancelled here must not cancel the others' breath.
        await workflow.wait([self._breath])
