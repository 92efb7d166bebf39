"""n8n and our stack side by side, in one run (issue 14): the automation of
`bench.webhook_automation` (a signed webhook → HTTP GET → `if` → HTTP POST to a local target)
on n8n 1.123 and on the stack as `make run` starts it, their rounds interleaved.

n8n comes from the npm registry into `var/n8n` (installed when missing, a few minutes) and
starts in a temporary user folder on a free port, at its defaults (SQLite, executions saved
as by default) but with telemetry, version notifications and templates off, and the Code
node allowed `crypto` (`NODE_FUNCTION_ALLOW_BUILTIN`), which its signature check needs. Its
workflow is imported and activated with n8n's CLI before `n8n start`: Webhook (POST, raw
body, answers at once) → Code (HMAC-SHA256 of the raw body against the signature header; a
wrong one throws, and the run stops) → HTTP Request GET → If `ok` → HTTP Request POST.

One completion rule for both: a run has ended when the target has its POST for the run's
`n`. CPU per completed run is read from /proc for each process tree (n8n with any task
runner it starts; our Temporal server, worker and API) before and after each round, a
second after its last run ended so that what follows a run's POST (saving it) is counted;
RSS is the trees' resident memory after the last loaded round.

Run: `.venv/bin/python -m bench.n8n_side_by_side [--deliveries 500 --in-flight 20 --single
40]`. Not a test: the figures go in bench/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from app.settings import PROJECT_ROOT, Settings
from bench.machine import print_header, record
from bench.webhook_automation import (
    Figures,
    Hook,
    Stack,
    cpu_seconds,
    deliver,
    measure_runs,
    next_number,
    post_signed,
    prepare,
    quantile_ms,
    report,
    rss_bytes,
    target_server,
)
from emulator.serving import free_port

# The last 1.123 that runs expressions as 1.123.0 did: from 1.123.66 n8n evaluates them in
# isolated-vm by default, whose version there builds only on Node 22 (this machine has 20).
N8N_VERSION = "1.123.50"
N8N_HOME = PROJECT_ROOT / "var" / "n8n"
N8N_BIN = N8N_HOME / "node_modules" / "n8n" / "bin" / "n8n"
# What npm resolves for n8n 1.123.50 today does not all load, nor all install offline: n8n
# requires six packages without naming them (they were hoisted from other dependencies when
# it was released; the versions are those found elsewhere in its tree today);
# @langchain/langgraph-checkpoint 1.2 wants a newer @langchain/core than n8n's AI builder
# pins (1.0.0 is the one of n8n's release); n8n-nodes-base names xlsx by a tarball on
# sheetjs's CDN, which this machine cannot reach (the registry's xlsx stands in; only the
# spreadsheet nodes use it). None of them is on this bench's path.
N8N_PACKAGE = {
    "name": "n8n-for-bench",
    "private": True,
    "dependencies": {
        "n8n": N8N_VERSION,
        **{
            "fflate": "0.8.2",
            "csv-parse": "5.5.6",
            "multer": "2.5.0",
            "moment-timezone": "0.5.48",
            "zod-class": "0.0.16",
            "@modelcontextprotocol/sdk": "1.32.2",
        },
    },
    "overrides": {"xlsx": "0.18.5", "@langchain/langgraph-checkpoint": "1.0.0"},
}
# What a run after its last node leaves to do (n8n saves the execution; the Temporal server
# records the run's end) is counted in the round's CPU if it is done within this.
SETTLE_SECONDS = 1.0


def _node() -> str:
    found = shutil.which("node")
    if found is None:
        raise SystemExit("n8n needs node (20) and npm on the PATH")
    return found


def installed_n8n() -> str | None:
    with contextlib.suppress(OSError):
        version: str = json.loads((N8N_BIN.parent.parent / "package.json").read_text())["version"]
        return version
    return None


def install_n8n() -> None:
    package = N8N_HOME / "package.json"
    if installed_n8n() != N8N_VERSION or json.loads(package.read_text()) != N8N_PACKAGE:
        N8N_HOME.mkdir(parents=True, exist_ok=True)
        package.write_text(json.dumps(N8N_PACKAGE, indent=2) + "\n")
        print(f"installing n8n {N8N_VERSION} into {N8N_HOME} (a few minutes) ...", flush=True)
        npm = shutil.which("npm") or "npm"
        subprocess.run(  # noqa: S603 (fixed arguments)
            [npm, "install", "--prefix", str(N8N_HOME), "--no-audit", "--no-fund"], check=True
        )
    one_typeorm()


def one_typeorm() -> None:
    """npm may leave several copies of @n8n/typeorm (same version; an install made in steps
    did), and n8n's dependency injection tells the copies' DataSource classes apart (n8n
    fails to start): the others become links to n8n's own."""
    modules = N8N_HOME / "node_modules"
    own = modules / "n8n" / "node_modules" / "@n8n" / "typeorm"
    for user in ("@n8n/db", "@n8n/n8n-nodes-langchain"):
        copy = modules / user / "node_modules" / "@n8n" / "typeorm"
        if own.is_dir() and copy.exists() and not copy.is_symlink():
            shutil.rmtree(copy)
            copy.symlink_to(own)


