"""`/healthz` latency while four clients send 9 MB graphs to be checked (issue 11, point 5).

The API runs in a process of its own (uvicorn, as deployed) on a fresh SQLite database and a
real Temporal dev server; four clients post a 9 MB graph to `/workflows/validate` again and
again, and a fifth asks `/healthz` every 50 ms. Prints the health latencies (p50, p99, max)
with and without the big graphs. `--code DIR` serves the API from another checkout (say the
code before a change, from `git archive`), so before and after run on one machine:

    .venv/bin/python -m bench.healthz_under_big_graphs
    .venv/bin/python -m bench.healthz_under_big_graphs --code /tmp/before

Not a test: the figures go in bench/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
from temporalio.testing import WorkflowEnvironment

from app.settings import PROJECT_ROOT, Settings
from tests.utils.databases import fresh_database
from tests.utils.factories import new_organization
from tests.utils.servers import free_port

BIN = Path(sys.executable).parent


def big_graph(nodes: int = 9_000, padding: int = 900) -> dict[str, Any]:
    """A valid chain of `transform` nodes whose builder-only fields (ignored, but read and
    checked as part of the document) make it ~9 MB; its parameters are small, so only the
    whole check finds its plan too large."""
    chain: list[dict[str, Any]] = [{"id": "start", "type": "trigger.manual"}]
    edges = []
    for index in range(nodes):
        chain.append({
            "id": f"n{index}", "type": "transform",
            "parameters": {"value": "{{ trigger.x }}"},
            "position": {"x": index, "y": 0}, "style": {"note": "x" * padding},
        })  # fmt: skip
        edges.append({"source": chain[-2]["id"], "target": chain[-1]["id"]})
    return {"nodes": chain, "edges": edges}


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


async def _healthz(client: httpx.AsyncClient, seconds: float) -> list[float]:
    latencies: list[float] = []
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        began = time.monotonic()
        response = await client.get("/healthz", timeout=60)
        latencies.append(time.monotonic() - began)
        if response.status_code != 200:
            print(f"/healthz answered {response.status_code}: {response.text[:200]}")
        await asyncio.sleep(0.05)
    return latencies


async def _sender(client: httpx.AsyncClient, body: bytes, stop: asyncio.Event) -> list[int]:
    statuses: list[int] = []
    while not stop.is_set():
        try:
            response = await client.post(
                "/workflows/validate",
                content=body,
                headers={"content-type": "application/json"},
                timeout=300,
            )
        except httpx.TransportError:
            statuses.append(0)  # the server dropped the connection
            continue
        statuses.append(response.status_code)
    return statuses


def _summary(label: str, latencies: list[float]) -> str:
    ms = [value * 1000 for value in latencies]
    return (
        f"{label}: {len(ms)} probes, p50 {statistics.median(ms):.1f} ms, "
        f"p99 {percentile(ms, 0.99):.1f} ms, max {max(ms):.1f} ms"
    )


async def main(code: Path, seconds: float, clients: int) -> None:
    body = json.dumps({"graph": big_graph()}).encode()
    print(f"graph: {len(body) / 1e6:.1f} MB; API code: {code}")
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=str(BIN / "temporal"), dev_server_log_level="error"
    )
    try:
        with tempfile.TemporaryDirectory() as tmp, fresh_database("sqlite", Path(tmp)) as url:
            target = env.client.service_client.config.target_host
            settings = Settings(environment="test", database_url=url, temporal_address=target)
            _, key = await new_organization(settings, "Bench")
            port = free_port()
            environment = {
                **os.environ,
                "PYTHONPATH": str(code),
                "ENVIRONMENT": "test",
                "DATABASE_URL": url,
                "TEMPORAL_ADDRESS": target,
                "LOG_LEVEL": "WARNING",
            }
            server = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "uvicorn", "api:app", "--port", str(port),
                "--log-level", "warning", cwd=code, env=environment,
            )  # fmt: skip
            try:
                async with httpx.AsyncClient(
                    base_url=f"http://127.0.0.1:{port}",
                    headers={"Authorization": f"Bearer {key}"},
                ) as client:
                    await _wait_until_up(client)
                    print(_summary("idle", await _healthz(client, 5)))
                    stop = asyncio.Event()
                    senders = [
                        asyncio.create_task(_sender(client, body, stop)) for _ in range(clients)
                    ]
                    await asyncio.sleep(2)  # the first graphs are on their way
                    loaded = await _healthz(client, seconds)
                    stop.set()
                    statuses = [
                        status for sent in await asyncio.gather(*senders) for status in sent
                    ]
                    print(_summary(f"{clients} clients sending 9 MB graphs", loaded))
                    print(f"graphs answered: {len(statuses)}, statuses {Counter(statuses)}")
            finally:
                server.terminate()
                await server.wait()
    finally:
        await env.shutdown()


async def _wait_until_up(client: httpx.AsyncClient) -> None:
    for _ in range(1200):
        try:
            if (await client.get("/healthz")).status_code == 200:
                return
        except httpx.TransportError:
            pass
        await asyncio.sleep(0.1)
    raise RuntimeError("the API did not start")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--code", type=Path, default=PROJECT_ROOT)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--clients", type=int, default=4)
    arguments = parser.parse_args()
    asyncio.run(main(arguments.code.resolve(), arguments.seconds, arguments.clients))
