"""One organization's worst case against another's benign runs, before and after fair shares.

Organization A keeps the worker busy with the worst a graph may do within the limits: runs
that loop over costly expressions (each workflow task does its full allowance of counted
work before the run breathes, `workflows/pace.py`) and runs that keep 50 slow HTTP calls
each in flight (more than the worker's activity slots, all together). Organization B
meanwhile starts benign runs one after another (an HTTP call and a transform). B's latency
is measured alone and with A, in each configuration, each on a dev server and a worker of
its own (the worker in a process of its own, as in production):

- `before`: what the engine did: no fairness key, no `matching.enableFairness`;
- `few slots`: keys and the server's fairness, but only 2 workflow task slots, so that the
  backlog waits at the server (tried, and rejected: B then waits for one of A's long tasks
  to end, where with many slots the interpreter lock time-slices B's short task among them);
- `after`: keys, the server's fairness and the worker's default slots (`temporal/worker.py`).

Each B run's history tells where its time went (medians over the runs with A).

Run: `.venv/bin/python -m bench.tenant_fairness [--samples N --cpu-runs N --io-runs N]`.
Not a test: the figures go in bench/README.md, as ratios of one run.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import multiprocessing
import statistics
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from temporalio.api.enums.v1 import TaskQueueKind
from temporalio.client import Client, WorkflowHandle
from temporalio.common import Priority
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment

from activities.registry import action_services_from_settings
from app.catalog import CATALOG
from app.contract import search_attributes
from app.settings import WORKER_ACTIVITY_SLOTS, WORKER_WORKFLOW_TASK_SLOTS, Settings
from temporal.client import connect, local
from temporal.fairness import FAIRNESS_DYNAMIC_CONFIG, run_priority
from temporal.server_config import SERVER_DYNAMIC_CONFIG, dynamic_config_flags
from temporal.worker import build_worker
from tests.utils.compiling import compile_workflow
from tests.utils.servers import serve
from tests.workflows.harness import COSTLY_RECORDS, costly_loop, graph, node, value
from workflows.state import INTERPRETER_WORKFLOW, RunInput, RunMetadata, RunState, TriggerInput

TASK_QUEUE = "bench-fairness"
SDK_DEFAULT_SLOTS = 100
RUN_TIMEOUT_SECONDS = 300
ORGANIZATION_A = "org_aaaaaaaaaaaaaaaaaaaaaaaa"
ORGANIZATION_B = "org_bbbbbbbbbbbbbbbbbbbbbbbb"
BENIGN = graph(
    node("fetch", "http.request", {"url": "{{ trigger.url }}/fast"}),
    value("done", "{{ nodes.fetch.body.ok }}"),
    edges=[("start", "fetch"), ("fetch", "done")],
)
SLOW_CALLS = graph(
    node("each", "loop", {"items": "range(5000)", "max_concurrency": 50}),
    node("call", "http.request", {"url": "{{ trigger.url }}/slow"}),
    edges=[("start", "each"), ("each", "call", "body"), ("call", "each")],
)


@dataclass(frozen=True)
class Mode:
    name: str
    fairness: bool
    """Runs carry fairness keys and the server has `matching.enableFairness`."""
    workflow_task_slots: int
    activity_slots: int


MODES = [
    Mode("before", False, SDK_DEFAULT_SLOTS, SDK_DEFAULT_SLOTS),
    Mode("few slots", True, 2, SDK_DEFAULT_SLOTS),
    Mode("after", True, WORKER_WORKFLOW_TASK_SLOTS, WORKER_ACTIVITY_SLOTS),
]


def http_app(slow_seconds: float) -> FastAPI:
    app = FastAPI()

    @app.get("/fast")
    async def fast() -> dict[str, bool]:
        return {"ok": True}

    @app.get("/slow")
    async def slow() -> dict[str, bool]:
        await asyncio.sleep(slow_seconds)
        return {"ok": True}

    return app


def worker_process(target: str, namespace: str, workflow_slots: int, activity_slots: int) -> None:
    """The worker, alone in its process as in production; runs until killed."""

    async def run() -> None:
        client = await connect(local(target, namespace))
        services = action_services_from_settings(
            Settings(environment="test", http_allow_private_networks=True)
        )
        worker = build_worker(
            client,
            TASK_QUEUE,
            services=services,
            max_concurrent_workflow_tasks=workflow_slots,
            max_concurrent_activities=activity_slots,
        )
        async with worker:
            await asyncio.Event().wait()

    asyncio.run(run())


def run_input(graph_: dict[str, Any], organization_id: str, payload: Any) -> RunInput:
    plan = compile_workflow(graph_, catalog=CATALOG)
    return RunInput(
        plan=plan,
        trigger=TriggerInput(kind="manual", node_id="start", payload=payload),
        metadata=RunMetadata(
            organization_id=organization_id,
            workflow_id="wf_bench",
            workflow_version=1,
            plan_hash=plan.content_hash(),
        ),
    )


@dataclass
class Starter:
    client: Client
    fairness: bool
    started: list[WorkflowHandle[Any, Any]] = field(default_factory=list)

    async def start(self, input_: RunInput) -> WorkflowHandle[Any, Any]:
        organization = input_.metadata.organization_id
        handle = await self.client.start_workflow(
            INTERPRETER_WORKFLOW,
            input_,
            id=f"bench-{organization[-1]}-{uuid.uuid4().hex}",
            task_queue=TASK_QUEUE,
            result_type=RunState,
            search_attributes=search_attributes.for_run(
                organization_id=organization,
                workflow_id="wf_bench",
                version=1,
                trigger_kind="manual",
            ),
            priority=run_priority(organization) if self.fairness else Priority.default,
        )
        self.started.append(handle)
        return handle


async def benign_latencies(starter: Starter, benign: RunInput, samples: int) -> list[float]:
    times: list[float] = []
    for _ in range(samples):
        began = time.perf_counter()
        handle = await starter.start(benign)
        # A worker that died (or never started) would leave the bench waiting for ever.
        state = await asyncio.wait_for(handle.result(), timeout=RUN_TIMEOUT_SECONDS)
        assert state.status == "succeeded", state
        times.append(time.perf_counter() - began)
    return times


@dataclass
class Measured:
    alone: list[float]
    with_a: list[float]
    waits: dict[str, float]
    """Seconds a B run spent, in median over the runs with A: in the sticky and normal queues
    before a workflow task was taken, running workflow tasks, and before its activity
    started (from their histories)."""


async def waits_of(handles: list[WorkflowHandle[Any, Any]]) -> dict[str, float]:
    kinds = {
        TaskQueueKind.TASK_QUEUE_KIND_STICKY: "sticky queue",
        TaskQueueKind.TASK_QUEUE_KIND_NORMAL: "normal queue",
    }
    totals: list[dict[str, float]] = []
    for handle in handles:
        spent = dict.fromkeys(
            [*kinds.values(), "in the worker", "activity queue", "activity running"], 0.0
        )
        queue, scheduled = "", None
        for event in (await handle.fetch_history()).events:
            at = event.event_time.ToDatetime()
            if event.HasField("workflow_task_scheduled_event_attributes"):
                queue = kinds[event.workflow_task_scheduled_event_attributes.task_queue.kind]
                scheduled = at
            elif event.HasField("activity_task_scheduled_event_attributes"):
                queue, scheduled = "activity queue", at
            elif event.HasField("workflow_task_started_event_attributes") or event.HasField(
                "activity_task_started_event_attributes"
            ):
                assert scheduled is not None
                spent[queue] += (at - scheduled).total_seconds()
                scheduled = at
            elif event.HasField("workflow_task_completed_event_attributes") or event.HasField(
                "workflow_task_failed_event_attributes"
            ):
                assert scheduled is not None
                spent["in the worker"] += (at - scheduled).total_seconds()
            elif event.HasField("activity_task_completed_event_attributes"):
                assert scheduled is not None
                spent["activity running"] += (at - scheduled).total_seconds()
        totals.append(spent)
    return {name: statistics.median(total[name] for total in totals) for name in totals[0]}


async def measure(mode: Mode, url: str, args: argparse.Namespace) -> Measured:
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=str(Path(sys.executable).parent / "temporal"),
        data_converter=pydantic_data_converter,
        search_attributes=search_attributes.ALL,
        dev_server_log_level="error",
        dev_server_extra_args=dynamic_config_flags(
            None
            if mode.fairness
            else {
                key: value
                for key, value in SERVER_DYNAMIC_CONFIG.items()
                if key not in FAIRNESS_DYNAMIC_CONFIG
            }
        ),
    )
    target = env.client.service_client.config.target_host
    worker = multiprocessing.get_context("spawn").Process(
        target=worker_process,
        args=(target, env.client.namespace, mode.workflow_task_slots, mode.activity_slots),
        daemon=True,
    )
    worker.start()
    starter = Starter(env.client, mode.fairness)
    benign = run_input(BENIGN, ORGANIZATION_B, {"url": url})
    try:
        await benign_latencies(starter, benign, 3)  # warm up: the sandbox, connections
        alone = await benign_latencies(starter, benign, args.samples)
        costly = run_input(costly_loop(5000), ORGANIZATION_A, {"records": COSTLY_RECORDS})
        calls = run_input(SLOW_CALLS, ORGANIZATION_A, {"url": url})
        for _ in range(args.cpu_runs):
            await starter.start(costly)
        for _ in range(args.io_runs):
            await starter.start(calls)
        await asyncio.sleep(args.settle)
        before_b = len(starter.started)
        with_a = await benign_latencies(starter, benign, args.samples)
        waits = await waits_of(starter.started[before_b:])
    finally:
        for handle in starter.started:
            with contextlib.suppress(RPCError):  # B's runs ended already
                await handle.terminate(reason="bench over")
        worker.kill()
        worker.join()
        await env.shutdown()
    return Measured(alone, with_a, waits)


def quantile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[int(q * 100) - 1]


def report(results: dict[str, Measured], args: argparse.Namespace) -> None:
    print(
        f"B: {args.samples} sequential benign runs alone, then with A running {args.cpu_runs} "
        f"costly loops and {args.io_runs} loops of 50 calls of {args.slow_seconds} s in flight"
    )
    print(f"{'':12}{'alone p50':>11}{'p95':>8}{'with A p50':>12}{'p95':>8}{'p50 x':>8}{'p95 x':>8}")
    for name, measured in results.items():
        alone50, alone95 = statistics.median(measured.alone), quantile(measured.alone, 0.95)
        with50, with95 = statistics.median(measured.with_a), quantile(measured.with_a, 0.95)
        print(
            f"{name:12}{alone50 * 1e3:>9.0f}ms{alone95 * 1e3:>6.0f}ms{with50 * 1e3:>10.0f}ms"
            f"{with95 * 1e3:>6.0f}ms{with50 / alone50:>8.2f}{with95 / alone95:>8.2f}"
        )
    print("where B's time went with A (median seconds per run):")
    for name, measured in results.items():
        print(f"{name:12}" + ", ".join(f"{k} {v:.2f}" for k, v in measured.waits.items()))
    if "before" in results and "after" in results:
        before, after = results["before"], results["after"]
        print(
            "B's latency with A, after / before: "
            f"p50 {statistics.median(after.with_a) / statistics.median(before.with_a):.3f}, "
            f"p95 {quantile(after.with_a, 0.95) / quantile(before.with_a, 0.95):.3f}"
        )


async def main(args: argparse.Namespace) -> None:
    chosen = [mode for mode in MODES if mode.name in args.modes]
    results: dict[str, Measured] = {}
    async with serve(http_app(args.slow_seconds)) as url:
        for mode in chosen:
            results[mode.name] = await measure(mode, url, args)
            print(f"measured {mode.name}", flush=True)
    report(results, args)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--samples", type=int, default=12, help="B's runs in each phase")
    parser.add_argument("--cpu-runs", type=int, default=6, help="A's costly loops")
    parser.add_argument("--io-runs", type=int, default=4, help="A's loops of slow calls")
    parser.add_argument("--slow-seconds", type=float, default=2.0, help="one slow call")
    parser.add_argument("--settle", type=float, default=5.0, help="seconds A runs before B")
    parser.add_argument(
        "--modes", nargs="+", default=[mode.name for mode in MODES], help="which to measure"
    )
    asyncio.run(main(parser.parse_args()))
