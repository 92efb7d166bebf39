"""Sub-workflows where the API meets the database.

When a workflow version is stored, each `sub_workflow` node gets the version it will run
pinned into the plan (the latest, unless the node names one), after checking that the
workflow exists in the organization, can be started, does not call back into the caller
and does not nest too deep. When a run starts, every plan it may start is read once and
travels with it (`RunInput.workflows`): runs never read the database, and editing or
deleting a workflow never changes a run in flight (docs/architecture.md, invariant 1).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel.ext.asyncio.session import AsyncSession

from app.db.models import WorkflowVersion
from app.errors import ConflictError, ErrorDetail, NotFoundError
from app.language.calls import (
    MAX_SUB_WORKFLOW_DEPTH,
    Call,
    calls,
    pin,
    pinned_key,
    plan_key,
    start_trigger,
)
from app.language.errors import Issue
from app.language.graph import WorkflowGraph
from app.language.parameter_validators import is_templated
from app.language.plan import Plan
from app.store import workflows as store


class _StoredPlans:
    """The organization's stored plans, each read at most once."""

    def __init__(self, session: AsyncSession, organization_id: str) -> None:
        self.session = session
        self.organization_id = organization_id
        self._plans: dict[str, Plan | None] = {}

    async def latest_version(self, workflow_id: str) -> int | None:
        """None: the organization has no such workflow."""
        try:
            workflow = await store.get_workflow(
                self.session, organization_id=self.organization_id, workflow_id=workflow_id
            )
        except NotFoundError:
            return None
        return workflow.latest_version

    async def get(self, workflow_id: str, version: int) -> Plan | None:
        key = plan_key(workflow_id, version)
        if key not in self._plans:
            try:
                row = await store.get_version(
                    self.session,
                    organization_id=self.organization_id,
                    workflow_id=workflow_id,
                    version=version,
                )
            except NotFoundError:
                self._plans[key] = None
            else:
                self._plans[key] = row.plan
        return self._plans[key]


@dataclass(frozen=True)
class _Reach:
    """What a stored plan leads to through its sub-workflows."""

    depth: int
    """Levels of runs below a run of the plan (0: it starts none)."""
    paths: dict[str, tuple[str, ...]]
    """Each workflow it may start, directly or deeper, with the chain of ids leading there."""


async def _reach(plans: _StoredPlans, plan: Plan, levels_left: int) -> _Reach:
    depth, paths = 0, dict[str, tuple[str, ...]]()
    if levels_left <= 0:
        # Deeper than any stored plan can be: stop here, the caller reports it as too deep.
        return _Reach(MAX_SUB_WORKFLOW_DEPTH + 1, {})
    for call in calls(plan):
        child = await plans.get(call.workflow_id, call.version) if pinned_key(call) else None
        if child is None:
            continue
        below = await _reach(plans, child, levels_left - 1)
        depth = max(depth, below.depth + 1)
        paths.setdefault(call.workflow_id, (call.workflow_id,))
        for workflow_id, path in below.paths.items():
            paths.setdefault(workflow_id, (call.workflow_id, *path))
    return _Reach(depth, paths)


async def link(
    session: AsyncSession,
    *,
    organization_id: str,
    graph: WorkflowGraph,
    plan: Plan,
    workflow_id: str | None = None,
) -> tuple[Plan | None, list[Issue]]:
    """The plan with each `sub_workflow` node's version pinned, or every problem found.

    Args:
        graph: The checked graph the plan was compiled from (issues name its node indexes).
        workflow_id: The workflow this plan becomes a version of; None for a new one.
    """
    found = calls(plan)
    if not found:
        return plan, []
    index = {node.id: position for position, node in enumerate(graph.nodes)}
    plans = _StoredPlans(session, organization_id)
    versions: dict[str, int] = {}
    issues: list[Issue] = []
    for call in found:
        where = ("nodes", index[call.node_id], "parameters")
        version, problem = await _resolve(plans, call, workflow_id)
        if problem is not None:
            field, code, message = problem
            issues.append(Issue(code, message, call.node_id, (*where, field)))
        elif version is not None:
            versions[call.node_id] = version
    if issues:
        return None, issues
    return pin(plan, versions), []


