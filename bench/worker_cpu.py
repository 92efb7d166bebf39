"""The worker's CPU per run: an HTTP GET → `if` → HTTP POST workflow against a local target,
each configuration's worker in its own process, measured side by side in one run.

One dev server (in memory, with the dynamic config the launcher gives the embedded one:
fairness and eager activities allowed), one target HTTP server in this process, and one worker
process per configuration on its own task queue. Rounds of `--runs` runs with
`--concurrency` in flight go to each configuration in turn (alternating which goes first);
the CPU time of each worker process (user + system, from /proc) over a round, divided by
the runs it completed, is its CPU per run. Figures are medians of the rounds; the ratio
of the second configuration to the first is what to compare across machines.

Run: `.venv/bin/python -m bench.worker_cpu [--compare before after] [--runs N]`
(`--profile` writes a cProfile of each worker's workflow and activity threads to
`var/bench-worker-<config>.prof`). Not a test: the figures go in bench/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import os
import signal
import statistics
import sys
import threading
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import UnsandboxedWorkflowRunner
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner

from activities.http.request import IDEMPOTENCY_KEY_HEADER, idempotency_key
from activities.registry import action_services_from_settings
from app.contract import search_attributes
from app.settings import Settings
from bench.machine import print_header, record
from bench.tenant_fairness import run_input
from temporal.client import connect, local
from temporal.server_config import dynamic_config_flags
from temporal.worker import build_worker
from tests.utils.servers import serve
from workflows.state import INTERPRETER_WORKFLOW, RunInput, RunState

ROOT = Path(__file__).resolve().parent.parent
GRAPH: dict[str, Any] = {
    "nodes": [
        {"id": "start", "type": "trigger.manual"},
        {"id": "fetch", "type": "http.request", "parameters": {"url": "{{ trigger.url }}/item"}},
        {"id": "check", "type": "if", "parameters": {"condition": "nodes.fetch.body.ok"}},
        {
            "id": "send",
            "type": "http.request",
            "parameters": {
                "method": "POST",
                "url": "{{ trigger.url }}/sink",
                "body": {"type": "json", "json": {"n": "{{ nodes.fetch.body.n }}"}},
            },
        },
    ],
    "edges": [
        {"source": "start", "target": "fetch"},
        {"source": "fetch", "target": "check"},
        {"source": "check", "target": "send", "sourceHandle": "true"},
    ],
}

CONFIGS: dict[str, Callable[[], dict[str, Any]]] = {
    # The worker as `make run` starts it.
    "default": dict,
    # The worker before this bench's changes: the SDK's default sandbox (our modules are
    # passed through by the interpreter's own `imports_passed_through`, nothing else) and no
    # eager activities.
    "before": lambda: {
        "workflow_runner": SandboxedWorkflowRunner(),
        "disable_eager_activity_execution": True,
    },
    "no-eager": lambda: {"disable_eager_activity_execution": True},
    "sdk-sandbox": lambda: {"workflow_runner": SandboxedWorkflowRunner()},
    # What the sandbox costs in all: a reference, not something to ship.
    "unsandboxed": lambda: {"workflow_runner": UnsandboxedWorkflowRunner()},
}
"""Worker options of each configuration, on top of `temporal.worker.build_worker`'s."""


def target_app() -> FastAPI:
    """The automation's target. `app.state.posted` maps a POST's `Idempotency-Key`
    (`sink_key`) to a future that the POST resolves: a bench can learn that a run has made
    its effect without asking Temporal."""
    app = FastAPI()
    app.state.posts = 0
    app.state.posted = {}

    @app.get("/item")
    async def item() -> dict[str, Any]:
        return {"ok": True, "n": 7}

    @app.post("/sink")
    async def sink(request: Request) -> dict[str, Any]:
        await request.body()
        app.state.posts += 1
        waiting = app.state.posted.get(request.headers.get(IDEMPOTENCY_KEY_HEADER))
        if waiting is not None and not waiting.done():
            waiting.set_result(None)
        return {"stored": True}

    return app


def sink_key(workflow_id: str) -> str:
    """The `Idempotency-Key` of the POST of the run `workflow_id` (its `send` node)."""
    return idempotency_key(f"{workflow_id}/send/0")


def cpu_seconds(pid: int) -> float:
    """User and system CPU seconds of a process, from /proc (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def server_pid(env: WorkflowEnvironment) -> int | None:
    """The dev server's process id (a child of this process running `temporal`)."""
    for task in Path(f"/proc/{os.getpid()}/task").glob("*/children"):
        for pid in task.read_text().split():
            if b"temporal" in Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")[0]:
                return int(pid)
    return None


# --- the worker process --------------------------------------------------------------------


