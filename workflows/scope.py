"""Running part of a plan: the whole run, or one iteration of a loop body.

Edges carry tokens. When a node finishes, the edges of the handle it chose fire and
every other outgoing edge is skipped; a node whose incoming edges are all skipped is
skipped in turn, so branches not taken never block a join. A `join` in mode `all` runs
once every incoming edge is decided and one fired; any other node runs on the first
edge that fires, once. If a node fails the scope, its running siblings are cancelled.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable, Coroutine, Iterable
from dataclasses import dataclass, field
from typing import Any

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from app.language.plan import Plan, PlanNode

EdgeKey = tuple[str, str, str]
"""(source, handle, target)."""


@dataclass(frozen=True)
class Outcome:
    """How a node ended: the handle the run leaves through (None: nowhere) and its output."""

    handle: str | None
    output: Any = None


@dataclass
class Scope:
    """A set of nodes run together, with the outputs they produce."""

    plan: Plan
    members: frozenset[str]
    starts: tuple[str, ...]
    run_node: Callable[[PlanNode, Scope], Coroutine[Any, Any, Outcome]]
    skip_node: Callable[[PlanNode], None]
    parent: Scope | None = None
    loop: tuple[Any, int] | None = None
    """The loop item and index this scope runs for."""
    outputs: dict[str, Any] = field(default_factory=dict)
    _edges: dict[EdgeKey, bool] = field(default_factory=dict)
    """Decided edges: True fired, False skipped."""
    _incoming: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    _decided: set[str] = field(default_factory=set)
    _followed: set[str] = field(default_factory=set)
    """Nodes that fired at least one edge inside this scope."""

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

    async def run(self) -> dict[str, Any]:
        """Run every node the tokens reach; return the outputs of the nodes it ended on."""
        for node_id in sorted(self.members):
            for handle, targets in self.plan.nodes[node_id].next.items():
                for target in targets:
                    if target in self.members:
                        self._incoming.setdefault(target, []).append((node_id, handle))
        ready: deque[str] = deque(self.starts)
        for node_id in sorted(self.members):
            # Triggers other than the one that fired never run.
            if self.plan.nodes[node_id].kind == "trigger" and node_id not in self.starts:
                ready.extend(self._skip(node_id))
        tasks: dict[asyncio.Task[Outcome], str] = {}
        try:
            while ready or tasks:
                while ready:
                    node_id = ready.popleft()
                    if node_id in self._decided:
                        continue
                    self._decided.add(node_id)
                    task = asyncio.create_task(self.run_node(self.plan.nodes[node_id], self))
                    tasks[task] = node_id
                done, _ = await workflow.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
                for task in sorted(done, key=lambda finished: tasks[finished]):
                    node_id = tasks.pop(task)
                    outcome = task.result()
                    self.outputs[node_id] = outcome.output
                    ready.extend(self._leave(node_id, outcome.handle))
        except (Exception, asyncio.CancelledError):
            # Not BaseException: GeneratorExit, thrown in when the worker evicts the run from
            # its cache, must pass through without awaiting anything.
            await _cancel(tasks)
            raise
        return {
            node_id: self.outputs[node_id]
            for node_id in sorted(self.outputs)
            if node_id not in self._followed
        }

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


async def _cancel(tasks: dict[asyncio.Task[Outcome], str]) -> None:
    for task in tasks:
        task.cancel()
    if tasks:
        await asyncio.gather(*tasks, return_exceptions=True)
