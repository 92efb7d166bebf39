"""Validation: a pure function from a submitted document to a checked graph, or every problem.

Problems are collected, not raised one by one: a builder shows them all next to their nodes.
"""

from __future__ import annotations

import gc
import json
import re
import threading
import zoneinfo
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from app.language.analysis import Analysis, Edge, analyse
from app.language.catalog import Catalog
from app.language.errors import Issue
from app.language.expressions import Reference
from app.language.graph import VARIABLE_PATTERN, WorkflowGraph, normalize
from app.language.graph_checks import DEFAULT_HANDLE, check_edges, check_nodes
from app.language.node_type import NodeType
from app.language.references import check_references, node_references

__all__ = ["DEFAULT_HANDLE", "CheckedGraph", "SizeLimits", "collector_paused", "validate"]
LOOP_TYPE = "loop"
_VARIABLE = re.compile(VARIABLE_PATTERN)


@dataclass(frozen=True)
class SizeLimits:
    """How big a workflow may be."""

    max_nodes: int = 10_000
    max_edges: int = 50_000
    max_document_bytes: int = 10_000_000


DEFAULT_SIZE_LIMITS = SizeLimits()


@dataclass
class CheckedGraph:
    """A graph that passed validation, with what the compiler needs from the checks."""

    graph: WorkflowGraph
    types: dict[str, NodeType]
    edges: list[Edge]
    analysis: Analysis
    references: dict[str, list[Reference]] = field(default_factory=dict)


def _node_id_at(document: Any, index: int) -> str | None:
    try:
        node_id = document["nodes"][index]["id"]
    except (KeyError, IndexError, TypeError):
        return None
    return node_id if isinstance(node_id, str) else None


def _parse(document: Any, limits: SizeLimits) -> tuple[WorkflowGraph | None, list[Issue]]:
    try:
        size = len(json.dumps(document, separators=(",", ":")))
    except (TypeError, ValueError):
        return None, [Issue("schema", "the workflow is not a JSON document")]
    if size > limits.max_document_bytes:
        return None, [
            Issue("too_large", f"the workflow is {size} bytes; at most {limits.max_document_bytes}")
        ]
    normalized = normalize(document)
    try:
        graph = WorkflowGraph.model_validate(normalized)
    except ValidationError as error:
        issues = []
        for problem in error.errors(include_url=False):
            path = tuple(problem["loc"])
            node_id = (
                _node_id_at(normalized, path[1])
                if len(path) > 1 and path[0] == "nodes" and isinstance(path[1], int)
                else None
            )
            issues.append(Issue("schema", problem["msg"], node_id, path))
        return None, issues
    issues = []
    if len(graph.nodes) > limits.max_nodes:
        issues.append(
            Issue(
                "too_large",
                f"{len(graph.nodes)} nodes; at most {limits.max_nodes}",
                None,
                ("nodes",),
            )
        )
    if len(graph.edges) > limits.max_edges:
        issues.append(
            Issue(
                "too_large",
                f"{len(graph.edges)} edges; at most {limits.max_edges}",
                None,
                ("edges",),
            )
        )
    return graph, issues


