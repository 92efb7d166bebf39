"""Memory per waiting run: N runs (default 10,000) each paused at a `wait_for_event` with no
timeout, all on ONE worker process.

On the stack as `make run` starts it (`app.launcher`: the embedded Temporal dev server, the
worker and the API, each its own process; `bench.webhook_automation.Stack`), a workflow of a
manual trigger, a `wait_for_event` and a `set` is created through the API; its runs are then
started with the Temporal client directly (`bench.direct_runs`, the call the API makes), in
`--batches` batches with `--in-flight` starts at once. After each batch the bench waits for
the worker to settle (its CPU still for `--quiet` seconds, and a sample of the batch's runs
with no workflow task pending), then reads the resident memory (`VmRSS` of
`/proc/<pid>/status`) of the worker and of the Temporal server. Reported: their memory before
and after, KB per waiting run, the curve over the batches, and how long starting took.

The worker keeps each run it has seen in its workflow cache (sticky execution) until the
cache is full, then evicts the least recently used: a waiting run costs the worker memory only
while it is cached, and an evicted one is replayed from its history when its event comes. So
the worker's memory grows with the runs up to `max_cached_workflows` and then stays; the
bench prints the SDK's default and whether `temporal/worker.py` sets its own.

Run: `make bench`, or `.venv/bin/python -m bench.waiting_memory [--runs 10000]`; a quick
check: `--runs 500`. Not a test: the figures go in bench/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import inspect
import random
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from temporalio.client import Client
from temporalio.worker import Worker

import temporal.worker
from bench.direct_runs import (
    StackWorkflow,
    create_workflow,
    run_start,
    start_directly,
    stored_version,
)
from bench.machine import print_header, record
from bench.webhook_automation import Stack, cpu_seconds, on_embedded_stack
from temporal.client import connect, local

GRAPH: dict[str, Any] = {
    "nodes": [
        {"id": "start", "type": "trigger.manual"},
        {"id": "wait", "type": "wait_for_event", "parameters": {"event": "go"}},
        {"id": "done", "type": "set", "parameters": {"values": {"n": "{{ trigger.n }}"}}},
    ],
    "edges": [{"source": "start", "target": "wait"}, {"source": "wait", "target": "done"}],
}
PAYLOAD = {"n": 1}
SAMPLE = 20


def rss_kb(pid: int) -> int:
    """Resident memory of one process, in KB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise SystemExit(f"process {pid} has no VmRSS")


def cache_setting() -> tuple[int, str]:
    """The SDK's default workflow cache size, and who decides the worker's."""
    default = inspect.signature(Worker.__init__).parameters["max_cached_workflows"].default
    ours = "max_cached_workflows" in inspect.getsource(temporal.worker)
    return int(default), (
        "temporal/worker.py sets max_cached_workflows: see there"
        if ours
        else "temporal/worker.py leaves it: the SDK default is in force"
    )


async def settle(stack: Stack, temporal_client: Client, run_ids: list[str], quiet: float) -> float:
    """Wait until a sample of `run_ids` has no workflow task pending and the worker's CPU has
    been still for `quiet` seconds; the seconds it took."""
    began = time.perf_counter()
    for run_id in random.sample(run_ids, min(SAMPLE, len(run_ids))):
        while True:
            described = await temporal_client.get_workflow_handle(run_id).describe()
            raw = described.raw_description
            if not raw.HasField("pending_workflow_task") and described.history_length > 3:
                break
            await asyncio.sleep(0.5)
    worker = stack.pids["worker"]
    while True:
        before = cpu_seconds(worker)
        await asyncio.sleep(quiet)
        # A still worker: less than 2% of a core over the window (its gRPC polls and timers).
        if cpu_seconds(worker) - before < 0.02 * quiet:
            return time.perf_counter() - began


@dataclass
class Point:
    runs: int
    worker_kb: int
    server_kb: int


