"""Acting on every run a filter matches: cancel, terminate or rerun them, bounded and recorded.

The filter is the run list's (`RunFilter`), so what `GET /runs` shows is what a bulk
operation acts on; a dry run counts the runs and acts on none. An operation acts on at most
`MAX_RUNS` runs (`MAX_RERUNS` for reruns, each a start); one that matches more is refused
with the count, to be narrowed (by `started_before`, say). Cancelling and terminating go
through a Temporal batch operation over the exact runs listed, which the server carries out
(and whose progress `describe_batch` reads); reruns are started here one after the other.
Every operation is stored with who asked, when, the filter and how many runs it matched
(`app.store.bulk_operations`).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any, Literal

from temporalio.api.batch.v1 import BatchOperationCancellation, BatchOperationTermination
from temporalio.api.common.v1 import WorkflowExecution
from temporalio.api.enums.v1 import BatchOperationState
from temporalio.api.workflowservice.v1 import (
    DescribeBatchOperationRequest,
    StartBatchOperationRequest,
)
from temporalio.client import Client

from app.db.models import BulkOperation
from app.errors import ErrorDetail, InvalidInputError
from app.services.runs.listing import RunFilter, visibility_query
from app.services.runs.rerunning import RerunFrom, RerunVersion
from app.services.runs.status import RERUNNABLE, RunStatus

BulkAction = Literal["cancel", "terminate", "rerun"]
MAX_RUNS = 1000
"""The most runs one cancel or terminate acts on."""
MAX_RERUNS = 100
"""The most runs one rerun starts again."""


@dataclass(frozen=True)
class BulkRequest:
    """What a bulk operation is asked to do, and by whom."""

    organization_id: str
    action: BulkAction
    key_id: str
    person: str | None = None
    reason: str = ""
    """Why the runs are terminated (recorded in each run's history)."""
    start_from: RerunFrom = "start"
    version: RerunVersion = "same"

    def options(self) -> dict[str, Any]:
        """What is recorded of it besides the filter and who asked."""
        if self.action == "rerun":
            return {"from": self.start_from, "version": self.version, "max_runs": MAX_RERUNS}
        return {"reason": self.reason, "max_runs": MAX_RUNS}


@dataclass(frozen=True)
class Matched:
    """The runs a bulk operation would act on: how many match, and their ids."""

    count: int
    run_ids: list[str]


@dataclass(frozen=True)
class BulkOutcome:
    where: RunFilter
    """The filter as the action applies it (cancel and terminate: running runs only)."""
    matched: Matched
    operation: BulkOperation | None
    """The operation as recorded; None for a dry run."""


def filter_record(where: RunFilter) -> dict[str, str]:
    """The filters given, as JSON: what an operation records and answers."""
    return {
        key: value.isoformat() if isinstance(value, datetime) else str(value)
        for key, value in asdict(where).items()
        if value is not None
    }


def limit_of(action: BulkAction) -> int:
    return MAX_RERUNS if action == "rerun" else MAX_RUNS


def filter_for(action: BulkAction, where: RunFilter) -> RunFilter:
    """`where` as the action can act on it: cancel and terminate only running runs, rerun only
    runs that ended without succeeding; a status the action cannot act on is a 422."""
    if action == "rerun":
        if where.status not in RERUNNABLE:
            allowed = ", ".join(sorted(status.value for status in RERUNNABLE))
            raise _bad_status(f"a rerun needs the status of the runs to rerun: one of {allowed}")
        return where
    if where.status not in (None, RunStatus.RUNNING):
        raise _bad_status(f"only running runs can be {action}ed: leave status out or say running")
    return RunFilter(**{**asdict(where), "status": RunStatus.RUNNING})


def _bad_status(message: str) -> InvalidInputError:
    return InvalidInputError(
        message, [ErrorDetail(message=message, path=("query", "status"), code="wrong_status")]
    )


async def matching(
    client: Client, *, organization_id: str, where: RunFilter, limit: int
) -> Matched:
    """How many of the organization's runs match `where`, and the ids of the first `limit`
    (newest first)."""
    query = visibility_query(organization_id, where)
    count = (await client.count_workflows(query)).count
    run_ids = [execution.id async for execution in client.list_workflows(query, limit=limit)]
    return Matched(count=count, run_ids=run_ids)


def check_bounded(matched: Matched, action: BulkAction) -> None:
    limit = limit_of(action)
    if matched.count > limit:
        raise InvalidInputError(
            f"{matched.count} runs match, more than the {limit} one {action} acts on: narrow "
            "the filter (by started_after and started_before, say) and send it again",
            [
                ErrorDetail(
                    message=f"{matched.count} runs match; at most {limit}",
                    path=("query",),
                    code="too_many_runs",
                )
            ],
        )


async def stop_in_batch(
    client: Client,
    *,
    action: Literal["cancel", "terminate"],
    job_id: str,
    run_ids: list[str],
    reason: str,
    identity: str,
) -> None:
    """Have Temporal cancel or terminate exactly `run_ids` as batch operation `job_id`."""
    operation: dict[str, Any] = (
        {"cancellation_operation": BatchOperationCancellation(identity=identity)}
        if action == "cancel"
        else {"termination_operation": BatchOperationTermination(identity=identity)}
    )
    await client.workflow_service.start_batch_operation(
        StartBatchOperationRequest(
            namespace=client.namespace,
            job_id=job_id,
            reason=reason or f"bulk {action}",
            executions=[WorkflowExecution(workflow_id=run_id) for run_id in run_ids],
            **operation,
        )
    )


@dataclass(frozen=True)
class BatchProgress:
    state: Literal["running", "completed", "failed", "unknown"]
    total: int
    completed: int
    failed: int


_STATES: dict[int, Literal["running", "completed", "failed"]] = {
    BatchOperationState.BATCH_OPERATION_STATE_RUNNING: "running",
    BatchOperationState.BATCH_OPERATION_STATE_COMPLETED: "completed",
    BatchOperationState.BATCH_OPERATION_STATE_FAILED: "failed",
}


async def describe_batch(client: Client, job_id: str) -> BatchProgress:
    """How far Temporal's batch operation `job_id` has gone."""
    described = await client.workflow_service.describe_batch_operation(
        DescribeBatchOperationRequest(namespace=client.namespace, job_id=job_id)
    )
    return BatchProgress(
        state=_STATES.get(described.state, "unknown"),
        total=described.total_operation_count,
        completed=described.complete_operation_count,
        failed=described.failure_operation_count,
    )
