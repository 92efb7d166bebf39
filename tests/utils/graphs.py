"""Valid workflow graphs of any size, built segment by segment (for benchmarks and properties)."""

from __future__ import annotations

import random
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
        merge = self._node("transform", {"value": "merged"})
        self._edge(decision, yes, "true")
        self._edge(decision, no, "false")
        self._edge(yes, merge)
        self._edge(no, merge)
        self.current = merge

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

    def grow(self, size: int) -> dict[str, Any]:
        """Add random segments until the graph has exactly `size` nodes (at least 2)."""
        segments = [self.transform, self.http, self.branch, self.parallel, self.loop]
        weights = [4, 3, 1, 1, 1]
        while len(self.nodes) < size - 4:
            self.random.choices(segments, weights)[0]()
        while len(self.nodes) < size:
            self.transform()
        return self.graph()

    def graph(self) -> dict[str, Any]:
        return {"nodes": self.nodes, "edges": self.edges}


def sized_graph(size: int, seed: int = 0) -> dict[str, Any]:
    return GraphBuilder(seed).grow(size)