def _profile_threads(path: Path) -> Callable[[], None]:
    """Profile every thread started from now on (the SDK's workflow and activity threads)
    and this one; returns what writes the merged profile."""
    profiles: list[cProfile.Profile] = []

    def start_thread_profile(*_: Any) -> None:
        profile = cProfile.Profile()
        profiles.append(profile)
        threading.setprofile(None)
        sys.setprofile(None)
        profile.enable()

    main = cProfile.Profile()
    profiles.append(main)
    threading.setprofile(start_thread_profile)
    main.enable()

    def dump() -> None:
        import pstats

        main.disable()
        merged = pstats.Stats(main)
        for profile in profiles[1:]:
            profile.disable()
            try:
                merged.add(profile)
            except TypeError:
                continue  # a thread that never ran profiled code
        merged.dump_stats(path)

    return dump


async def serve_worker(address: str, task_queue: str, config: str, profile: Path | None) -> None:
    dump = _profile_threads(profile) if profile else None
    client = await connect(local(address))
    services = action_services_from_settings(
        Settings(environment="test", http_allow_private_networks=True)
    )
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    async with build_worker(client, task_queue, services=services, **CONFIGS[config]()):
        print("ready", flush=True)
        await stop.wait()
    await services.close()
    if dump:
        dump()


# --- the bench ------------------------------------------------------------------------------


@dataclass
class WorkerProcess:
    config: str
    task_queue: str
    pid: int


@asynccontextmanager
async def spawned_workers(commands: dict[str, list[str]]) -> AsyncIterator[dict[str, int]]:
    """Start one worker process per label (its command prints `ready` once it polls), yield
    their process ids, and stop them with SIGTERM at the end."""
    started: dict[str, asyncio.subprocess.Process] = {}
    try:
        for label, command in commands.items():
            started[label] = await asyncio.create_subprocess_exec(
                *command, cwd=ROOT, stdout=asyncio.subprocess.PIPE
            )
        for label, process in started.items():
            assert process.stdout is not None
            line = await process.stdout.readline()
            if line.strip() != b"ready":
                raise RuntimeError(f"the {label} worker did not start")
        yield {label: process.pid for label, process in started.items()}
    finally:
        for process in started.values():
            process.send_signal(signal.SIGTERM)
        for process in started.values():
            await process.wait()


@asynccontextmanager
async def worker_processes(
    address: str, configs: list[str], profile: bool
) -> AsyncIterator[list[WorkerProcess]]:
    queues = {config: f"bench-worker-{config}-{uuid.uuid4().hex[:6]}" for config in configs}
    commands: dict[str, list[str]] = {}
    for config, queue in queues.items():
        commands[config] = [sys.executable, "-m", "bench.worker_cpu", "--serve-worker", config,
                            "--address", address, "--task-queue", queue]  # fmt: skip
        if profile:
            commands[config] += ["--profile-to", str(ROOT / "var" / f"bench-worker-{config}.prof")]
    async with spawned_workers(commands) as pids:
        yield [WorkerProcess(config, queues[config], pids[config]) for config in configs]


@dataclass
class Round:
    runs_per_second: float
    worker_cpu: float
    """Seconds of the worker process's CPU per completed run."""
    server_cpu: float
    p50: float


async def measured_round(
    run_one: Callable[[str], Awaitable[None]], runs: int, concurrency: int, worker: int,
    server: int | None,
) -> Round:  # fmt: skip
    """`runs` runs (`run_one(workflow id suffix)` each), `concurrency` at a time, and the CPU
    the worker process `worker` and the server process `server` spent on them."""
    limit = asyncio.Semaphore(concurrency)
    times: list[float] = []

    async def one(number: int) -> None:
        async with limit:
            began = time.perf_counter()
            await run_one(f"{number}-{uuid.uuid4().hex}")
            times.append(time.perf_counter() - began)

    worker_began = cpu_seconds(worker)
    server_began = cpu_seconds(server) if server else 0.0
    began = time.perf_counter()
    await asyncio.gather(*(one(number) for number in range(runs)))
    elapsed = time.perf_counter() - began
    return Round(
        runs_per_second=runs / elapsed,
        worker_cpu=(cpu_seconds(worker) - worker_began) / runs,
        server_cpu=((cpu_seconds(server) - server_began) / runs) if server else 0.0,
        p50=statistics.median(times),
    )


async def one_round(
    client: Client, worker: WorkerProcess, argument: RunInput, runs: int, concurrency: int,
    server: int | None,
) -> Round:  # fmt: skip
    async def one(suffix: str) -> None:
        state = await client.execute_workflow(
            INTERPRETER_WORKFLOW, argument, id=f"bench-{worker.config}-{suffix}",
            task_queue=worker.task_queue, result_type=RunState,
        )  # fmt: skip
        assert state.status == "succeeded", state

    return await measured_round(one, runs, concurrency, worker.pid, server)


async def history_counts(client: Client, workflow_id: str) -> dict[str, int]:
    """How many events of each type the history of `workflow_id` has."""
    history = await client.get_workflow_handle(workflow_id).fetch_history()
    counts: dict[str, int] = {}
    for event in history.events:
        name = EventType.Name(event.event_type).removeprefix("EVENT_TYPE_")
        counts[name] = counts.get(name, 0) + 1
    return counts