async def bench(args: argparse.Namespace, stack: Stack, machine: dict[str, str]) -> None:
    headers = {"Authorization": f"Bearer {stack.key}"}
    async with httpx.AsyncClient(base_url=stack.api, headers=headers, timeout=120) as api:
        workflow_id = await create_workflow(api, GRAPH, "bench waiting memory")
        client = await connect(local(stack.temporal))
        first = await api.post(f"/workflows/{workflow_id}/runs", json={"input": PAYLOAD})
        first.raise_for_status()
        first_id = first.json()["id"]
    described = await client.get_workflow_handle(first_id).describe()
    workflow = StackWorkflow(
        id=workflow_id,
        version=stored_version(stack.data_dir, workflow_id),
        task_queue=described.task_queue,
    )
    start = run_start(workflow.version, PAYLOAD)
    # The first run loaded the interpreter, the sandbox and the connections: "before" is a
    # worker that has run one, so the figure is what more runs cost, not what the first did.
    await settle(stack, client, [first_id], args.quiet)
    points = [Point(1, rss_kb(stack.pids["worker"]), rss_kb(stack.pids["temporal"]))]
    gate = asyncio.Semaphore(args.in_flight)

    async def one(ids: list[str]) -> None:
        async with gate:
            ids.append(await start_directly(client, workflow, start, PAYLOAD))

    starting = settling = 0.0
    started = 1
    per_batch = [args.runs // args.batches] * args.batches
    per_batch[-1] += args.runs - 1 - sum(per_batch)
    for count in per_batch:
        ids: list[str] = []
        began = time.perf_counter()
        await asyncio.gather(*(one(ids) for _ in range(count)))
        starting += time.perf_counter() - began
        settling += await settle(stack, client, ids, args.quiet)
        started += count
        points.append(Point(started, rss_kb(stack.pids["worker"]), rss_kb(stack.pids["temporal"])))
        print(
            f"  {started:>6} runs waiting: worker {points[-1].worker_kb / 1024:7.1f} MB, "
            f"server {points[-1].server_kb / 1024:7.1f} MB",
            flush=True,
        )
    report(args, points, starting, settling, machine)


def report(
    args: argparse.Namespace,
    points: list[Point],
    starting: float,
    settling: float,
    machine: dict[str, str],
) -> None:
    default, who = cache_setting()
    first, last = points[0], points[-1]
    added = last.runs - first.runs
    worker_per_run = (last.worker_kb - first.worker_kb) / added
    server_per_run = (last.server_kb - first.server_kb) / added
    cached = min(added, default)
    # While every run still fits in the cache, growth is what a cached waiting run holds.
    filling = max((p for p in points if p.runs <= default + 1), key=lambda p: p.runs)
    per_cached = (filling.worker_kb - first.worker_kb) / max(1, filling.runs - first.runs)
    print(
        f"\n{last.runs} runs waiting on one worker (max_cached_workflows {default}, {who})\n"
        f"  worker RSS  {first.worker_kb / 1024:8.1f} MB with one run → "
        f"{last.worker_kb / 1024:8.1f} MB: {worker_per_run:.1f} KB per waiting run, "
        f"{(last.worker_kb - first.worker_kb) / cached:.1f} KB per cached run "
        f"(at most {default} stay cached); {per_cached:.1f} KB per run while the cache "
        f"filled (to {filling.runs} runs)\n"
        f"  server RSS  {first.server_kb / 1024:8.1f} MB → {last.server_kb / 1024:8.1f} MB: "
        f"{server_per_run:.1f} KB per waiting run\n"
        f"  starting them took {starting:.1f} s ({added / starting:.0f} starts/s, "
        f"{args.in_flight} in flight), settling {settling:.1f} s more"
    )
    headline = (
        f"{last.runs} runs waiting: worker {worker_per_run:.1f} KB per run "
        f"({(last.worker_kb - first.worker_kb) / 1024:.0f} MB; {per_cached:.0f} KB per run "
        f"while its cache of {default} filled), server "
        f"{server_per_run:.1f} KB per run; started in {starting:.0f} s"
    )
    figures = {
        "runs": last.runs,
        "worker KB per run": worker_per_run,
        "server KB per run": server_per_run,
        "max_cached_workflows": default,
        "worker KB per run while the cache filled": per_cached,
        "starting s": starting,
        "curve": [vars(point) for point in points],
    }
    record("waiting_memory", headline, figures, machine)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=10_000)
    parser.add_argument("--in-flight", type=int, default=50, help="starts at once")
    parser.add_argument("--batches", type=int, default=10, help="memory read after each")
    parser.add_argument("--quiet", type=float, default=3.0, help="seconds of a still worker")
    args = parser.parse_args()
    if args.runs < 2 * args.batches:
        parser.error("--runs must be at least twice --batches")
    machine = print_header("bench.waiting_memory")
    on_embedded_stack("waiting memory", lambda stack: bench(args, stack, machine))


if __name__ == "__main__":
    main()
