"""The `loop` node: its body once per item, at most `max_concurrency` at a time.

A loop is where a run's history grows without bound, so it is also where a run most
often continues as new: between iterations it starts no new one once the gate closes,
and its progress (items left, results so far, iterations parked in a wait) is handed to
the next run.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from app.language.expressions import Meter
    from app.language.nodes.flow import LoopParameters
    from app.language.plan import PlanNode
    from workflows.bounded import json_size
    from workflows.control import loop_items
    from workflows.loop_results import RESULTS_ROOM, iteration_result, loop_output, record
    from workflows.loop_until import UntilProgress, condition, start_until
    from workflows.scope import Gate, Outcome, RunNode, Scope, cancel_in_order, plan_order
    from workflows.state import LoopResults, LoopSnapshot, Parked, ScopeSnapshot


class LoopProgress:
    """A loop under way: what is left, what runs, what is done."""

    def __init__(self, items: list[Any], offset: int, count: int, results: LoopResults) -> None:
        self.items = items
        """The items from `offset` on."""
        self.offset = offset
        self.count = count
        self.next_index = offset
        self.results = results
        self.running: dict[int, tuple[asyncio.Task[dict[str, Any]], Scope]] = {}
        self.failed: dict[int, Scope] = {}
        """Iterations that failed the loop, for a rerun to go on from."""

    def parkable(self) -> bool:
        return all(not task.done() and body.parkable() for task, body in self.running.values())

    def snapshot(self) -> Parked:
        return Parked(
            loop=LoopSnapshot(
                count=self.count,
                next_index=self.next_index,
                remaining=self.items[self.next_index - self.offset :],
                results=self.results.model_copy(deep=True),
                running={index: body.snapshot() for index, (_, body) in self.running.items()},
            )
        )

    async def run(
        self,
        limit: int,
        gate: Gate,
        body: Callable[[Any, int, ScopeSnapshot | None], Scope],
        resumed: dict[int, ScopeSnapshot],
    ) -> None:
        for index, snapshot in sorted(resumed.items()):
            self._start(index, body(snapshot.item, index, snapshot))
        try:
            while self.next_index < self.count or self.running:
                while (
                    self.next_index < self.count
                    and len(self.running) < limit
                    and not gate.closing()
                ):
                    item = self.items[self.next_index - self.offset]
                    self._start(self.next_index, body(item, self.next_index, None))
                    self.next_index += 1
                if not self.running:
                    # The run continues as new from here; the next run goes on.
                    await workflow.wait_condition(lambda: not gate.closed)
                    continue
                tasks = [task for task, _ in self.running.values()]
                await workflow.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
                for index in sorted(self.running):
                    task, body_scope = self.running[index]
                    if task.done():
                        del self.running[index]
                        if task.exception() is not None:
                            self.failed[index] = body_scope
                        ended = task.result()
                        record(self.results, index, iteration_result(ended))
        except (Exception, asyncio.CancelledError):
            # Not BaseException: GeneratorExit (eviction) must pass without awaiting.
            started = [(task, index) for index, (task, _) in self.running.items()]
            await cancel_in_order(plan_order(started))
            raise

    def retry_snapshot(self) -> Parked:
        """What a rerun keeps of this loop, failed part way: the items not started, the
        results of the iterations done, and what each iteration under way had done."""
        return Parked(
            loop=LoopSnapshot(
                count=self.count,
                next_index=self.next_index,
                remaining=self.items[self.next_index - self.offset :],
                results=self.results.model_copy(deep=True),
                running={
                    index: body.retry_snapshot()
                    for index, body in sorted(
                        [*self.failed.items(), *((i, b) for i, (_, b) in self.running.items())],
                        key=lambda pair: pair[0],
                    )
                },
            )
        )

    def _start(self, index: int, body: Scope) -> None:
        self.running[index] = (asyncio.create_task(body.run()), body)


async def run_loop(
    node: PlanNode,
    parameters: LoopParameters,
    context: dict[str, Any],
    scope: Scope,
    parked: Parked | None,
    *,
    run_node: RunNode,
    skip_node: Callable[[PlanNode], None],
    gate: Gate,
    meter: Meter,
    contexts: Callable[[], dict[str, Any]],
    meters: Callable[[], Meter],
) -> Outcome:
    """Run a loop; `contexts` and `meters` give what a loop with `until` reads its
    condition with after each iteration."""
    kept = ("loop", id(scope), node.id)
    progress: LoopProgress | UntilProgress
    if parameters.until is not None:
        progress, resumed, size = start_until(parameters, parked)
        if parked is not None:
            scope.ledger.put({kept: size})  # counted by the run that kept it
        else:
            scope.ledger.keep({kept: size}, "the loop's results")
    elif parked is not None and parked.loop is not None:
        snapshot = parked.loop
        progress = LoopProgress(
            snapshot.remaining, snapshot.next_index, snapshot.count, snapshot.results
        )
        resumed = snapshot.running
        # Counted by the run that kept them.
        scope.ledger.put({kept: json_size(snapshot.remaining).text + RESULTS_ROOM})
    else:
        items = loop_items(parameters, context, meter)
        # The items stay until the last iteration starts, and the results grow up to their
        # bound: both travel with the run if it continues as new.
        size = json_size(items, meter.count).text
        scope.ledger.keep({kept: size + RESULTS_ROOM}, "the loop's items")
        progress = LoopProgress(items, 0, len(items), LoopResults())
        resumed = {}
    members = frozenset(n for n, planned in scope.plan.nodes.items() if planned.loop == node.id)

    def body(item: Any, index: int, resume: ScopeSnapshot | None) -> Scope:
        return Scope(
            plan=scope.plan, members=members, starts=node.next.get("body", ()),
            run_node=run_node, skip_node=skip_node, gate=gate, ledger=scope.ledger,
            parent=scope,
            loop=(item, index), resume=resume,
        )  # fmt: skip

    scope.parks[node.id] = progress
    try:
        if isinstance(progress, UntilProgress):
            met = condition(parameters, contexts, meters)
            last = await progress.run(parameters, met, gate, body, resumed)
            output = loop_output(progress.results, progress.started)
            return Outcome("done", {**output, "last": last})
        await progress.run(parameters.max_concurrency, gate, body, resumed)
    except Exception:
        scope.unfinished_loops[node.id] = progress.retry_snapshot()
        raise
    finally:
        del scope.parks[node.id]
        scope.ledger.release(kept)
    return Outcome("done", loop_output(progress.results, progress.count))
