"""What is done to a whole workflow: activate, deactivate, duplicate, export and import."""

from __future__ import annotations

from fastapi import APIRouter, status
from fastapi.responses import JSONResponse

from app.api.deps import (
    CallerDep,
    LazyTemporalDep,
    SessionDep,
    SettingsDep,
    WriterDep,
    connect_temporal,
)
from app.api.responses import AUTHENTICATED, WRITES, errors
from app.api.routes.workflows import new_workflow, public
from app.api.schemas import WorkflowDuplicate, WorkflowExport, WorkflowImport, WorkflowPublic
from app.db.models import Workflow
from app.services import schedules, sub_workflows
from app.services.account_mapping import with_accounts
from app.store import workflows as store

router = APIRouter(prefix="/workflows", tags=["workflows"], responses=AUTHENTICATED)


async def _set_active(
    workflow_id: str,
    active: bool,
    caller: WriterDep,
    session: SessionDep,
    lazy_temporal: LazyTemporalDep,
    settings: SettingsDep,
) -> WorkflowPublic:
    version = await store.get_version(
        session, organization_id=caller.organization_id, workflow_id=workflow_id
    )

    async def follow_schedules(workflow: Workflow) -> schedules.Undo | None:
        if not schedules.schedule_nodes(version.plan):
            return None
        return await schedules.sync(
            await connect_temporal(lazy_temporal),
            version=version,
            workflows=await sub_workflows.plans_for(session, version),
            active=active,
            task_queue=settings.temporal_task_queue,
            create=active,
            error_workflow_id=workflow.error_workflow_id,
            workflow_name=workflow.name,
        )

    workflow = await store.set_active(
        session,
        organization_id=caller.organization_id,
        workflow_id=workflow_id,
        active=active,
        before_commit=follow_schedules,
    )
    return public(workflow)


@router.post(
    "/{workflow_id}/activate",
    operation_id="activate_workflow",
    response_model=WorkflowPublic,
    responses={**WRITES, **errors(404, 503)},
)
async def activate_workflow(
    workflow_id: str,
    caller: WriterDep,
    session: SessionDep,
    lazy_temporal: LazyTemporalDep,
    settings: SettingsDep,
) -> WorkflowPublic:
    """Turn the latest version's schedule triggers into running Temporal Schedules and open
    its webhook URLs. Activating an active workflow changes nothing."""
    return await _set_active(workflow_id, True, caller, session, lazy_temporal, settings)


@router.post(
    "/{workflow_id}/deactivate",
    operation_id="deactivate_workflow",
    response_model=WorkflowPublic,
    responses={**WRITES, **errors(404, 503)},
)
async def deactivate_workflow(
    workflow_id: str,
    caller: WriterDep,
    session: SessionDep,
    lazy_temporal: LazyTemporalDep,
    settings: SettingsDep,
) -> WorkflowPublic:
    """Pause the workflow's schedules and close its webhook URLs (they answer 404). Runs in
    flight go on; manual runs can still be started."""
    return await _set_active(workflow_id, False, caller, session, lazy_temporal, settings)


@router.post(
    "/{workflow_id}/duplicate",
    operation_id="duplicate_workflow",
    status_code=status.HTTP_201_CREATED,
    response_model=WorkflowPublic,
    responses={**WRITES, **errors(404)},
)
async def duplicate_workflow(
    workflow_id: str,
    body: WorkflowDuplicate,
    caller: WriterDep,
    session: SessionDep,
    settings: SettingsDep,
) -> WorkflowPublic:
    """A new, inactive workflow whose version 1 is this one's latest graph (new webhook URLs)."""
    source = await store.get_workflow(
        session, organization_id=caller.organization_id, workflow_id=workflow_id
    )
    version = await store.get_version(
        session, organization_id=caller.organization_id, workflow_id=workflow_id
    )
    return await new_workflow(
        session,
        caller.organization_id,
        name=body.name or f"{source.name} (copy)"[:200],
        description=source.description,
        graph=version.graph,
        settings=settings,
    )


@router.get(
    "/{workflow_id}/export",
    operation_id="export_workflow",
    response_model=WorkflowExport,
    responses=errors(404),
)
async def export_workflow(workflow_id: str, caller: CallerDep, session: SessionDep) -> JSONResponse:
    """The latest version as a JSON file (`Content-Disposition: attachment`); importing it
    gives the same workflow back."""
    workflow = await store.get_workflow(
        session, organization_id=caller.organization_id, workflow_id=workflow_id
    )
    version = await store.get_version(
        session, organization_id=caller.organization_id, workflow_id=workflow_id
    )
    document = WorkflowExport(
        name=workflow.name, description=workflow.description, graph=version.graph
    )
    return JSONResponse(
        document.model_dump(mode="json"),
        headers={"Content-Disposition": f'attachment; filename="{workflow.id}.json"'},
    )


@router.post(
    "/import",
    operation_id="import_workflow",
    status_code=status.HTTP_201_CREATED,
    response_model=WorkflowPublic,
    responses=WRITES,
)
async def import_workflow(
    body: WorkflowImport, caller: WriterDep, session: SessionDep, settings: SettingsDep
) -> WorkflowPublic:
    """Create a new, inactive workflow from an exported file; the graph is validated as on
    create (accounts must be this organization's: `accounts` maps the exported ones to
    them)."""
    return await new_workflow(
        session,
        caller.organization_id,
        name=body.name,
        description=body.description,
        graph=with_accounts(body.graph, body.accounts),
        under=("body", "graph"),
        settings=settings,
    )
