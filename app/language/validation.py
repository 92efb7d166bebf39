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
from dataclasses import dataclass, field, replace
from typing import Any

from pydantic import ValidationError

from app.language.analysis import Analysis, Edge, analyse
from app.language.catalog import Catalog
from app.language.errors import Issue
from app.language.expressions import Reference
from app.language.graph import VARIABLE_PATTERN, WorkflowGraph, normalize
from app.language.graph_checks import DEFAULT_HANDLE, check_edges, check_nodes
from app.language.node_type import NodeType
from app.language.parameter_validators import is_templated, message_of
from app.language.references import OWN_LOOP_ROOT_FIELDS, check_references, node_references

__all__ = ["DEFAULT_HANDLE", "CheckedGraph", "SizeLimits", "collector_paused", "validate"]
LOOP_TYPE = "loop"
JOIN_TYPE = "join"
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
            issues.append(Issue("schema", message_of(problem), node_id, path))
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
    issues: list[Issue] = []
    index_of = {node.id: index for index, node in enumerate(graph.nodes)}
    # A set: with thousands of triggers, a list scanned per node made this quadratic.
    trigger_ids = set(triggers)
    if all(node.disabled for node in graph.nodes if node.id in trigger_ids):
        issues.append(
            Issue(
                "no_enabled_trigger",
                "every trigger is disabled, so no run can start: enable one "
                "(deactivate the workflow to pause its schedules and webhooks)",
                triggers[0],
                ("nodes", index_of[triggers[0]], "disabled"),
            )
        )
    analysis = analyse(
        [node.id for node in graph.nodes if not node.ui_only],
        edges,
        triggers=triggers,
        loops=[node.id for node in graph.nodes if node.type == LOOP_TYPE],
    )
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
                graph.edges[edge.index].id,
            )
        )
    for edge, loop_id in analysis.leaving_body:
        issues.append(
            Issue(
                "edge_out_of_loop_body",
                f"this edge leaves the body of loop '{loop_id}' for '{edge.target}', which "
                f"runs before or beside the loop: end an iteration with an edge back to "
                f"'{loop_id}', and continue after the loop from its 'done' output",
                edge.source,
                ("edges", edge.index),
                graph.edges[edge.index].id,
            )
        )
    issues += _check_joins(graph, edges, analysis, index_of)
    return analysis, issues


def _check_joins(
    graph: WorkflowGraph, edges: list[Edge], analysis: Analysis, index_of: Mapping[str, int]
) -> list[Issue]:
    """A join meets branches: with one incoming edge it would wait for nothing."""
    incoming: dict[str, int] = {}
    for edge in edges:
        if edge.index not in analysis.back_edges:
            incoming[edge.target] = incoming.get(edge.target, 0) + 1
    return [
        Issue(
            "join_needs_branches",
            f"a join waits for the branches that meet at it, and only {count} edge leads "
            "here: connect two or more branches, or remove the join",
            node.id,
            ("nodes", index_of[node.id]),
        )
        for node in graph.nodes
        if node.type == JOIN_TYPE and (count := incoming.get(node.id, 0)) == 1
    ]


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
        checked, issues = _validate(document, catalog, accounts, limits)
    return checked, _with_edge_ids(document, issues)


def _with_edge_ids(document: Any, issues: list[Issue]) -> list[Issue]:
    """Every problem about an edge names it, so a builder can mark it: its `id`, else its
    index in `edges`."""
    edges = document.get("edges") if isinstance(document, dict) else None
    if not isinstance(edges, list):
        return issues
    named = []
    for issue in issues:
        index = issue.path[1] if len(issue.path) > 1 and issue.path[0] == "edges" else None
        if issue.edge_id is None and isinstance(index, int) and 0 <= index < len(edges):
            raw = edges[index]
            edge_id = raw.get("id") if isinstance(raw, dict) else None
            issue = replace(issue, edge_id=edge_id if isinstance(edge_id, str) else index)
        named.append(issue)
    return named


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
    known = {node.id for node in graph.nodes if not node.ui_only}
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
        if node_type.account is not None and is_templated(node.account_id):
            # An account chosen at run time reads the run's data like any parameter.
            account_found, account_issues = node_references(
                node.id, {"account_id": node.account_id}, (), ("nodes", index)
            )
            found += account_found
            issues += account_issues
        references[node.id] = [reference for _, reference in found]
        if analysis is not None and analysis.is_ordered(node.id):
            own = OWN_LOOP_ROOT_FIELDS.get(node_type.type, ())
            issues += check_references(node.id, found, analysis, known, own)
    if issues or analysis is None:
        return None, issues
    return CheckedGraph(graph, types, edges, analysis, references), []
