"""The bench of record (issue 14): a signed webhook → HTTP GET → `if` → HTTP POST against a
local target, on the stack as `make run` starts it (`app.launcher`: the embedded Temporal dev
server, the worker and the API, each its own process).

For each stack: single runs one at a time (latency), then deliveries with many in flight
(throughput), in rounds. Reported: runs per second; end-to-end p50/p95 from the delivery sent
to the run completed (the sender's view: it includes the webhook's answer); the webhook's
answer p50; and CPU per completed run of the Temporal server, the worker and the API, read
from /proc before and after each round (each process with its descendants).

Several stacks side by side, their rounds interleaved, compare in one run: `--pragmas` gives
the embedded server's SQLite pragmas (`TEMPORAL_SQLITE_PRAGMAS`; `""` for SQLite's defaults),
`--project` another checkout of the engine (e.g. a `git worktree` of main) run with this
interpreter (a checkout without that setting ignores it); every project runs with every
pragmas, or `--stack CHECKOUT:PRAGMAS` names each stack. Ratios are against the first.

Run: `make bench`, or `.venv/bin/python -m bench.webhook_automation [--deliveries 500
--in-flight 20 --single 40 --pragmas "" --pragmas journal_mode=wal,synchronous=normal]`.
Not a test: the figures go in bench/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import hmac
import itertools
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI, Request
from temporalio.client import Client

from app.settings import PROJECT_ROOT, Settings
from bench.machine import print_header, record
from emulator.serving import free_port, serve
from temporal.client import connect, local

ROLES = ("temporal", "worker", "api")
_TICKS = os.sysconf("SC_CLK_TCK")


def target_app(posted: list[Any]) -> FastAPI:
    """The automation's target: an item to read, and a place to post to."""
    app = FastAPI()

    @app.get("/item/{n}")
    async def item(n: int) -> dict[str, Any]:
        return {"n": n, "ok": True}

    @app.post("/done")
    async def done(request: Request) -> dict[str, bool]:
        posted.append(await request.json())
        return {"ok": True}

    return app


def automation(target: str) -> dict[str, Any]:
    return {
        "nodes": [
            {"id": "hook", "type": "trigger.webhook"},
            {
                "id": "fetch",
                "type": "http.request",
                "parameters": {"url": target + "/item/{{ trigger.body.n }}"},
            },
            {"id": "check", "type": "if", "parameters": {"condition": "nodes.fetch.body.ok"}},
            {
                "id": "notify",
                "type": "http.request",
                "parameters": {
                    "method": "POST",
                    "url": target + "/done",
                    "body": {"type": "json", "json": {"n": "{{ nodes.fetch.body.n }}"}},
                },
            },
        ],
        "edges": [
            {"source": "hook", "target": "fetch"},
            {"source": "fetch", "target": "check"},
            {"source": "check", "target": "notify", "sourceHandle": "true"},
        ],
    }


def _descendants(pid: int) -> list[int]:
    found = [pid]
    with contextlib.suppress(OSError):
        for task in Path(f"/proc/{pid}/task").iterdir():
            for child in (task / "children").read_text().split():
                found += _descendants(int(child))
    return found


def cpu_seconds(pid: int) -> float:
    """User + system CPU of `pid` and its living descendants."""
    total = 0
    for each in _descendants(pid):
        with contextlib.suppress(OSError):
            fields = Path(f"/proc/{each}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
    return total / _TICKS


def _role(pid: int) -> str | None:
    words = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    line = b" ".join(words)
    if b"worker.py" in line:
        return "worker"
    if b"uvicorn" in line:
        return "api"
    if Path(words[0].decode()).name == "temporal":
        return "temporal"
    return None


@dataclass
class Stack:
    """One `make run` stack in its own data directory, on free ports."""

    label: str
    project: Path
    pragmas: str
    data_dir: Path
    api: str = ""
    temporal: str = ""
    key: str = ""
    process: subprocess.Popen[str] | None = None
    pids: dict[str, int] = field(default_factory=dict)

    def start(self) -> None:
        ports = {"API_PORT": free_port(), "TEMPORAL_PORT": free_port()}
        ports["TEMPORAL_UI_PORT"] = free_port()
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("TEMPORAL_", "API_", "DATABASE_URL", "SANDBOX"))
        }
        env.update({name: str(port) for name, port in ports.items()})
        env.update(
            DATA_DIR=str(self.data_dir),
            ENVIRONMENT="development",
            HTTP_ALLOW_PRIVATE_NETWORKS="true",
            TEMPORAL_SQLITE_PRAGMAS=self.pragmas,
            PYTHONUNBUFFERED="1",
        )
        self.process = subprocess.Popen(
            [sys.executable, "-m", "app.launcher"],
            cwd=self.project,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        assert self.process.stdout is not None
        seen: list[str] = []
        for line in self.process.stdout:
            seen.append(line)
            if match := re.match(r"^\s+(fh_\S+)$", line):
                self.key = match.group(1)
            if "Ctrl-C stops everything" in line:
                break
        if not self.key:
            raise SystemExit(f"{self.label}: the launcher did not start:\n{''.join(seen)}")
        # Keep reading what it says, so that its pipe never fills.
        threading.Thread(target=self.process.stdout.read, daemon=True).start()
        self.api = f"http://127.0.0.1:{ports['API_PORT']}"
        self.temporal = f"127.0.0.1:{ports['TEMPORAL_PORT']}"
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        for child in map(int, children.read_text().split()):
            if (role := _role(child)) is not None:
                self.pids[role] = child
        if set(self.pids) != set(ROLES):
            raise SystemExit(f"{self.label}: found {self.pids}, not one process of each {ROLES}")

    def cpu(self) -> dict[str, float]:
        return {role: cpu_seconds(pid) for role, pid in self.pids.items()}

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            # SIGTERM, not SIGINT: a shell ignores SIGINT for what it starts in the background,
            # and so would the launcher.
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=120)
            except subprocess.TimeoutExpired:
                # The children have sessions of their own: a killed launcher leaves them.
                for pid in (*self.pids.values(), self.process.pid):
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(pid, signal.SIGKILL)


