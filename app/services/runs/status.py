"""A run's status, as the API answers it and filters by it: Temporal's own status of the run.

The interpreter keeps a status of its own in the state it reports (`workflows.state.RunStatus`,
part of every recorded history); it cannot know that a run was terminated or timed out,
which Temporal decides from outside. So a run's status is always read from Temporal, in
this one place, and the interpreter's state only adds the detail (nodes, waits, output).
"""

from __future__ import annotations

from enum import StrEnum

from temporalio.client import WorkflowExecutionStatus


class RunStatus(StrEnum):
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"
    """Asked to stop (`POST /runs/{id}/cancel`): its waits and actions were cancelled first."""
    TERMINATED = "terminated"
    """Stopped at once, without cleaning up (`POST /runs/{id}/terminate`, or by Temporal)."""
    TIMED_OUT = "timed_out"
    """Did not end within its time limit (a child run's, set by its `sub_workflow` node's
    `timeout_seconds`, or one given to Temporal)."""


TERMINAL = frozenset(RunStatus) - {RunStatus.RUNNING}
"""A run with one of these has ended and changes no more."""
RERUNNABLE = TERMINAL - {RunStatus.SUCCEEDED}
"""A run that ended without succeeding can be started again from its input."""

_FROM_TEMPORAL: dict[WorkflowExecutionStatus, RunStatus] = {
    WorkflowExecutionStatus.RUNNING: RunStatus.RUNNING,
    # The run went on in a new execution of the same id: for its caller it still runs.
    WorkflowExecutionStatus.CONTINUED_AS_NEW: RunStatus.RUNNING,
    WorkflowExecutionStatus.COMPLETED: RunStatus.SUCCEEDED,
    WorkflowExecutionStatus.FAILED: RunStatus.FAILED,
    WorkflowExecutionStatus.CANCELED: RunStatus.CANCELLED,
    WorkflowExecutionStatus.TERMINATED: RunStatus.TERMINATED,
    WorkflowExecutionStatus.TIMED_OUT: RunStatus.TIMED_OUT,
}
_VISIBILITY: dict[RunStatus, str] = {
    RunStatus.RUNNING: "Running",
    RunStatus.SUCCEEDED: "Completed",
    RunStatus.FAILED: "Failed",
    RunStatus.CANCELLED: "Canceled",
    RunStatus.TERMINATED: "Terminated",
    RunStatus.TIMED_OUT: "TimedOut",
}

CONTINUED_AS_NEW = "ContinuedAsNew"
"""The `ExecutionStatus` of an execution that handed its run on to the next one."""


def run_status(execution: WorkflowExecutionStatus | None) -> RunStatus:
    """The status of a run whose Temporal execution has `execution` (None: not reported yet,
    which Temporal does only for a run that has not closed)."""
    return RunStatus.RUNNING if execution is None else _FROM_TEMPORAL[execution]


def visibility_status(status: RunStatus) -> str:
    """The `ExecutionStatus` value Temporal's visibility lists runs with this status under."""
    return _VISIBILITY[status]
