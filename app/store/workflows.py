"""Workflows and their immutable versions, always read and written within one organization."""

from __future__ import annotations

from typing import Any

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.db.models import Workflow, WorkflowVersion
from app.errors import NotFoundError
from app.language.plan import Plan


async def create_workflow(
    session: AsyncSession,
    *,
    organization_id: str,
    name: str,
    description: str,
    graph: dict[str, Any],
    plan: Plan,
) -> tuple[Workflow, WorkflowVersion]:
    """Store a workflow with its first version; both or neither."""
    workflow = Workflow(organization_id=organization_id, name=name, description=description)
    session.add(workflow)
    await session.flush()
    version = WorkflowVersion(
        workflow_id=workflow.id,
        organization_id=organization_id,
        version=1,
        graph=graph,
        plan=plan.model_dump(mode="json"),
        plan_hash=plan.content_hash(),
    )
    session.add(version)
    await session.commit()
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
