"""The worker: the interpreter workflow and every registered activity on one task queue."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import AsyncIterator, Callable, Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any

from temporalio.client import Client
from temporalio.service import RPCError
from temporalio.worker import Worker, WorkflowRunner
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

from activities import plugins, registry
from activities.registry import action_services_from_settings, all_activities
from activities.run_events import run_event_activities
from activities.services import ActionServices
from app.settings import (
    WORKER_ACTIVITY_SLOTS,
    WORKER_WORKFLOW_TASK_SLOTS,
    Settings,
    get_settings,
)
from temporal.activity_logs import ActivityLogFieldsInterceptor
from temporal.client import TemporalConnection, connect
from temporal.setup import missing_search_attributes
from temporal.tracing import tracing_interceptors, worker_tracing
from temporal.worker_metrics import ActionMetricsInterceptor, metrics_runtime
from workflows.interpreter import FlowRunWorkflow
from workflows.poll import FlowPollWorkflow
from workflows.run_event_delivery import RunEventDeliveryWorkflow

EngineActivities = Callable[[ActionServices, str], Sequence[Callable[..., Any]]]
"""Activities the interpreter calls that need the services floor (a failed run's error
workflow), made from the worker's services and task queue."""

log = logging.getLogger(__name__)

INTERPRETER_PACKAGE = "workflows"


def workflow_runner() -> WorkflowRunner:
    """The SDK's sandbox with the interpreter's whole package passed through.

    The sandbox re-imports a workflow's module, and every module it imports that is not
    passed through, for each run it starts (and for each replay after a worker restart):
    `workflows/` imports everything else passed through already, but `workflows.interpreter`
    and its package were compiled and executed again per run, `workflow.defn` included,
    2.6 ms of CPU per run where the interpreter's own work is a few ms (bench/worker_cpu.py).
    Passing them through too shares one import across runs; no run's state lives in a module
    (workflows/INVARIANTS.md), and the sandbox still restricts non-deterministic calls while
    the workflow code runs. Replay tests use the same runner (tests/workflows/test_replay.py).
    """
    return SandboxedWorkflowRunner(
        restrictions=SandboxRestrictions.default.with_passthrough_modules(INTERPRETER_PACKAGE)
    )


def build_worker(
    client: Client,
    task_queue: str,
    *,
    graceful_shutdown: timedelta = timedelta(seconds=30),
    services: ActionServices | None = None,
    max_concurrent_workflow_tasks: int = WORKER_WORKFLOW_TASK_SLOTS,
    max_concurrent_activities: int = WORKER_ACTIVITY_SLOTS,
    engine_activities: EngineActivities | None = None,
    **options: Any,
) -> Worker:
    """The worker for our workflows and activities; `options` go to `temporalio.worker.Worker`.

    `services` (database, vault, platform endpoints) default to those of the process settings.
    Workflow task slots are many (the settings' defaults): the tasks share one interpreter
    lock, which time-slices them, so a short task finishes while long ones run; with few
    slots it would wait at the server for a long one to end (bench/tenant_fairness.py).
    `engine_activities` are those of the floors above this one (`worker.py` passes them): given
    the services, the activities the interpreter calls besides actions.
    """
    services = services or action_services_from_settings(get_settings())
    extra = engine_activities(services, task_queue) if engine_activities else []
    return Worker(
        client,
        task_queue=task_queue,
        # `workflows` adds to ours (bench/temporal_floor.py's hand-written workflow).
        workflows=[
            FlowRunWorkflow,
            FlowPollWorkflow,
            RunEventDeliveryWorkflow,
            *options.pop("workflows", []),
        ],
        workflow_runner=options.pop("workflow_runner", None) or workflow_runner(),
        activities=[*all_activities(services), *run_event_activities(services), *extra],
        graceful_shutdown_timeout=graceful_shutdown,
        max_concurrent_workflow_tasks=max_concurrent_workflow_tasks,
        max_concurrent_activities=max_concurrent_activities,
        interceptors=[
            ActivityLogFieldsInterceptor(),
            ActionMetricsInterceptor(),
            *worker_tracing(client),
            *options.pop("interceptors", []),
        ],
        **options,
    )


async def run_worker(settings: Settings, engine_activities: EngineActivities | None = None) -> None:
    """Poll until SIGTERM or SIGINT, then drain: running activities get the grace period."""
    runtime = (
        metrics_runtime(settings.worker_metrics_address)
        if settings.worker_metrics_address
        else None
    )
    client = await connect(
        TemporalConnection.from_settings(settings),
        runtime=runtime,
        interceptors=tracing_interceptors(),
    )
    await _report_missing_search_attributes(client)
    plugins.report(registry.PLUGINS)
    services = action_services_from_settings(settings)
    worker = build_worker(
        client,
        settings.temporal_task_queue,
        graceful_shutdown=timedelta(seconds=settings.worker_shutdown_grace_seconds),
        services=services,
        max_concurrent_workflow_tasks=settings.worker_max_concurrent_workflow_tasks,
        max_concurrent_activities=settings.worker_max_concurrent_activities,
        engine_activities=engine_activities,
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    async with worker, _health_file(client, settings.worker_health_file):
        log.info(
            "worker polling task queue %r on %s", settings.temporal_task_queue, client.namespace
        )
        await stop.wait()
        log.info("worker draining")
    await services.close()
    log.info("worker stopped")


async def _report_missing_search_attributes(client: Client) -> None:
    """Say at start what `temporal-setup` has not done: runs could not be started or listed."""
    try:
        missing = await missing_search_attributes(client)
    except RPCError:
        return  # where the operator API is closed (Temporal Cloud), nothing can be read here
    if missing:
        log.error(
            "namespace %r lacks the search attributes %s: run 'python -m app.cli "
            "temporal-setup'; until then runs cannot start",
            client.namespace,
            ", ".join(missing),
        )


HEALTH_BEAT_SECONDS = 5.0


@contextlib.asynccontextmanager
async def _health_file(client: Client, path: str) -> AsyncIterator[None]:
    """Touch `path` every few seconds while Temporal answers, for a container's health check
    (`python -m app.cli worker-health`); nothing when `path` is empty."""
    if not path:
        yield
        return

    async def beat() -> None:
        target = Path(path)
        while True:
            try:
                await client.service_client.check_health(timeout=timedelta(seconds=3))
                await asyncio.to_thread(target.touch)
            except (RPCError, OSError) as error:
                log.warning("worker health: %s", error)
            await asyncio.sleep(HEALTH_BEAT_SECONDS)

    task = asyncio.create_task(beat())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
