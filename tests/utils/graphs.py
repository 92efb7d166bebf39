"""Valid workflow graphs of any size, built segment by segment (for benchmarks and properties)."""

from __future__ import annotations

import itertools
import random
from collections.abc import Callable
from typing import Any


class GraphBuilder:
    """Appends well-formed segments after the current node; every expression reads upstream."""

    def __init__(self, seed: int = 0) -> None:
        self.random = random.Random(seed)
        self.nodes: list[dict[str, Any]] = [{"id": "start", "type": "trigger.manual"}]
        self.edges: list[dict[str, Any]] = []
        self.current = "start"

    def _node(self, type_: str, parameters: dict[str, Any], **extra: Any) -> str:
        node_id = f"n{len(self.nodes)}"
        self.nodes.append({"id": node_id, "type": type_, "parameters": parameters, **extra})
        return node_id

    def _edge(self, source: str, target: str, handle: str | None = None) -> None:
        edge: dict[str, Any] = {"id": f"e{len(self.edges)}", "source": source, "target": target}
        if handle:
            edge["sourceHandle"] = handle
        self.edges.append(edge)

    def _merge(self, value: str, *branches: str) -> None:
        """End exclusive branches on one node, which the next segment continues from."""
        merge = self._node("transform", {"value": value})
        for branch in branches:
            self._edge(branch, merge)
        self.current = merge

    def transform(self) -> None:
        node = self._node(
            "transform",
            {"value": {"from": f"{{{{ nodes['{self.current}'] }}}}", "n": len(self.nodes)}},
        )
        self._edge(self.current, node)
        self.current = node

    def http(self) -> None:
        node = self._node(
            "http.request",
            {"method": "POST", "url": "https://example.com/{{ trigger.path }}"},
            retry={"maximum_attempts": 5},
        )
        self._edge(self.current, node)
        self.current = node

    def branch(self) -> None:
        decision = self._node("if", {"condition": f"nodes['{self.current}'] != null"})
        self._edge(self.current, decision)
        yes = self._node("transform", {"value": f"{{{{ nodes['{decision}'].result }}}}"})
        no = self._node("set", {"values": {"flag": True}})
        self._edge(decision, yes, "true")
        self._edge(decision, no, "false")
        self._merge("merged", yes, no)

    def parallel(self) -> None:
        left = self._node("transform", {"value": 1})
        right = self._node("transform", {"value": 2})
        join = self._node("join", {"mode": "all"})
        for node in (left, right):
            self._edge(self.current, node)
            self._edge(node, join)
        self.current = join

    def loop(self) -> None:
        loop = self._node("loop", {"items": "range(3)"})
        body = self._node("transform", {"value": "{{ item }} of {{ index }}"})
        self._edge(self.current, loop)
        self._edge(loop, body, "body")
        self._edge(body, loop)
        after = self._node("transform", {"value": f"{{{{ nodes['{loop}'].count }}}}"})
        self._edge(loop, after, "done")
        self.current = after

    def switch(self) -> None:
        decision = self._node(
            "switch",
            {"cases": [{"handle": "big", "condition": f"nodes['{self.current}'] != null"}]},
        )
        self._edge(self.current, decision)
        big = self._node("transform", {"value": "{{ trigger.path }}"})
        other = self._node("set", {"values": {"flag": False}})
        self._edge(decision, big, "big")
        self._edge(decision, other, "default")
        self._merge(f"{{{{ nodes['{decision}'].handle }}}}", big, other)

    def delay(self) -> None:
        node = self._node("delay", {"duration": self.random.choice(["PT1M", "PT1H", 90])})
        self._edge(self.current, node)
        self.current = node

    def wait_for_event(self) -> None:
        wait = self._node(
            "wait_for_event",
            {"event": "order.paid", "match": "event.order == trigger.order", "timeout": "P1D"},
        )
        self._edge(self.current, wait)
        after = self._node("transform", {"value": f"{{{{ nodes['{wait}'] }}}}"})
        self._edge(wait, after, "out")
        self._edge(wait, after, "timeout")
        self.current = after

    def approval(self) -> None:
        review = self._node("approval", {"message": "Go on?", "timeout": "P2D"})
        self._edge(self.current, review)
        approved = self._node("transform", {"value": f"{{{{ nodes['{review}'].by }}}}"})
        declined = self._node("set", {"values": {"declined": True}})
        self._edge(review, approved, "approved")
        self._edge(review, declined, "rejected")
        self._edge(review, declined, "timeout")
        self._merge(f"{{{{ nodes['{review}'].decision }}}}", approved, declined)

    def sub_workflow(self) -> None:
        node = self._node(
            "sub_workflow",
            {"workflow_id": "wf_0a1b2c3d4e5f", "input": {"from": "{{ trigger.path }}"}},
            timeout_seconds=600,
        )
        self._edge(self.current, node)
        self.current = node

    def segments(self) -> list[Callable[[], None]]:
        return [
            self.transform, self.http, self.branch, self.parallel, self.loop,
            self.switch, self.delay, self.wait_for_event, self.approval, self.sub_workflow,
        ]  # fmt: skip

    def grow(self, size: int) -> dict[str, Any]:
        """Add random segments until the graph has exactly `size` nodes (at least 2).

        Each segment adds at most 4 nodes and ends on the node the next one continues from.
        """
        segments = self.segments()
        weights = [8, 6, 2, 2, 2, 2, 1, 1, 1, 1]
        while len(self.nodes) < size - 4:
            self.random.choices(segments, weights)[0]()
        while len(self.nodes) < size:
            self.transform()
        return self.graph()

    def graph(self) -> dict[str, Any]:
        return {"nodes": self.nodes, "edges": self.edges}


