"""Where an `http.request` may carry a connected X or Instagram account's token: only to that
platform's own API. Checked on save when both the account and the URL are written as they
are; the activity checks again at run time (`activities.http.credentials`)."""

from __future__ import annotations

from collections.abc import Mapping

from activities.endpoints import TOKEN_PLATFORMS, PlatformEndpoints, origin_of, show_origin
from app.language.errors import Issue
from app.language.graph import WorkflowGraph
from app.language.parameter_validators import is_templated

HTTP_REQUEST = "http.request"


def token_host_issues(
    graph: WorkflowGraph, accounts: Mapping[str, str], endpoints: PlatformEndpoints
) -> list[Issue]:
    """One issue per `http.request` whose static URL is not its static account's API."""
    issues = []
    for index, node in enumerate(graph.nodes):
        account_id, url = node.account_id, node.parameters.get("url")
        if node.type != HTTP_REQUEST or account_id is None or is_templated(account_id):
            continue
        platform = accounts.get(account_id)
        if platform not in TOKEN_PLATFORMS or not isinstance(url, str) or is_templated(url):
            continue
        origins = endpoints.api_origins(platform)
        if origin_of(url) in origins:
            continue
        shown = " or ".join(show_origin(found) for found in origins) or "nowhere"
        issues.append(
            Issue(
                "token_host_not_allowed",
                f"account '{account_id}' is a {platform} account: its token goes only to "
                f"{shown}; call other hosts without the account, or with an HTTP account",
                node.id,
                ("nodes", index, "parameters", "url"),
            )
        )
    return issues
