"""Graph analysis: reachability, loop bodies, cycles, order, and what may have run before what.

Everything here is linear or near-linear in the size of the graph, because validation runs
on every save of a workflow. Ancestor sets are runs of positions in an order where a
node's ancestors tend to sit side by side (one run for a chain, a few where branches
meet): held as bitsets they grew with the graph, which made a 10,000-node chain cost a
hundred times a 1,000-node one.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from app.language.loop_nesting import nested_bodies

Runs = tuple[int, ...]
"""A set of positions as runs, flat: each run's start and the position after its end,
`(start, end, start, end, ...)`, strictly ascending (runs that touch are one). A position
is in the set when an odd number of these are at or below it. One tuple per node, not a
pair of tuples in a tuple: each tuple is an object the collector walks when it resumes."""


@dataclass(frozen=True, slots=True)
class Edge:
    source: str
    handle: str
    target: str
    index: int
    """Position in the submitted `edges` list, for error paths."""


@dataclass
class Analysis:
    """Facts about a graph's shape that validation and the compiler share."""

    order: list[str] = field(default_factory=list)
    """Reachable nodes in a topological order of the graph without loop back edges."""
    reachable: set[str] = field(default_factory=set)
    loop_of: dict[str, str] = field(default_factory=dict)
    """Node id → the innermost loop whose body it is in."""
    back_edges: set[int] = field(default_factory=set)
    """Indexes of edges that end an iteration (from a loop body back to its loop)."""
    cycle: list[str] = field(default_factory=list)
    """Nodes on a cycle outside any loop body, if there is one."""
    entering_body: list[tuple[Edge, str]] = field(default_factory=list)
    """Edges that jump into a loop body from outside it, with that loop's id."""
    leaving_body: list[tuple[Edge, str]] = field(default_factory=list)
    """Edges from a loop body to a node before or beside its loop, with that loop's id: an
    iteration ends with an edge back to the loop itself."""
    _position: dict[str, int] = field(default_factory=dict)
    _ancestors: dict[str, Runs] = field(default_factory=dict)

    def is_ordered(self, node: str) -> bool:
        """Whether the node is reachable and not on or after a cycle (its ancestry is known)."""
        return node in self._ancestors

    def is_ancestor(self, earlier: str, later: str) -> bool:
        """Whether a path leads from `earlier` to `later` (not counting loop back edges)."""
        if earlier not in self._position or later not in self._ancestors:
            return False
        return bisect_right(self._ancestors[later], self._position[earlier]) % 2 == 1

    def may_run_before(self, earlier: str, later: str) -> bool:
        """Whether `earlier` can have run by the time `later` runs, in some run.

        Every edge can be taken in some run, so this holds exactly when a path leads from
        `earlier` to `later`: a node on the other side of an `if` has no such path.
        """
        return self.is_ancestor(earlier, later)


def _loop_body(
    loop: str,
    outgoing: Mapping[str, list[Edge]],
    body_handle: str,
    before: Callable[[str], bool],
) -> tuple[set[str], list[Edge]]:
    """The nodes the loop's body edges lead to before coming back, and the edges that leave
    the body for a node `before` the loop."""
    body: set[str] = set()
    leaving: list[Edge] = []
    queue = deque(edge for edge in outgoing[loop] if edge.handle == body_handle)
    while queue:
        edge = queue.popleft()
        node = edge.target
        if node == loop or node in body:
            continue
        if edge.source != loop and before(node):
            # The loop's own body edges define the body; a later one that leads out leaves it.
            leaving.append(edge)
            continue
        body.add(node)
        queue.extend(outgoing[node])
    return body, leaving


def _reached_around(
    avoided: str, triggers: Sequence[str], outgoing: Mapping[str, list[Edge]]
) -> set[str]:
    """The nodes a trigger reaches without passing through `avoided`."""
    seen = {trigger for trigger in triggers if trigger != avoided}
    queue = deque(seen)
    while queue:
        for edge in outgoing[queue.popleft()]:
            if edge.target != avoided and edge.target not in seen:
                seen.add(edge.target)
                queue.append(edge.target)
    return seen


def _path_from_triggers(
    target: str, triggers: Sequence[str], outgoing: Mapping[str, list[Edge]]
) -> list[str] | None:
    """Some path from a trigger to `target`, or None when no trigger reaches it."""
    parent: dict[str, str | None] = dict.fromkeys(triggers)
    queue = deque(parent)
    while queue and target not in parent:
        node = queue.popleft()
        for edge in outgoing[node]:
            if edge.target not in parent:
                parent[edge.target] = node
                queue.append(edge.target)
    if target not in parent:
        return None
    path: list[str] = []
    at: str | None = target
    while at is not None:
        path.append(at)
        at = parent[at]
    return path[::-1]


