"""What the worker and the embedded server are started with to keep a run's CPU and latency
low (issue 14): the interpreter imported once per worker; actions dispatched eagerly, and
workflow tasks without waiting for the transfer queue's next poll."""

from __future__ import annotations

from pathlib import Path

import pytest
from temporalio.contrib.pydantic import PydanticPayloadConverter, pydantic_data_converter
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner
from temporalio.worker.workflow_sandbox._importer import Importer
from temporalio.worker.workflow_sandbox._restrictions import RestrictionContext

import workflows.interpreter
from temporal.data_converter import DATA_CONVERTER, SharedPydanticPayloadConverter
from temporal.dev_server import DevServerConfig, command
from temporal.server_config import SERVER_DYNAMIC_CONFIG
from temporal.worker import workflow_runner
from workflows.state import RunMetadata


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


def test_one_json_converter_serves_every_payload_converter_the_sdk_makes() -> None:
    """The SDK makes a payload converter per workflow, activation and activity; they share
    the process's pydantic JSON converter (and its cache of type adapters)."""
    first, second = SharedPydanticPayloadConverter(), SharedPydanticPayloadConverter()
    assert first.converters[b"json/plain"] is second.converters[b"json/plain"]
    assert [type(c) for c in first.converters.values()] == [
        type(c) for c in PydanticPayloadConverter().converters.values()
    ]


def test_payloads_are_those_of_temporalios_pydantic_converter() -> None:
    """Histories recorded with temporalio's pydantic converter replay with ours, and back."""
    metadata = RunMetadata(
        organization_id="org_1", workflow_id="wf_1", workflow_version=3, plan_hash="abc"
    )
    values: list[object] = [metadata, {"n": 1, "at": "2026-12-04"}, None, b"\x00bytes", [1.5]]
    ours = DATA_CONVERTER.payload_converter.to_payloads(values)
    assert ours == pydantic_data_converter.payload_converter.to_payloads(values)
    hints: list[type] = [RunMetadata, dict, type(None), bytes, list]
    assert DATA_CONVERTER.payload_converter.from_payloads(ours, hints) == values