async def _resolve(
    plans: _StoredPlans, call: Call, caller: str | None
) -> tuple[int | None, tuple[str, str, str] | None]:
    """The version a call runs, or (field, code, message) saying why it cannot run."""
    workflow_id, version = call.workflow_id, call.version
    if is_templated(workflow_id) or is_templated(version):
        field = "workflow_id" if is_templated(workflow_id) else "version"
        return None, (
            field,
            "invalid_parameter",
            "must be written out, not a template: the version a sub-workflow runs is "
            "fixed when this workflow is saved",
        )
    latest = await plans.latest_version(workflow_id)
    if latest is None:
        return None, ("workflow_id", "unknown_workflow", f"workflow '{workflow_id}' not found")
    pinned = version if version is not None else latest
    child = await plans.get(workflow_id, pinned)
    if child is None:
        message = f"workflow '{workflow_id}' has no version {pinned}"
        return None, ("version", "unknown_version", message)
    if start_trigger(child) is None:
        message = f"workflow '{workflow_id}' has no manual trigger for a sub-workflow run"
        return None, ("workflow_id", "not_startable", message)
    reach = await _reach(plans, child, MAX_SUB_WORKFLOW_DEPTH)
    if workflow_id == caller:
        return None, ("workflow_id", "sub_workflow_cycle", "a workflow may not run itself")
    if caller is not None and caller in reach.paths:
        chain = " → ".join((workflow_id, *reach.paths[caller]))
        message = f"workflows may not run each other in a cycle: {chain} (this workflow)"
        return None, ("workflow_id", "sub_workflow_cycle", message)
    if reach.depth + 1 > MAX_SUB_WORKFLOW_DEPTH:
        message = (
            f"workflow '{workflow_id}' nests {reach.depth} levels of sub-workflows: with this "
            f"one that is more than the {MAX_SUB_WORKFLOW_DEPTH} allowed"
        )
        return None, ("workflow_id", "too_deep", message)
    return pinned, None


async def refuse_if_called(
    session: AsyncSession, *, organization_id: str, workflow_id: str
) -> None:
    """Refuse (409) to delete a workflow the latest version of an active workflow runs: that
    workflow's next run would fail. Inactive callers are left to fail when started."""
    details = [
        ErrorDetail(
            f"active workflow '{caller.id}' ({caller.name}) runs this workflow",
            path=("workflows", caller.id, "nodes", call.node_id),
            node_id=call.node_id,
        )
        for caller, version in await store.active_latest_versions(
            session, organization_id=organization_id
        )
        if caller.id != workflow_id
        for call in calls(version.plan)
        if call.workflow_id == workflow_id
    ]
    if details:
        callers = ", ".join(dict.fromkeys(str(detail.path[1]) for detail in details))
        raise ConflictError(
            f"workflow '{workflow_id}' is run as a sub-workflow by active workflows ({callers}): "
            "deactivate them or remove their sub_workflow nodes first",
            details,
        )


async def plans_for(session: AsyncSession, version: WorkflowVersion) -> dict[str, Plan]:
    """Every plan a run of `version` may start, its children's included, by `plan_key`.

    Raises:
        ConflictError: A pinned version no longer exists (its workflow was deleted).
    """
    return await plans_called_by(
        session, organization_id=version.organization_id, plan=version.plan
    )


async def plans_called_by(
    session: AsyncSession, *, organization_id: str, plan: Plan
) -> dict[str, Plan]:
    """Every plan a run of `plan` (linked: its versions pinned) may start, by `plan_key`."""
    plans = _StoredPlans(session, organization_id)
    carried: dict[str, Plan] = {}
    # (a plan to look into, the ids of the workflows that lead to it, the caller's node)
    pending: list[tuple[Plan, tuple[str, ...], str | None]] = [(plan, (), None)]
    while pending:
        current, path, top_node = pending.pop()
        for call in calls(current):
            key = pinned_key(call)
            if key is None or key in carried:
                continue
            node_id = top_node or call.node_id
            child = await plans.get(call.workflow_id, call.version)
            if child is None:
                where = " → ".join((*path, call.workflow_id))
                raise ConflictError(
                    f"node '{node_id}' runs {where}, whose version {call.version} no longer "
                    "exists: save this workflow again to run what exists now",
                    [ErrorDetail("a sub-workflow it runs no longer exists", node_id=node_id)],
                )
            carried[key] = child
            if len(path) < MAX_SUB_WORKFLOW_DEPTH:
                pending.append((child, (*path, call.workflow_id), node_id))
    return dict(sorted(carried.items()))
