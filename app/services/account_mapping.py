"""Importing a workflow into another organization: its accounts replaced by this one's."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from app.errors import ErrorDetail, InvalidInputError


def with_accounts(graph: dict[str, Any], accounts: Mapping[str, str]) -> dict[str, Any]:
    """`graph` with each node's `account_id` (native, or under React Flow's `data`) replaced
    as `accounts` says (exported id → this organization's). A key no node uses is a 422, so
    a mistyped id is not silently left out; whether the new ids are this organization's is
    for validation to say, as on create."""
    if not accounts:
        return graph
    nodes = graph.get("nodes")
    used: set[str] = set()
    mapped_nodes: list[Any] = []
    for node in nodes if isinstance(nodes, list) else []:
        if isinstance(node, dict):
            node = _mapped(node, accounts, used)
            data = node.get("data")
            if isinstance(data, dict):
                node = {**node, "data": _mapped(data, accounts, used)}
        mapped_nodes.append(node)
    unused = sorted(set(accounts) - used)
    if unused:
        raise InvalidInputError(
            "the account mapping names accounts this workflow does not use",
            [
                ErrorDetail(
                    path=("body", "accounts", account_id),
                    message=f"no node of the workflow uses account '{account_id}'",
                )
                for account_id in unused
            ],
        )
    return {**graph, "nodes": mapped_nodes}


def _mapped(fields: dict[str, Any], accounts: Mapping[str, str], used: set[str]) -> dict[str, Any]:
    account_id = fields.get("account_id")
    if not isinstance(account_id, str) or account_id not in accounts:
        return fields
    used.add(account_id)
    return {**fields, "account_id": accounts[account_id]}
