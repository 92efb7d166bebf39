"""The floor of a durable run on Temporal (issue 14): what Temporal itself costs per run,
against what our engine adds, on dev servers started as `make run` starts its own.

Each `--server` is a `temporal server start-dev` process started with the launcher's command
(`temporal/dev_server.py: command`: its log level, search attributes, dynamic config, and a
file database with `TEMPORAL_SQLITE_PRAGMAS`' default pragmas), changed as its spec says:

    file                      the embedded server as `make run` starts it
    memory                    the same without `--db-filename` (in memory, lost at exit)
    file,log=error            another `--log-level` (the launcher's is `warn`)
    file,format=json          `--log-format json`
    file,headless             `--headless` (no web UI)
    file,GOGC=400             an environment variable of the Go process (GOGC, GOMAXPROCS, ...)
    file,dc:KEY=VALUE         one more `--dynamic-config-value`

Each `--workload` runs, for each server spec, on a server of its own (so that the server's
CPU is that workload's alone: a run leaves timer tasks that fire up to a minute after it ends)
with a worker process of its own:

    default           our interpreter: the GET → `if` → POST graph of `bench.worker_cpu`,
                      the worker as `make run` builds it (`temporal.worker.build_worker`)
    as-api            the same run started as the API starts a trigger's run (`start_run`:
                      search attributes, memo, priority, summary, id reuse policy; no
                      subscription listens, so no run events)
    as-api-nowait     the same, but nobody waits on the run's result (as for a webhook's
                      run): a run is done when its POST reaches the target
    handwritten       the same GET → `if` → POST written by hand as a Temporal workflow,
                      calling our `http.request` activity with the interpreter's options,
                      on the same worker (`bench/handwritten.py: WebhookAutomationByHand`)
    bare              two activities that do no I/O, SDK defaults (`bench/floor_workflows.py`)
    bare-unsandboxed  the same on the SDK's unsandboxed runner
    empty             a workflow that returns at once: the floor of a run without steps
    empty-unsandboxed the same, unsandboxed

Rounds of `--runs` runs with `--concurrency` in flight go to each (server, workload) pair in
turn, the order reversed every other round; the CPU time of the server and of the worker
process (user + system, /proc) over a round, divided by the runs, is their CPU per run "in
rounds" (medians of rounds; ratios are of paired rounds against the first pair). "All-in" is
each process's CPU from the warm-up to `--settle` seconds after the last round (when the
timers of the last runs have fired: activities' start-to-close timeouts are 30-60 s) less
its idle CPU (measured first, its worker polling) over that window, per run: what a run
costs in the end. History events and workflow tasks per run are counted in the shortest
history of a few runs of the last round; the server's resident memory is read at the end.

Run: `.venv/bin/python -m bench.temporal_floor [--server SPEC ...] [--workload NAME ...]`.
Not a test: the figures go in bench/README.md ("The floor: what Temporal itself costs per run").
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from temporalio.client import Client
from temporalio.common import WorkflowIDReusePolicy
from temporalio.worker import UnsandboxedWorkflowRunner, Worker
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

from activities.registry import action_services_from_settings
from app.contract import search_attributes
from app.db.migrate import upgrade
from app.services.runs.starting import MEMO_REQUEST_HASH, request_hash, run_summary
from app.settings import Settings
from bench.floor_workflows import BARE_TWO_STEPS, EMPTY, BareTwoSteps, Empty, small_step
from bench.handwritten import WEBHOOK_AUTOMATION_BY_HAND, WebhookAutomationByHand
from bench.machine import print_header, record
from bench.tenant_fairness import run_input
from bench.worker_cpu import (
    GRAPH,
    Round,
    cpu_seconds,
    history_counts,
    measured_round,
    sink_key,
    spawned_workers,
    target_app,
)
from temporal import dev_server
from temporal.client import connect, local
from temporal.fairness import run_priority
from temporal.server_config import dynamic_config_flags
from temporal.worker import build_worker
from tests.utils.servers import free_port, serve
from workflows.state import INTERPRETER_WORKFLOW, RunInput, RunState

# --- the servers ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ServerSpec:
    """How a server differs from the embedded one (module docstring: the spec's syntax)."""

    spec: str
    in_memory: bool = False
    log_level: str = dev_server.DevServerConfig.log_level
    extra_args: tuple[str, ...] = ()
    env: dict[str, str] = field(default_factory=dict)

    @classmethod
    def parse(cls, spec: str) -> ServerSpec:
        base, *changes = spec.split(",")
        if base not in ("file", "memory"):
            raise ValueError(f"a server spec starts with 'file' or 'memory', not {base!r}")
        log_level = dev_server.DevServerConfig.log_level
        extra: list[str] = []
        env: dict[str, str] = {}
        for change in changes:
            name, _, value = change.partition("=")
            if name == "log":
                log_level = value
            elif name == "format":
                extra += ["--log-format", value]
            elif name == "headless":
                extra.append("--headless")
            elif name.startswith("dc:"):
                extra += dynamic_config_flags({name.removeprefix("dc:"): value})
            elif name.isupper():
                env[name] = value
            else:
                raise ValueError(f"unknown server change {change!r} in {spec!r}")
        return cls(spec, base == "memory", log_level, tuple(extra), env)

    def command(self, data_dir: Path, port: int) -> list[str]:
        """The launcher's command (`dev_server.command`) with this spec's changes."""
        config = dev_server.DevServerConfig(
            db_file=data_dir / "temporal.db",
            port=port,
            ui_port=free_port(),
            log_level=self.log_level,
            sqlite_pragmas=()
            if self.in_memory
            else Settings(_env_file=None).temporal_sqlite_pragma_list,
        )
        command = dev_server.command(config)
        if self.in_memory:
            at = command.index("--db-filename")
            del command[at : at + 2]
        return [*command, *self.extra_args]


@dataclass
class Server:
    spec: ServerSpec
    address: str
    pid: int
    client: Client


async def _connected(address: str, process: asyncio.subprocess.Process) -> Client:
    deadline = time.monotonic() + 60
    while True:
        try:
            return await connect(local(address))
        except RuntimeError:
            if process.returncode is not None or time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.2)


