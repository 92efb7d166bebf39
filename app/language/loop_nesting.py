"""Loop bodies nested in one another, found in time linear in the graph.

A loop's body is every node its body edges lead to before coming back to the loop. Loops
nested in one another each hold the bodies of those inside them: written out as sets,
3,333 nested loops (6,668 nodes) made 11 million entries and took seconds to check. When
bodies nest cleanly, as loops written one inside another do, each node is kept
once, with the innermost loop whose body it is in, and a loop inside another with that
other: a body is then a subtree, and "is this node in that body" one comparison of
positions in a walk of the tree. A graph where bodies overlap otherwise, or an edge jumps
into a body, is left to the walk body by body (`app.language.analysis`), which reports it.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from app.language.errors import LanguageError


class _Edge(Protocol):
    @property
    def source(self) -> str: ...
    @property
    def handle(self) -> str: ...
    @property
    def target(self) -> str: ...


@dataclass
class Nesting:
    """Loop bodies as a tree: each node in a body points to its innermost loop."""

    loop_of: dict[str, str] = field(default_factory=dict)
    """Node id (a loop included) → the innermost loop whose body it is in."""
    _entered: dict[str, int] = field(default_factory=dict)
    _left: dict[str, int] = field(default_factory=dict)

    def in_body(self, node: str, loop: str) -> bool:
        """Whether `node` is in `loop`'s body (at any depth)."""
        innermost = self.loop_of.get(node)
        if innermost is None:
            return False
        return self._entered[loop] <= self._entered[innermost] <= self._left[loop]


class NotNested(LanguageError):
    """Bodies overlap without one holding the other: the walk body by body decides. Never
    leaves `nested_bodies`."""

    def __init__(self) -> None:
        super().__init__("loop bodies overlap")


def nested_bodies(
    loops: Sequence[str], outgoing: Mapping[str, Sequence[_Edge]], body_handle: str
) -> Nesting | None:
    """Every loop's body as a tree, or None when bodies do not nest or an edge enters one.

    Each node is walked once: a loop's walk that meets another loop takes that loop's
    body, found first, as one piece (nothing in a body leads out of it but through its
    loop) and goes on from the loop's other edges.
    """
    nesting = Nesting()
    is_loop, done = set(loops), set[str]()
    try:
        for loop in loops:
            if loop not in nesting._entered:
                _walk_bodies_from(loop, is_loop, done, outgoing, body_handle, nesting)
    except NotNested:
        return None
    _number_the_tree(loops, nesting)
    if _some_edge_enters_a_body(outgoing, body_handle, nesting):
        return None
    return nesting


def _walk_bodies_from(
    first: str,
    is_loop: set[str],
    done: set[str],
    outgoing: Mapping[str, Sequence[_Edge]],
    body_handle: str,
    nesting: Nesting,
) -> None:
    """Walk `first`'s body, and first the body of each loop met in it (a stack, not
    recursion: loops may nest thousands deep). `_entered` marks a loop's walk started,
    `done` its end."""
    # Each walk: its loop and the edges still to follow.
    walks: list[tuple[str, deque[_Edge]]] = []

    def start(loop: str) -> None:
        nesting._entered[loop] = 0
        walks.append((loop, deque(edge for edge in outgoing[loop] if edge.handle == body_handle)))

    start(first)
    while walks:
        loop, queue = walks[-1]
        while queue:
            edge = queue[0]
            node = edge.target
            if node == loop or nesting.loop_of.get(node) == loop:
                queue.popleft()
                continue
            if node in nesting.loop_of:
                raise NotNested  # in another loop's body, reached without its loop
            if node in is_loop and node not in done:
                if node in nesting._entered:
                    raise NotNested  # two loops each in the other's body
                start(node)  # its body first; this edge is taken again after
                break
            queue.popleft()
            nesting.loop_of[node] = loop
            if node in is_loop:
                # Its body is walked: go on from its other edges only.
                queue.extend(e for e in outgoing[node] if e.handle != body_handle)
            else:
                queue.extend(outgoing[node])
        else:
            walks.pop()
            done.add(loop)


def _number_the_tree(loops: Sequence[str], nesting: Nesting) -> None:
    """Number loops in a depth-first walk of the tree: a loop's body holds the loops
    numbered from its own number to its last descendant's."""
    children: dict[str, list[str]] = {loop: [] for loop in loops}
    roots: list[str] = []
    for loop in loops:
        parent = nesting.loop_of.get(loop)
        (children[parent] if parent is not None else roots).append(loop)
    counter = 0
    for root in roots:
        stack: list[tuple[str, bool]] = [(root, False)]
        while stack:
            loop, finished = stack.pop()
            if finished:
                nesting._left[loop] = counter - 1
                continue
            nesting._entered[loop] = counter
            counter += 1
            stack.append((loop, True))
            stack.extend((child, False) for child in reversed(children[loop]))


def _some_edge_enters_a_body(
    outgoing: Mapping[str, Sequence[_Edge]], body_handle: str, nesting: Nesting
) -> bool:
    """Whether an edge leads into a body from outside it (or from its loop, by another
    handle than the body's): the walk body by body tells which and where."""
    for source, edges in outgoing.items():
        for edge in edges:
            loop = nesting.loop_of.get(edge.target)
            if loop is None:
                continue
            if source == loop:
                if edge.handle != body_handle:
                    return True
            elif not nesting.in_body(source, loop):
                return True
    return False
