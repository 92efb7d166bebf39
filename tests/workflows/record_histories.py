"""Record the histories of the scenarios (`scenarios.py`) for the replay tests (inv. 2).

    .venv/bin/python -m tests.workflows.record_histories            # every scenario
    .venv/bin/python -m tests.workflows.record_histories if_true_branch ...   # only these

Each scenario runs on a time-skipping test server of its own (the installed
`temporal-test-server`, nothing is downloaded) with the real worker from
`temporal.worker.build_worker`, whose actions call the platform emulator as X and Instagram
with accounts from a fresh database (`platform_services`); the finished run's history is
written to `tests/workflows/histories/<name>.json`, each later run of its continue-as-new chain to
`<name>.run<N>.json`, and each child run the scenario names to `<name>.child.<node-i>.json`.
`test_replay.py` replays every file against the current `FlowRunWorkflow`, so a change to
the interpreter that would break runs in flight fails the suite. Add a scenario, record
it alone (by name), and commit the new files with the change.

Re-record a scenario only when its graph changes or on purpose: a recording made by new
interpreter code proves nothing about compatibility with the old one.
"""

from __future__ import annotations

import asyncio
import logging
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import AddSearchAttributesRequest
from temporalio.client import Client, WorkflowFailureError
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from activities.services import ActionServices
from app.contract.search_attributes import ALL
from app.db.models import Organization
from app.services.error_workflows import engine_activities
from emulator.testing import running_emulator
from tests.activities.support import services_for
from tests.utils.databases import fresh_database
from tests.utils.emulated import emulator_endpoints
from tests.utils.servers import serve
from tests.workflows.harness import (
    ORGANIZATION,
    Handle,
    connect_harness_accounts,
    run_input,
    worker,
)
from tests.workflows.scenarios import SCENARIOS, Scenario, Services, http_app
from workflows.state import INTERPRETER_WORKFLOW, RunState

HISTORIES = Path(__file__).parent / "histories"
TEST_SERVER = Path(sys.executable).parent / "temporal-test-server"
TASK_QUEUE = "record-histories"


def scenario_of(history: Path) -> str:
    """The scenario a history file belongs to: `name`, `name.run2`, `name.child.call-0`."""
    return history.stem.split(".")[0]


async def record(client: Client, scenario: Scenario, services: Services) -> dict[str, str]:
    """Run one scenario to its end; returns its histories as JSON by file stem."""
    fields: dict[str, Any] = {"limits": scenario.limits} if scenario.limits else {}
    if scenario.resume is not None:
        fields["resume"] = scenario.resume
    if scenario.run_events:
        fields["run_events"] = True
    if scenario.admit_by_quota:
        fields["admit_by_quota"] = True
    options: dict[str, Any] = {}
    if scenario.search_attributes is not None:
        options["search_attributes"] = scenario.search_attributes
    handle: Handle = await client.start_workflow(
        INTERPRETER_WORKFLOW,
        run_input(
            scenario.graph,
            scenario.payload_for(services),
            scenario.trigger,
            kind=scenario.kind,
            workflows=scenario.workflows,
            **fields,
        ),
        id=f"history-{scenario.name}",
        task_queue=TASK_QUEUE,
        result_type=RunState,
        execution_timeout=timedelta(days=30),
        **options,
    )
    if scenario.drive is not None:
        await scenario.drive(handle, services)
    try:
        state = await handle.result()
        outcome = f"{state.status}: {state.output}"
    except WorkflowFailureError as failure:
        outcome = f"{type(failure.cause).__name__}: {failure.cause}"
    status = (await handle.describe()).status
    if status != scenario.expect:
        raise RuntimeError(
            f"{scenario.name}: the run ended {status and status.name}, not "
            f"{scenario.expect.name} ({outcome})"
        )
    histories = await _chain(client, handle, scenario.name)
    for child in scenario.children:
        history = await client.get_workflow_handle(f"{handle.id}{child}").fetch_history()
        histories[f"{scenario.name}.child.{child.strip('~').replace('~', '-')}"] = history.to_json()
    print(f"  {scenario.name}: {outcome} ({len(histories)} histories)")
    return histories


