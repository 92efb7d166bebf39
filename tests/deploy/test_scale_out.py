"""Scale-out as the compose file runs it, here as processes: two `python worker.py` and two
API processes (uvicorn) on one Temporal server and one PostgreSQL database. Runs spread over
both workers; a worker killed mid-run has its runs finished by the other with one effect per
action; a webhook delivery sent through both APIs starts one run; a schedule activated through
both APIs fires once per time."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import os
import signal
import sys
import uuid
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, ExitStack, asynccontextmanager
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Request
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from app.settings import Settings
from tests.utils.api import eventually, manual_then
from tests.utils.databases import backends, fresh_database
from tests.utils.factories import new_organization
from tests.utils.servers import free_port, http_client, serve

ROOT = Path(__file__).resolve().parent.parent.parent


@dataclass
class Target:
    """A platform that makes one effect per `Idempotency-Key`, as Stripe-like APIs do; requests
    to `/hold` are taken (the effect made) and answered only when `release` is set."""

    url: str = ""
    effects: dict[str, int] = field(default_factory=dict)
    held: int = 0
    release: asyncio.Event = field(default_factory=asyncio.Event)


@dataclass
class Stack:
    temporal: Client
    apis: list[str]
    workers: list[asyncio.subprocess.Process]
    key: str
    target: Target
    task_queue: str
    start_worker: Any


@asynccontextmanager
async def _target() -> AsyncIterator[Target]:
    target = Target()
    app = FastAPI()

    @app.post("/{path:path}")
    async def effect(path: str, request: Request) -> dict[str, Any]:
        key = request.headers["Idempotency-Key"]
        if key not in target.effects:
            target.effects[key] = len(target.effects) + 1
            if path == "hold":
                target.held += 1
                await target.release.wait()
        return {"effect": target.effects[key]}

    async with serve(app) as url:
        target.url = url
        yield target
        target.release.set()


async def _process(*command: str, env: dict[str, str]) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable, *command, cwd=ROOT, env=env,
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip


async def _stop(process: asyncio.subprocess.Process) -> None:
    if process.returncode is None:
        process.send_signal(signal.SIGKILL)
        await process.wait()


@pytest.fixture(scope="module")
async def stack(
    temporal_env: WorkflowEnvironment, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Stack]:
    kind = "postgresql" if "postgresql" in backends() else "sqlite"
    tmp = tmp_path_factory.mktemp("scale-out")
    task_queue = f"scale-{uuid.uuid4().hex[:8]}"
    with ExitStack() as databases:
        database_url = databases.enter_context(fresh_database(kind, tmp))
        async with AsyncExitStack() as stack:
            target = await stack.enter_async_context(_target())
            environment = {
                **{k: v for k, v in os.environ.items() if not k.startswith("TEMPORAL_")},
                "ENVIRONMENT": "test",
                "DATA_DIR": str(tmp),
                "DATABASE_URL": database_url,
                "TEMPORAL_ADDRESS": temporal_env.client.service_client.config.target_host,
                "TEMPORAL_TASK_QUEUE": task_queue,
                "HTTP_ALLOW_PRIVATE_NETWORKS": "true",
                "WORKER_SHUTDOWN_GRACE_SECONDS": "1",
            }
            processes: list[asyncio.subprocess.Process] = []

            async def start_worker() -> asyncio.subprocess.Process:
                process = await _process("worker.py", env=environment)
                processes.append(process)
                return process

            workers = [await start_worker(), await start_worker()]
            apis = []
            for _ in range(2):
                port = free_port()
                processes.append(await _process(
                    "-m", "uvicorn", "api:app", "--host", "127.0.0.1", "--port", str(port),
                    "--no-access-log", env=environment,
                ))  # fmt: skip
                apis.append(f"http://127.0.0.1:{port}")
            try:
                async with http_client(timeout=5) as probe:
                    for api in apis:
                        await eventually(partial(_health, probe, api), bool, seconds=90)
                settings = Settings(_env_file=None, environment="test", database_url=database_url)
                _, key = await new_organization(settings, "Scale-out")
                await _until_both_workers_poll(temporal_env.client, task_queue)
                yield Stack(
                    temporal_env.client, apis, workers, key, target, task_queue, start_worker
                )
            finally:
                for process in processes:
                    await _stop(process)


async def _health(client: httpx.AsyncClient, api: str) -> bool:
    try:
        return (await client.get(f"{api}/healthz")).status_code == 200
    except httpx.HTTPError:
        return False


async def _until_both_workers_poll(client: Client, task_queue: str) -> None:
    from temporalio.api.enums.v1 import TaskQueueType
    from temporalio.api.taskqueue.v1 import TaskQueue
    from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest

    async def pollers() -> int:
        answer = await client.workflow_service.describe_task_queue(
            DescribeTaskQueueRequest(
                namespace=client.namespace,
                task_queue=TaskQueue(name=task_queue),
                task_queue_type=TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
            )
        )
        return len({poller.identity for poller in answer.pollers})

    await eventually(pollers, lambda count: count >= 2, seconds=90)


def _client(stack: Stack, api: int) -> httpx.AsyncClient:
    return http_client(
        base_url=stack.apis[api], headers={"Authorization": f"Bearer {stack.key}"}, timeout=60
    )


async def _workflow(client: httpx.AsyncClient, graph: dict[str, Any]) -> str:
    answer = await client.post("/workflows", json={"name": "scale-out", "graph": graph})
    assert answer.status_code == 201, answer.text
    workflow_id: str = answer.json()["id"]
    return workflow_id


def _call(url: str, path: str) -> dict[str, Any]:
    return {
        "id": "call",
        "type": "http.request",
        "parameters": {
            "method": "POST",
            "url": f"{url}/{path}",
            "body": {"type": "json", "json": {}},
        },
    }


async def _status(client: httpx.AsyncClient, run_id: str) -> str:
    status: str = (await client.get(f"/runs/{run_id}")).json()["status"]
    return status


def _ended(status: str) -> bool:
    return status != "running"


async def _running_on(client: Client, run_id: str) -> str:
    """The worker running the run's pending activity (a started attempt is written to the
    history only when it ends)."""
    description = await client.get_workflow_handle(run_id).describe()
    [pending] = description.raw_description.pending_activities
    return pending.last_worker_identity


async def _identities(client: Client, run_id: str) -> list[str]:
    """The workers that started the run's activities, in order."""
    found = []
    async for event in client.get_workflow_handle(run_id).fetch_history_events():
        if event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED:
            found.append(event.activity_task_started_event_attributes.identity)
    return found


