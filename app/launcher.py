"""`make run`: the whole engine on one machine — Temporal, the worker and the API.

Children run in their own process groups so that Ctrl-C reaches only this launcher,
which then stops them in order: API, worker (drains), Temporal. Once everything is up, a
child that exits is started again (`app.supervision`); only Ctrl-C, or a child that keeps
crashing, stops everything.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import httpx
from pydantic import ValidationError
from temporalio.client import Client

from app import sandbox_mode as sandbox
from app.db.migrate import upgrade
from app.errors import LaunchError, SetupRefusedError
from app.services.first_organization import ensure_first_organization
from app.settings import PROJECT_ROOT, Settings, get_settings
from app.supervision import Child, Supervisor
from temporal import dev_server
from temporal.client import TemporalConnection, connect
from temporal.setup import set_up

STOP_TIMEOUT_SECONDS = 40.0
TEMPORAL_START_SECONDS = 60.0


def port_is_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def check_ports(settings: Settings) -> None:
    wanted = [("API_PORT", settings.api_host, settings.api_port)]
    if settings.sandbox:
        wanted.append(("SANDBOX_PORT", "127.0.0.1", settings.sandbox_port))
    if not settings.temporal_address:
        wanted += [
            ("TEMPORAL_PORT", "127.0.0.1", settings.temporal_port),
            ("TEMPORAL_UI_PORT", "127.0.0.1", settings.temporal_ui_port),
        ]
    for name, host, port in wanted:
        if not port_is_free(host, port):
            raise LaunchError(f"port {port} on {host} is already in use: set {name} to a free port")


def _spawn(args: list[str], log_file: Path) -> subprocess.Popen[bytes]:
    log = log_file.open("ab")
    return subprocess.Popen(  # noqa: S603 (our own entry points)
        args,
        cwd=PROJECT_ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
    )


async def _wait_for_temporal(connection: TemporalConnection) -> Client:
    try:
        async with asyncio.timeout(TEMPORAL_START_SECONDS):
            while True:
                try:
                    return await connect(connection)
                except RuntimeError:
                    await asyncio.sleep(0.3)
    except TimeoutError:
        raise LaunchError(
            f"Temporal did not answer at {connection.target} within {TEMPORAL_START_SECONDS:.0f} s"
        ) from None


async def _set_up_existing_temporal(settings: Settings) -> None:
    """A server of your own gets what the embedded one is started with: the namespace and our
    search attributes (`python -m app.cli temporal-setup`, which a deployment runs once)."""
    client = await _wait_for_temporal(TemporalConnection.from_settings(settings))
    try:
        await set_up(client, timedelta(days=settings.temporal_namespace_retention_days))
    except SetupRefusedError as refused:
        print(f"warning: {refused}", flush=True)


def _wait_for_api(url: str, processes: dict[str, subprocess.Popen[bytes]], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    # One client for every probe: `httpx.get` makes a client, and loads the CA bundle into a
    # TLS context, each time (0.05-0.15 s of CPU), which cost more than the probes.
    with httpx.Client(timeout=2) as client:
        while time.monotonic() < deadline:
            for name, process in processes.items():
                if process.poll() is not None:
                    raise LaunchError(
                        f"the {name} exited with code {process.returncode}: see var/{name}.log"
                    )
            with contextlib.suppress(httpx.HTTPError):
                if client.get(url).status_code == 200:
                    return
            time.sleep(0.3)
    raise LaunchError(f"the API did not become healthy at {url} within {timeout:.0f} s")


def stop_all(processes: dict[str, subprocess.Popen[bytes]]) -> None:
    """Stop children in reverse start order, each given time to finish its work."""
    for name, process in reversed(processes.items()):
        if process.poll() is not None:
            continue
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=STOP_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            print(f"  {name} did not stop in {STOP_TIMEOUT_SECONDS:.0f} s: killing it", flush=True)
            process.kill()
            process.wait()


def launch(settings: Settings) -> int:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    check_ports(settings)
    started = time.monotonic()
    upgrade(settings.resolved_database_url)
    first_key = asyncio.run(ensure_first_organization(settings))
    supervisor = Supervisor(say=lambda line: print(line, flush=True))
    interrupted = False

    def _interrupt(_signum: int, _frame: object) -> None:
        nonlocal interrupted
        interrupted = True
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, _interrupt)
    try:
        if settings.temporal_address:
            asyncio.run(_set_up_existing_temporal(settings))
        prepared: list[sandbox.Sandbox] = []
        for child in _children(settings, prepared):
            supervisor.start(child)
        api_url = f"http://{settings.api_host}:{settings.api_port}"
        _wait_for_api(f"{api_url}/healthz", supervisor.processes(), 60)
        _print_ready(settings, api_url, time.monotonic() - started, first_key)
        if prepared:
            _print_sandbox(prepared[-1])
        while True:
            supervisor.check()
            time.sleep(0.5)
    except KeyboardInterrupt:
        print("\nstopping: api, worker, temporal ...", flush=True)
        return 0
    finally:
        stop_all(supervisor.processes())
        if interrupted or supervisor.children:
            print("stopped.", flush=True)


def dev_server_config(settings: Settings) -> dev_server.DevServerConfig:
    """How `make run` starts the embedded Temporal server."""
    return dev_server.DevServerConfig(
        db_file=settings.data_dir / "temporal.db",
        port=settings.temporal_port,
        ui_port=settings.temporal_ui_port,
        namespace=settings.temporal_namespace,
        sqlite_pragmas=settings.temporal_sqlite_pragma_list,
    )


def _children(settings: Settings, prepared: list[sandbox.Sandbox]) -> list[Child]:
    """What `make run` starts, in order: Temporal (unless one is configured), the emulator in
    sandbox mode (each start of it appends the sandbox it prepared to `prepared`), the
    worker, the API."""
    logs = settings.data_dir
    children: list[Child] = []
    if not settings.temporal_address:
        config = dev_server_config(settings)

        def temporal_answers() -> None:
            asyncio.run(_wait_for_temporal(TemporalConnection.from_settings(settings)))

        children.append(
            Child("temporal", lambda: dev_server.start(config, logs / "temporal.log"),
                  ready=temporal_answers)
        )  # fmt: skip
    if settings.sandbox:

        def sandbox_prepared() -> None:
            # A new emulator knows nothing: register the client and the accounts (again).
            prepared.append(asyncio.run(sandbox.prepare(settings)))

        children.append(
            Child("emulator", lambda: sandbox.start_emulator(settings, logs / "emulator.log"),
                  ready=sandbox_prepared)
        )  # fmt: skip
    worker_command = [sys.executable, "worker.py"]
    api_command = [
        sys.executable, "-m", "uvicorn", "api:app",
        "--host", settings.api_host, "--port", str(settings.api_port), "--no-access-log",
    ]  # fmt: skip
    children.append(Child("worker", lambda: _spawn(worker_command, logs / "worker.log")))
    children.append(Child("api", lambda: _spawn(api_command, logs / "api.log")))
    return children


def _print_ready(settings: Settings, api_url: str, seconds: float, first_key: str | None) -> None:
    temporal = settings.temporal_target
    ui = (
        f"http://127.0.0.1:{settings.temporal_ui_port}"
        if not settings.temporal_address
        else "(your server's UI)"
    )
    lines = [
        f"Flowhold is ready in {seconds:.1f} s",
        f"  Builder      {api_url}/ui     (sign in with an API key)",
        f"  API          {api_url}        (docs: {api_url}/docs)",
        f"  Temporal     {temporal}      (UI: {ui})",
        f"  Worker       task queue '{settings.temporal_task_queue}'",
        f"  Data         {settings.data_dir}   (logs: *.log)",
    ]
    if first_key:
        lines += [
            "",
            "Created the first organization. Its API key (shown once, keep it):",
            f"  {first_key}",
            f"  curl -H 'Authorization: Bearer {first_key}' {api_url}/workflows/...",
        ]
    else:
        lines += ["", "New API key for your organization: make key"]
    lines += ["", "Ctrl-C stops everything."]
    print("\n".join(lines), flush=True)


def _print_sandbox(prepared: sandbox.Sandbox) -> None:
    lines = [
        "",
        f"Sandbox: X and Instagram are the emulator at {prepared.url} (nothing is posted for real)",
        f"  record of what workflows did: {prepared.url}/_emulator/record",
    ]
    lines += [
        f"  {platform:<10} {name:<28} account_id {id_}" for platform, name, id_ in prepared.accounts
    ]
    print("\n".join(lines), flush=True)


def main() -> None:
    # A shell starts a background job (`make run &` in a script, a CI step) with SIGINT
    # ignored, and Python keeps it so: Ctrl-C, or `kill -INT`, then did nothing, and only a
    # kill was left, which stops the launcher without its Temporal, worker and API.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        settings = get_settings()
    except ValidationError as error:
        problem = error.errors()[0]
        print(
            f"make run: setting {problem['loc'][0] if problem['loc'] else ''}: {problem['msg']}",
            file=sys.stderr,
        )
        sys.exit(1)
    try:
        sys.exit(launch(settings))
    except LaunchError as error:
        print(f"make run: {error}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    main()
