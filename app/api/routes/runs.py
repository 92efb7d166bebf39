from __future__ import annotations

from fastapi import APIRouter, status

from app import runs, sub_workflows
from app.api.deps import CallerDep, SessionDep, SettingsDep, TemporalDep, WriterDep
from app.api.schemas import RunCreate, RunCreated, RunPublic
from app.language.plan import Plan
from app.store import workflows as store

router = APIRouter(tags=["runs"])


@router.post(
    "/workflows/{workflow_id}/runs",
    operation_id="start_run",
    status_code=status.HTTP_201_CREATED,
    response_model=RunCreated,
)
async def start_run(
    workflow_id: str,
    body: RunCreate,
    caller: WriterDep,
    session: SessionDep,
    temporal: TemporalDep,
    settings: SettingsDep,
) -> RunCreated:
    """Start a run by hand; the run carries the compiled plan of the chosen version."""
    version = await store.get_version(
        session,
        organization_id=caller.organization_id,
        workflow_id=workflow_id,
        version=body.version,
    )
    run_id = await runs.start_run(
        temporal,
        version=version,
        trigger="manual",
        payload=body.input,
        task_queue=settings.temporal_task_queue,
        workflows=await sub_workflows.plans_for(
            session, organization_id=caller.organization_id, plan=Plan.model_validate(version.plan)
        ),
    )
    return RunCreated(id=run_id, workflow_id=workflow_id, version=version.version)


@router.get("/runs/{run_id}", operation_id="get_run", response_model=RunPublic)
async def get_run(run_id: str, caller: CallerDep, temporal: TemporalDep) -> RunPublic:
    """A run's state: every node's status and output, and the result once it has ended."""
    state = await runs.read_run(temporal, organization_id=caller.organization_id, run_id=run_id)
    return RunPublic(id=run_id, **state.model_dump())
