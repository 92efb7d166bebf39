"""Workflows and their versions: create, list, read, edit (a new version), validate, delete."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Response, status
from sqlmodel.ext.asyncio.session import AsyncSession

from activities.endpoints import PlatformEndpoints
from app.api.deps import (
    CallerDep,
    LazyTemporalDep,
    SessionDep,
    SettingsDep,
    WriterDep,
    connect_temporal,
)
from app.api.responses import AUTHENTICATED, WRITES, errors
from app.api.schemas import (
    MAX_VERSION,
    GraphValidation,
    WorkflowCreate,
    WorkflowDetail,
    WorkflowPublic,
    WorkflowsPublic,
    WorkflowUpdate,
    WorkflowValidate,
    WorkflowVersionPublic,
    WorkflowVersionsPublic,
    WorkflowVersionSummary,
)
from app.db.models import Workflow, WorkflowVersion
from app.services import schedules, sub_workflows
from app.services.graphs import check_graph, compile_graph, issue_details
from app.settings import Settings
from app.store import workflows as store
from temporal.client import LazyClient

router = APIRouter(prefix="/workflows", tags=["workflows"], responses=AUTHENTICATED)

Limit = Annotated[int, Query(ge=1, le=200, description="Page size.")]
Offset = Annotated[int, Query(ge=0, le=1_000_000, description="How many to skip.")]
VersionNumber = Annotated[int, Path(ge=1, le=MAX_VERSION, description="A version number.")]


def public(workflow: Workflow) -> WorkflowPublic:
    return WorkflowPublic.model_validate(workflow, from_attributes=True)


async def new_workflow(
    session: AsyncSession,
    organization_id: str,
    *,
    name: str,
    description: str,
    graph: dict[str, Any],
    settings: Settings,
    under: tuple[str, ...] = ("graph",),
) -> WorkflowPublic:
    """Check `graph` (422 with every problem at `under`) and store it as a new workflow."""
    plan = await compile_graph(
        session,
        organization_id,
        graph,
        under=under,
        endpoints=PlatformEndpoints.from_settings(settings),
    )
    workflow, _ = await store.create_workflow(
        session,
        organization_id=organization_id,
        name=name,
        description=description,
        graph=graph,
        plan=plan,
    )
    return public(workflow)


@router.post(
    "",
    operation_id="create_workflow",
    status_code=status.HTTP_201_CREATED,
    response_model=WorkflowPublic,
    responses=WRITES,
)
async def create_workflow(
    body: WorkflowCreate, caller: WriterDep, session: SessionDep, settings: SettingsDep
) -> WorkflowPublic:
    """Validate the graph completely and store it as version 1 (inactive), or answer 422 with
    every problem, each naming its node and field."""
    return await new_workflow(
        session,
        caller.organization_id,
        name=body.name,
        description=body.description,
        graph=body.graph,
        settings=settings,
    )


@router.get("", operation_id="list_workflows", response_model=WorkflowsPublic)
async def list_workflows(
    caller: CallerDep,
    session: SessionDep,
    name: Annotated[
        str | None, Query(max_length=200, description="Part of the name, any case.")
    ] = None,
    active: Annotated[bool | None, Query(description="Only active or inactive ones.")] = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> WorkflowsPublic:
    """The organization's workflows, newest first."""
    rows, count = await store.list_workflows(
        session,
        organization_id=caller.organization_id,
        name=name,
        active=active,
        limit=limit,
        offset=offset,
    )
    return WorkflowsPublic(data=[public(row) for row in rows], count=count)


@router.post("/validate", operation_id="validate_workflow", response_model=GraphValidation)
async def validate_workflow(
    body: WorkflowValidate, caller: CallerDep, session: SessionDep, settings: SettingsDep
) -> GraphValidation:
    """Check a graph without storing it: every problem, each naming its node and field."""
    plan, issues = await check_graph(
        session,
        caller.organization_id,
        body.graph,
        endpoints=PlatformEndpoints.from_settings(settings),
    )
    return GraphValidation(
        valid=plan is not None,
        plan_hash=plan.content_hash() if plan else None,
        errors=[detail.as_json() for detail in issue_details(issues)],
    )


@router.get(
    "/{workflow_id}",
    operation_id="get_workflow",
    response_model=WorkflowDetail,
    responses=errors(404),
)
async def get_workflow(workflow_id: str, caller: CallerDep, session: SessionDep) -> WorkflowDetail:
    """A workflow's name, state and latest version number, with that version's graph (as it
    was stored) and plan hash."""
    workflow = await store.get_workflow(
        session, organization_id=caller.organization_id, workflow_id=workflow_id
    )
    latest = await store.get_version(
        session,
        organization_id=caller.organization_id,
        workflow_id=workflow_id,
        version=workflow.latest_version,
    )
    return WorkflowDetail(
        **public(workflow).model_dump(), graph=latest.graph, plan_hash=latest.plan_hash
    )


@router.patch(
    "/{workflow_id}",
    operation_id="update_workflow",
    response_model=WorkflowPublic,
    responses={**WRITES, **errors(404, 409, 503)},
)
async def update_workflow(
    workflow_id: str,
    body: WorkflowUpdate,
    caller: WriterDep,
    session: SessionDep,
    lazy_temporal: LazyTemporalDep,
    settings: SettingsDep,
) -> WorkflowPublic:
    """Rename or describe a workflow; with a `graph`, store it as a new immutable version.

    Runs already started keep their version. When the workflow is active its schedules move
    to the new version (and those of removed schedule triggers are deleted) before the
    version is stored; if Temporal cannot be reached, nothing is stored.
    """
    return await edit_workflow(
        session,
        caller.organization_id,
        workflow_id,
        lazy_temporal=lazy_temporal,
        settings=settings,
        name=body.name,
        description=body.description,
        graph=body.graph,
        base_version=body.base_version,
        error_workflow_id=body.error_workflow_id
        if "error_workflow_id" in body.model_fields_set
        else store.UNCHANGED,
    )