async def test_runs_started_through_both_apis_spread_over_both_workers(stack: Stack) -> None:
    async with _client(stack, 0) as first, _client(stack, 1) as second:
        workflow_id = await _workflow(first, manual_then(_call(stack.target.url, "now")))
        answers = await asyncio.gather(*(
            (first if n % 2 else second).post(f"/workflows/{workflow_id}/runs", json={"input": {}})
            for n in range(16)
        ))  # fmt: skip
        run_ids = [answer.json()["id"] for answer in answers]
        for run_id in run_ids:
            await eventually(partial(_status, first, run_id), _ended, seconds=120)
            assert await _status(second, run_id) == "succeeded"
    workers = {
        identity for run_id in run_ids for identity in await _identities(stack.temporal, run_id)
    }
    pids = {str(process.pid) for process in stack.workers}
    assert {identity.split("@")[0] for identity in workers} == pids, workers


async def test_a_worker_killed_mid_run_leaves_one_effect_per_action(stack: Stack) -> None:
    target = stack.target
    target.release.clear()
    held_before, effects_before = target.held, len(target.effects)
    async with _client(stack, 0) as api:
        workflow_id = await _workflow(api, manual_then(_call(target.url, "hold")))
        run_ids = []
        for _ in range(6):
            answer = await api.post(f"/workflows/{workflow_id}/runs", json={"input": {}})
            run_ids.append(answer.json()["id"])

        async def held() -> int:
            return target.held - held_before

        await eventually(held, lambda count: count == 6, seconds=90)
        await asyncio.sleep(1.5)  # each attempt has beaten once: live attempts, then killed
        owners = {run_id: await _running_on(stack.temporal, run_id) for run_id in run_ids}
        killed = stack.workers[0]
        on_killed = [r for r, who in owners.items() if who.startswith(f"{killed.pid}@")]
        killed.send_signal(signal.SIGKILL)
        await killed.wait()
        target.release.set()
        for run_id in run_ids:
            await eventually(partial(_status, api, run_id), _ended, seconds=150)
            assert await _status(api, run_id) == "succeeded", run_id
    assert on_killed, f"no run was on the killed worker: {owners}"
    assert len(target.effects) - effects_before == 6, "an action took effect twice"
    survivor = str(stack.workers[1].pid)
    for run_id in on_killed:
        assert (await _identities(stack.temporal, run_id))[-1].startswith(f"{survivor}@")
    stack.workers[0] = await stack.start_worker()