def _passed_before(
    loop: str, triggers: Sequence[str], outgoing: Mapping[str, list[Edge]]
) -> set[str]:
    """The nodes every run passes before reaching `loop`: those a trigger reaches without
    passing through the loop, and without which no trigger reaches it.

    Asked node by node (a walk from the triggers around each), this took a walk of the
    graph per node of the loop's body: seconds for a 10,000-node graph with one edge into
    a long body. The answer is the loop's dominators, found in one walk: along one path
    from the triggers to the loop, a node is passed by every run when nothing reached from
    the path before it leads beyond it (Lengauer and Tarjan's idea, for a single target).
    """
    path = _path_from_triggers(loop, triggers, outgoing)
    if path is None:
        # No run reaches the loop: every node reached is before it.
        return _reached_around(loop, triggers, outgoing)
    on_path = {node: index for index, node in enumerate(path)}
    # The triggers' common start is at -1: a trigger is passed first only when it is the
    # only one leading to the loop.
    furthest = 0
    reached: set[str] = set()
    pending: list[str] = []
    for trigger in triggers:
        if trigger in on_path:
            furthest = max(furthest, on_path[trigger])
        elif trigger not in reached:
            reached.add(trigger)
            pending.append(trigger)
    passed: set[str] = set()
    for index, node in enumerate(path):
        # Everything reached from the path up to `node` (through nodes off the path), and
        # the furthest point of the path it leads to.
        while pending:
            for edge in outgoing[pending.pop()]:
                if edge.target in on_path:
                    furthest = max(furthest, on_path[edge.target])
                elif edge.target not in reached:
                    reached.add(edge.target)
                    pending.append(edge.target)
        if node == loop:
            break
        if furthest <= index:
            passed.add(node)
        pending.append(node)
    return passed


def _loop_bodies(
    loops: Sequence[str],
    outgoing: Mapping[str, list[Edge]],
    into: Mapping[str, list[Edge]],
    triggers: Sequence[str],
    body_handle: str,
) -> tuple[dict[str, set[str]], list[tuple[Edge, str]]]:
    """Each loop's body, and the edges that leave a body for a node before or beside its
    loop (which the walk from the body would otherwise take into the body)."""
    bodies: dict[str, set[str]] = {}
    leaving: list[tuple[Edge, str]] = []
    for loop in loops:
        body, _ = _loop_body(loop, outgoing, body_handle, lambda _: False)
        entered = any(
            edge.source not in body and edge.source != loop for node in body for edge in into[node]
        )
        if entered:
            # Rare, and then only: does an edge jump into the body, or does the body lead
            # back to a node every run passes before reaching the loop?
            body, out = _loop_body(
                loop, outgoing, body_handle, _passed_before(loop, triggers, outgoing).__contains__
            )
            leaving += [(edge, loop) for edge in out]
        bodies[loop] = body
    return bodies, leaving


def _bodies_one_by_one(
    result: Analysis,
    loops: Sequence[str],
    outgoing: Mapping[str, list[Edge]],
    into: Mapping[str, list[Edge]],
    triggers: Sequence[str],
    body_handle: str,
) -> None:
    """Loop bodies, and the edges that enter or leave them, for a graph whose bodies do
    not nest cleanly (`nested_bodies`): each body a set of its own, so loops nested in
    one another cost the sum of their bodies here."""
    bodies, result.leaving_body = _loop_bodies(loops, outgoing, into, triggers, body_handle)
    result.loop_of = _innermost_loops(bodies)
    for loop, body in bodies.items():
        result.back_edges.update(edge.index for edge in into[loop] if edge.source in body)
        for node in sorted(body):
            for edge in into[node]:
                if edge.source not in body if edge.source != loop else edge.handle != body_handle:
                    result.entering_body.append((edge, loop))


def _innermost_loops(bodies: Mapping[str, set[str]]) -> dict[str, str]:
    loop_of: dict[str, str] = {}
    # A nested loop's body is a subset of its parent's: visit larger bodies first so the
    # innermost loop is written last.
    for loop, body in sorted(bodies.items(), key=lambda item: (-len(item[1]), item[0])):
        for node in body:
            loop_of[node] = loop
    return loop_of


def _find_cycle(nodes: set[str], outgoing: Mapping[str, list[Edge]], skip: set[int]) -> list[str]:
    """One cycle among `nodes` (ignoring edges in `skip`), as a list of node ids."""
    state: dict[str, int] = {}
    # A node's edges are sifted once, when it is entered: sifted again each time the walk
    # comes back to it, a node with thousands of edges cost millions of steps.
    followed: dict[str, list[Edge]] = {}
    for start in sorted(nodes):
        if start in state:
            continue
        stack: list[tuple[str, int]] = [(start, 0)]
        path: list[str] = []
        while stack:
            node, next_index = stack.pop()
            if next_index == 0:
                state[node] = 1
                path.append(node)
                followed[node] = [
                    e for e in outgoing[node] if e.index not in skip and e.target in nodes
                ]
            edges = followed[node]
            if next_index < len(edges):
                stack.append((node, next_index + 1))
                target = edges[next_index].target
                if state.get(target) == 1:
                    return path[path.index(target) :]
                if target not in state:
                    stack.append((target, 0))
            else:
                state[node] = 2
                path.pop()
    return []


