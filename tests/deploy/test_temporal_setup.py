"""`python -m app.cli temporal-setup`: what a namespace needs, made once per deployment, so
workers start without the operator API; and the worker's health check."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
import uuid
from datetime import timedelta
from pathlib import Path

from temporalio.api.workflowservice.v1 import DescribeNamespaceRequest
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from app.contract import search_attributes
from app.settings import PROJECT_ROOT
from temporal.setup import missing_search_attributes, set_up


def target(env: WorkflowEnvironment) -> str:
    return env.client.service_client.config.target_host


async def client_for(env: WorkflowEnvironment, namespace: str) -> Client:
    return await Client.connect(target(env), namespace=namespace)


def cli(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "app.cli", *args],
        cwd=PROJECT_ROOT,
        env={**os.environ, "ENVIRONMENT": "test", **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


async def test_set_up_registers_the_namespace_and_our_search_attributes_once(
    temporal_env: WorkflowEnvironment,
) -> None:
    namespace = f"setup-{uuid.uuid4().hex[:8]}"
    client = await client_for(temporal_env, namespace)

    first = await set_up(client, timedelta(days=3))
    again = await set_up(client, timedelta(days=3))

    assert first[0].startswith(f"registered namespace '{namespace}'")
    assert "added search attributes" in first[1]
    assert again == [f"namespace '{namespace}' was ready; nothing to do"]
    described = await client.workflow_service.describe_namespace(
        DescribeNamespaceRequest(namespace=namespace)
    )
    retention = described.config.workflow_execution_retention_ttl.ToTimedelta()
    assert retention == timedelta(days=3)
    assert await missing_search_attributes(client) == []


async def test_the_command_sets_up_a_namespace_as_the_container_runs_it(
    temporal_env: WorkflowEnvironment,
) -> None:
    namespace = f"cli-{uuid.uuid4().hex[:8]}"
    done = await asyncio.to_thread(
        cli,
        "temporal-setup",
        TEMPORAL_ADDRESS=target(temporal_env),
        TEMPORAL_NAMESPACE=namespace,
        TEMPORAL_NAMESPACE_RETENTION_DAYS="2",
    )

    assert done.returncode == 0, done.stderr
    assert f"registered namespace '{namespace}' (retention 2 days)" in done.stdout
    for key in search_attributes.ALL:
        assert key.name in done.stdout
    client = await client_for(temporal_env, namespace)
    assert await missing_search_attributes(client) == []


async def test_the_command_says_when_temporal_does_not_answer() -> None:
    done = await asyncio.to_thread(cli, "temporal-setup", TEMPORAL_ADDRESS="127.0.0.1:9")
    assert done.returncode == 1
    assert "127.0.0.1:9 did not answer" in done.stderr


async def test_the_worker_keeps_its_health_file_fresh_while_temporal_answers(
    temporal_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    health = tmp_path / "worker-alive"
    env = {
        **os.environ,
        "ENVIRONMENT": "test",
        "TEMPORAL_ADDRESS": target(temporal_env),
        "TEMPORAL_TASK_QUEUE": f"health-{uuid.uuid4().hex[:8]}",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'flowhold.db'}",
        "DATA_DIR": str(tmp_path),
        "WORKER_HEALTH_FILE": str(health),
    }
    assert (
        await asyncio.to_thread(cli, "worker-health", WORKER_HEALTH_FILE=str(health))
    ).returncode == 1
    worker = await asyncio.to_thread(
        subprocess.Popen, [sys.executable, "worker.py"], cwd=PROJECT_ROOT, env=env,
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while not health.exists():
            assert worker.poll() is None, worker.stderr.read().decode() if worker.stderr else ""
            assert time.monotonic() < deadline, "the worker never touched its health file"
            await asyncio.sleep(0.2)
        healthy = await asyncio.to_thread(cli, "worker-health", WORKER_HEALTH_FILE=str(health))
        assert healthy.returncode == 0, healthy.stderr
    finally:
        worker.terminate()
        worker.wait(timeout=60)

    stale = time.time() - 120
    os.utime(health, (stale, stale))
    unhealthy = await asyncio.to_thread(cli, "worker-health", WORKER_HEALTH_FILE=str(health))
    assert unhealthy.returncode == 1
    assert "last reached Temporal" in unhealthy.stderr