@asynccontextmanager
async def started_servers(specs: list[ServerSpec], base: Path) -> AsyncIterator[list[Server]]:
    processes: list[asyncio.subprocess.Process] = []
    try:
        servers: list[Server] = []
        for number, spec in enumerate(specs):
            data_dir = base / f"server-{number}"
            data_dir.mkdir()
            port = free_port()
            log = (data_dir / "temporal.log").open("ab")  # as the launcher: output to a file
            process = await asyncio.create_subprocess_exec(
                *spec.command(data_dir, port),
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env=os.environ | spec.env,
                start_new_session=True,
            )
            processes.append(process)
            address = f"127.0.0.1:{port}"
            servers.append(Server(spec, address, process.pid, await _connected(address, process)))
        yield servers
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            await process.wait()


def memory_kib(pid: int) -> tuple[int, int]:
    """Resident memory of a process now and at its peak, KiB (/proc status)."""
    fields = dict(
        line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines()
    )
    return int(fields["VmRSS"].split()[0]), int(fields["VmHWM"].split()[0])


# --- the workloads --------------------------------------------------------------------------


@dataclass(frozen=True)
class Workload:
    workflow: str
    engine: bool
    """Whether the worker is ours (`build_worker`: our client, services and activities)."""
    worker_options: Callable[[], dict[str, Any]]
    argument: Callable[[str], Any]
    """The workflow's argument, given the target server's base URL."""
    result_type: type | None = None
    start_options: Callable[[], dict[str, Any]] = dict
    """What the start call adds (search attributes, memo, priority, summary)."""
    waits_for_result: bool = True
    """False: the run is started and counted done when its POST reaches the target, as a
    webhook's run is, which nobody waits on (no long poll on its history)."""


def _as_the_api(url: str) -> RunInput:
    # No subscription listens (as in the bench of record): `start_run` leaves run events off.
    return run_input(GRAPH, ORGANIZATION, {"url": url})


def _api_start_options() -> dict[str, Any]:
    """What `app.services.runs.starting.start_run` adds to its start call."""
    return {
        "search_attributes": search_attributes.for_run(
            organization_id=ORGANIZATION, workflow_id="wf_bench", version=1,
            trigger_kind="manual",
        ),
        "memo": {MEMO_REQUEST_HASH: request_hash("wf_bench", None, {})},
        "priority": run_priority(ORGANIZATION),
        "static_summary": run_summary("bench", "manual"),
        "id_reuse_policy": WorkflowIDReusePolicy.REJECT_DUPLICATE,
    }  # fmt: skip


def _passed_through_sandbox() -> SandboxedWorkflowRunner:
    # As the interpreter's package is (`temporal.worker.workflow_runner`): imported once.
    return SandboxedWorkflowRunner(
        restrictions=SandboxRestrictions.default.with_passthrough_modules("bench")
    )


ORGANIZATION = "org_" + "b" * 24

