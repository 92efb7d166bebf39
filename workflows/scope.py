"""Running part of a plan: the whole run, or one iteration of a loop body.

Edges carry tokens. When a node finishes, the edges of the handle it chose fire and
every other outgoing edge is skipped; a node whose incoming edges are all skipped is
skipped in turn, so branches not taken never block a join. A `join` in mode `all` runs
once every incoming edge is decided and one fired; any other node runs on the first
edge that fires, once. If a node fails the scope, its running siblings are cancelled.

Once the run must continue as new (`Gate`), a scope starts nothing more: the nodes under
way finish, or park where they can be picked up by the next run (`snapshot`, `resume`).
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable, Coroutine, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from app.language.plan import Plan, PlanNode
    from workflows.bounded import json_size
    from workflows.state import Parked, ScopeSnapshot
    from workflows.state_budget import StateLedger

EdgeKey = tuple[str, str, str]
"""(source, handle, target)."""


@dataclass(frozen=True)
class Outcome:
    """How a node ended: the handle the run leaves through (None: nowhere) and its output."""

    handle: str | None
    output: Any = None


class Park(Protocol):
    """A node under way that the next run can pick up where this one leaves it."""

    def parkable(self) -> bool:
        """Whether it can be left now: it waits, and starts and runs nothing."""
        ...

    def snapshot(self) -> Parked: ...


class Gate:
    """Open until the run should continue as new; then no scope starts anything new."""

    def __init__(self, due: Callable[[], bool]) -> None:
        self._due = due
        self.closed = False

    def closing(self) -> bool:
        """Whether to hold back new work (checked before starting each node or iteration)."""
        if not self.closed and self._due():
            self.closed = True
        return self.closed

    def close(self) -> None:
        """Close now, whatever `due` says (the caller has checked)."""
        self.closed = True


RunNode = Callable[["PlanNode", "Scope", "Parked | None"], Coroutine[Any, Any, Outcome]]


@dataclass
class Scope:
    """A set of nodes run together, with the outputs they produce."""

    plan: Plan
    members: frozenset[str]
    starts: tuple[str, ...]
    run_node: RunNode
    skip_node: Callable[[PlanNode], None]
    gate: Gate
    ledger: StateLedger
    """What the run keeps: this scope's outputs count there until it ends."""
    parent: Scope | None = None
    loop: tuple[Any, int] | None = None
    """The loop item and index this scope runs for."""
    resume: ScopeSnapshot | None = None
    """Where the previous run left this scope."""
    outputs: dict[str, Any] = field(default_factory=dict)
    parks: dict[str, Park] = field(default_factory=dict)
    """Nodes under way that could be left now, registered by the nodes themselves."""
    _edges: dict[EdgeKey, bool] = field(default_factory=dict)
    """Decided edges: True fired, False skipped."""
    _incoming: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    _decided: set[str] = field(default_factory=set)
    _followed: set[str] = field(default_factory=set)
    """Nodes that fired at least one edge inside this scope."""
    _ready: deque[str] = field(default_factory=deque)
    _running: dict[asyncio.Task[Outcome], str] = field(default_factory=dict)
    _handles: dict[str, str | None] = field(default_factory=dict)
    """The handle each node that ended here left through, for a rerun of a failed run."""
    _reusing: dict[str, str | None] = field(default_factory=dict)
    """In a rerun: nodes not reached yet that pass with the outputs they had (`reused`)."""
    _reused_outputs: dict[str, Any] = field(default_factory=dict)
    _loops_to_resume: dict[str, Parked] = field(default_factory=dict)
    """In a rerun: loops that were part done, resumed where they stood when reached."""
    unfinished_loops: dict[str, Parked] = field(default_factory=dict)
    """Loops of this scope that failed part way, as a rerun can resume them (`retry_snapshot`);
    set by the loops themselves."""

    def visible_outputs(self) -> dict[str, Any]:
        """Outputs an expression here can read: this scope's over its parents'."""
        if self.parent is None:
            return self.outputs
        return {**self.parent.visible_outputs(), **self.outputs}

    def loop_binding(self) -> tuple[Any, int] | None:
        scope: Scope | None = self
        while scope is not None:
            if scope.loop is not None:
                return scope.loop
            scope = scope.parent
        return None

    def iteration(self) -> str:
        """Which loop iteration this is, outermost loop first (`2/0`); `0` outside loops."""
        indexes: list[str] = []
        scope: Scope | None = self
        while scope is not None:
            if scope.loop is not None:
                indexes.append(str(scope.loop[1]))
            scope = scope.parent
        return "/".join(reversed(indexes)) or "0"

    async def run(self) -> dict[str, Any]:
        """Run every node the tokens reach; return the outputs of the nodes it ended on."""
        for node_id in sorted(self.members):
            for handle, targets in self.plan.nodes[node_id].next.items():
                for target in targets:
                    if target in self.members:
                        self._incoming.setdefault(target, []).append((node_id, handle))
        if self.resume is None or self.resume.reused is not None:
            if self.resume is not None:
                self._reuse(self.resume)
            self._ready.extend(self.starts)
            for node_id in sorted(self.members):
                # Triggers other than the one that fired never run.
                if self.plan.nodes[node_id].kind == "trigger" and node_id not in self.starts:
                    self._ready.extend(self._skip(node_id))
        else:
            self._restore(self.resume)
        tasks = self._running
        try:
            while self._ready or tasks:
                while self._ready and not self.gate.closing():
                    node_id = self._ready.popleft()
                    if node_id in self._decided:
                        continue
                    self._decided.add(node_id)
                    if node_id in self._reusing:
                        # Ended in the failed run this one reruns: its side effects are
                        # not repeated, its output and handle carry on.
                        chosen = self._handles[node_id] = self._reusing.pop(node_id)
                        self.outputs[node_id] = self._reused_outputs.get(node_id)
                        self._ready.extend(self._leave(node_id, chosen))
                        continue
                    self._start(node_id, self._loops_to_resume.pop(node_id, None))
                if not tasks:
                    # Nodes are ready but the gate is closed: the run continues as new
                    # from here, and this scope waits for it.
                    await workflow.wait_condition(lambda: not self.gate.closed)
                    continue
                done, _ = await workflow.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
                for task in sorted(done, key=lambda finished: tasks[finished]):
                    node_id = tasks.pop(task)
                    outcome = task.result()
                    self.outputs[node_id] = outcome.output
                    self._handles[node_id] = outcome.handle
                    self._ready.extend(self._leave(node_id, outcome.handle))
        except (Exception, asyncio.CancelledError):
            # Not BaseException: GeneratorExit, thrown in when the worker evicts the run from
            # its cache, must pass through without awaiting anything.
            await _cancel(tasks)
            raise
        finally:
            if self.parent is not None:
                # A loop iteration's outputs are dropped with it (its result is the loop's).
                self.ledger.release_scope(id(self))
        return {
            node_id: self.outputs[node_id]
            for node_id in sorted(self.outputs)
            if node_id not in self._followed
        }

    def _start(self, node_id: str, parked: Parked | None) -> None:
        task = asyncio.create_task(self.run_node(self.plan.nodes[node_id], self, parked))
        self._running[task] = node_id

    # -- continuing as new ----------------------------------------------------------------

    def parkable(self) -> bool:
        """Whether every node under way here waits where the next run can pick it up.

        A node that has just finished is not: its outcome is not recorded yet.
        """
        return all(
            not task.done() and node_id in self.parks and self.parks[node_id].parkable()
            for task, node_id in self._running.items()
        )

    def snapshot(self) -> ScopeSnapshot:
        return ScopeSnapshot(
            outputs=dict(self.outputs),
            edges=[(*edge, fired) for edge, fired in self._edges.items()],
            decided=sorted(self._decided),
            followed=sorted(self._followed),
            ready=list(self._ready),
            parked={
                node_id: self.parks[node_id].snapshot()
                for node_id in sorted(self._running.values())
            },
            item=self.loop[0] if self.loop else None,
            index=self.loop[1] if self.loop else None,
        )

    def _restore(self, snapshot: ScopeSnapshot) -> None:
        self.outputs.update(snapshot.outputs)
        self._count_kept(snapshot.outputs)
        self._edges.update({(s, h, t): fired for s, h, t, fired in snapshot.edges})
        self._decided.update(snapshot.decided)
        self._followed.update(snapshot.followed)
        self._ready.extend(snapshot.ready)
        for node_id, parked in snapshot.parked.items():
            self._start(node_id, parked)

    def _count_kept(self, outputs: dict[str, Any]) -> None:
        """Outputs counted by the run that kept them, and kept again here."""
        self.ledger.put(
            {("scope", id(self), node_id): json_size(output).text
             for node_id, output in outputs.items()}
        )  # fmt: skip

    # -- rerunning a failed run -----------------------------------------------------------

    def retry_snapshot(self) -> ScopeSnapshot:
        """What a rerun of this failed scope keeps: the nodes that ended here (with the
        handle each left through) and the loops that were part done. Nodes under way or
        failed are not kept: the rerun runs them again."""
        outputs = dict(self.outputs)
        handles = dict(self._handles)
        for task, node_id in sorted(self._running.items(), key=lambda pair: pair[1]):
            # Ended with the node that failed, before the scope recorded it.
            if task.done() and not task.cancelled() and task.exception() is None:
                outcome = task.result()
                outputs[node_id] = outcome.output
                handles[node_id] = outcome.handle
        return ScopeSnapshot(
            outputs=outputs,
            reused=handles,
            parked={
                node_id: parked
                for node_id, parked in sorted(self.unfinished_loops.items())
                if node_id not in handles
            },
            item=self.loop[0] if self.loop else None,
            index=self.loop[1] if self.loop else None,
        )

    def _reuse(self, snapshot: ScopeSnapshot) -> None:
        assert snapshot.reused is not None
        # They become this scope's outputs as the walk reaches them.
        self._reused_outputs.update(snapshot.outputs)
        self._count_kept(snapshot.outputs)
        self._reusing.update(snapshot.reused)
        self._loops_to_resume.update(snapshot.parked)

    # -- tokens ---------------------------------------------------------------------------

    def _leave(self, node_id: str, chosen: str | None) -> Iterable[str]:
        for handle, targets in self.plan.nodes[node_id].next.items():
            for target in targets:
                if target not in self.members:
                    continue
                fired = handle == chosen
                self._edges[(node_id, handle, target)] = fired
                if fired:
                    self._followed.add(node_id)
                yield from self._consider(target)

    def _skip(self, node_id: str) -> Iterable[str]:
        self._decided.add(node_id)
        self.skip_node(self.plan.nodes[node_id])
        return list(self._leave(node_id, None))

    def _consider(self, node_id: str) -> Iterable[str]:
        if node_id in self._decided:
            return []
        states = [
            self._edges.get((source, handle, node_id)) for source, handle in self._incoming[node_id]
        ]
        fired = any(state is True for state in states)
        decided = all(state is not None for state in states)
        node = self.plan.nodes[node_id]
        waits_for_all = node.type == "join" and node.parameters.get("mode", "all") == "all"
        if fired and (decided or not waits_for_all):
            return [node_id]
        if decided and not fired:
            return self._skip(node_id)
        return []


