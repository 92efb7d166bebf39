"""Workflows and their immutable versions, always read and written within one organization.

Writes that must agree with Temporal (schedules) take a `before_commit` hook: it runs after
the rows are flushed and before they are committed, and if it fails nothing is stored. A hook
returns how to undo its work, which runs if the commit then fails.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.db.models import Workflow, WorkflowVersion
from app.db.types import utcnow
from app.errors import ConflictError, ErrorDetail, InvalidInputError, NotFoundError
from app.language.plan import Plan
from app.store.webhooks import sync_webhooks

Undo = Callable[[], Awaitable[None]]
"""Takes back what a hook did outside the database."""
VersionHook = Callable[[Workflow, WorkflowVersion], Awaitable[Undo | None]]
WorkflowHook = Callable[[Workflow], Awaitable[Undo | None]]


async def _commit(session: AsyncSession, hook: Callable[[], Awaitable[Undo | None]] | None) -> None:
    """Flush, run `hook`, commit; if the commit fails, the hook's work is undone too."""
    undo: Undo | None = None
    try:
        await session.flush()
        if hook is not None:
            undo = await hook()
        await session.commit()
    except BaseException as error:
        await session.rollback()
        if undo is not None:
            await undo()
        if isinstance(error, IntegrityError):
            raise ConflictError(
                "the workflow was changed at the same time: read it and retry"
            ) from None
        raise


def _version(workflow: Workflow, number: int, graph: dict[str, Any], plan: Plan) -> WorkflowVersion:
    return WorkflowVersion(
        workflow_id=workflow.id,
        organization_id=workflow.organization_id,
        version=number,
        graph=graph,
        plan=plan,
        plan_hash=plan.content_hash(),
    )


async def create_workflow(
    session: AsyncSession,
    *,
    organization_id: str,
    name: str,
    description: str,
    graph: dict[str, Any],
    plan: Plan,
) -> tuple[Workflow, WorkflowVersion]:
    """Store a workflow with its first version and its webhook endpoints; all or nothing."""
    workflow = Workflow(organization_id=organization_id, name=name, description=description)
    session.add(workflow)
    await session.flush()
    version = _version(workflow, 1, graph, plan)
    session.add(version)
    await sync_webhooks(
        session, organization_id=organization_id, workflow_id=workflow.id, plan=plan
    )
    await _commit(session, None)
    return workflow, version


async def get_workflow(
    session: AsyncSession, *, organization_id: str, workflow_id: str
) -> Workflow:
    workflow = (
        await session.exec(
            select(Workflow).where(
                Workflow.id == workflow_id, Workflow.organization_id == organization_id
            )
        )
    ).first()
    if workflow is None:
        raise NotFoundError(f"workflow '{workflow_id}' not found")
    return workflow


async def list_workflows(
    session: AsyncSession,
    *,
    organization_id: str,
    name: str | None = None,
    active: bool | None = None,
    limit: int,
    offset: int,
) -> tuple[list[Workflow], int]:
    """A page of workflows, newest first, and how many match in all.

    `name` matches any part of the name, ignoring case.
    """
    conditions: list[Any] = [Workflow.organization_id == organization_id]
    if name:
        escaped = name.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        conditions.append(func.lower(col(Workflow.name)).like(f"%{escaped.lower()}%", escape="\\"))
    if active is not None:
        conditions.append(Workflow.active == active)
    count = (
        await session.exec(select(func.count()).select_from(Workflow).where(*conditions))
    ).one()
    rows = await session.exec(
        select(Workflow)
        .where(*conditions)
        .order_by(col(Workflow.created_at).desc(), col(Workflow.id))
        .offset(offset)
        .limit(limit)
    )
    return list(rows.all()), count


async def get_version(
    session: AsyncSession, *, organization_id: str, workflow_id: str, version: int | None = None
) -> WorkflowVersion:
    """One version of a workflow; the latest when `version` is None."""
    workflow = await get_workflow(session, organization_id=organization_id, workflow_id=workflow_id)
    number = version if version is not None else workflow.latest_version
    row = (
        await session.exec(
            select(WorkflowVersion).where(
                WorkflowVersion.workflow_id == workflow.id,
                WorkflowVersion.organization_id == organization_id,
                WorkflowVersion.version == number,
            )
        )
    ).first()
    if row is None:
        raise NotFoundError(f"workflow '{workflow_id}' has no version {number}")
    return row


async def list_versions(
    session: AsyncSession, *, organization_id: str, workflow_id: str, limit: int, offset: int
) -> tuple[list[WorkflowVersion], int]:
    """A page of a workflow's versions, newest first, and how many it has."""
    workflow = await get_workflow(session, organization_id=organization_id, workflow_id=workflow_id)
    rows = await session.exec(
        select(WorkflowVersion)
        .where(
            WorkflowVersion.workflow_id == workflow.id,
            WorkflowVersion.organization_id == organization_id,
        )
        .order_by(col(WorkflowVersion.version).desc())
        .offset(offset)
        .limit(limit)
    )
    return list(rows.all()), workflow.latest_version