def analyse(
    node_ids: Sequence[str],
    edges: Sequence[Edge],
    *,
    triggers: Sequence[str],
    loops: Sequence[str],
    body_handle: str = "body",
) -> Analysis:
    """Analyse a graph whose edges all join existing nodes.

    Args:
        node_ids: Every node.
        edges: Every edge, between nodes of `node_ids`.
        triggers: Nodes runs start from.
        loops: Loop nodes (their `body_handle` edges lead into a body that may return).
    """
    outgoing: dict[str, list[Edge]] = {node: [] for node in node_ids}
    into: dict[str, list[Edge]] = {node: [] for node in node_ids}
    for edge in edges:
        outgoing[edge.source].append(edge)
        into[edge.target].append(edge)
    result = Analysis()
    nesting = nested_bodies(loops, outgoing, body_handle)
    if nesting is not None:
        # Bodies nest and no edge enters one: nothing to report, each node kept once.
        result.loop_of = nesting.loop_of
        for loop in loops:
            result.back_edges.update(
                edge.index for edge in into[loop] if nesting.in_body(edge.source, loop)
            )
    else:
        _bodies_one_by_one(result, loops, outgoing, into, triggers, body_handle)
    skipped = {edge.index for edge, _ in result.leaving_body}

    queue = deque(triggers)
    result.reachable = set(triggers)
    while queue:
        for edge in outgoing[queue.popleft()]:
            if edge.target not in result.reachable:
                result.reachable.add(edge.target)
                queue.append(edge.target)

    # An edge leaving a body is reported as such, not again as the cycle it closes.
    forward = [
        edge for edge in edges if edge.index not in result.back_edges and edge.index not in skipped
    ]
    incoming: dict[str, list[Edge]] = {node: [] for node in node_ids}

    pending = dict.fromkeys(node_ids, 0)
    for edge in forward:
        if edge.source in result.reachable:
            incoming[edge.target].append(edge)
            pending[edge.target] += 1
    ready = deque(sorted(node for node in result.reachable if pending[node] == 0))
    while ready:
        node = ready.popleft()
        result.order.append(node)
        for edge in outgoing[node]:
            if edge.index in result.back_edges or edge.index in skipped:
                continue
            pending[edge.target] -= 1
            if pending[edge.target] == 0:
                ready.append(edge.target)
    if len(result.order) < len(result.reachable):
        stuck = result.reachable - set(result.order)
        result.cycle = _find_cycle(stuck, outgoing, result.back_edges | skipped)

    result._position = _depth_first_positions(result.order, incoming)
    for node in result.order:
        result._ancestors[node] = _ancestor_runs(
            [edge.source for edge in incoming[node]], result._ancestors, result._position
        )
    return result


def _depth_first_positions(
    order: Sequence[str], incoming: Mapping[str, list[Edge]]
) -> dict[str, int]:
    """Positions in a topological order where each node's ancestors are mostly side by side.

    A depth-first walk up the incoming edges, started from the last nodes, places a whole
    branch before the next: a node's ancestors then form one run for a chain and a few
    where branches meet, where a breadth-first order would interleave parallel branches.
    """
    position: dict[str, int] = {}
    for root in reversed(order):
        if root in position:
            continue
        stack: list[tuple[str, int]] = [(root, 0)]
        entered = {root}
        while stack:
            node, next_edge = stack.pop()
            sources = incoming[node]
            while next_edge < len(sources) and (
                sources[next_edge].source in position or sources[next_edge].source in entered
            ):
                next_edge += 1
            if next_edge < len(sources):
                stack.append((node, next_edge + 1))
                source = sources[next_edge].source
                entered.add(source)
                stack.append((source, 0))
            else:
                position[node] = len(position)
    return position


def _ancestor_runs(
    sources: Sequence[str], ancestors: Mapping[str, Runs], position: Mapping[str, int]
) -> Runs:
    """The runs of positions of the sources and all their ancestors."""
    if len(sources) == 1:
        # A chain's next node: its parent's runs, the parent added (most often to the last run).
        runs = ancestors[sources[0]]
        at = position[sources[0]]
        if runs and runs[-1] == at:
            return (*runs[:-1], at + 1)
        if not runs or runs[-1] < at:
            return (*runs, at, at + 1)
    pieces = sorted(
        [(position[source], position[source] + 1) for source in sources]
        + [
            run
            for source in sources
            for run in zip(ancestors[source][::2], ancestors[source][1::2], strict=True)
        ]
    )
    merged: list[int] = []
    for start, end in pieces:
        if merged and start <= merged[-1]:
            merged[-1] = max(merged[-1], end)
        else:
            merged += (start, end)
    return tuple(merged)