WORKLOADS: dict[str, Workload] = {
    "default": Workload(
        INTERPRETER_WORKFLOW,
        engine=True,
        worker_options=dict,
        argument=lambda url: run_input(GRAPH, ORGANIZATION, {"url": url}),
        result_type=RunState,
    ),
    "as-api": Workload(
        INTERPRETER_WORKFLOW,
        engine=True,
        worker_options=dict,
        argument=_as_the_api,
        result_type=RunState,
        start_options=_api_start_options,
    ),
    "as-api-nowait": Workload(
        INTERPRETER_WORKFLOW,
        engine=True,
        worker_options=dict,
        argument=_as_the_api,
        start_options=_api_start_options,
        waits_for_result=False,
    ),
    "handwritten": Workload(
        WEBHOOK_AUTOMATION_BY_HAND,
        engine=True,
        worker_options=lambda: {
            "workflows": [WebhookAutomationByHand],
            "workflow_runner": _passed_through_sandbox(),
        },
        argument=lambda url: url,
    ),
    "bare": Workload(
        BARE_TWO_STEPS,
        engine=False,
        worker_options=lambda: {"workflows": [BareTwoSteps], "activities": [small_step]},
        argument=lambda _: "bench",
    ),
    "bare-unsandboxed": Workload(
        BARE_TWO_STEPS,
        engine=False,
        worker_options=lambda: {
            "workflows": [BareTwoSteps],
            "activities": [small_step],
            "workflow_runner": UnsandboxedWorkflowRunner(),
        },
        argument=lambda _: "bench",
    ),
    "empty": Workload(
        EMPTY, engine=False, worker_options=lambda: {"workflows": [Empty]}, argument=lambda _: ""
    ),
    "empty-unsandboxed": Workload(
        EMPTY,
        engine=False,
        worker_options=lambda: {
            "workflows": [Empty],
            "workflow_runner": UnsandboxedWorkflowRunner(),
        },
        argument=lambda _: "",
    ),
}


def check_result(workload: str, result: Any) -> None:
    if workload in ("default", "as-api", "as-api-nowait"):
        assert result.status == "succeeded", result
    elif workload == "handwritten":
        assert result == {"sent": True, "status": 200}, result
    else:
        assert result["ok"], result


async def serve_worker(address: str, task_queue: str, workload: str, data_dir: Path) -> None:
    """One worker process (`--serve-worker`): prints `ready` once it polls, stops on SIGTERM.
    Ours keeps the engine's database in `data_dir` (run events look up subscriptions there)."""
    options = WORKLOADS[workload].worker_options()
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    if WORKLOADS[workload].engine:
        client = await connect(local(address))
        settings = Settings(environment="test", http_allow_private_networks=True, data_dir=data_dir)
        upgrade(settings.resolved_database_url)
        services = action_services_from_settings(settings)
        async with build_worker(client, task_queue, services=services, **options):
            print("ready", flush=True)
            await stop.wait()
        await services.close()
    else:
        # Plain Temporal: the SDK's client and worker defaults.
        plain = await Client.connect(address)
        async with Worker(plain, task_queue=task_queue, **options):
            print("ready", flush=True)
            await stop.wait()


# --- the bench ------------------------------------------------------------------------------


@dataclass
class Pair:
    """A workload on a server of its own, so that the server's CPU is that workload's alone
    (the timers a run leaves fire up to a minute after it ends, in another pair's round)."""

    spec: ServerSpec
    workload: str
    task_queue: str
    server: Server | None = None
    worker: int = 0
    rounds: list[Round] = field(default_factory=list)
    last_ids: list[str] = field(default_factory=list)
    runs: int = 0
    idle: tuple[float, float] = (0.0, 0.0)
    """CPU seconds per second of the server and the worker while no run is in flight."""
    window: tuple[float, float] = (0.0, 0.0)
    """CPU seconds of the server and the worker from the warm-up to the end of the settling."""

    @property
    def label(self) -> str:
        return f"{self.spec.spec} / {self.workload}"

    @property
    def started(self) -> Server:
        assert self.server is not None
        return self.server

    def cpu(self) -> tuple[float, float]:
        return cpu_seconds(self.started.pid), cpu_seconds(self.worker)


def worker_command(pair: Pair, data_dir: Path) -> list[str]:
    return [sys.executable, "-m", "bench.temporal_floor", "--serve-worker", pair.workload,
            "--address", pair.started.address, "--task-queue", pair.task_queue,
            "--data-dir", str(data_dir)]  # fmt: skip


