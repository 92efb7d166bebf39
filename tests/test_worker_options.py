"""What the worker and the embedded server are started with to keep a run's CPU low (issue 14):
the interpreter imported once per worker, and actions dispatched eagerly."""

from __future__ import annotations

from pathlib import Path

from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner
from temporalio.worker.workflow_sandbox._importer import Importer
from temporalio.worker.workflow_sandbox._restrictions import RestrictionContext

import workflows.interpreter
from temporal.dev_server import DevServerConfig, command
from temporal.worker import workflow_runner


def test_the_embedded_server_dispatches_activities_eagerly(tmp_path: Path) -> None:
    flags = command(DevServerConfig(db_file=tmp_path / "temporal.db"))
    at = flags.index("system.enableActivityEagerExecution=true")
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