def _signed(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


async def test_a_delivery_sent_through_both_apis_starts_one_run(stack: Stack) -> None:
    graph = {
        "nodes": [
            {"id": "hook", "type": "trigger.webhook"},
            {"id": "echo", "type": "transform", "parameters": {"value": "{{ trigger.body }}"}},
        ],
        "edges": [{"source": "hook", "target": "echo"}],
    }
    async with _client(stack, 0) as first, _client(stack, 1) as second:
        workflow_id = await _workflow(first, graph)
        secret = (await first.put(f"/workflows/{workflow_id}/webhooks/hook/secret", json={})).json()
        assert (await second.post(f"/workflows/{workflow_id}/activate")).status_code == 200
        body = json.dumps({"event": uuid.uuid4().hex}).encode()
        headers = {"X-Hub-Signature-256": _signed(secret["secret"], body)}
        path = "/hooks/" + secret["url"].rsplit("/hooks/", 1)[1]
        async with http_client(timeout=60) as sender:
            answers = await asyncio.gather(*(
                sender.post(f"{stack.apis[n % 2]}{path}", content=body, headers=headers)
                for n in range(6)
            ))  # fmt: skip
        assert all(answer.status_code in (200, 202) for answer in answers), [
            a.text for a in answers
        ]
        assert len({answer.json()["run_id"] for answer in answers}) == 1
        runs = (await second.get("/runs", params={"workflow_id": workflow_id})).json()["data"]
        assert len(runs) == 1, runs


async def test_a_schedule_activated_through_both_apis_is_one_schedule(stack: Stack) -> None:
    """Activation through both APIs at once makes one Temporal Schedule, and a Temporal Schedule
    starts one run per time it fires (its run ids carry the time): no API process fires it."""
    graph = {
        "nodes": [
            {"id": "tick", "type": "trigger.schedule",
             "parameters": {"interval": {"every": "PT1M"}}},
            {"id": "note", "type": "transform", "parameters": {"value": "tick"}},
        ],
        "edges": [{"source": "tick", "target": "note"}],
    }  # fmt: skip
    async with _client(stack, 0) as first, _client(stack, 1) as second:
        workflow_id = await _workflow(first, graph)
        activations = await asyncio.gather(
            first.post(f"/workflows/{workflow_id}/activate"),
            second.post(f"/workflows/{workflow_id}/activate"),
        )
        assert all(a.status_code in (200, 409) for a in activations), [a.text for a in activations]
        listed = (await second.get(f"/workflows/{workflow_id}/schedules")).json()["data"]
        try:
            assert len(listed) == 1, listed

            async def made() -> list[str]:
                return [
                    entry.id
                    async for entry in await stack.temporal.list_schedules()
                    if workflow_id in entry.id
                ]

            ids = await eventually(made, bool, seconds=30)
            await asyncio.sleep(2)  # a second schedule made late would be listed by now
            assert await made() == [listed[0]["schedule_id"]], ids
        finally:
            await first.post(f"/workflows/{workflow_id}/deactivate")
