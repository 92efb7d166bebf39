"""Where a single run's time goes: the webhook automation of `bench.webhook_automation` on a
`make run` stack, one delivery at a time, and each run's history events placed on a time line
from the moment its delivery was sent; prints the median time of each event.

Run: `.venv/bin/python -m bench.run_timeline [--runs 30] [--project CHECKOUT]`. Not a test:
the figures go in bench/README.md ("Workflow tasks waited for the transfer queue").
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path

import httpx
from temporalio.api.enums.v1 import EventType

from app.settings import PROJECT_ROOT, Settings
from bench.machine import print_header
from bench.webhook_automation import Stack, deliver, one_run, prepare, target_server

WARM_UP = 20


async def timeline(stack: Stack, runs: int) -> None:
    posted: list[object] = []
    async with target_server(posted) as target, httpx.AsyncClient(timeout=60) as client:
        hook = await prepare(stack, target)
        for _ in range(WARM_UP):
            await one_run(client, hook)
        histories: list[list[tuple[str, float]]] = []
        ends: list[float] = []
        for _ in range(runs):
            sent = time.time()
            handle = hook.temporal.get_workflow_handle(await deliver(client, hook))
            await handle.result()
            ends.append(time.time() - sent)
            histories.append(
                [
                    (
                        EventType.Name(event.event_type).removeprefix("EVENT_TYPE_"),
                        event.event_time.ToDatetime().timestamp() - sent,
                    )
                    async for event in handle.fetch_history_events()
                ]
            )
    shape = [name for name, _ in histories[-1]]
    alike = [history for history in histories if [name for name, _ in history] == shape]
    print(f"{len(alike)} of {runs} runs with the same events; median ms after the delivery:")
    for at, name in enumerate(shape):
        print(f"  {statistics.median(history[at][1] for history in alike) * 1e3:8.1f}  {name}")
    print(f"  {statistics.median(ends) * 1e3:8.1f}  the sender saw the run end")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--project", type=Path, default=PROJECT_ROOT, help="checkout to run")
    args = parser.parse_args()
    print_header("bench.run_timeline")
    with tempfile.TemporaryDirectory(prefix="bench-timeline-") as base:
        stack = Stack(
            label="timeline",
            project=args.project,
            pragmas=Settings().temporal_sqlite_pragmas,
            data_dir=Path(base),
        )
        try:
            stack.start()
            asyncio.run(timeline(stack, args.runs))
        finally:
            stack.stop()


if __name__ == "__main__":
    main()