def _check_settings(graph: WorkflowGraph) -> list[Issue]:
    issues = []
    try:
        zoneinfo.ZoneInfo(graph.settings.timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        issues.append(
            Issue(
                "invalid_setting",
                f"unknown time zone '{graph.settings.timezone}'",
                None,
                ("settings", "timezone"),
            )
        )
    for name in graph.settings.variables:
        if not _VARIABLE.match(name):
            issues.append(
                Issue(
                    "invalid_setting",
                    f"variable name '{name}': use letters, digits and _, not a leading digit",
                    None,
                    ("settings", "variables", name),
                )
            )
    return issues


def _check_shape(
    graph: WorkflowGraph, types: Mapping[str, NodeType], edges: list[Edge]
) -> tuple[Analysis | None, list[Issue]]:
    triggers = [
        node.id for node in graph.nodes if node.id in types and types[node.id].kind == "trigger"
    ]
    if not triggers:
        return None, [
            Issue(
                "missing_trigger",
                "the workflow has no trigger: add a manual, schedule or webhook trigger",
                None,
                ("nodes",),
            )
        ]
    analysis = analyse(
        [node.id for node in graph.nodes],
        edges,
        triggers=triggers,
        loops=[node.id for node in graph.nodes if node.type == LOOP_TYPE],
    )
    issues: list[Issue] = []
    index_of = {node.id: index for index, node in enumerate(graph.nodes)}
    for node in graph.nodes:
        if node.id not in analysis.reachable and node.id in types:
            issues.append(
                Issue(
                    "unreachable_node",
                    "no trigger leads to this node",
                    node.id,
                    ("nodes", index_of[node.id]),
                )
            )
    if analysis.cycle:
        loop = " → ".join([*analysis.cycle, analysis.cycle[0]])
        issues.append(
            Issue(
                "cycle",
                f"the workflow loops back on itself ({loop}); use a loop node to repeat steps",
                analysis.cycle[0],
                ("nodes", index_of[analysis.cycle[0]]),
            )
        )
    for edge, loop_id in analysis.entering_body:
        issues.append(
            Issue(
                "edge_into_loop_body",
                f"this edge enters the body of loop '{loop_id}' from outside it",
                edge.source,
                ("edges", edge.index),
            )
        )
    return analysis, issues


_pauses = 0
_pauses_lock = threading.Lock()
_resume_collector = False


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while a large graph is checked.

    Checking allocates many short-lived objects and no reference cycles; with the
    collector on, its full passes over every live object made a 10,000-node graph
    take three times longer than ten 1,000-node ones. The collector is one per process and
    graphs are checked in several threads at once: it resumes when the last pause ends.
    """
    global _pauses, _resume_collector
    with _pauses_lock:
        if _pauses == 0:
            _resume_collector = gc.isenabled()
            gc.disable()
        _pauses += 1
    try:
        yield
    finally:
        with _pauses_lock:
            _pauses -= 1
            if _pauses == 0 and _resume_collector:
                gc.enable()


def validate(
    document: Any,
    *,
    catalog: Catalog,
    accounts: Mapping[str, str],
    limits: SizeLimits = DEFAULT_SIZE_LIMITS,
) -> tuple[CheckedGraph | None, list[Issue]]:
    """Check a submitted workflow completely.

    Args:
        document: The JSON the builder sent (React Flow `toObject()` or native).
        catalog: The node types the graph may use.
        accounts: The caller's organization's accounts: id → platform.
        limits: Size limits.

    Returns:
        The checked graph and no issues, or None and every issue found.
    """
    with collector_paused():
        return _validate(document, catalog, accounts, limits)


def _validate(
    document: Any, catalog: Catalog, accounts: Mapping[str, str], limits: SizeLimits
) -> tuple[CheckedGraph | None, list[Issue]]:
    graph, issues = _parse(document, limits)
    if graph is None or issues:
        return None, issues
    issues += _check_settings(graph)
    types, handles, node_issues = check_nodes(graph, catalog, accounts)
    issues += node_issues
    edges, edge_issues = check_edges(graph, types, handles)
    issues += edge_issues
    analysis, shape_issues = _check_shape(graph, types, edges)
    issues += shape_issues
    references: dict[str, list[Reference]] = {}
    known = {node.id for node in graph.nodes}
    for index, node in enumerate(graph.nodes):
        node_type = types.get(node.id)
        if node_type is None:
            continue
        # Templates in literal fields are refused by `check_nodes`, not compiled.
        rendered = {
            name: value
            for name, value in node.parameters.items()
            if name not in node_type.literal_fields
        }
        found, expression_issues = node_references(
            node.id, rendered, node_type.expression_fields, ("nodes", index, "parameters")
        )
        issues += expression_issues
        references[node.id] = [reference for _, reference in found]
        if analysis is not None and analysis.is_ordered(node.id):
            issues += check_references(node.id, found, analysis, known)
    if issues or analysis is None:
        return None, issues
    return CheckedGraph(graph, types, edges, analysis, references), []
