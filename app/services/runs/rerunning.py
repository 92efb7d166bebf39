"""Rerunning an ended run: from its start or from the step that failed, on its own version or
on the workflow's latest.

A rerun from the failed step starts a new run that keeps what the failed run finished: the
nodes that ended (their outputs, the handle each left through, so their side effects are not
repeated), and the loops that were part done (their finished iterations). The failed run's
interpreter wrote that down in its failure (`workflows.scope.Scope.retry_snapshot`), which is
read here from the run's history, never taken from a caller. The new run walks its plan from
the trigger again, passing the kept nodes and running the rest.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from temporalio.client import Client, WorkflowFailureError
from temporalio.exceptions import ApplicationError

from app.errors import ConflictError, ErrorDetail
from app.language.plan import Plan
from app.services.runs.details import run_input_of
from app.services.runs.reading import describe_run
from app.services.runs.status import RERUNNABLE, RunStatus, run_status
from workflows.state import (
    Continuation,
    DroppedEvents,
    NodeState,
    RunInput,
    RunState,
    ScopeSnapshot,
)

RerunFrom = Literal["start", "failed_step"]
RerunVersion = Literal["same", "latest"]


@dataclass(frozen=True)
class CorrectedInput:
    """The trigger payload a rerun starts with instead of the one its original run had."""

    payload: Any


@dataclass(frozen=True)
class EndedRun:
    """What a rerun starts from: the run's original input, and for a failed run recorded
    since failures kept progress, its final state and what a rerun may keep."""

    input: RunInput
    state: RunState | None
    kept: ScopeSnapshot | None


async def ended_run(client: Client, *, organization_id: str, run_id: str) -> EndedRun:
    """The ended, unsuccessful run `run_id`, read from its history (409 for any other)."""
    handle, description = await describe_run(client, organization_id=organization_id, run_id=run_id)
    status = run_status(description.status)
    if status not in RERUNNABLE:
        raise ConflictError(
            f"run '{run_id}' has status '{status}': only a failed, cancelled, terminated or "
            "timed-out run can be re-run"
        )
    original = await run_input_of(client, handle, description)
    if status is not RunStatus.FAILED:
        return EndedRun(original, None, None)
    try:
        await handle.result()
    except WorkflowFailureError as failure:
        cause = failure.cause
        if isinstance(cause, ApplicationError) and len(cause.details) >= 2:
            return EndedRun(
                original,
                RunState.model_validate(cause.details[0]),
                ScopeSnapshot.model_validate(cause.details[1]),
            )
    return EndedRun(original, None, None)


def kept_progress(run_id: str, ended: EndedRun) -> tuple[RunState, ScopeSnapshot]:
    """The failed run's final state and what a rerun from its failed step keeps."""
    if ended.state is None or ended.kept is None:
        raise ConflictError(
            f"run '{run_id}' did not fail at a step a rerun can start from (it was "
            "cancelled, terminated or timed out, or it failed before runs kept their "
            'progress): rerun it with "from": "start"'
        )
    return ended.state, ended.kept


def check_trigger(plan: Plan, node_id: str, kind: str, version: int) -> None:
    """A rerun starts from the trigger its run started from: it must still be one."""
    node = plan.nodes.get(node_id)
    if node is None or node.type != f"trigger.{kind}":
        raise ConflictError(
            f"version {version} has no {kind} trigger '{node_id}', which the run started "
            "from: a rerun starts from the same trigger",
            [
                ErrorDetail(
                    message=f"trigger '{node_id}' is not a {kind} trigger of version {version}",
                    path=("graph", "nodes", node_id),
                    node_id=node_id,
                    code="node_removed" if node is None else "node_type_changed",
                )
            ],
        )


def without_triggers(kept: ScopeSnapshot, plan: Plan) -> ScopeSnapshot:
    """`kept` with the run's trigger left to run again: a rerun's input may be corrected."""
    assert kept.reused is not None
    triggers = {node_id for node_id in kept.reused if _kind(plan, node_id) == "trigger"}
    return kept.model_copy(
        update={
            "reused": {n: h for n, h in kept.reused.items() if n not in triggers},
            "outputs": {n: o for n, o in kept.outputs.items() if n not in triggers},
        }
    )


def _kind(plan: Plan, node_id: str) -> str | None:
    node = plan.nodes.get(node_id)
    return node.kind if node else None


def _scopes(
    snapshot: ScopeSnapshot, loop: str | None
) -> Iterator[tuple[ScopeSnapshot, str | None]]:
    """Every scope of `snapshot`, with the loop its nodes are the body of (None: the run)."""
    yield snapshot, loop
    for loop_id, parked in snapshot.parked.items():
        if parked.loop is not None:
            for body in parked.loop.running.values():
                yield from _scopes(body, loop_id)


def reused_nodes(kept: ScopeSnapshot) -> list[str]:
    """Every node a rerun keeps something of, in any scope, by id."""
    found: set[str] = set()
    for scope, _ in _scopes(kept, None):
        found.update(scope.reused or {})
        found.update(scope.parked)
    return sorted(found)


def mismatches(kept: ScopeSnapshot, before: Plan, after: Plan) -> list[ErrorDetail]:
    """The kept nodes that would not fit `after`, the plan the rerun runs: removed or renamed,
    of another type, or moved into or out of a loop."""
    problems: dict[str, ErrorDetail] = {}
    for scope, loop in _scopes(kept, None):
        for node_id in sorted({*(scope.reused or {}), *scope.parked}):
            if node_id in problems:
                continue
            old = before.nodes.get(node_id)
            new = after.nodes.get(node_id)
            if new is None:
                why, code = "is not in the latest version (removed or renamed)", "node_removed"
            elif old is not None and new.type != old.type:
                why = f"is a '{new.type}' node in the latest version, not a '{old.type}'"
                code = "node_type_changed"
            elif new.loop != loop:
                where = f"the body of loop '{new.loop}'" if new.loop else "outside any loop"
                why, code = f"is {where} in the latest version", "node_moved"
            else:
                continue
            problems[node_id] = ErrorDetail(
                message=f"node '{node_id}', whose output the rerun would keep, {why}",
                path=("graph", "nodes", node_id),
                node_id=node_id,
                code=code,
            )
    return [problems[node_id] for node_id in sorted(problems)]


def resumed_from_failure(run_input: RunInput, state: RunState, kept: ScopeSnapshot) -> RunInput:
    """`run_input` picking up where the failed run stopped: its kept nodes show as they
    ended, the loops part done as running, every other node as not started."""
    plan = run_input.plan
    reused = set(reused_nodes(kept))
    loops = {node_id for scope, _ in _scopes(kept, None) for node_id in scope.parked}
    nodes: dict[str, NodeState] = {}
    for node_id in plan.nodes:
        before = state.nodes.get(node_id)
        if before is not None and node_id in loops:
            nodes[node_id] = before.model_copy(
                update={"status": "running", "ended_at": None, "error": None}
            )
        elif before is not None and node_id in reused and before.status == "succeeded":
            nodes[node_id] = before
        else:
            nodes[node_id] = NodeState()
    started = state.model_copy(
        update={
            "status": "running",
            "nodes": nodes,
            "variables": {**plan.variables, **state.variables},
            "waiting_for": [],
            "output": None,
            "error": None,
            "started_at": datetime.now(UTC),
            "ended_at": None,
            "state_unavailable": None,
            "dropped_events": DroppedEvents(),
        }
    )
    return run_input.model_copy(update={"resume": Continuation(state=started, scope=kept, runs=0)})
