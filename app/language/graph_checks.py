"""Checks of nodes, accounts and edges: each returns what it learned and every problem found."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from pydantic import ValidationError

from app.language.analysis import Edge
from app.language.catalog import Catalog
from app.language.errors import Issue
from app.language.field_paths import is_expression_path, patterns_of
from app.language.graph import GraphNode, WorkflowGraph
from app.language.node_type import ERROR_HANDLE, TUNING_FIELDS, NodeType, Parameters
from app.language.nodes.fields import EXPRESSION_SYNTAX
from app.language.nodes.triggers import PollSource, PollTriggerParameters
from app.language.parameter_validators import is_templated, message_of

DEFAULT_HANDLE = "out"
_UI_NAMES = {"note": "sticky note", "group": "group"}


NOT_RENDERED = "is used as written, templates are not rendered here: write the value out"


def _templates_in(value: Any, path: tuple[str | int, ...]) -> Iterator[tuple[str | int, ...]]:
    if is_templated(value):
        yield path
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _templates_in(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _templates_in(item, (*path, index))


def _check_parameters(
    node_type: NodeType, parameters: dict[str, Any]
) -> tuple[Parameters | None, list[tuple[tuple[str | int, ...], str, str]]]:
    """The validated parameters (None when invalid) and the problems found: location,
    issue code and message.

    A templated value cannot be type-checked before the run, so errors on one are dropped;
    in a field that is never rendered (a literal or a bare-expression field) the template
    is read as it will be at run time, and its problem kept.
    """
    problems = [
        (path, "invalid_parameter", NOT_RENDERED)
        for name in node_type.literal_fields
        if name in parameters
        for path in _templates_in(parameters[name], (name,))
    ]
    templated = {path[0] for path, _, _ in problems}
    expressions = patterns_of(node_type.expression_fields)
    try:
        validated = node_type.parameters.model_validate(parameters)
    except ValidationError as error:
        return None, problems + [
            (
                tuple(problem["loc"]),
                EXPRESSION_SYNTAX if problem["type"] == EXPRESSION_SYNTAX else "invalid_parameter",
                message_of(problem),
            )
            for problem in error.errors(include_url=False)
            if is_expression_path(problem["loc"], expressions)
            or not (
                is_templated(problem.get("input"))
                or (problem["loc"] and problem["loc"][0] in templated)
            )
        ]
    return (None if problems else validated), problems


def check_nodes(
    graph: WorkflowGraph, catalog: Catalog, accounts: Mapping[str, str]
) -> tuple[dict[str, NodeType], dict[str, tuple[str, ...]], list[Issue]]:
    types: dict[str, NodeType] = {}
    handles: dict[str, tuple[str, ...]] = {}
    issues: list[Issue] = []
    ui_only: set[str] = set()
    for index, node in enumerate(graph.nodes):
        path: tuple[str | int, ...] = ("nodes", index)
        if node.id in types or node.id in handles or node.id in ui_only:
            issues.append(
                Issue(
                    "duplicate_node_id",
                    f"node id '{node.id}' is used twice",
                    node.id,
                    (*path, "id"),
                )
            )
            continue
        if node.ui_only:
            # Drawn, never run: no parameters to check, no outputs (edges to it are refused).
            ui_only.add(node.id)
            continue
        node_type = catalog.get(node.type)
        if node_type is None:
            issues.append(
                Issue(
                    "unknown_node_type",
                    f"unknown node type '{node.type}'",
                    node.id,
                    (*path, "type"),
                )
            )
            handles[node.id] = ()
            continue
        types[node.id] = node_type
        parameters, problems = _check_parameters(node_type, node.parameters)
        issues += [
            Issue(code, message, node.id, (*path, "parameters", *loc))
            for loc, code, message in problems
        ]
        handles[node.id] = node_type.handles_for(parameters) if parameters else node_type.handles
        issues += _check_account(node.id, node_type, node.account_id, accounts, path)
        issues += _check_node_fields(node, node_type, path)
        if isinstance(parameters, PollTriggerParameters):
            issues += _check_poll_source(node.id, parameters.source, catalog, accounts, path)
    return types, handles, issues


def _check_poll_source(
    node_id: str,
    source: PollSource,
    catalog: Catalog,
    accounts: Mapping[str, str],
    path: tuple[str | int, ...],
) -> list[Issue]:
    """A polling trigger's source is checked as the action node it stands for would be
    (templates in it are refused with every trigger parameter's: `literal_fields`)."""
    where = (*path, "parameters", "source")
    source_type = catalog.get(source.type)
    if source_type is None or source_type.kind != "action":
        return [
            Issue(
                "unknown_node_type",
                f"'{source.type}' is not an action node type: a poll's source is one",
                node_id,
                (*where, "type"),
            )
        ]
    _, problems = _check_parameters(source_type, source.parameters)
    issues = [
        Issue(code, message, node_id, (*where, "parameters", *loc))
        for loc, code, message in problems
    ]
    issues += _check_account(node_id, source_type, source.account_id, accounts, where)
    return issues


_UNUSED_FIELD_REASONS = {
    "retry": "only actions are retried",
    "timeout_seconds": "only actions and sub-workflows take a time limit",
}


def _check_node_fields(
    node: GraphNode, node_type: NodeType, path: tuple[str | int, ...]
) -> list[Issue]:
    """Refuse node-level fields this type would silently ignore (issue 3.2)."""
    issues = []
    if node.on_error != "fail" and node_type.kind == "trigger":
        issues.append(
            Issue(
                "invalid_setting",
                "a trigger cannot fail, so it has no on_error: leave it 'fail'",
                node.id,
                (*path, "on_error"),
            )
        )
    for name in TUNING_FIELDS:
        if getattr(node, name) is not None and name not in node_type.tuning_fields:
            uses = ", ".join(node_type.tuning_fields) or "neither"
            issues.append(
                Issue(
                    "unused_field",
                    f"'{node_type.title}' nodes do not use {name}: "
                    f"{_UNUSED_FIELD_REASONS[name]} (this type uses {uses}); remove it",
                    node.id,
                    (*path, name),
                )
            )
    return issues


def _check_account(
    node_id: str,
    node_type: NodeType,
    account_id: str | None,
    accounts: Mapping[str, str],
    path: tuple[str | int, ...],
) -> list[Issue]:
    where = (*path, "account_id")
    if account_id is None:
        if node_type.account_required:
            return [
                Issue(
                    "missing_account",
                    f"'{node_type.title}' needs a connected {node_type.account} account",
                    node_id,
                    where,
                )
            ]
        return []
    if node_type.account is None:
        return [Issue("unexpected_account", f"'{node_type.title}' uses no account", node_id, where)]
    if is_templated(account_id):
        # Known only at run time: the action checks it then (`AccountNotFound`, `WrongAccount`).
        return []
    platform = accounts.get(account_id)
    if platform is None:
        return [
            Issue(
                "unknown_account",
                f"account '{account_id}' does not exist in this organization",
                node_id,
                where,
            )
        ]
    if platform != node_type.account and platform not in node_type.other_accounts:
        return [
            Issue(
                "wrong_account",
                f"account '{account_id}' is a {platform} account, not {node_type.account}",
                node_id,
                where,
            )
        ]
    return []


def check_edges(
    graph: WorkflowGraph,
    types: Mapping[str, NodeType],
    handles: Mapping[str, tuple[str, ...]],
) -> tuple[list[Edge], list[Issue]]:
    on_error = {node.id: node.on_error for node in graph.nodes}
    ui_only = {node.id: _UI_NAMES[node.type] for node in graph.nodes if node.ui_only}
    edges: list[Edge] = []
    issues: list[Issue] = []
    seen_ids: set[str] = set()
    seen: set[tuple[str, str, str]] = set()
    for index, raw in enumerate(graph.edges):
        path: tuple[str | int, ...] = ("edges", index)
        handle = raw.source_handle or DEFAULT_HANDLE
        dangling = False
        ends = (("source", raw.source, raw.target), ("target", raw.target, raw.source))
        for end, node_id, other in ends:
            if node_id not in handles and node_id not in ui_only:
                issues.append(
                    Issue(
                        "dangling_edge",
                        f"edge {end} '{node_id}' is not a node of this workflow",
                        # Shown on the end that exists, so a builder can place it.
                        other if other in handles else None,
                        (*path, end),
                        raw.id,
                    )
                )
                dangling = True
        for end, node_id in (("source", raw.source), ("target", raw.target)):
            if node_id in ui_only:
                issues.append(
                    Issue(
                        "edge_to_ui_node",
                        f"'{node_id}' is a {ui_only[node_id]}: it is drawn, never run, so no "
                        "edge may join it",
                        None,
                        (*path, end),
                        raw.id,
                    )
                )
                dangling = True
        if raw.id is not None:
            if raw.id in seen_ids:
                issues.append(
                    Issue(
                        "duplicate_edge",
                        f"edge id '{raw.id}' is used twice",
                        None,
                        (*path, "id"),
                        raw.id,
                    )
                )
            seen_ids.add(raw.id)
        if dangling:
            continue
        if (raw.source, handle, raw.target) in seen:
            issues.append(
                Issue(
                    "duplicate_edge",
                    f"'{raw.source}' ({handle}) is joined to '{raw.target}' twice",
                    raw.source,
                    path,
                    raw.id,
                )
            )
            continue
        seen.add((raw.source, handle, raw.target))
        target_type = types.get(raw.target)
        if target_type is not None and target_type.kind == "trigger":
            issues.append(
                Issue(
                    "edge_into_trigger",
                    f"trigger '{raw.target}' cannot have incoming edges",
                    raw.target,
                    (*path, "target"),
                    raw.id,
                )
            )
            continue
        if handle == ERROR_HANDLE:
            if on_error[raw.source] != "route":
                issues.append(
                    Issue(
                        "unknown_handle",
                        f"node '{raw.source}' routes no errors: set its on_error to 'route'",
                        raw.source,
                        (*path, "sourceHandle"),
                        raw.id,
                    )
                )
                continue
        elif raw.source in types and handle not in handles[raw.source]:
            offered = ", ".join(handles[raw.source]) or "none"
            issues.append(
                Issue(
                    "unknown_handle",
                    f"node '{raw.source}' has no output '{handle}' (outputs: {offered})",
                    raw.source,
                    (*path, "sourceHandle"),
                    raw.id,
                )
            )
            continue
        edges.append(Edge(raw.source, handle, raw.target, index))
    routed = {edge.source for edge in edges if edge.handle == ERROR_HANDLE}
    for index, node in enumerate(graph.nodes):
        if node.on_error == "route" and node.id not in routed and node.id in types:
            issues.append(
                Issue(
                    "missing_error_edge",
                    "on_error is 'route' but no edge leaves the 'error' output",
                    node.id,
                    ("nodes", index, "on_error"),
                )
            )
    return edges, issues
