"""What the worker and the embedded server are started with to keep a run's CPU and latency
low (issue 14): the interpreter imported once per worker; actions dispatched eagerly, and
workflow tasks without waiting for the transfer queue's next poll."""

from __future__ import annotations

from pathlib import Path

import pytest
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner
from temporalio.worker.workflow_sandbox._importer import Importer
from temporalio.worker.workflow_sandbox._restrictions import RestrictionContext

import workflows.interpreter
from temporal.dev_server import DevServerConfig, command
from temporal.server_config import SERVER_DYNAMIC_CONFIG
from temporal.worker import workflow_runner


@pytest.mark.parametrize(
    "setting",
    [
        "system.enableActivityEagerExecution=true",
        "history.transferProcessorMaxPollRPS=1000",
        *(f"{key}={value}" for key, value in SERVER_DYNAMIC_CONFIG.items()),
    ],
)
def test_the_embedded_server_runs_with_the_dynamic_config(tmp_path: Path, setting: str) -> None:
    flags = command(DevServerConfig(db_file=tmp_path / "temporal.db"))
    at = flags.index(setting)
    assert flags[at - 1] == "--dynamic-config-value"


def test_the_sandbox_shares_the_interpreter_module_between_runs() -> None:
    """What a run's sandbox imports the interpreter workflow from: the worker's own module,
    not a copy made and executed again for the run."""
    runner = workflow_runner()
    assert isinstance(runner, SandboxedWorkflowRunner)
    importer = Importer(
        runner.restrictions, RestrictionContext(), workflow_module_name="workflows.interpreter"
    )
    scope: dict[str, object] = {"importer": importer}
    exec(  # noqa: S102 (a fixed import, the way the SDK's sandbox imports a workflow)
        "with importer.applied():\n  from workflows.interpreter import FlowRunWorkflow\n", scope
    )
    assert scope["FlowRunWorkflow"] is workflows.interpreter.FlowRunWorkflow
