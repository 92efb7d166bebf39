"""Starting a run through the API against starting it with the Temporal client directly.

On the stack as `make run` starts it (`app.launcher`: the embedded Temporal dev server, the
worker and the API, each its own process; `bench.webhook_automation.Stack`), one workflow (a
manual trigger and a `set`) is started both ways: `POST /workflows/{id}/runs` with an API key,
and `client.start_workflow` from this process with the same `RunInput`, search attributes,
priority and memo the run service builds (`bench.direct_runs`). Reported for each: start
latency p50/p95 one at a time and with `--in-flight` starts at once, starts per second at
that load, and the API process's CPU per start; then the ratios, and where the difference
goes: an authenticated `GET /workflows/{id}` (HTTP, authentication, one database read) timed
in the same rounds, and, in this process, parsing the stored plan and the payload size
check the run service does before it calls Temporal. Rounds of the two ways are interleaved.

Run: `make bench`, or `.venv/bin/python -m bench.api_start [--starts 400 --in-flight 20
--single 40 --rounds 4]`. Not a test: the figures go in bench/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
from temporalio.client import Client

from app.language.plan import Plan
from app.services.payload_limits import check_run_input
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
        {"id": "note", "type": "set", "parameters": {"values": {"n": "{{ trigger.n }}"}}},
    ],
    "edges": [{"source": "start", "target": "note"}],
}
PAYLOAD = {"n": 1}

Start = Callable[[], Awaitable[object]]


@dataclass
class Figures:
    single: list[float] = field(default_factory=list)
    loaded: list[float] = field(default_factory=list)
    seconds: float = 0.0
    starts: int = 0
    api_cpu: float = 0.0


def _ms(values: list[float], quantile: float) -> float:
    ordered = sorted(values)
    return 1000 * ordered[min(len(ordered) - 1, int(quantile * len(ordered)))]


async def timed(start: Start, times: list[float], count: int, at_once: int) -> float:
    """`count` starts, `at_once` in flight; each one's latency into `times`; the seconds."""
    gate = asyncio.Semaphore(at_once)

    async def one() -> None:
        async with gate:
            began = time.perf_counter()
            await start()
            times.append(time.perf_counter() - began)

    began = time.perf_counter()
    await asyncio.gather(*(one() for _ in range(count)))
    return time.perf_counter() - began


def in_process_costs(workflow: StackWorkflow, repeat: int = 200) -> dict[str, float]:
    """Median ms, in this process, of work the API does per start that a direct start skips."""
    stored = workflow.version.plan.model_dump_json()
    parse, check = [], []
    for _ in range(repeat):
        began = time.perf_counter()
        Plan.model_validate_json(stored)
        parse.append(time.perf_counter() - began)
        start = run_start(workflow.version, PAYLOAD)
        began = time.perf_counter()
        check_run_input(start.input, field=("body", "input"))
        check.append(time.perf_counter() - began)
    return {
        "plan parse ms": 1000 * statistics.median(parse),
        "payload size check ms": 1000 * statistics.median(check),
    }


