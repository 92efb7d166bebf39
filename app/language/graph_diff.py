"""What changed between two graphs of a workflow: nodes added, removed or changed (which
fields, before and after), edges added or removed, and settings changed.

Both graphs are compared in the native form (React Flow's layout folded in, `normalize`), so
a graph saved from the builder and the same graph written as JSON do not differ. What only the
builder draws (positions, sizes, a note's text) is not compared: it changes no run.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from app.language.graph import GraphEdge, WorkflowGraph, normalize

_COMPARED = (
    "type", "name", "parameters", "account_id", "retry", "timeout_seconds", "on_error", "disabled",
)  # fmt: skip


@dataclass(frozen=True)
class FieldChange:
    path: str
    """The field, dotted: `parameters.text`, `retry.maximum_attempts`, `timezone`."""
    before: Any = None
    after: Any = None


@dataclass(frozen=True)
class NodeRef:
    id: str
    type: str


@dataclass(frozen=True)
class NodeChange:
    id: str
    type: str
    changes: list[FieldChange]


@dataclass(frozen=True)
class EdgeRef:
    source: str
    target: str
    source_handle: str | None = None
    target_handle: str | None = None


@dataclass(frozen=True)
class GraphDiff:
    nodes_added: list[NodeRef] = field(default_factory=list)
    nodes_removed: list[NodeRef] = field(default_factory=list)
    nodes_changed: list[NodeChange] = field(default_factory=list)
    edges_added: list[EdgeRef] = field(default_factory=list)
    edges_removed: list[EdgeRef] = field(default_factory=list)
    settings_changed: list[FieldChange] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        nodes = (self.nodes_added, self.nodes_removed, self.nodes_changed)
        return not any((*nodes, self.edges_added, self.edges_removed, self.settings_changed))


def diff_graphs(before: dict[str, Any], after: dict[str, Any]) -> GraphDiff:
    """What changed from `before` to `after`, two stored (so valid) graphs."""
    old = WorkflowGraph.model_validate(normalize(before))
    new = WorkflowGraph.model_validate(normalize(after))
    old_nodes = {node.id: _compared(node.model_dump(mode="json")) for node in old.nodes}
    new_nodes = {node.id: _compared(node.model_dump(mode="json")) for node in new.nodes}
    changed = [
        NodeChange(id=node_id, type=new_nodes[node_id]["type"], changes=changes)
        for node_id in sorted(old_nodes.keys() & new_nodes.keys())
        if (changes := _changes(old_nodes[node_id], new_nodes[node_id]))
    ]
    old_edges = {_edge(edge) for edge in old.edges}
    new_edges = {_edge(edge) for edge in new.edges}
    return GraphDiff(
        nodes_added=_refs(new_nodes, new_nodes.keys() - old_nodes.keys()),
        nodes_removed=_refs(old_nodes, old_nodes.keys() - new_nodes.keys()),
        nodes_changed=changed,
        edges_added=sorted(new_edges - old_edges, key=_edge_key),
        edges_removed=sorted(old_edges - new_edges, key=_edge_key),
        settings_changed=_changes(
            old.settings.model_dump(mode="json"), new.settings.model_dump(mode="json")
        ),
    )


def _compared(node: dict[str, Any]) -> dict[str, Any]:
    return {name: node.get(name) for name in _COMPARED}


def _refs(nodes: dict[str, dict[str, Any]], ids: set[str]) -> list[NodeRef]:
    return [NodeRef(id=node_id, type=nodes[node_id]["type"]) for node_id in sorted(ids)]


def _changes(before: Any, after: Any, path: str = "") -> list[FieldChange]:
    """The leaves that differ, descending into objects on both sides (lists are compared
    whole: an item moved is not the builder's to pin down)."""
    if before == after:
        return []
    if isinstance(before, dict) and isinstance(after, dict):
        found: list[FieldChange] = []
        for key in sorted(before.keys() | after.keys(), key=str):
            found += _changes(before.get(key), after.get(key), f"{path}.{key}" if path else key)
        return found
    return [FieldChange(path=path, before=before, after=after)]


def _edge(edge: GraphEdge) -> EdgeRef:
    # An edge's own id is the builder's: the same connection under another id is no change.
    return EdgeRef(edge.source, edge.target, edge.source_handle, edge.target_handle)


def _edge_key(edge: EdgeRef) -> tuple[str, str, str, str]:
    return (edge.source, edge.target, edge.source_handle or "", edge.target_handle or "")