# The Code node's check, as GitHub's docs give it: HMAC-SHA256 of the raw body, compared in
# constant time. The Webhook node's raw body is its binary property `data`; `n` is read from
# the bytes that were checked.
_VERIFY = """\
const crypto = require('crypto');
const item = $input.first();
const raw = await this.helpers.getBinaryDataBuffer(0, 'data');
const expected = 'sha256=' + crypto.createHmac('sha256', SECRET).update(raw).digest('hex');
const given = String(item.json.headers['x-hub-signature-256'] || '');
if (given.length !== expected.length ||
    !crypto.timingSafeEqual(Buffer.from(given), Buffer.from(expected))) {
  throw new Error('bad signature');
}
return [{ json: { n: JSON.parse(raw.toString('utf8')).n } }];
"""


def n8n_workflow(target: str, path: str, secret: str) -> dict[str, Any]:
    """The automation as n8n's editor would save it."""

    def node(name: str, kind: str, version: float, x: int, **parameters: Any) -> dict[str, Any]:
        return {
            "id": str(uuid.uuid4()),
            "name": name,
            "type": kind,
            "typeVersion": version,
            "position": [x, 0],
            "parameters": parameters,
        }

    webhook = node(
        "Webhook",
        "n8n-nodes-base.webhook",
        2,
        0,
        httpMethod="POST",
        path=path,
        responseMode="onReceived",
        options={"rawBody": True},
    )
    webhook["webhookId"] = str(uuid.uuid4())
    code = "const SECRET = " + json.dumps(secret) + ";\n" + _VERIFY
    nodes = [
        webhook,
        node("Verify", "n8n-nodes-base.code", 2, 200, jsCode=code),
        node(
            "Fetch",
            "n8n-nodes-base.httpRequest",
            4.2,
            400,
            url="=" + target + "/item/{{ $json.n }}",
            options={},
        ),
        node(
            "Check",
            "n8n-nodes-base.if",
            2.2,
            600,
            conditions={
                "options": {"caseSensitive": True, "leftValue": "", "typeValidation": "strict"},
                "conditions": [
                    {
                        "id": str(uuid.uuid4()),
                        "leftValue": "={{ $json.ok }}",
                        "rightValue": "",
                        "operator": {"type": "boolean", "operation": "true", "singleValue": True},
                    }
                ],
                "combinator": "and",
            },
            options={},
        ),
        node(
            "Notify",
            "n8n-nodes-base.httpRequest",
            4.2,
            800,
            method="POST",
            url=target + "/done",
            sendBody=True,
            specifyBody="json",
            jsonBody='={ "n": {{ $json.n }} }',
            options={},
        ),
    ]

    def to(name: str) -> dict[str, Any]:
        return {"main": [[{"node": name, "type": "main", "index": 0}]]}

    return {
        "id": "benchAutomation1",
        "name": "bench",
        "active": False,
        "nodes": nodes,
        "connections": {
            "Webhook": to("Verify"),
            "Verify": to("Fetch"),
            "Fetch": to("Check"),
            # The If node's first output is "true"; nothing follows its second.
            "Check": {"main": [[{"node": "Notify", "type": "main", "index": 0}], []]},
        },
        "settings": {"executionOrder": "v1"},
    }


