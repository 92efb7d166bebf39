"""Runs: start by hand, list, read, and act on one (events, decisions, cancel, re-run)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Header, Query, Response, status

from app.api.deps import CallerDep, RunsDep, SessionDep, WriterDep
from app.api.responses import AUTHENTICATED, WRITES, errors
from app.api.run_filters import RunFilterDep
from app.api.run_schemas import (
    DecisionInput,
    DecisionPublic,
    EventInput,
    RunAccepted,
    RunCreate,
    RunCreated,
    RunPublic,
    RunRerun,
    RunsPublic,
    RunSummaryPublic,
    RunTerminate,
)
from app.services.runs import CorrectedInput, decider_for_key

router = APIRouter(tags=["runs"], responses={**AUTHENTICATED, **errors(503)})

IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=200,
        description=(
            "Any unique string (a UUID): repeating the request with the same key returns the "
            "run it started instead of starting another; the same key with a different body "
            "is a 409."
        ),
    ),
]


@router.post(
    "/workflows/{workflow_id}/runs",
    operation_id="start_run",
    status_code=status.HTTP_201_CREATED,
    response_model=RunCreated,
    responses={
        **WRITES,
        **errors(404, 409, 413),
        200: {
            "model": RunCreated,
            "description": "The run an earlier request with this Idempotency-Key started.",
        },
    },
)
async def start_run(
    workflow_id: str,
    body: RunCreate,
    response: Response,
    caller: WriterDep,
    session: SessionDep,
    runs: RunsDep,
    idempotency_key: IdempotencyKey = None,
) -> RunCreated:
    """Start a run from the manual trigger; it carries the compiled plan of the chosen version.
    The input is checked against the trigger's `input_schema` (422 naming each field)."""
    started = await runs.start_manual(
        session,
        organization_id=caller.organization_id,
        workflow_id=workflow_id,
        version=body.version,
        payload=body.input,
        idempotency_key=idempotency_key,
    )
    if not started.created:
        response.status_code = status.HTTP_200_OK
    return RunCreated(
        id=started.id,
        workflow_id=started.workflow_id,
        version=started.workflow_version,
        created=started.created,
    )


@router.get("/runs", operation_id="list_runs", response_model=RunsPublic)
async def list_runs(
    caller: CallerDep,
    runs: RunsDep,
    where: RunFilterDep,
    page_size: Annotated[int, Query(ge=1, le=200)] = 50,
    page_token: Annotated[str | None, Query(max_length=4000)] = None,
) -> RunsPublic:
    """Runs of the organization from Temporal's visibility store, newest first. Visibility is
    updated a moment after a run starts or ends."""
    page = await runs.list(
        organization_id=caller.organization_id,
        where=where,
        page_size=page_size,
        page_token=page_token,
    )
    return RunsPublic(
        data=[RunSummaryPublic.model_validate(run) for run in page.runs],
        count=page.count,
        next_page_token=page.next_page_token,
    )


@router.get(
    "/runs/{run_id}", operation_id="get_run", response_model=RunPublic, responses=errors(404)
)
async def get_run(run_id: str, caller: CallerDep, runs: RunsDep) -> RunPublic:
    """A run's state: every node's status and output, and the result once it has ended."""
    view = await runs.read(organization_id=caller.organization_id, run_id=run_id)
    return RunPublic.model_validate(view)


@router.post(
    "/runs/{run_id}/events",
    operation_id="send_run_event",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=RunAccepted,
    responses={**WRITES, **errors(404, 409, 413)},
)
async def send_run_event(
    run_id: str,
    body: Annotated[
        EventInput,
        Body(
            openapi_examples={
                "paid": {
                    "summary": "An order was paid",
                    "value": {"name": "paid", "payload": {"order_id": 42, "amount": 30}},
                }
            }
        ),
    ],
    caller: WriterDep,
    runs: RunsDep,
) -> RunAccepted:
    """Deliver a named event (a Temporal signal): `wait_for_event` nodes waiting for this name,
    now or later in the run, receive its payload. A name no `wait_for_event` node of the run
    listens for is refused (422); one only a sub-workflow's child run listens for too, naming
    the child run to send it to (events are not forwarded to children); a payload over
    `MAX_EVENT_BYTES` too (413)."""
    await runs.event(
        organization_id=caller.organization_id,
        run_id=run_id,
        name=body.name,
        payload=body.payload,
    )
    return RunAccepted(run_id=run_id, action="event")