async def bench(args: argparse.Namespace, stack: Stack, machine: dict[str, str]) -> None:
    headers = {"Authorization": f"Bearer {stack.key}"}
    limits = httpx.Limits(max_connections=args.in_flight + 5)
    async with httpx.AsyncClient(
        base_url=stack.api, headers=headers, timeout=120, limits=limits
    ) as api:
        workflow_id = await create_workflow(api, GRAPH, "bench api start")
        temporal: Client = await connect(local(stack.temporal))
        first = await api.post(f"/workflows/{workflow_id}/runs", json={"input": PAYLOAD})
        first.raise_for_status()
        described = await temporal.get_workflow_handle(first.json()["id"]).describe()
        workflow = StackWorkflow(
            id=workflow_id,
            version=stored_version(stack.data_dir, workflow_id),
            task_queue=described.task_queue,
        )
        start = run_start(workflow.version, PAYLOAD)

        async def through_api() -> None:
            answer = await api.post(f"/workflows/{workflow_id}/runs", json={"input": PAYLOAD})
            if answer.status_code != 201:
                raise SystemExit(f"the API answered {answer.status_code}: {answer.text}")

        async def directly() -> None:
            await start_directly(temporal, workflow, start, PAYLOAD)

        async def read_workflow() -> None:
            (await api.get(f"/workflows/{workflow_id}")).raise_for_status()

        ways: dict[str, Start] = {"API": through_api, "client": directly, "GET": read_workflow}
        figures = {name: Figures() for name in ways}
        for way in ways.values():  # warm both paths and their connections
            await timed(way, [], args.in_flight, args.in_flight)
        per_round = max(1, args.single // args.rounds)
        for number in range(args.rounds):
            # Alternate which way goes first, so neither always follows the other's runs.
            order = list(ways) if number % 2 == 0 else list(reversed(ways))
            for name in order:
                await timed(ways[name], figures[name].single, per_round, 1)
        per_round = max(1, args.starts // args.rounds)
        for number in range(args.rounds):
            order = ["API", "client"] if number % 2 == 0 else ["client", "API"]
            for name in order:
                cpu = cpu_seconds(stack.pids["api"])
                figures[name].seconds += await timed(
                    ways[name], figures[name].loaded, per_round, args.in_flight
                )
                figures[name].api_cpu += cpu_seconds(stack.pids["api"]) - cpu
                figures[name].starts += per_round
    report(args, figures, in_process_costs(workflow), machine)


def report(
    args: argparse.Namespace,
    figures: dict[str, Figures],
    costs: dict[str, float],
    machine: dict[str, str],
) -> None:
    print(
        f"\n{args.starts} starts each way with {args.in_flight} in flight and {args.single} "
        f"one at a time, in {args.rounds} interleaved rounds"
    )
    rows: dict[str, dict[str, float]] = {}
    for name in ("API", "client"):
        each = figures[name]
        rows[name] = {
            "single p50 ms": _ms(each.single, 0.5),
            "single p95 ms": _ms(each.single, 0.95),
            "loaded p50 ms": _ms(each.loaded, 0.5),
            "loaded p95 ms": _ms(each.loaded, 0.95),
            "starts/s": each.starts / each.seconds,
            "API CPU ms/start": 1000 * each.api_cpu / each.starts,
        }
        print(f"\n{'through the API' if name == 'API' else 'Temporal client directly'}")
        for key, value in rows[name].items():
            print(f"  {key:<18} {value:8.1f}")
    api, client = rows["API"], rows["client"]
    ratios = {
        "single p50": api["single p50 ms"] / client["single p50 ms"],
        "loaded p50": api["loaded p50 ms"] / client["loaded p50 ms"],
        "starts/s": api["starts/s"] / client["starts/s"],
    }
    print("\nAPI / client: " + ", ".join(f"{k} {v:.2f}" for k, v in ratios.items()))
    extra = api["single p50 ms"] - client["single p50 ms"]
    get = _ms(figures["GET"].single, 0.5)
    rest = extra - get - costs["plan parse ms"] - costs["payload size check ms"]
    print(
        f"\nwhere the API's extra {extra:.1f} ms per start (p50, one at a time) goes:\n"
        f"  an authenticated GET of the workflow (HTTP, key check, one read) {get:.1f} ms\n"
        f"  parsing the stored plan                                      "
        f"{costs['plan parse ms']:.2f} ms\n"
        f"  the run input's size check (encoding it once more)           "
        f"{costs['payload size check ms']:.2f} ms\n"
        f"  the rest (the version's and workflow's reads, sub-workflow plans, the route's\n"
        f"  validation and answer)                                       {rest:.1f} ms"
    )
    headline = (
        f"start p50 API {api['single p50 ms']:.1f} ms / client {client['single p50 ms']:.1f} ms "
        f"(x{ratios['single p50']:.2f}); starts/s at {args.in_flight} in flight "
        f"{api['starts/s']:.1f} / {client['starts/s']:.1f} (x{ratios['starts/s']:.2f})"
    )
    record("api_start", headline, {"rows": rows, "ratios": ratios, **costs}, machine)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--starts", type=int, default=400, help="starts each way, loaded")
    parser.add_argument("--in-flight", type=int, default=20)
    parser.add_argument("--single", type=int, default=40, help="starts each way, one at a time")
    parser.add_argument("--rounds", type=int, default=4)
    args = parser.parse_args()
    machine = print_header("bench.api_start")
    on_embedded_stack("api start", lambda stack: bench(args, stack, machine))


if __name__ == "__main__":
    main()