async def events_per_run(client: Client, config: str) -> dict[str, int]:
    """The history events of the shortest of a few runs of `config` (a run whose attempt
    timed out on a busy machine has more)."""
    shortest: dict[str, int] = {}
    query = f'WorkflowId STARTS_WITH "bench-{config}-"'
    async for execution in client.list_workflows(query, limit=5):
        counts = await history_counts(client, execution.id)
        if not shortest or sum(counts.values()) < sum(shortest.values()):
            shortest = counts
    return shortest


async def main(configs: list[str], runs: int, concurrency: int, rounds: int, profile: bool) -> None:
    machine = print_header("bench.worker_cpu")
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=str(Path(sys.executable).parent / "temporal"),
        data_converter=pydantic_data_converter,
        search_attributes=search_attributes.ALL,
        dev_server_log_level="error",
        dev_server_extra_args=dynamic_config_flags(),
    )
    target = target_app()
    measured: dict[str, list[Round]] = {config: [] for config in configs}
    try:
        address = env.client.service_client.config.target_host
        server = server_pid(env)
        async with (
            serve(target) as base_url,
            worker_processes(address, configs, profile) as workers,
        ):
            argument = run_input(GRAPH, "org_bench", {"url": base_url})
            for worker in workers:  # warm up: imports, the sandbox, connections
                await one_round(env.client, worker, argument, 10, concurrency, server)
            for number in range(rounds):
                for worker in workers if number % 2 == 0 else list(reversed(workers)):
                    measured[worker.config].append(
                        await one_round(env.client, worker, argument, runs, concurrency, server)
                    )
        events = {config: await events_per_run(env.client, config) for config in configs}
    finally:
        await env.shutdown()
    expected_posts = (10 + runs * rounds) * len(configs)
    assert target.state.posts == expected_posts, (target.state.posts, expected_posts)
    report(measured, events, runs, concurrency, machine)


def report(
    measured: dict[str, list[Round]],
    events: dict[str, dict[str, int]],
    runs: int,
    concurrency: int,
    machine: dict[str, str],
) -> None:
    rounds = len(next(iter(measured.values())))
    print(f"{rounds} rounds of {runs} runs each, {concurrency} in flight; medians of rounds")
    print(f"{'config':14}{'worker ms':>11}{'server ms':>11}{'runs/s':>9}{'p50 ms':>9}{'events':>8}")
    for config, found in measured.items():
        print(
            f"{config:14}{statistics.median(r.worker_cpu for r in found) * 1e3:>11.2f}"
            f"{statistics.median(r.server_cpu for r in found) * 1e3:>11.2f}"
            f"{statistics.median(r.runs_per_second for r in found):>9.2f}"
            f"{statistics.median(r.p50 for r in found) * 1e3:>9.1f}"
            f"{sum(events[config].values()):>8}"
        )
    first, *others = measured
    for other in others:
        ratios = sorted(
            b.worker_cpu / a.worker_cpu
            for a, b in zip(measured[first], measured[other], strict=True)
        )
        server = statistics.median(
            b.server_cpu / a.server_cpu
            for a, b in zip(measured[first], measured[other], strict=True)
            if a.server_cpu
        ) if measured[first][0].server_cpu else float("nan")  # fmt: skip
        print(
            f"{other} / {first}: worker CPU per run {statistics.median(ratios):.3f} "
            f"(rounds {ratios[0]:.3f}-{ratios[-1]:.3f}), server CPU per run {server:.3f}"
        )
        print(f"  events of a run: {first} {events[first]}")
        print(f"                   {other} {events[other]}")
    per_run = {
        config: (
            statistics.median(r.worker_cpu for r in found) * 1e3,
            statistics.median(r.server_cpu for r in found) * 1e3,
        )
        for config, found in measured.items()
    }
    headline = "; ".join(
        f"{config}: worker {worker:.1f} ms, server {server:.1f} ms CPU per run"
        for config, (worker, server) in per_run.items()
    )
    record("worker_cpu", headline, {"CPU ms per run (worker, server)": per_run}, machine)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--compare", nargs="+", default=["before", "default"], choices=CONFIGS)
    parser.add_argument("--runs", type=int, default=100, help="runs per round")
    parser.add_argument("--concurrency", type=int, default=10, help="runs in flight at once")
    parser.add_argument("--rounds", type=int, default=6, help="rounds per configuration")
    parser.add_argument("--profile", action="store_true", help="cProfile each worker")
    parser.add_argument("--serve-worker", choices=CONFIGS, help=argparse.SUPPRESS)
    parser.add_argument("--address", help=argparse.SUPPRESS)
    parser.add_argument("--task-queue", help=argparse.SUPPRESS)
    parser.add_argument("--profile-to", type=Path, help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.serve_worker:
        asyncio.run(
            serve_worker(
                arguments.address, arguments.task_queue, arguments.serve_worker,
                arguments.profile_to,
            )
        )  # fmt: skip
    else:
        asyncio.run(
            main(
                arguments.compare, arguments.runs, arguments.concurrency, arguments.rounds,
                arguments.profile,
            )
        )  # fmt: skip