class Unchanged:
    """A field left as it is (None is a value: it clears the field)."""


UNCHANGED = Unchanged()


async def update_workflow(
    session: AsyncSession,
    *,
    organization_id: str,
    workflow_id: str,
    name: str | None = None,
    description: str | None = None,
    new_version: tuple[dict[str, Any], Plan] | None = None,
    base_version: int | None = None,
    before_commit: VersionHook | None = None,
    error_workflow_id: str | Unchanged | None = UNCHANGED,
) -> tuple[Workflow, WorkflowVersion]:
    """Rename or describe the workflow, name its error workflow (None: none), and with
    `new_version` (graph, plan) add a version.

    Earlier versions are never changed. With `base_version`, refuse (409) when the latest
    version is another one: someone saved in between.
    """
    workflow = await get_workflow(session, organization_id=organization_id, workflow_id=workflow_id)
    if base_version is not None and base_version != workflow.latest_version:
        raise ConflictError(
            f"version {base_version} is no longer the latest (it is {workflow.latest_version})"
        )
    if name is not None:
        workflow.name = name
    if description is not None:
        workflow.description = description
    # The runs a schedule starts carry the error workflow: a change of it re-syncs them too.
    follow = new_version is not None
    if not isinstance(error_workflow_id, Unchanged):
        if error_workflow_id is not None:
            await _check_error_workflow(session, workflow, error_workflow_id)
        follow = follow or workflow.error_workflow_id != error_workflow_id
        workflow.error_workflow_id = error_workflow_id
    if new_version is not None:
        graph, plan = new_version
        version = _version(workflow, workflow.latest_version + 1, graph, plan)
        session.add(version)
        workflow.latest_version = version.version
        await sync_webhooks(
            session, organization_id=organization_id, workflow_id=workflow.id, plan=plan
        )
    else:
        version = await get_version(
            session, organization_id=organization_id, workflow_id=workflow_id
        )
    workflow.updated_at = utcnow()
    session.add(workflow)
    hook = before_commit
    await _commit(session, (lambda: hook(workflow, version)) if hook and follow else None)
    return workflow, version


async def _check_error_workflow(session: AsyncSession, workflow: Workflow, error_id: str) -> None:
    """The error workflow must be another workflow of the organization."""
    where = ("body", "error_workflow_id")
    if error_id == workflow.id:
        raise InvalidInputError(
            "a workflow cannot be its own error workflow",
            [ErrorDetail(message="names this workflow itself", path=where, code="invalid_value")],
        )
    try:
        await get_workflow(session, organization_id=workflow.organization_id, workflow_id=error_id)
    except NotFoundError:
        raise InvalidInputError(
            f"error workflow '{error_id}' not found",
            [ErrorDetail(message="no such workflow", path=where, code="unknown_workflow")],
        ) from None


async def set_active(
    session: AsyncSession,
    *,
    organization_id: str,
    workflow_id: str,
    active: bool,
    before_commit: WorkflowHook | None = None,
) -> Workflow:
    workflow = await get_workflow(session, organization_id=organization_id, workflow_id=workflow_id)
    workflow.active = active
    workflow.updated_at = utcnow()
    session.add(workflow)
    hook = before_commit
    await _commit(session, (lambda: hook(workflow)) if hook else None)
    return workflow


async def delete_workflow(
    session: AsyncSession,
    *,
    organization_id: str,
    workflow_id: str,
    before_commit: WorkflowHook | None = None,
) -> None:
    """Delete the workflow, its versions and webhooks. Runs already started keep going:
    each carries its own plan."""
    workflow = await get_workflow(session, organization_id=organization_id, workflow_id=workflow_id)
    await session.delete(workflow)
    hook = before_commit
    await _commit(session, (lambda: hook(workflow)) if hook else None)


async def all_versions(
    session: AsyncSession, *, organization_id: str, workflow_id: str
) -> list[WorkflowVersion]:
    rows = await session.exec(
        select(WorkflowVersion)
        .where(
            WorkflowVersion.workflow_id == workflow_id,
            WorkflowVersion.organization_id == organization_id,
        )
        .order_by(col(WorkflowVersion.version))
    )
    return list(rows.all())


async def active_latest_versions(
    session: AsyncSession, *, organization_id: str
) -> list[tuple[Workflow, WorkflowVersion]]:
    """Each active workflow of the organization with its latest version, oldest first."""
    rows = await session.exec(
        select(Workflow, WorkflowVersion)
        .join(
            WorkflowVersion,
            (col(WorkflowVersion.workflow_id) == col(Workflow.id))
            & (col(WorkflowVersion.version) == col(Workflow.latest_version)),
        )
        .where(Workflow.organization_id == organization_id, col(Workflow.active).is_(True))
        .order_by(col(Workflow.created_at), col(Workflow.id))
    )
    return list(rows.all())