async def one_round(
    pair: Pair, target: FastAPI, base_url: str, runs: int, concurrency: int
) -> Round:
    workload = WORKLOADS[pair.workload]
    argument = workload.argument(base_url)
    ids: list[str] = []
    client = pair.started.client

    async def one(suffix: str) -> None:
        workflow_id = f"floor-{pair.workload}-{suffix}"
        ids.append(workflow_id)
        options = {"id": workflow_id, "task_queue": pair.task_queue, **workload.start_options()}
        if workload.waits_for_result:
            result = await client.execute_workflow(
                workload.workflow, argument, result_type=workload.result_type, **options
            )
            check_result(pair.workload, result)
            return
        key = sink_key(workflow_id)
        posted = target.state.posted[key] = asyncio.get_running_loop().create_future()
        await client.start_workflow(workload.workflow, argument, **options)
        await asyncio.wait_for(posted, 60)
        del target.state.posted[key]

    measured = await measured_round(one, runs, concurrency, pair.worker, pair.started.pid)
    pair.last_ids = ids[:5]
    pair.runs += runs
    return measured


@dataclass
class History:
    events: int
    workflow_tasks: int
    activity_tasks: int


async def shortest_history(pair: Pair) -> History:
    counts = [await history_counts(pair.started.client, id) for id in pair.last_ids]
    shortest = min(counts, key=lambda found: sum(found.values()))
    return History(
        sum(shortest.values()),
        shortest.get("WORKFLOW_TASK_COMPLETED", 0),
        shortest.get("ACTIVITY_TASK_COMPLETED", 0),
    )


async def cpu_over(pairs: list[Pair], seconds: float) -> list[tuple[float, float]]:
    """Each pair's server and worker CPU seconds over `seconds` of waiting."""
    began = [pair.cpu() for pair in pairs]
    await asyncio.sleep(seconds)
    return [
        (server - server_began, worker - worker_began)
        for pair, (server_began, worker_began) in zip(pairs, began, strict=True)
        for server, worker in [pair.cpu()]
    ]


async def main(
    specs: list[ServerSpec], workloads: list[str], runs: int, concurrency: int, rounds: int,
    settle: float,
) -> None:  # fmt: skip
    machine = print_header("bench.temporal_floor")
    target = target_app()
    # A spec given twice (an A/A comparison: how far two equal servers differ) is told apart.
    specs = [
        replace(spec, spec=f"{spec.spec} #{specs[:number].count(spec) + 1}")
        if specs.count(spec) > 1
        else spec
        for number, spec in enumerate(specs)
    ]
    pairs = [
        Pair(spec, workload, f"floor-{workload}-{uuid.uuid4().hex[:6]}")
        for spec in specs
        for workload in workloads
    ]
    with tempfile.TemporaryDirectory(prefix="bench-floor-") as base:
        async with (
            started_servers([pair.spec for pair in pairs], Path(base)) as servers,
            serve(target) as base_url,
        ):
            for pair, started in zip(pairs, servers, strict=True):
                pair.server = started
            commands = {
                pair.label: worker_command(pair, Path(base) / f"worker-{number}")
                for number, pair in enumerate(pairs)
            }
            async with spawned_workers(commands) as pids:
                for pair in pairs:
                    pair.worker = pids[pair.label]
                idle_seconds = 15.0
                for pair, (server, worker) in zip(
                    pairs, await cpu_over(pairs, idle_seconds), strict=True
                ):
                    pair.idle = (server / idle_seconds, worker / idle_seconds)
                began, window_began = time.perf_counter(), [pair.cpu() for pair in pairs]
                for pair in pairs:  # warm up: imports, the sandbox, connections
                    await one_round(pair, target, base_url, 10, concurrency)
                for number in range(rounds):
                    for pair in pairs if number % 2 == 0 else list(reversed(pairs)):
                        pair.rounds.append(
                            await one_round(pair, target, base_url, runs, concurrency)
                        )
                print(f"rounds done; settling {settle:.0f} s (timers of the last runs)")
                await asyncio.sleep(settle)
                window = time.perf_counter() - began
                for pair, (server_began, worker_began) in zip(pairs, window_began, strict=True):
                    server, worker = pair.cpu()
                    pair.window = (
                        server - server_began - pair.idle[0] * window,
                        worker - worker_began - pair.idle[1] * window,
                    )
                memory = {pair.label: memory_kib(pair.started.pid) for pair in pairs}
                histories = {pair.label: await shortest_history(pair) for pair in pairs}
    report(pairs, histories, memory, runs, concurrency, window, machine)


