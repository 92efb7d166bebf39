"""The interpreter against hand-written Temporal code doing the same: three `http.request`
calls to a local HTTP server with an `if` and a `set` between them.

Both run side by side in this one process, on one dev server (`temporal server start-dev`)
and one worker: latency is the median of sequential runs, throughput the runs per second
with many at once, and the history events of a run of each are counted (control nodes
should add none). Targets: latency at most 1.05x, throughput at least 0.95x.

Run: `make bench` (or `.venv/bin/python -m bench.interpreter [--runs N --concurrency M]`).
Not a test: the figures go in notes.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import os
import statistics
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from activities.registry import action_services_from_settings, all_activities
from app.catalog import CATALOG
from app.contract import search_attributes
from app.settings import Settings
from bench.handwritten import HAND_WRITTEN_WORKFLOW, HandWrittenWorkflow
from bench.machine import print_header, record
from tests.utils.compiling import compile_workflow
from tests.utils.servers import serve
from workflows.interpreter import FlowRunWorkflow
from workflows.state import INTERPRETER_WORKFLOW, RunInput, RunMetadata, RunState, TriggerInput

TASK_QUEUE = "bench-interpreter"
GRAPH: dict[str, Any] = {
    "nodes": [
        {"id": "start", "type": "trigger.manual"},
        {"id": "a", "type": "http.request", "parameters": {"url": "{{ trigger.url }}/step/1"}},
        {"id": "check", "type": "if", "parameters": {"condition": "nodes.a.body.ok"}},
        {"id": "b", "type": "http.request", "parameters": {"url": "{{ trigger.url }}/step/2"}},
        {
            "id": "total",
            "type": "set",
            "parameters": {"values": {"total": "{{ nodes.a.body.n + nodes.b.body.n }}"}},
        },
        {"id": "c", "type": "http.request", "parameters": {"url": "{{ trigger.url }}/step/3"}},
    ],
    "edges": [
        {"source": "start", "target": "a"},
        {"source": "a", "target": "check"},
        {"source": "check", "target": "b", "sourceHandle": "true"},
        {"source": "b", "target": "total"},
        {"source": "total", "target": "c"},
    ],
    "settings": {"variables": {"total": 0}},
}

Start = Callable[[], Awaitable[Any]]


def http_app() -> FastAPI:
    app = FastAPI()

    @app.get("/step/{n}")
    async def step(n: int) -> dict[str, Any]:
        return {"n": n, "ok": True}

    return app


def starters(client: Client, base_url: str) -> dict[str, Start]:
    """How to start and await one run of each kind, as the API would start it."""
    plan = compile_workflow(GRAPH, catalog=CATALOG)
    run_input = RunInput(
        plan=plan,
        trigger=TriggerInput(kind="manual", node_id="start", payload={"url": base_url}),
        metadata=RunMetadata(
            organization_id="org_bench",
            workflow_id="wf_bench",
            workflow_version=1,
            plan_hash=plan.content_hash(),
        ),
    )
    attributes = search_attributes.for_run(
        organization_id="org_bench", workflow_id="wf_bench", version=1, trigger_kind="manual"
    )

    def starter(workflow: str, argument: Any, prefix: str, **options: Any) -> Start:
        async def start() -> Any:
            return await client.execute_workflow(
                workflow,
                argument,
                id=f"bench-{prefix}-{uuid.uuid4().hex}",
                task_queue=TASK_QUEUE,
                search_attributes=attributes,
                **options,
            )

        return start

    graph = starter(INTERPRETER_WORKFLOW, run_input, "graph", result_type=RunState)
    hand_written = starter(HAND_WRITTEN_WORKFLOW, base_url, "hand")
    return {"hand-written": hand_written, "graph": graph}


async def latencies(runs: dict[str, Start], count: int) -> dict[str, list[float]]:
    """Sequential runs, alternating kinds (and which goes first) so that both see the same
    server and machine load."""
    times: dict[str, list[float]] = {name: [] for name in runs}
    for number in range(count):
        for name in list(runs) if number % 2 == 0 else list(reversed(runs)):
            began = time.perf_counter()
            await runs[name]()
            times[name].append(time.perf_counter() - began)
    return times


@dataclass
class Round:
    """One batch of runs of one kind with many in flight."""

    runs_per_second: float
    worker_cpu: float
    """Seconds of CPU this process (worker, client, HTTP server) spent per run."""
    server_cpu: float
    """Seconds of CPU the Temporal server spent per run."""


def _cpu_of(pid: int) -> float:
    """User and system CPU seconds of a process, from /proc (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _server_pids() -> list[int]:
    """This process's children (the dev server), whichever of its threads started them."""
    tasks = Path(f"/proc/{os.getpid()}/task").glob("*/children")
    return [int(pid) for task in tasks for pid in task.read_text().split()]


async def throughput(run: Start, total: int, concurrency: int) -> Round:
    """Runs per second with `concurrency` runs in flight until `total` have finished."""
    limit = asyncio.Semaphore(concurrency)

    async def one() -> None:
        async with limit:
            await run()

    servers = _server_pids()
    server_began = sum(_cpu_of(pid) for pid in servers)
    cpu_began = time.process_time()
    began = time.perf_counter()
    await asyncio.gather(*(one() for _ in range(total)))
    elapsed = time.perf_counter() - began
    return Round(
        runs_per_second=total / elapsed,
        worker_cpu=(time.process_time() - cpu_began) / total,
        server_cpu=(sum(_cpu_of(pid) for pid in servers) - server_began) / total,
    )


async def rounds_of(
    kinds: dict[str, Start], rounds: int, total: int, concurrency: int
) -> dict[str, list[Round]]:
    """Throughput rounds, alternating which kind goes first so drift hits both alike."""
    measured: dict[str, list[Round]] = {name: [] for name in kinds}
    for number in range(rounds):
        order = list(kinds) if number % 2 == 0 else list(reversed(kinds))
        for name in order:
            measured[name].append(await throughput(kinds[name], total, concurrency))
    return measured


async def events_per_run(client: Client, prefix: str) -> collections.Counter[str]:
    async for execution in client.list_workflows(f'WorkflowId STARTS_WITH "{prefix}"', limit=1):
        history = await client.get_workflow_handle(execution.id).fetch_history()
        return collections.Counter(
            EventType.Name(event.event_type).removeprefix("EVENT_TYPE_") for event in history.events
        )
    raise RuntimeError(f"no run starting with {prefix}")


def quantile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[int(q * 100) - 1]


async def main(runs: int, concurrency: int, rounds: int) -> None:
    machine = print_header("bench.interpreter")
    # The local HTTP server is on loopback; no call uses an account, so no database is read.
    services = action_services_from_settings(
        Settings(environment="test", http_allow_private_networks=True)
    )
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=str(Path(sys.executable).parent / "temporal"),
        data_converter=pydantic_data_converter,
        search_attributes=search_attributes.ALL,
        dev_server_log_level="error",
    )
    try:
        async with (
            serve(http_app()) as base_url,
            Worker(
                env.client,
                task_queue=TASK_QUEUE,
                workflows=[FlowRunWorkflow, HandWrittenWorkflow],
                activities=all_activities(services),
                activity_executor=ThreadPoolExecutor(max_workers=32),
            ),
        ):
            kinds = starters(env.client, base_url)
            await latencies(kinds, 5)  # warm up: imports, the workflow sandbox, connections
            timed = await latencies(kinds, runs)
            rates = await rounds_of(kinds, rounds, 3 * concurrency, concurrency)
            events = {
                name: await events_per_run(env.client, f"bench-{prefix}-")
                for name, prefix in (("hand-written", "hand"), ("graph", "graph"))
            }
    finally:
        await env.shutdown()
        await services.close()
    report(timed, rates, events, runs, concurrency, machine)


