"""Platform plug-ins installed as packages (tests/plugins), found through their
`flowhold.platforms` entry points: the API (`uvicorn api:app`) and the worker (`python
worker.py`) run as processes with the packages on their path, as an installation would; the
plug-in's node type is in GET /node-types, validated, and runs; broken plug-ins are reported
by both processes and left out, and everything else works."""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Request
from temporalio.testing import WorkflowEnvironment

from app.settings import Settings
from tests.utils.databases import fresh_database
from tests.utils.factories import new_organization
from tests.utils.servers import serve

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ROOT / "tests" / "plugins"
PROBLEMS = (
    "platform plug-in 'duplicate' (flowhold_broken_platforms.duplicate:PLATFORM) is not "
    "loaded: node type 'http.request' is already defined by built-in platform 'http'",
    "platform plug-in 'missing' (flowhold_broken_platforms.missing:PLATFORM) is not loaded: "
    "importing it failed: ModuleNotFoundError: No module named 'flowhold_no_such_dependency'",
    "platform plug-in 'stranger' (flowhold_broken_platforms.duplicate:NOT_A_PLATFORM) is not "
    "loaded: it is a str, not an activities.platform.Platform",
)


@pytest.fixture(scope="module")
def plugin_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Both plug-in packages installed, as pip installs them, into a directory of their own;
    built from copies, as setuptools leaves its build directories in the source tree."""
    sources = tmp_path_factory.mktemp("sources")
    for name in ("chat_notifier", "broken_platforms"):
        shutil.copytree(PACKAGES / name, sources / name)
    site = tmp_path_factory.mktemp("site")
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(site),
         str(sources / "chat_notifier"), str(sources / "broken_platforms")],
        check=True, timeout=600,
    )  # fmt: skip
    return site


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass
class Installation:
    url: str
    key: str
    logs: Path
    chat: list[dict[str, Any]]

    def client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            base_url=self.url, headers={"Authorization": f"Bearer {self.key}"}, timeout=30
        )

    def log(self, name: str) -> str:
        return (self.logs / f"{name}.log").read_text()


@pytest.fixture(scope="module")
def database_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    data = tmp_path_factory.mktemp("data")
    with fresh_database("sqlite", data) as url:
        yield url, data


@pytest.fixture(scope="module")
async def installation(
    plugin_site: Path, database_dir: tuple[str, Path], temporal_env: WorkflowEnvironment
) -> AsyncIterator[Installation]:
    database_url, data = database_dir
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("TEMPORAL_", "DATABASE_"))},
        "PYTHONPATH": str(plugin_site),
        "ENVIRONMENT": "test",
        "DATA_DIR": str(data),
        "DATABASE_URL": database_url,
        "TEMPORAL_ADDRESS": temporal_env.client.service_client.config.target_host,
        "TEMPORAL_TASK_QUEUE": f"plugins-{os.getpid()}",
        # The chat webhook below listens on loopback.
        "HTTP_ALLOW_PRIVATE_NETWORKS": "true",
        "WORKER_SHUTDOWN_GRACE_SECONDS": "1",
    }
    settings = Settings(environment="test", database_url=database_url, data_dir=data)
    _, key = await new_organization(settings, "Plug-ins")
    chat: list[dict[str, Any]] = []
    app = FastAPI()

    @app.post("/hooks/ops")
    async def receive(request: Request) -> dict[str, bool]:
        chat.append({"body": await request.json(), "key": request.headers["idempotency-key"]})
        return {"ok": True}

    port = _free_port()
    logs = data / "logs"
    logs.mkdir()
    processes = []
    async with serve(app) as chat_url:
        for name, command in (
            ("worker", [sys.executable, "worker.py"]),
            ("api", [sys.executable, "-m", "uvicorn", "api:app", "--port", str(port)]),
        ):
            with (logs / f"{name}.log").open("wb") as log:
                processes.append(
                    await asyncio.create_subprocess_exec(
                        *command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
                    )
                )
        url = f"http://127.0.0.1:{port}"
        try:
            async with httpx.AsyncClient(base_url=url) as probe, asyncio.timeout(120):
                while True:
                    try:
                        if (await probe.get("/healthz")).status_code == 200:
                            break
                    except httpx.TransportError:
                        pass
                    await asyncio.sleep(0.2)
            installation = Installation(url, key, logs, chat)
            installation.chat_url = chat_url  # type: ignore[attr-defined]
            yield installation
        finally:
            for process in processes:
                process.terminate()
            for process in processes:
                await process.wait()


async def test_the_plugins_node_type_is_in_the_catalog_validated_and_runs(
    installation: Installation,
) -> None:
    chat_url: str = installation.chat_url  # type: ignore[attr-defined]
    async with installation.client() as client:
        types = {t["type"]: t for t in (await client.get("/node-types")).json()["data"]}
        notify = types["chat.notify"]
        assert notify["category"] == "chat"
        assert notify["parameters_schema"]["required"] == ["webhook_url", "text"]
        assert "chat" in [c["id"] for c in (await client.get("/node-types")).json()["categories"]]
        assert types["http.request"]["category"] == "http"  # not the copycat's

        def graph(text: str) -> dict[str, Any]:
            return {
                "nodes": [
                    {"id": "start", "type": "trigger.manual"},
                    {"id": "tell", "type": "chat.notify", "parameters": {
                        "webhook_url": f"{chat_url}/hooks/ops", "channel": "#ops", "text": text,
                    }},
                ],
                "edges": [{"source": "start", "target": "tell"}],
            }  # fmt: skip

        refused = await client.post("/workflows", json={"name": "bad", "graph": graph("")})
        assert refused.status_code == 422
        [detail] = refused.json()["error"]["details"]
        assert detail["node_id"] == "tell"
        assert detail["path"][-1] == "text"

        created = await client.post(
            "/workflows", json={"name": "tell ops", "graph": graph("Hello {{ trigger.name }}")}
        )
        assert created.status_code == 201, created.text
        workflow_id = created.json()["id"]
        run = await client.post(f"/workflows/{workflow_id}/runs", json={"input": {"name": "Ada"}})
        assert run.status_code == 201, run.text
        run_id = run.json()["id"]
        async with asyncio.timeout(60):
            while True:
                state = (await client.get(f"/runs/{run_id}")).json()
                if state["status"] != "running":
                    break
                await asyncio.sleep(0.2)
    assert state["status"] == "succeeded", state
    assert state["nodes"]["tell"]["output"] == {"posted": True, "status": 200}
    [message] = installation.chat
    assert message["body"] == {"text": "Hello Ada", "channel": "#ops"}


@pytest.mark.parametrize("process", ["api", "worker"])
async def test_broken_plugins_are_reported_and_left_out(
    installation: Installation, process: str
) -> None:
    async with asyncio.timeout(30):
        while True:
            log = installation.log(process)
            if "'stranger'" in log:
                break
            await asyncio.sleep(0.2)
    for problem in PROBLEMS:
        assert problem in log
    assert "Traceback" not in log