async def edit_workflow(
    session: AsyncSession,
    organization_id: str,
    workflow_id: str,
    *,
    lazy_temporal: LazyClient,
    settings: Settings,
    name: str | None = None,
    description: str | None = None,
    graph: dict[str, Any] | None = None,
    base_version: int | None = None,
    error_workflow_id: str | store.Unchanged | None = store.UNCHANGED,
    under: tuple[str, ...] = ("graph",),
) -> WorkflowPublic:
    """Rename or describe a workflow and, with a `graph` (checked: 422 with every problem at
    `under`), add it as the next version, its schedules following it when it is active."""
    new_version = None
    if graph is not None:
        plan = await compile_graph(
            session,
            organization_id,
            graph,
            workflow_id=workflow_id,
            under=under,
            endpoints=PlatformEndpoints.from_settings(settings),
        )
        new_version = (graph, plan)
    previous = await store.get_version(
        session, organization_id=organization_id, workflow_id=workflow_id
    )
    removed = schedules.schedule_nodes(previous.plan)

    async def follow_schedules(
        workflow: Workflow, version: WorkflowVersion
    ) -> schedules.Undo | None:
        if not removed and not schedules.schedule_nodes(version.plan):
            return None
        return await schedules.sync(
            await connect_temporal(lazy_temporal),
            version=version,
            workflows=await sub_workflows.plans_for(session, version),
            active=workflow.active,
            task_queue=settings.temporal_task_queue,
            removed_nodes=removed,
            create=workflow.active,
            error_workflow_id=workflow.error_workflow_id,
            workflow_name=workflow.name,
        )

    workflow, _ = await store.update_workflow(
        session,
        organization_id=organization_id,
        workflow_id=workflow_id,
        name=name,
        description=description,
        new_version=new_version,
        base_version=base_version,
        before_commit=follow_schedules,
        error_workflow_id=error_workflow_id,
    )
    return public(workflow)


@router.delete(
    "/{workflow_id}",
    operation_id="delete_workflow",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    responses={**WRITES, **errors(404, 409, 503)},
)
async def delete_workflow(
    workflow_id: str, caller: WriterDep, session: SessionDep, lazy_temporal: LazyTemporalDep
) -> Response:
    """Delete a workflow, its versions, webhooks and schedules. Runs in flight are untouched:
    each carries its own plan and finishes as it would have. 409 naming the callers while an
    active workflow runs it as a sub-workflow."""
    await sub_workflows.refuse_if_called(
        session, organization_id=caller.organization_id, workflow_id=workflow_id
    )
    versions = await store.all_versions(
        session, organization_id=caller.organization_id, workflow_id=workflow_id
    )

    async def remove_schedules(workflow: Workflow) -> schedules.Undo | None:
        if not any(schedules.schedule_nodes(version.plan) for version in versions):
            return None
        return await schedules.delete_all(
            await connect_temporal(lazy_temporal), workflow_id=workflow.id, versions=versions
        )

    await store.delete_workflow(
        session,
        organization_id=caller.organization_id,
        workflow_id=workflow_id,
        before_commit=remove_schedules,
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get(
    "/{workflow_id}/versions",
    operation_id="list_workflow_versions",
    response_model=WorkflowVersionsPublic,
    responses=errors(404),
)
async def list_workflow_versions(
    workflow_id: str,
    caller: CallerDep,
    session: SessionDep,
    limit: Limit = 50,
    offset: Offset = 0,
) -> WorkflowVersionsPublic:
    """Every version of the workflow, newest first (their graphs: get one version)."""
    rows, count = await store.list_versions(
        session,
        organization_id=caller.organization_id,
        workflow_id=workflow_id,
        limit=limit,
        offset=offset,
    )
    return WorkflowVersionsPublic(
        data=[WorkflowVersionSummary.model_validate(row, from_attributes=True) for row in rows],
        count=count,
    )


@router.get(
    "/{workflow_id}/versions/latest",
    operation_id="get_latest_workflow_version",
    response_model=WorkflowVersionPublic,
    responses=errors(404),
)
async def get_latest_workflow_version(
    workflow_id: str, caller: CallerDep, session: SessionDep
) -> WorkflowVersionPublic:
    """The latest version, as `/versions/{latest_version}` answers it."""
    row = await store.get_version(
        session, organization_id=caller.organization_id, workflow_id=workflow_id
    )
    return WorkflowVersionPublic.model_validate(row, from_attributes=True)


@router.get(
    "/{workflow_id}/versions/{version}",
    operation_id="get_workflow_version",
    response_model=WorkflowVersionPublic,
    responses=errors(404),
)
async def get_workflow_version(
    workflow_id: str, version: VersionNumber, caller: CallerDep, session: SessionDep
) -> WorkflowVersionPublic:
    """One version exactly as it was stored: its graph, and the plan compiled from it."""
    row = await store.get_version(
        session, organization_id=caller.organization_id, workflow_id=workflow_id, version=version
    )
    return WorkflowVersionPublic.model_validate(row, from_attributes=True)