@router.post(
    "/runs/{run_id}/decisions",
    operation_id="decide_run_approval",
    response_model=DecisionPublic,
    responses={**WRITES, **errors(404, 409)},
)
async def decide_run_approval(
    run_id: str,
    body: Annotated[
        DecisionInput,
        Body(
            openapi_examples={
                "approve": {
                    "summary": "Approve the only waiting approval (with a person's key)",
                    "value": {"approved": True},
                },
                "reject": {
                    "summary": "Reject a named approval node",
                    "value": {"node_id": "review", "approved": False, "comment": "wrong date"},
                },
                "unbound_key": {
                    "summary": "With a key bound to no one: say who, recorded unverified",
                    "value": {"approved": True, "by": "ann@example.com"},
                },
            }
        ),
    ],
    caller: WriterDep,
    runs: RunsDep,
) -> DecisionPublic:
    """Approve or reject a waiting `approval` node (a Temporal update, so the answer says
    whether the run took it) as the person the key belongs to. The node's output records who
    (`by`, `verified`), how (`via`, `key_id`) and when (`decided_at`). 409 when nothing
    waits; 403 when `by` is not the key's person, or the approval names its approvers and
    the key's person is not one of them (a key bound to no one never is)."""
    decider = decider_for_key(key_id=caller.api_key_id, person=caller.person, claimed_by=body.by)
    node_id = await runs.decide(
        organization_id=caller.organization_id,
        run_id=run_id,
        node_id=body.node_id,
        approved=body.approved,
        comment=body.comment,
        decider=decider,
    )
    return DecisionPublic(run_id=run_id, node_id=node_id)


@router.post(
    "/runs/{run_id}/cancel",
    operation_id="cancel_run",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=RunAccepted,
    responses={**WRITES, **errors(404, 409)},
)
async def cancel_run(run_id: str, caller: WriterDep, runs: RunsDep) -> RunAccepted:
    """Ask the run to stop: waits and running actions are cancelled, the run ends `cancelled`."""
    await runs.cancel(organization_id=caller.organization_id, run_id=run_id)
    return RunAccepted(run_id=run_id, action="cancel")


@router.post(
    "/runs/{run_id}/terminate",
    operation_id="terminate_run",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=RunAccepted,
    responses={**WRITES, **errors(404, 409)},
)
async def terminate_run(
    run_id: str, body: RunTerminate, caller: WriterDep, runs: RunsDep
) -> RunAccepted:
    """Stop the run at once, without letting running actions finish (prefer cancel); it ends
    `terminated`."""
    await runs.terminate(organization_id=caller.organization_id, run_id=run_id, reason=body.reason)
    return RunAccepted(run_id=run_id, action="terminate")


@router.post(
    "/runs/{run_id}/rerun",
    operation_id="rerun_run",
    status_code=status.HTTP_201_CREATED,
    response_model=RunCreated,
    responses={**WRITES, **errors(404, 409)},
)
async def rerun_run(
    run_id: str,
    caller: WriterDep,
    session: SessionDep,
    runs: RunsDep,
    body: Annotated[RunRerun | None, Body()] = None,
) -> RunCreated:
    """Start a new run of a failed, cancelled, terminated or timed-out run, from its start or
    from its failed step, on its version or the latest, with its input or a corrected one.
    The new run's `rerun_of` names the original; `reused_nodes` what it kept of it."""
    asked = body or RunRerun()
    started = await runs.rerun(
        session,
        organization_id=caller.organization_id,
        run_id=run_id,
        start_from=asked.start_from,
        version=asked.version,
        corrected_input=CorrectedInput(asked.input) if "input" in asked.model_fields_set else None,
    )
    return RunCreated(
        id=started.id, workflow_id=started.workflow_id, version=started.workflow_version
    )
