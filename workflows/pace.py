"""Keeping each workflow task short: Temporal fails a task that runs 2 s without yielding.

Control nodes run inside the workflow and cost no command, so a loop over thousands of
items with a body of control nodes would run whole inside one workflow task: measured on
a 2-core machine, ~130 µs per node, so 10 000 items of two or three nodes take 3-4 s and
the task fails with TMPRL1101 (potential deadlock) on every retry. `asyncio.sleep(0)`
does not help: it yields to other coroutines of the same task, which still runs on.

So a run takes a breath after `NODES_PER_TASK` nodes in one workflow task: a 1 ms timer,
which ends the task; the next one goes on. Nodes are not all alike: one may spend up to
`Limits.max_work` on its expressions and walk a large output or large parameters, so the
run also breathes once the work its nodes counted (their `Meter`s) passes `WORK_PER_TASK`.
The counts are of nodes and of counted work, never of time, so a replay takes its breaths
at the same places; they restart whenever the history has grown (a new workflow task),
read through `workflow.info()`, which replays the same values.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from app.language.expressions import Meter

NODES_PER_TASK = 500
"""~65 ms of control nodes where the measurements above were made: ample room on a slower
or busier machine. Each breath costs five history events (timer, and one task)."""
BREATH = timedelta(milliseconds=1)
PACE_PATCH = "pace-workflow-tasks"
"""Runs recorded before never took a breath (INVARIANTS.md)."""
WORK_PER_TASK = 2_000_000
"""Units of counted work (`Meter`) in one workflow task before a breath: about 0.25 s where
`bench/slowest_expression.py` measures a unit (`app/language/expressions/COSTS.md`), so a
task stays far from the detector's 2 s even with its last node at its own limit."""
PACE_WORK_PATCH = "pace-workflow-tasks-by-work"
"""Runs recorded before counted only nodes (INVARIANTS.md). Only called when the work,
not the number of nodes, calls for a breath."""


class Pace:
    """Counts the nodes run and the work they did in the current workflow task, and pauses
    the run past either budget."""

    def __init__(self) -> None:
        self._history_length = -1
        self._nodes = 0
        self._work = 0
        self._meters: list[Meter] = []
        """Meters of nodes that ran in this task and are not counted in `_work` yet."""
        self._breath: asyncio.Task[None] | None = None

    def watch(self, meter: Meter) -> Meter:
        """Count the work of ``meter`` (a node's) in this workflow task; returns it."""
        self._meters.append(meter)
        return meter

    def spend(self, units: int) -> None:
        """Count ``units`` of work done in this workflow task (an output's check)."""
        self._work += units

    async def step(self) -> None:
        """Called before a node runs; returns at once, or after a breath."""
        length = workflow.info().get_current_history_length()
        if length != self._history_length:
            self._history_length = length
            self._nodes = 0
            self._work = 0
            self._meters.clear()
        self._nodes += 1
        if not self._due():
            return
        if self._breath is None or self._breath.done():
            # One timer for every node that reaches the budget in this task.
            self._breath = asyncio.create_task(workflow.sleep(BREATH))
        # `wait`, not `await`: a node cancelled here must not cancel the others' breath.
        await workflow.wait([self._breath])

    def _due(self) -> bool:
        if self._nodes > NODES_PER_TASK and workflow.patched(PACE_PATCH):
            return True
        # A node does all its counted work before it first waits, so the meters of nodes
        # that ran before this one are final.
        self._work += sum(meter.work + meter.counted for meter in self._meters)
        self._meters.clear()
        return self._work > WORK_PER_TASK and workflow.patched(PACE_WORK_PATCH)