async def _chain(client: Client, handle: Handle, name: str) -> dict[str, str]:
    """The histories of every run of the run's continue-as-new chain."""
    histories: dict[str, str] = {}
    run_id = handle.result_run_id
    while run_id is not None:
        history = await client.get_workflow_handle(handle.id, run_id=run_id).fetch_history()
        number = len(histories) + 1
        histories[name if number == 1 else f"{name}.run{number}"] = history.to_json()
        last = history.events[-1]
        continued = last.workflow_execution_continued_as_new_event_attributes
        run_id = continued.new_execution_run_id or None
    return histories


@asynccontextmanager
async def platform_services() -> AsyncIterator[ActionServices]:
    """What the recording worker's actions use: the platform emulator as X and Instagram, and
    a fresh SQLite database holding the harness's organization with its connected accounts
    (`X_ACCOUNT`, `INSTAGRAM_ACCOUNT`). Loopback addresses are allowed for `http_app`."""
    with tempfile.TemporaryDirectory() as tmp, fresh_database("sqlite", Path(tmp)) as url:
        async with running_emulator() as emulator:
            services = services_for(url, emulator_endpoints(emulator), allow_private=True)
            try:
                await connect_harness_accounts(services, emulator)
                yield services
            finally:
                await services.close()


async def _set_runs_per_hour(actions: ActionServices, runs_per_hour: int | None) -> None:
    async with actions.database.session() as session:
        organization = await session.get(Organization, ORGANIZATION)
        assert organization is not None
        organization.runs_per_hour = runs_per_hour
        session.add(organization)
        await session.commit()


async def record_alone(scenario: Scenario, actions: ActionServices) -> dict[str, str]:
    """Record a scenario on a server of its own: time skips for a whole server, and what one
    run leaves behind (an abandoned child) can stop the clock for the next."""
    await _set_runs_per_hour(actions, scenario.runs_per_hour)
    env = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=str(TEST_SERVER), data_converter=pydantic_data_converter
    )
    slow_called = asyncio.Event()
    try:
        if scenario.search_attributes is not None:
            # Unlike the dev server, the test server knows only the ones it is told of.
            await env.client.operator_service.add_search_attributes(
                AddSearchAttributesRequest(
                    namespace=env.client.namespace,
                    search_attributes={
                        key.name: IndexedValueType.ValueType(key.indexed_value_type) for key in ALL
                    },
                )
            )
        async with (
            serve(http_app(slow_called)) as url,
            # Beats reach the server at once, so a cancelled action learns it at once.
            worker(
                env.client,
                TASK_QUEUE,
                services=actions,
                engine_activities=engine_activities,
                max_heartbeat_throttle_interval=timedelta(milliseconds=100),
            ),
        ):
            return await record(env.client, scenario, Services(url, env.client, slow_called))
    finally:
        await env.shutdown()


async def record_all(names: Sequence[str]) -> None:
    unknown = set(names) - {scenario.name for scenario in SCENARIOS}
    if unknown:
        raise SystemExit(f"no such scenario: {', '.join(sorted(unknown))}")
    chosen = [scenario for scenario in SCENARIOS if not names or scenario.name in names]
    HISTORIES.mkdir(exist_ok=True)
    began = time.monotonic()
    written: set[str] = set()
    async with platform_services() as actions:
        for scenario in chosen:
            for stem, text in (await record_alone(scenario, actions)).items():
                (HISTORIES / f"{stem}.json").write_text(text + "\n")
                written.add(stem)
    for stale in sorted(HISTORIES.glob("*.json")):
        if scenario_of(stale) in {scenario.name for scenario in chosen}:
            if stale.stem not in written:
                print(f"  removing {stale.name}: its scenario no longer records it")
                stale.unlink()
        elif not names:
            print(f"  removing {stale.name}: no scenario records it")
            stale.unlink()
    print(f"recorded {len(chosen)} scenarios in {time.monotonic() - began:.1f}s to {HISTORIES}")


if __name__ == "__main__":
    # The SDK logs every failed activity attempt with its traceback; here they are expected.
    logging.getLogger("temporalio.activity").setLevel(logging.ERROR)
    asyncio.run(record_all(sys.argv[1:]))
