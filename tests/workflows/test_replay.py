"""Replay tests: every recorded history must replay against the current interpreter.

A change to `workflows/` that would issue different commands for a run already in flight
(docs/architecture.md, invariant 2) fails here. Histories are recorded by `record_histories.py` from
the scenarios of `scenarios.py`.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

import pytest
from temporalio import workflow
from temporalio.client import WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Replayer

from app.catalog import CATALOG
from temporal.worker import workflow_runner
from tests.workflows.record_histories import HISTORIES, scenario_of
from tests.workflows.scenarios import SCENARIOS
from workflows.interpreter import FlowRunWorkflow
from workflows.poll import FlowPollWorkflow
from workflows.state import INTERPRETER_WORKFLOW, RunInput, RunState

RECORDED = sorted(HISTORIES.glob("*.json"))


@pytest.fixture(scope="module")
def executor() -> Iterator[ThreadPoolExecutor]:
    with ThreadPoolExecutor(max_workers=4) as pool:
        yield pool


def replayer(workflow_class: type, executor: ThreadPoolExecutor) -> Replayer:
    return Replayer(
        workflows=[workflow_class],
        data_converter=pydantic_data_converter,
        workflow_task_executor=executor,
        workflow_runner=workflow_runner(),  # the worker's: replayed as the worker runs it
    )


def history(path: Path) -> WorkflowHistory:
    return WorkflowHistory.from_json(f"history-{path.stem}", path.read_text())


@pytest.mark.parametrize("path", RECORDED, ids=[path.stem for path in RECORDED])
async def test_recorded_history_replays(path: Path, executor: ThreadPoolExecutor) -> None:
    result = await replayer(FlowRunWorkflow, executor).replay_workflow(
        history(path), raise_on_replay_failure=False
    )
    assert result.replay_failure is None, f"{path.name}: {result.replay_failure!r}"


POLLS = sorted((HISTORIES / "poll").glob("*.json"))


@pytest.mark.parametrize("path", POLLS, ids=[path.stem for path in POLLS])
async def test_recorded_poll_replays(path: Path, executor: ThreadPoolExecutor) -> None:
    """Polls of `trigger.poll` (`workflows/poll.py`), recorded by tests/api/test_poll_trigger.py."""
    result = await replayer(FlowPollWorkflow, executor).replay_workflow(
        history(path), raise_on_replay_failure=False
    )
    assert result.replay_failure is None, f"{path.name}: {result.replay_failure!r}"


@workflow.defn(name=INTERPRETER_WORKFLOW, sandboxed=False)
class ChangedFlowRun:
    """A stand-in for an interpreter changed incompatibly: it schedules an activity where
    the recorded run started a timer. Replay never runs activities, so nothing happens."""

    @workflow.run
    async def run(self, input: RunInput) -> RunState:
        await workflow.execute_activity(
            "http.request", input.trigger.payload, start_to_close_timeout=timedelta(minutes=1)
        )
        return RunState(status="succeeded")


async def test_an_incompatible_change_is_reported(executor: ThreadPoolExecutor) -> None:
    recorded = history(HISTORIES / "delay_duration_1h.json")
    result = await replayer(ChangedFlowRun, executor).replay_workflow(
        recorded, raise_on_replay_failure=False
    )
    assert isinstance(result.replay_failure, workflow.NondeterminismError), repr(
        result.replay_failure
    )


def test_every_scenario_has_a_recording_and_every_recording_a_scenario() -> None:
    names = [scenario.name for scenario in SCENARIOS]
    assert len(names) == len(set(names)), "scenario names must be unique"
    recorded = {scenario_of(path) for path in RECORDED}
    assert set(names) - recorded == set(), "run `python -m tests.workflows.record_histories`"
    assert recorded - set(names) == set(), "stale histories: no scenario records them"


def covered_types(path: Path) -> set[str]:
    """The node types a recorded run exercises: the trigger it started from and every
    non-trigger node of its plan."""
    started = history(path).events[0].workflow_execution_started_event_attributes
    [run] = pydantic_data_converter.payload_converter.from_payloads(
        started.input.payloads, [RunInput]
    )
    assert isinstance(run, RunInput)
    plan = run.plan
    return {plan.nodes[run.trigger.node_id].type} | {
        node.type for node in plan.nodes.values() if node.kind != "trigger"
    }


def test_the_recordings_cover_every_node_type_of_the_catalog() -> None:
    """A node type no recorded run uses could change its commands unnoticed."""
    covered = set().union(*(covered_types(path) for path in RECORDED))
    missing = {node_type.type for node_type in CATALOG.all_types()} - covered
    assert missing == set(), f"add scenarios (scenarios.py) that run {sorted(missing)}"
