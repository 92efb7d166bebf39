"""Bulk operations on runs: cancel, terminate or rerun every run the run list's filters
match, counted first (a dry run), bounded, and recorded with who asked."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated

from fastapi import APIRouter, Query

from app.api.bulk_schemas import BatchPublic, BulkCreate, BulkListPublic, BulkPublic
from app.api.deps import CallerDep, RunsDep, SessionDep, WriterDep
from app.api.responses import AUTHENTICATED, WRITES, errors
from app.api.run_filters import RunFilterDep
from app.db.models import BulkOperation
from app.services.runs.bulk import BulkRequest, filter_record, limit_of
from app.store import bulk_operations as store

router = APIRouter(tags=["runs"], responses={**AUTHENTICATED, **errors(503)})


@router.post(
    "/runs/bulk",
    operation_id="bulk_runs",
    response_model=BulkPublic,
    responses={**WRITES, **errors(409)},
)
async def bulk_runs(
    body: BulkCreate, where: RunFilterDep, caller: WriterDep, session: SessionDep, runs: RunsDep
) -> BulkPublic:
    """Cancel, terminate or rerun every run the query's filters (those of `GET /runs`) match.
    With `dry_run` (the default) only count them. Acting, at most 1000 runs (100 for a rerun):
    a filter that matches more is a 422 with the count. Cancel and terminate go to Temporal
    as one batch operation and take effect a moment later; reruns start before the answer.
    Every operation is recorded (`GET /bulk-operations`)."""
    asked = BulkRequest(
        organization_id=caller.organization_id,
        action=body.action,
        key_id=caller.api_key_id,
        person=caller.person,
        reason=body.reason,
        start_from=body.start_from,
        version=body.version,
    )
    outcome = await runs.bulk(session, asked=asked, where=where, dry_run=body.dry_run)
    if outcome.operation is not None:
        return _public(outcome.operation)
    return BulkPublic(
        id=None,
        action=body.action,
        dry_run=True,
        filter=filter_record(outcome.where),
        matched=outcome.matched.count,
        max_runs=limit_of(body.action),
        run_ids=outcome.matched.run_ids,
    )


@router.get("/bulk-operations", operation_id="list_bulk_operations", response_model=BulkListPublic)
async def list_bulk_operations(
    caller: CallerDep,
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> BulkListPublic:
    """The organization's bulk operations, newest first: who asked, when, with what filter,
    how many runs matched and which were acted on."""
    found = await store.list_operations(
        session, organization_id=caller.organization_id, limit=limit, offset=offset
    )
    return BulkListPublic(data=[_public(operation) for operation in found])


@router.get(
    "/bulk-operations/{operation_id}",
    operation_id="get_bulk_operation",
    response_model=BulkPublic,
    responses=errors(404),
)
async def get_bulk_operation(
    operation_id: str, caller: CallerDep, session: SessionDep, runs: RunsDep
) -> BulkPublic:
    """One bulk operation; a cancel or terminate with its Temporal batch's progress."""
    operation = await store.get_operation(
        session, organization_id=caller.organization_id, operation_id=operation_id
    )
    public = _public(operation)
    if operation.batch_job_id is not None:
        progress = await runs.batch_progress(operation.batch_job_id)
        public.batch = BatchPublic(job_id=operation.batch_job_id, **asdict(progress))
    return public


def _public(operation: BulkOperation) -> BulkPublic:
    return BulkPublic(
        id=operation.id,
        action=operation.action,
        dry_run=False,
        filter=operation.filter,
        matched=operation.matched,
        max_runs=int(operation.options.get("max_runs", 0)),
        run_ids=operation.run_ids,
        outcomes=operation.outcomes,
        options=operation.options,
        key_id=operation.key_id,
        person=operation.person,
        created_at=operation.created_at,
    )