@dataclass
class Hook:
    url: str
    secret: str
    temporal: Client


@dataclass
class Figures:
    answers: list[float] = field(default_factory=list)
    ends: list[float] = field(default_factory=list)
    cpu: dict[str, float] = field(default_factory=lambda: dict.fromkeys(ROLES, 0.0))
    seconds: float = 0.0
    runs: int = 0


async def prepare(stack: Stack, target: str) -> Hook:
    headers = {"Authorization": f"Bearer {stack.key}"}
    async with httpx.AsyncClient(base_url=stack.api, headers=headers, timeout=60) as api:
        created = await api.post("/workflows", json={"name": "bench", "graph": automation(target)})
        if created.status_code != 201:
            raise SystemExit(f"{stack.label}: the workflow was refused: {created.text}")
        workflow_id = created.json()["id"]
        secret = await api.put(f"/workflows/{workflow_id}/webhooks/hook/secret", json={})
        secret.raise_for_status()
        (await api.post(f"/workflows/{workflow_id}/activate")).raise_for_status()
    return Hook(
        url=secret.json()["url"],
        secret=secret.json()["secret"],
        temporal=await connect(local(stack.temporal)),
    )


_numbers = itertools.count()


async def deliver(client: httpx.AsyncClient, hook: Hook) -> str:
    """Deliver one signed event: the id of the run it started."""
    body = json.dumps({"n": next(_numbers), "event": uuid.uuid4().hex}).encode()
    signature = "sha256=" + hmac.new(hook.secret.encode(), body, hashlib.sha256).hexdigest()
    headers = {"X-Hub-Signature-256": signature, "X-Delivery-Id": uuid.uuid4().hex}
    answer = await client.post(hook.url, content=body, headers=headers)
    if answer.status_code != 202:
        raise SystemExit(f"delivery answered {answer.status_code}: {answer.text}")
    run_id: str = answer.json()["run_id"]
    return run_id


async def one_run(client: httpx.AsyncClient, hook: Hook) -> tuple[float, float]:
    """Deliver one signed event and wait for its run: (answer, end to end) in seconds."""
    sent = time.perf_counter()
    run_id = await deliver(client, hook)
    answered = time.perf_counter()
    await hook.temporal.get_workflow_handle(run_id).result()
    return answered - sent, time.perf_counter() - sent


async def measure(
    stack: Stack, hook: Hook, client: httpx.AsyncClient, figures: Figures, runs: int, at_once: int
) -> None:
    gate = asyncio.Semaphore(at_once)

    async def gated() -> None:
        async with gate:
            answer, end = await one_run(client, hook)
        figures.answers.append(answer)
        figures.ends.append(end)

    before, started = stack.cpu(), time.perf_counter()
    await asyncio.gather(*(gated() for _ in range(runs)))
    figures.seconds += time.perf_counter() - started
    after = stack.cpu()
    for role in ROLES:
        figures.cpu[role] += after[role] - before[role]
    figures.runs += runs


def _ms(values: list[float], quantile: float) -> float:
    ordered = sorted(values)
    return 1000 * ordered[min(len(ordered) - 1, int(quantile * len(ordered)))]


def report(label: str, single: Figures, many: Figures) -> dict[str, float]:
    per_run = {role: 1000 * many.cpu[role] / many.runs for role in ROLES}
    row = {
        "runs/s": many.runs / many.seconds,
        "single p50 ms": _ms(single.ends, 0.5),
        "single p95 ms": _ms(single.ends, 0.95),
        "loaded p50 ms": _ms(many.ends, 0.5),
        "loaded p95 ms": _ms(many.ends, 0.95),
        "answer p50 ms": _ms(single.answers, 0.5),
        "loaded answer p50 ms": _ms(many.answers, 0.5),
        "CPU ms/run": sum(per_run.values()),
        **{f"{role} ms/run": value for role, value in per_run.items()},
    }
    print(f"\n{label}")
    for name, value in row.items():
        print(f"  {name:<22} {value:8.1f}")
    return row


