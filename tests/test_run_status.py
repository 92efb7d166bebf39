"""One run status for each way Temporal says a run stands (`app.services.runs.status`)."""

from __future__ import annotations

from temporalio.client import WorkflowExecutionStatus

from app.services.runs.status import RERUNNABLE, TERMINAL, RunStatus, run_status


def test_every_temporal_status_is_a_run_status_and_only_running_ones_are_running() -> None:
    for execution in WorkflowExecutionStatus:
        still_running = execution in (
            WorkflowExecutionStatus.RUNNING,
            WorkflowExecutionStatus.CONTINUED_AS_NEW,
        )
        assert (run_status(execution) not in TERMINAL) == still_running, execution


def test_terminated_and_timed_out_runs_have_statuses_of_their_own() -> None:
    assert run_status(WorkflowExecutionStatus.TERMINATED) is RunStatus.TERMINATED
    assert run_status(WorkflowExecutionStatus.TIMED_OUT) is RunStatus.TIMED_OUT
    assert len({run_status(execution) for execution in WorkflowExecutionStatus}) == 6


def test_every_run_that_ended_without_succeeding_can_be_rerun() -> None:
    assert set(RERUNNABLE) == {
        RunStatus.FAILED,
        RunStatus.CANCELLED,
        RunStatus.TERMINATED,
        RunStatus.TIMED_OUT,
    }