def report(
    timed: dict[str, list[float]],
    rates: dict[str, list[Round]],
    events: dict[str, collections.Counter[str]],
    runs: int,
    concurrency: int,
    machine: dict[str, str],
) -> None:
    print(
        f"latency: {runs} sequential runs of each; throughput: {concurrency} in flight, "
        f"median of {len(rates['graph'])} rounds; CPU per run in ms"
    )
    print(f"{'':14}{'p50 ms':>9}{'p95 ms':>9}{'runs/s':>9}{'worker':>9}{'server':>9}{'events':>8}")
    for name in timed:
        print(
            f"{name:14}{statistics.median(timed[name]) * 1e3:>9.1f}"
            f"{quantile(timed[name], 0.95) * 1e3:>9.1f}"
            f"{statistics.median(r.runs_per_second for r in rates[name]):>9.2f}"
            f"{statistics.median(r.worker_cpu for r in rates[name]) * 1e3:>9.1f}"
            f"{statistics.median(r.server_cpu for r in rates[name]) * 1e3:>9.1f}"
            f"{sum(events[name].values()):>8}"
        )
    latency = statistics.median(timed["graph"]) / statistics.median(timed["hand-written"])
    ratios = sorted(
        graph.runs_per_second / hand.runs_per_second
        for graph, hand in zip(rates["graph"], rates["hand-written"], strict=True)
    )
    paired = statistics.median(ratios)
    cpu = {
        name: statistics.median(r.worker_cpu + r.server_cpu for r in rates[name]) for name in rates
    }
    extra = events["graph"] - events["hand-written"]
    missing = events["hand-written"] - events["graph"]
    print(f"latency ratio (graph / hand-written, p50): {latency:.3f} (target ≤ 1.05)")
    print(
        f"throughput ratio (median of paired rounds): {paired:.3f} (target ≥ 0.95); "
        f"rounds {ratios[0]:.3f}-{ratios[-1]:.3f}"
    )
    # What bounds throughput on a busy machine, and moves less with other jobs' load.
    cpu_ratio = cpu["hand-written"] / cpu["graph"]
    print(f"CPU per run, hand-written / graph (worker + server): {cpu_ratio:.3f}")
    print(f"events the graph adds: {dict(extra) or 'none'}; lacks: {dict(missing) or 'none'}")
    counts = {name: sum(events[name].values()) for name in events}
    headline = (
        f"latency ratio {latency:.3f} (target ≤ 1.05); throughput ratio {paired:.3f} "
        f"(target ≥ 0.95; rounds {ratios[0]:.2f}-{ratios[-1]:.2f}); history events "
        f"{counts['hand-written']} hand-written, {counts['graph']} graph"
    )
    figures = {
        "latency ratio": latency,
        "throughput ratio": paired,
        "CPU ratio": cpu_ratio,
        "events": counts,
    }
    record("interpreter", headline, figures, machine)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=40, help="sequential runs of each kind")
    parser.add_argument("--concurrency", type=int, default=20, help="runs in flight at once")
    parser.add_argument("--rounds", type=int, default=8, help="throughput rounds of each kind")
    arguments = parser.parse_args()
    asyncio.run(main(arguments.runs, arguments.concurrency, arguments.rounds))