@dataclass
class N8n:
    """`n8n start` in its own user folder, on a free port, at its defaults."""

    folder: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[str] | None = None
    said: list[str] = field(default_factory=list)

    def env(self) -> dict[str, str]:
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("N8N_", "DB_", "EXECUTIONS_", "NODE_"))
        }
        env.update(
            N8N_USER_FOLDER=str(self.folder),
            N8N_PORT=str(self.port),
            N8N_LISTEN_ADDRESS="127.0.0.1",
            N8N_DIAGNOSTICS_ENABLED="false",
            N8N_VERSION_NOTIFICATIONS_ENABLED="false",
            N8N_TEMPLATES_ENABLED="false",
            # The signature check's Code node needs `crypto` (n8n allows no built-in module
            # by default).
            NODE_FUNCTION_ALLOW_BUILTIN="crypto",
        )
        return env

    def cli(self, *args: str) -> str:
        done = subprocess.run(  # noqa: S603 (our install, fixed arguments)
            [_node(), str(N8N_BIN), *args],
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        if done.returncode != 0:
            raise SystemExit(f"n8n {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
        return done.stdout

    def load(self, workflow: dict[str, Any]) -> None:
        """Import the workflow and activate it, before `n8n start`."""
        self.folder.mkdir(parents=True, exist_ok=True)
        file = self.folder / "workflow.json"
        file.write_text(json.dumps(workflow))
        self.cli("import:workflow", f"--input={file}")
        self.cli("update:workflow", f"--id={workflow['id']}", "--active=true")

    def start(self) -> None:
        self.process = subprocess.Popen(  # noqa: S603 (our install, fixed arguments)
            [_node(), str(N8N_BIN), "start"],
            env=self.env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.said.append(line)
            if "Editor is now accessible" in line:
                break
        else:
            raise SystemExit("n8n did not start:\n" + "".join(self.said))
        threading.Thread(target=self._keep_reading, daemon=True).start()

    def _keep_reading(self) -> None:
        # So that its pipe never fills; the last lines say why a run failed.
        assert self.process is not None
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.said = [*self.said[-200:], line]

    def cpu(self) -> dict[str, float]:
        assert self.process is not None
        return {"n8n": cpu_seconds(self.process.pid)}

    def rss(self) -> dict[str, int]:
        assert self.process is not None
        return {"n8n": rss_bytes(self.process.pid)}

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)


@dataclass
class Contender:
    """One system under test: how to deliver run `n`, and its processes."""

    label: str
    deliver: Callable[[int], Awaitable[float]]  # sends run n; the answer's seconds
    cpu: Callable[[], dict[str, float]]
    rss: Callable[[], dict[str, int]]
    single: Figures = field(default_factory=Figures)
    many: Figures = field(default_factory=Figures)
    memory: dict[str, int] = field(default_factory=dict)
    single_rounds: list[float] = field(default_factory=list)  # each round's single-run p50
    many_rounds: list[float] = field(default_factory=list)  # each loaded round's runs/s


class Target:
    """The target's posts, and a wait for the post of run `n`."""

    def __init__(self) -> None:
        self.url = ""
        self.posted: list[Any] = []
        self.arrived: dict[int, asyncio.Event] = {}

    async def wait(self, n: int) -> None:
        await self.arrived.setdefault(n, asyncio.Event()).wait()


def run_of(contender: Contender, target: Target) -> Callable[[], Awaitable[tuple[float, float]]]:
    async def run() -> tuple[float, float]:
        n = next_number()
        sent = time.perf_counter()
        answer = await contender.deliver(n)
        await asyncio.wait_for(target.wait(n), timeout=120)
        return answer, time.perf_counter() - sent

    return run


def n8n_contender(n8n: N8n, client: httpx.AsyncClient, url: str, secret: str) -> Contender:
    async def send(n: int) -> float:
        sent = time.perf_counter()
        answer = await post_signed(client, url, secret, n)
        if answer.status_code != 200:
            raise SystemExit(f"n8n answered {answer.status_code}: {answer.text}")
        return time.perf_counter() - sent

    return Contender(f"n8n {N8N_VERSION}", send, n8n.cpu, n8n.rss)


def our_contender(stack: Stack, client: httpx.AsyncClient, hook: Hook) -> Contender:
    async def send(n: int) -> float:
        sent = time.perf_counter()
        await deliver(client, hook, n)  # checks the 202
        return time.perf_counter() - sent

    return Contender("ours (make run)", send, stack.cpu, stack.rss)


async def forged_stops(n8n: N8n, client: httpx.AsyncClient, url: str, target: Target) -> None:
    """A wrong signature stops n8n's run before it reaches the target."""
    forged = next_number()
    answer = await post_signed(client, url, "wrong", forged, forged=True)
    if answer.status_code != 200:
        raise SystemExit(f"n8n answered the forged delivery {answer.status_code}")
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(target.wait(forged), timeout=3)
        raise SystemExit("n8n ran a delivery with a wrong signature to its end")
    print("a wrong signature stops n8n's run (no POST in 3 s)", flush=True)


async def bench(
    args: argparse.Namespace, stack: Stack, n8n: N8n, n8n_url: str, secret: str, target: Target
) -> list[Contender]:
    async with httpx.AsyncClient(timeout=120, limits=httpx.Limits(max_connections=100)) as client:
        hook = await prepare(stack, target.url)
        contenders = [
            n8n_contender(n8n, client, n8n_url, secret),
            our_contender(stack, client, hook),
        ]
        await forged_stops(n8n, client, n8n_url, target)
        posts_before = len(target.posted)
        for each in contenders:  # warm up
            await measure_runs(
                each.cpu, run_of(each, target), Figures(), args.in_flight, args.in_flight
            )
        per_round = max(1, args.single // args.rounds)
        for _ in range(args.rounds):
            for each in contenders:
                await measure_runs(
                    each.cpu, run_of(each, target), each.single, per_round, 1, SETTLE_SECONDS
                )
                each.single_rounds.append(quantile_ms(each.single.ends[-per_round:], 0.5))
        per_round = max(1, args.deliveries // args.rounds)
        for _ in range(args.rounds):
            for each in contenders:
                seconds = each.many.seconds
                await measure_runs(
                    each.cpu,
                    run_of(each, target),
                    each.many,
                    per_round,
                    args.in_flight,
                    SETTLE_SECONDS,
                )
                each.many_rounds.append(per_round / (each.many.seconds - seconds))
                each.memory = each.rss()
        await asyncio.sleep(SETTLE_SECONDS)
    runs = sum(c.single.runs + c.many.runs + args.in_flight for c in contenders)
    numbers = [int(body["n"]) for body in target.posted[posts_before:]]
    if len(numbers) != runs or len(set(numbers)) != runs:
        raise SystemExit(
            f"the target got {len(numbers)} posts ({len(set(numbers))} runs) for {runs}"
        )
    return contenders


def _mb(memory: dict[str, int]) -> float:
    return sum(memory.values()) / 2**20


def print_figures(args: argparse.Namespace, contenders: list[Contender]) -> dict[str, Any]:
    print(
        f"\n{args.deliveries} deliveries each, {args.in_flight} in flight, in {args.rounds} "
        f"interleaved rounds; {args.single} single runs one at a time; a run ends when the "
        "target has its POST"
    )
    rows: dict[str, dict[str, float]] = {}
    for each in contenders:
        row = report(each.label, each.single, each.many)
        row["RSS MB"] = _mb(each.memory)
        for role, size in each.memory.items():
            row[f"{role} RSS MB"] = size / 2**20
        parts = ", ".join(f"{role} {size / 2**20:.0f}" for role, size in each.memory.items())
        print(f"  {'RSS MB':<22} {row['RSS MB']:8.1f}  ({parts})")
        print(f"  {'single p50 by round':<22} {' '.join(f'{ms:.0f}' for ms in each.single_rounds)}")
        print(f"  {'runs/s by round':<22} {' '.join(f'{rate:.1f}' for rate in each.many_rounds)}")
        rows[each.label] = row
    theirs, ours = rows[contenders[0].label], rows[contenders[1].label]
    names = (
        "runs/s",
        "single p50 ms",
        "single p95 ms",
        "answer p50 ms",
        "loaded answer p50 ms",
        "CPU ms/run",
        "RSS MB",
    )
    print(f"\nours / n8n: {', '.join(f'{name} {ours[name] / theirs[name]:.2f}' for name in names)}")
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--deliveries", type=int, default=500)
    parser.add_argument("--in-flight", type=int, default=20)
    parser.add_argument("--single", type=int, default=40, help="runs one at a time")
    parser.add_argument("--rounds", type=int, default=4)
    args = parser.parse_args()
    install_n8n()
    machine = print_header("bench.n8n_side_by_side")
    machine["n8n"] = installed_n8n() or "not installed"
    machine["node"] = subprocess.run(  # noqa: S603 (fixed arguments)
        [_node(), "--version"], capture_output=True, text=True, check=True
    ).stdout.strip()
    print(f"n8n {machine['n8n']} on node {machine['node']}", flush=True)
    with tempfile.TemporaryDirectory(prefix="bench-n8n-") as base:
        contenders = asyncio.run(_in_servers(args, Path(base)))
    rows = print_figures(args, contenders)
    theirs, ours = (rows[c.label] for c in contenders)
    headline = (
        f"ours/n8n {N8N_VERSION}: runs/s {ours['runs/s'] / theirs['runs/s']:.2f}, single p50 "
        f"{ours['single p50 ms'] / theirs['single p50 ms']:.2f}, CPU per run "
        f"{ours['CPU ms/run'] / theirs['CPU ms/run']:.2f} (n8n {theirs['runs/s']:.1f} runs/s, "
        f"{theirs['single p50 ms']:.0f} ms, {theirs['CPU ms/run']:.0f} ms CPU; ours "
        f"{ours['runs/s']:.1f}, {ours['single p50 ms']:.0f} ms, {ours['CPU ms/run']:.0f} ms)"
    )
    record("n8n_side_by_side", headline, rows, machine)


async def _in_servers(args: argparse.Namespace, base: Path) -> list[Contender]:
    """Serve the target, start both systems on it, bench them, stop them."""
    target = Target()
    secret = uuid.uuid4().hex
    path = "bench-" + uuid.uuid4().hex[:8]
    async with target_server(target.posted, target.arrived) as url:
        target.url = url
        n8n = N8n(folder=base / "n8n")
        stack = Stack(
            label="ours",
            project=PROJECT_ROOT,
            pragmas=Settings().temporal_sqlite_pragmas,
            data_dir=base / "stack",
        )
        try:
            print("importing and activating n8n's workflow ...", flush=True)
            await asyncio.to_thread(n8n.load, n8n_workflow(url, path, secret))
            print("starting n8n and our stack ...", flush=True)
            await asyncio.to_thread(n8n.start)
            await asyncio.to_thread(stack.start)
            n8n_url = f"http://127.0.0.1:{n8n.port}/webhook/{path}"
            return await bench(args, stack, n8n, n8n_url, secret, target)
        except BaseException:
            print("".join(n8n.said[-40:]))
            raise
        finally:
            n8n.stop()
            stack.stop()


if __name__ == "__main__":
    main()
