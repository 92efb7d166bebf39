"""Validation problems, each naming the node and the field so a builder can show it in place."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Issue:
    """One thing wrong with a workflow graph."""

    code: str
    """Stable machine-readable kind, e.g. `unknown_node_type`, `dangling_edge`."""
    message: str
    """What is wrong, in words a builder can show next to the node."""
    node_id: str | None = None
    """The node the problem belongs to, if any."""
    path: tuple[str | int, ...] = field(default=())
    """Where in the submitted document, e.g. `("nodes", 3, "parameters", "url")`."""
    edge_id: str | None = None


class GraphInvalidError(Exception):
    """The graph cannot be compiled; `issues` lists every problem found, not just the first."""

    def __init__(self, issues: list[Issue]) -> None:
        super().__init__(f"{len(issues)} problem(s) in the workflow graph")
        self.issues = issues
