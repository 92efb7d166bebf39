"""Checking a submitted graph for the routes that store or validate one."""

from __future__ import annotations

from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from activities.endpoints import PlatformEndpoints
from app.catalog import CATALOG
from app.db.engine import release
from app.errors import ErrorDetail, InvalidInputError
from app.language.compiler import build_plan
from app.language.errors import Issue
from app.language.plan import Plan
from app.language.validation import CheckedGraph, validate
from app.services import sub_workflows
from app.services.heavy_work import GRAPH_CHECKS
from app.services.payload_limits import parameters_size_issue, plan_size_issue
from app.services.token_hosts import token_host_issues
from app.store.accounts import account_platforms


def issue_details(issues: list[Issue], *, under: tuple[str, ...] = ("graph",)) -> list[ErrorDetail]:
    return [
        ErrorDetail(
            message=issue.message,
            path=(*under, *issue.path),
            node_id=issue.node_id,
            code=issue.code,
            edge_id=issue.edge_id,
        )
        for issue in issues
    ]


async def check_graph(
    session: AsyncSession,
    organization_id: str,
    graph: dict[str, Any],
    *,
    workflow_id: str | None = None,
    endpoints: PlatformEndpoints | None = None,
) -> tuple[Plan | None, list[Issue]]:
    """The compiled plan, or None and every problem (accounts are the caller's own; the
    plan with the sub-workflow plans its runs carry must fit `MAX_PLAN_BYTES`).

    `workflow_id`: the workflow the graph would become a version of (None: a new one), so
    that a sub-workflow calling back into it is refused; sub-workflow versions are pinned.
    `endpoints`: where the platforms are, to refuse an `http.request` that would carry an X
    or Instagram account's token elsewhere (None: that is left to run time).
    """
    accounts = await account_platforms(session, organization_id=organization_id)
    await release(session)
    # Seconds of CPU for a graph of megabytes: off the event loop (`heavy_work`).
    checked, compiled, issues = await GRAPH_CHECKS.run(_compile, graph, accounts)
    if checked is None or compiled is None:
        return None, issues
    if endpoints is not None:
        token_issues = token_host_issues(checked.graph, accounts, endpoints)
        if token_issues:
            return None, token_issues
    plan, issues = await sub_workflows.link(
        session,
        organization_id=organization_id,
        graph=checked.graph,
        plan=compiled,
        workflow_id=workflow_id,
    )
    if plan is None:
        return None, issues
    carried = await sub_workflows.plans_called_by(
        session, organization_id=organization_id, plan=plan
    )
    too_large = await GRAPH_CHECKS.run(plan_size_issue, plan, carried)
    if too_large is not None:
        return None, [too_large]
    return plan, []


def _compile(
    graph: dict[str, Any], accounts: dict[str, str]
) -> tuple[CheckedGraph | None, Plan | None, list[Issue]]:
    """The checked graph and its plan, or every problem; what is cheap to refuse first."""
    too_large = parameters_size_issue(graph)
    if too_large is not None:
        return None, None, [too_large]
    checked, issues = validate(graph, accounts=accounts, catalog=CATALOG)
    if checked is None:
        return None, None, issues
    return checked, build_plan(checked), []


async def compile_graph(
    session: AsyncSession,
    organization_id: str,
    graph: dict[str, Any],
    *,
    under: tuple[str, ...] = ("graph",),
    workflow_id: str | None = None,
    endpoints: PlatformEndpoints | None = None,
) -> Plan:
    """The plan of a graph about to be stored, or a 422 listing every problem."""
    plan, issues = await check_graph(
        session, organization_id, graph, workflow_id=workflow_id, endpoints=endpoints
    )
    if plan is None:
        raise InvalidInputError(
            "the workflow graph is not valid", issue_details(issues, under=under)
        )
    return plan