CANCEL_IN_PLAN_ORDER_PATCH = "cancel-in-plan-order"
"""Runs recorded before cancelled their tasks in the order they started (INVARIANTS.md)."""


async def cancel_in_order(tasks: Sequence[asyncio.Task[Any]]) -> None:
    """Cancel `tasks` in the given order (plan order: node ids, loop iterations by index) and
    wait until every one has stopped: an action or a child run stops only once Temporal has
    confirmed it (`operations.settled`), so nothing is left running when this returns."""
    for task in tasks:
        task.cancel()
    if tasks:
        await asyncio.gather(*tasks, return_exceptions=True)


def plan_order(started: Sequence[tuple[asyncio.Task[Any], Any]]) -> list[asyncio.Task[Any]]:
    """Tasks sorted by their key (node id, iteration index), for runs that cancel in plan
    order; the start order for runs recorded before, which is where they differ."""
    in_start_order = [task for task, _ in started]
    in_plan_order = [task for task, _ in sorted(started, key=lambda pair: pair[1])]
    if in_plan_order == in_start_order or not workflow.patched(CANCEL_IN_PLAN_ORDER_PATCH):
        return in_start_order
    return in_plan_order


async def _cancel(tasks: dict[asyncio.Task[Outcome], str]) -> None:
    await cancel_in_order(plan_order(list(tasks.items())))
