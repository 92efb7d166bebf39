"""One node of a run in detail: what it received and each attempt of its work."""

from __future__ import annotations

from fastapi import APIRouter

from app.api.deps import CallerDep, RunsDep
from app.api.responses import AUTHENTICATED, errors
from app.api.run_node_schemas import NodeAttemptPublic, NodeDetailPublic
from app.api.run_schemas import NodeRetry
from app.services.runs.retries import LiveNodeState

router = APIRouter(tags=["runs"], responses={**AUTHENTICATED, **errors(503)})


@router.get(
    "/runs/{run_id}/nodes/{node_id}",
    operation_id="get_run_node",
    response_model=NodeDetailPublic,
    responses=errors(404),
)
async def get_run_node(
    run_id: str, node_id: str, caller: CallerDep, runs: RunsDep
) -> NodeDetailPublic:
    """A node of the run: its state, the input it received and each attempt (read from the
    run's history when asked: nothing of it weighs on the run's state or stream)."""
    node = await runs.node(organization_id=caller.organization_id, run_id=run_id, node_id=node_id)
    state = node.state
    return NodeDetailPublic(
        node_id=node.node_id,
        status=state.status,
        attempts_count=state.attempts,
        started_at=state.started_at,
        ended_at=state.ended_at,
        input=node.input,
        output=state.output,
        error=state.error.model_dump() if state.error else None,
        retry=NodeRetry.model_validate(state.retry)
        if isinstance(state, LiveNodeState) and state.retry
        else None,
        attempts=[NodeAttemptPublic.model_validate(attempt) for attempt in node.attempts],
    )
