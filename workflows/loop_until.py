"""A `loop` with `until`: its body again and again, a durable delay between iterations, until
a condition over the last iteration's result holds or `max_iterations` have run.

This is how a run polls (has the video finished processing?) without a cycle in its graph.
Iterations run one at a time, each given the previous one's result as `item`. Between two
iterations the loop only waits (a timer, or the gate), so the run may continue as new there;
an iteration parked in a wait is carried over like any loop iteration.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime
from typing import Any

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from app.contract.failures import FailureType
    from app.language.expressions import Meter
    from app.language.nodes.flow import LoopParameters
    from workflows.bounded import MAX_OUTPUT_BYTES
    from workflows.control import evaluate
    from workflows.errors import NodeFailedError
    from workflows.loop_results import RESULTS_ROOM, iteration_result, record
    from workflows.scope import Gate, Scope, cancel_in_order
    from workflows.state import LoopResults, LoopSnapshot, Parked, ScopeSnapshot

UNTIL_PATCH = "loop-until"
"""Asked as a loop with `until` starts. A worker from before knew no `until` and failed the
node on its parameters; a run it recorded so (no marker) replays the same failure."""

Body = Callable[[Any, int, ScopeSnapshot | None], Scope]
Condition = Callable[[Any, int], bool]


class UntilProgress:
    """A loop with `until` under way: how many iterations started, the last result, when
    the next may start."""

    def __init__(
        self,
        bound: int,
        started: int,
        last: Any,
        results: LoopResults,
        resume_at: datetime | None,
    ) -> None:
        self.bound = bound
        self.started = started
        self.last = last
        """The result of the last iteration that ended: the next one's `item`."""
        self.results = results
        self.resume_at = resume_at
        self.running: tuple[int, asyncio.Task[dict[str, Any]], Scope] | None = None
        self.failed: tuple[int, Scope] | None = None
        """The iteration that failed the loop, for a rerun to go on from."""

    def parkable(self) -> bool:
        if self.running is None:
            return True  # between iterations: only a timer or the gate is awaited
        _, task, body = self.running
        return not task.done() and body.parkable()

    def snapshot(self) -> Parked:
        running = {} if self.running is None else {self.running[0]: self.running[2].snapshot()}
        return self._parked(running)

    def retry_snapshot(self) -> Parked:
        """What a rerun keeps: the results so far and what the failed (or running)
        iteration had done."""
        at = self.failed or (self.running and (self.running[0], self.running[2]))
        return self._parked({} if not at else {at[0]: at[1].retry_snapshot()})

    def _parked(self, running: dict[int, ScopeSnapshot]) -> Parked:
        return Parked(
            loop=LoopSnapshot(
                count=self.bound,
                next_index=self.started,
                remaining=[self.last],
                results=self.results.model_copy(deep=True),
                running=running,
                resume_at=self.resume_at,
            )
        )

    async def run(
        self,
        parameters: LoopParameters,
        met: Condition,
        gate: Gate,
        body: Body,
        resumed: dict[int, ScopeSnapshot],
    ) -> Any:
        """Iterate until `met`; the last result. Fails with `UntilNotMet` past the bound."""
        for index, snapshot in sorted(resumed.items()):
            if await self._iterate(index, body(snapshot.item, index, snapshot), met):
                return self.last
        while self.started < self.bound:
            if self.resume_at is not None and self.resume_at > workflow.now():
                await workflow.sleep(self.resume_at - workflow.now())
            while gate.closing():
                # The run continues as new from here; the next run goes on.
                await workflow.wait_condition(lambda: not gate.closed)
            index = self.started
            self.started += 1
            self.resume_at = None
            if await self._iterate(index, body(self.last, index, None), met):
                return self.last
            if parameters.delay is not None:
                self.resume_at = workflow.now() + parameters.delay
        raise NodeFailedError(
            f"until was still false after {self.bound} iterations (max_iterations)",
            type=FailureType.UntilNotMet,
        )

    async def _iterate(self, index: int, scope: Scope, met: Condition) -> bool:
        task = asyncio.create_task(scope.run())
        self.running = (index, task, scope)
        try:
            await workflow.wait([task])
        except (Exception, asyncio.CancelledError):
            # Not BaseException: GeneratorExit (eviction) must pass without awaiting.
            await cancel_in_order([task])
            raise
        self.running = None
        if task.exception() is not None:
            self.failed = (index, scope)
        ended = task.result()
        self.last = iteration_result(ended)
        record(self.results, index, self.last)
        return met(self.last, index)


def condition(
    parameters: LoopParameters, context: Callable[[], dict[str, Any]], meter: Callable[[], Meter]
) -> Condition:
    """`until`, read with the iteration's result as `item` and its number as `index`."""
    assert parameters.until is not None
    until = parameters.until

    def met(result: Any, index: int) -> bool:
        values = {**context(), "item": result, "index": index}
        return bool(evaluate(until, values, meter(), "until"))

    return met


def start_until(
    parameters: LoopParameters, parked: Parked | None
) -> tuple[UntilProgress, dict[int, ScopeSnapshot], int]:
    """The loop's progress, fresh or as the previous run left it; the iterations to pick
    up; and what it keeps in the run's state: its results and the last one, the next
    iteration's `item`."""
    if parked is not None and parked.loop is not None:
        snapshot = parked.loop
        last = snapshot.remaining[0] if snapshot.remaining else None
        progress = UntilProgress(
            snapshot.count, snapshot.next_index, last, snapshot.results, snapshot.resume_at
        )
        return progress, snapshot.running, _KEPT
    if not workflow.patched(UNTIL_PATCH):
        raise NodeFailedError(
            "until: this worker does not know loops with until", type=FailureType.InvalidParameters
        )
    progress = UntilProgress(parameters.iteration_bound, 0, None, LoopResults(), None)
    return progress, {}, _KEPT


_KEPT = RESULTS_ROOM + MAX_OUTPUT_BYTES