@contextlib.contextmanager
def stacks_of(args: argparse.Namespace, base: Path) -> Iterator[list[Stack]]:
    projects = [Path(p).resolve() for p in args.project] or [PROJECT_ROOT]
    pragmas = args.pragmas if args.pragmas is not None else [Settings().temporal_sqlite_pragmas]
    chosen = [
        (Path(p).resolve(), pragma) for p, _, pragma in (s.partition(":") for s in args.stack)
    ]
    stacks = [
        Stack(
            label=f"{project.name} pragmas={pragma or '(SQLite defaults)'}",
            project=project,
            pragmas=pragma,
            data_dir=base / f"stack{number}",
        )
        for number, (project, pragma) in enumerate(
            chosen or list(itertools.product(projects, pragmas))
        )
    ]
    try:
        for stack in stacks:
            print(f"starting {stack.label} ...", flush=True)
            stack.start()
        yield stacks
    finally:
        for stack in stacks:
            stack.stop()


@contextlib.asynccontextmanager
async def target_server(posted: list[Any]) -> AsyncIterator[str]:
    async with serve(target_app(posted)) as url:
        yield url


async def bench(args: argparse.Namespace, stacks: list[Stack], machine: dict[str, str]) -> None:
    posted: list[Any] = []
    async with (
        target_server(posted) as target,
        httpx.AsyncClient(timeout=120, limits=httpx.Limits(max_connections=100)) as client,
    ):
        hooks = [await prepare(stack, target) for stack in stacks]
        for stack, hook in zip(stacks, hooks, strict=True):
            await measure(stack, hook, client, Figures(), args.in_flight, args.in_flight)  # warm
        singles = [Figures() for _ in stacks]
        manies = [Figures() for _ in stacks]
        per_round = max(1, args.single // args.rounds)
        for _ in range(args.rounds):
            for stack, hook, figures in zip(stacks, hooks, singles, strict=True):
                await measure(stack, hook, client, figures, per_round, 1)
        per_round = max(1, args.deliveries // args.rounds)
        for _ in range(args.rounds):
            for stack, hook, figures in zip(stacks, hooks, manies, strict=True):
                await measure(stack, hook, client, figures, per_round, args.in_flight)
    expected = sum(f.runs for f in singles + manies) + len(stacks) * args.in_flight
    if len(posted) != expected:
        raise SystemExit(f"the target got {len(posted)} posts for {expected} runs")
    print(
        f"\n{args.deliveries} deliveries per stack, {args.in_flight} in flight, in "
        f"{args.rounds} interleaved rounds; {args.single} single runs one at a time"
    )
    rows = [
        report(stack.label, single, many)
        for stack, single, many in zip(stacks, singles, manies, strict=True)
    ]
    for stack, row in zip(stacks[1:], rows[1:], strict=True):
        ratios = ", ".join(
            f"{name} {row[name] / rows[0][name]:.2f}"
            for name in ("runs/s", "single p50 ms", "answer p50 ms", "CPU ms/run")
        )
        print(f"\n{stack.label} / {stacks[0].label}: {ratios}")
    first = rows[0]
    headline = (
        f"{first['runs/s']:.1f} runs/s at {args.in_flight} in flight; single run p50 "
        f"{first['single p50 ms']:.0f} ms; {first['CPU ms/run']:.0f} ms CPU per run "
        f"(server {first['temporal ms/run']:.0f}, worker {first['worker ms/run']:.0f}, "
        f"API {first['api ms/run']:.0f}); stack {stacks[0].label}"
    )
    by_stack = {stack.label: row for stack, row in zip(stacks, rows, strict=True)}
    record("webhook_automation", headline, by_stack, machine)


def on_embedded_stack(label: str, work: Callable[[Stack], Coroutine[Any, Any, None]]) -> None:
    """Start one `make run` stack (the embedded server with its default pragmas) in a
    temporary data directory, run `work` on it, and stop it whatever happens."""
    with tempfile.TemporaryDirectory(prefix="bench-") as base:
        stack = Stack(
            label=label,
            project=PROJECT_ROOT,
            pragmas=Settings().temporal_sqlite_pragmas,
            data_dir=Path(base),
        )
        try:
            print("starting the stack ...", flush=True)
            stack.start()
            asyncio.run(work(stack))
        finally:
            stack.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--deliveries", type=int, default=500)
    parser.add_argument("--in-flight", type=int, default=20)
    parser.add_argument("--single", type=int, default=40, help="runs one at a time")
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--pragmas", action="append", help="TEMPORAL_SQLITE_PRAGMAS of a stack")
    parser.add_argument("--project", action="append", default=[], help="checkout of a stack")
    parser.add_argument(
        "--stack",
        action="append",
        default=[],
        help="CHECKOUT:PRAGMAS, one stack each (instead of every --project with every --pragmas)",
    )
    args = parser.parse_args()
    machine = print_header("bench.webhook_automation")
    with (
        tempfile.TemporaryDirectory(prefix="bench-webhook-") as base,
        stacks_of(args, Path(base)) as stacks,
    ):
        asyncio.run(bench(args, stacks, machine))


if __name__ == "__main__":
    main()