def sized_graph(size: int, seed: int = 0) -> dict[str, Any]:
    return GraphBuilder(seed).grow(size)


def repeating_graph(size: int) -> dict[str, Any]:
    """Every kind of segment in turn, again and again: twice the size is twice the same
    work, node for node (for counting work per node, where `sized_graph`'s mix varies)."""
    builder = GraphBuilder(seed=0)
    segments = itertools.cycle(builder.segments())
    while len(builder.nodes) < size - 4:
        next(segments)()
    while len(builder.nodes) < size:
        builder.transform()
    return builder.graph()


def entered_loop_body(size: int) -> dict[str, Any]:
    """A loop whose body is the whole graph, with an edge into its middle from outside:
    invalid, as a graph often is between two edits."""
    body = [f"n{index}" for index in range(size - 2)]
    nodes = [
        {"id": "start", "type": "trigger.manual"},
        {"id": "loop", "type": "loop", "parameters": {"items": "range(3)"}},
        *({"id": node, "type": "transform", "parameters": {"value": 1}} for node in body),
    ]
    edges = [
        {"source": "start", "target": "loop"},
        {"source": "loop", "target": body[0], "sourceHandle": "body"},
        *({"source": body[i], "target": body[i + 1]} for i in range(len(body) - 1)),
        {"source": body[-1], "target": "loop"},
        {"source": "start", "target": body[len(body) // 2]},
    ]
    return {"nodes": nodes, "edges": edges}


def cycle_behind_a_hub(size: int) -> dict[str, Any]:
    """A cycle, and after it a node with an edge to every other: the search for the cycle
    comes back to that node once per edge."""
    leaves = [f"n{index}" for index in range(size - 4)]
    nodes = [
        {"id": "start", "type": "trigger.manual"},
        *(
            {"id": node, "type": "transform", "parameters": {"value": 1}}
            for node in ["a", "b", "hub", *leaves]
        ),
    ]
    edges = [
        {"source": "start", "target": "a"},
        {"source": "a", "target": "b"},
        {"source": "b", "target": "hub"},
        {"source": "b", "target": "a"},
        *({"source": "hub", "target": leaf} for leaf in leaves),
    ]
    return {"nodes": nodes, "edges": edges}


def disabled_triggers(size: int) -> dict[str, Any]:
    """Half the nodes are triggers, every one disabled."""
    half = size // 2
    triggers = [{"id": f"t{i}", "type": "trigger.manual", "disabled": True} for i in range(half)]
    nodes = [
        *triggers,
        *({"id": f"n{i}", "type": "transform", "parameters": {"value": 1}} for i in range(half)),
    ]
    return {"nodes": nodes, "edges": [{"source": f"t{i}", "target": f"n{i}"} for i in range(half)]}


def nested_loops(size: int) -> dict[str, Any]:
    """Loops nested in one another, as deep as the size allows: each loop's body is the
    next loop and, after it, a node leading back (valid; every loop's body holds all the
    loops inside it)."""
    depth = (size - 2) // 2
    loops = [f"loop{index}" for index in range(depth)]
    backs = [f"back{index}" for index in range(depth)]
    nodes = [
        {"id": "start", "type": "trigger.manual"},
        *({"id": loop, "type": "loop", "parameters": {"items": "range(2)"}} for loop in loops),
        *({"id": back, "type": "transform", "parameters": {"value": 1}} for back in backs),
        *(
            {"id": f"fill{index}", "type": "transform", "parameters": {"value": 1}}
            for index in range(size - 1 - 2 * depth)
        ),
    ]
    edges = [{"source": "start", "target": loops[0]}]
    for index, (loop, back) in enumerate(zip(loops, backs, strict=True)):
        inner = loops[index + 1] if index + 1 < depth else back
        edges.append({"source": loop, "target": inner, "sourceHandle": "body"})
        if inner != back:
            edges.append({"source": inner, "target": back, "sourceHandle": "done"})
        edges.append({"source": back, "target": loop})
    edges += [
        {"source": "start", "target": f"fill{index}"} for index in range(size - 1 - 2 * depth)
    ]
    return {"nodes": nodes, "edges": edges}