def report(
    pairs: list[Pair],
    histories: dict[str, History],
    memory: dict[str, tuple[int, int]],
    runs: int,
    concurrency: int,
    window: float,
    machine: dict[str, str],
) -> None:
    rounds = len(pairs[0].rounds)
    print(
        f"{rounds} rounds of {runs} runs each, {concurrency} in flight; in rounds: medians of "
        f"rounds; all-in: the whole {window:.0f} s (warm-up, rounds, settling) less idle CPU, "
        "per run"
    )
    print(
        f"{'server / workload':36}{'server ms':>10}{'all-in':>8}{'worker ms':>10}{'all-in':>8}"
        f"{'sum all-in':>11}{'runs/s':>8}{'p50 ms':>8}{'events':>7}{'wf tasks':>9}"
    )
    figures: dict[str, dict[str, float]] = {}
    for pair in pairs:
        server = statistics.median(r.server_cpu for r in pair.rounds) * 1e3
        worker = statistics.median(r.worker_cpu for r in pair.rounds) * 1e3
        server_all, worker_all = (seconds / pair.runs * 1e3 for seconds in pair.window)
        history = histories[pair.label]
        figures[pair.label] = {
            "server_ms": server, "server_all_in_ms": server_all,
            "worker_ms": worker, "worker_all_in_ms": worker_all,
            "events": history.events, "workflow_tasks": history.workflow_tasks,
        }  # fmt: skip
        print(
            f"{pair.label:36}{server:>10.2f}{server_all:>8.2f}{worker:>10.2f}{worker_all:>8.2f}"
            f"{server_all + worker_all:>11.2f}"
            f"{statistics.median(r.runs_per_second for r in pair.rounds):>8.1f}"
            f"{statistics.median(r.p50 for r in pair.rounds) * 1e3:>8.1f}"
            f"{history.events:>7}{history.workflow_tasks:>9}"
        )
    first, *others = pairs
    print(f"ratios of paired rounds against {first.label} (median, rounds' range):")
    for pair in others:
        servers = sorted(
            b.server_cpu / a.server_cpu for a, b in zip(first.rounds, pair.rounds, strict=True)
        )
        workers = sorted(
            b.worker_cpu / a.worker_cpu for a, b in zip(first.rounds, pair.rounds, strict=True)
        )
        all_in = (pair.window[0] / pair.runs) / (first.window[0] / first.runs)
        print(
            f"  {pair.label:36} server {statistics.median(servers):.3f} "
            f"({servers[0]:.3f}-{servers[-1]:.3f}; all-in {all_in:.3f}), "
            f"worker {statistics.median(workers):.3f} ({workers[0]:.3f}-{workers[-1]:.3f})"
        )
    print("servers: idle CPU (its worker polling), resident memory at the end (peak):")
    for pair in pairs:
        rss, peak = memory[pair.label]
        print(f"  {pair.label:36} idle {pair.idle[0] * 1e3:.1f} ms/s, "
              f"RSS {rss / 1024:.0f} MiB ({peak / 1024:.0f} MiB peak)")  # fmt: skip
    headline = "; ".join(
        f"{label}: server {found['server_all_in_ms']:.1f} + worker "
        f"{found['worker_all_in_ms']:.1f} ms all-in"
        for label, found in figures.items()
    )
    record("temporal_floor", headline, {"CPU ms per run": figures}, machine)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--server", action="append", help="server spec (repeatable); file")
    parser.add_argument("--workload", action="append", choices=WORKLOADS, help="(repeatable)")
    parser.add_argument("--runs", type=int, default=60, help="runs per round")
    parser.add_argument("--concurrency", type=int, default=10, help="runs in flight at once")
    parser.add_argument("--rounds", type=int, default=4, help="rounds per pair")
    parser.add_argument(
        "--settle", type=float, default=70.0, help="seconds waited after the rounds (timers)"
    )
    parser.add_argument("--serve-worker", choices=WORKLOADS, help=argparse.SUPPRESS)
    parser.add_argument("--address", help=argparse.SUPPRESS)
    parser.add_argument("--task-queue", help=argparse.SUPPRESS)
    parser.add_argument("--data-dir", type=Path, help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.serve_worker:
        asyncio.run(
            serve_worker(
                arguments.address, arguments.task_queue, arguments.serve_worker,
                arguments.data_dir,
            )
        )  # fmt: skip
    else:
        asyncio.run(
            main(
                [ServerSpec.parse(spec) for spec in arguments.server or ["file"]],
                arguments.workload or ["default", "handwritten", "bare", "empty"],
                arguments.runs, arguments.concurrency, arguments.rounds, arguments.settle,
            )
        )  # fmt: skip
