"""Comparing two versions of a workflow, and restoring an old one as the newest."""

from __future__ import annotations

from dataclasses import asdict

from fastapi import APIRouter, status
from pydantic import ValidationError

from app.api.deps import CallerDep, LazyTemporalDep, SessionDep, SettingsDep, WriterDep
from app.api.responses import AUTHENTICATED, WRITES, errors
from app.api.routes.workflows import VersionNumber, edit_workflow
from app.api.schemas import WorkflowPublic
from app.api.version_schemas import VersionRestore, WorkflowVersionDiff
from app.errors import ConflictError
from app.language.graph_diff import diff_graphs
from app.store import workflows as store

router = APIRouter(prefix="/workflows", tags=["workflows"], responses=AUTHENTICATED)


@router.get(
    "/{workflow_id}/versions/{version}/diff/{other}",
    operation_id="diff_workflow_versions",
    response_model=WorkflowVersionDiff,
    responses=errors(404, 409),
)
async def diff_workflow_versions(
    workflow_id: str,
    version: VersionNumber,
    other: VersionNumber,
    caller: CallerDep,
    session: SessionDep,
) -> WorkflowVersionDiff:
    """What changed from `version` to `other` (either may be the older): nodes added,
    removed and changed (each changed field, before and after), edges added and removed,
    settings changed."""
    before = await store.get_version(
        session, organization_id=caller.organization_id, workflow_id=workflow_id, version=version
    )
    after = await store.get_version(
        session, organization_id=caller.organization_id, workflow_id=workflow_id, version=other
    )
    try:
        diff = diff_graphs(before.graph, after.graph)
    except ValidationError:
        raise ConflictError(
            f"versions {version} and {other} cannot be compared: one was stored in a form this "
            "version of the engine no longer reads"
        ) from None
    return WorkflowVersionDiff(
        workflow_id=workflow_id,
        from_version=version,
        to_version=other,
        identical=diff.empty,
        **asdict(diff),
    )


@router.post(
    "/{workflow_id}/versions/{version}/restore",
    operation_id="restore_workflow_version",
    status_code=status.HTTP_201_CREATED,
    response_model=WorkflowPublic,
    responses={**WRITES, **errors(404, 409, 503)},
)
async def restore_workflow_version(
    workflow_id: str,
    version: VersionNumber,
    caller: WriterDep,
    session: SessionDep,
    lazy_temporal: LazyTemporalDep,
    settings: SettingsDep,
    body: VersionRestore | None = None,
) -> WorkflowPublic:
    """Store `version`'s graph as the newest version, as a save of it would: checked again
    against today's node types and accounts (422 naming each problem under `version`), its
    schedules following it when the workflow is active. Earlier versions stay as they were."""
    old = await store.get_version(
        session, organization_id=caller.organization_id, workflow_id=workflow_id, version=version
    )
    return await edit_workflow(
        session,
        caller.organization_id,
        workflow_id,
        lazy_temporal=lazy_temporal,
        settings=settings,
        graph=old.graph,
        base_version=body.base_version if body else None,
        under=("version", str(version), "graph"),
    )
