"""`make run`: the whole engine on one machine — Temporal, the worker and the API.

Children run in their own process groups so that Ctrl-C reaches only this launcher,
which then stops them in order: API, worker (drains), Temporal.
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
from pathlib import Path

import httpx
from pydantic import ValidationError

from app import sandbox
from app.bootstrap import ensure_first_organization
from app.db.migrate import upgrade
from app.settings import PROJECT_ROOT, Settings, get_settings
from temporal import dev_server
from temporal.client import connect

STOP_TIMEOUT_SECONDS = 40.0
TEMPORAL_START_SECONDS = 60.0


class LaunchError(Exception):
    """Something stops the engine from starting; the message is one line for a person."""


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


def _spawn(
    args: list[str], log_file: Path, env: dict[str, str] | None = None
) -> subprocess.Popen[bytes]:
    log = log_file.open("ab")
    return subprocess.Popen(  # noqa: S603 (our own entry points)
        args,
        cwd=PROJECT_ROOT,
        env={**os.environ, **env} if env else None,
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
    )


async def _wait_for_temporal(target: str, namespace: str) -> None:
    try:
        async with asyncio.timeout(TEMPORAL_START_SECONDS):
            while True:
                try:
                    await connect(target, namespace)
                    return
                except RuntimeError:
                    await asyncio.sleep(0.3)
    except TimeoutError:
        raise LaunchError(
            f"Temporal did not answer at {target} within {TEMPORAL_START_SECONDS:.0f} s"
        ) from None


def _wait_for_api(url: str, processes: dict[str, subprocess.Popen[bytes]], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for name, process in processes.items():
            if process.poll() is not None:
                raise LaunchError(
                    f"the {name} exited with code {process.returncode}: see var/{name}.log"
                )
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(url, timeout=2).status_code == 200:
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
    logs = settings.data_dir
    check_ports(settings)
    started = time.monotonic()
    upgrade(settings.resolved_database_url)
    first_key = asyncio.run(ensure_first_organization(settings))
    processes: dict[str, subprocess.Popen[bytes]] = {}
    interrupted = False

    def _interrupt(_signum: int, _frame: object) -> None:
        nonlocal interrupted
        interrupted = True
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, _interrupt)
    try:
        if not settings.temporal_address:
            processes["temporal"] = dev_server.start(
                dev_server.DevServerConfig(
                    db_file=settings.data_dir / "temporal.db",
                    port=settings.temporal_port,
                    ui_port=settings.temporal_ui_port,
                    namespace=settings.temporal_namespace,
                ),
                logs / "temporal.log",
            )
        engine_env: dict[str, str] = {}
        if settings.sandbox:
            processes["emulator"] = sandbox.start_emulator(settings, logs / "emulator.log")
            prepared = asyncio.run(sandbox.prepare(settings))
            engine_env = prepared.environment
        asyncio.run(_wait_for_temporal(settings.temporal_target, settings.temporal_namespace))
        processes["worker"] = _spawn([sys.executable, "worker.py"], logs / "worker.log", engine_env)
        processes["api"] = _spawn(
            [
                sys.executable, "-m", "uvicorn", "api:app",
                "--host", settings.api_host, "--port", str(settings.api_port),
                "--no-access-log",
            ],
            logs / "api.log",
            engine_env,
        )  # fmt: skip
        api_url = f"http://{settings.api_host}:{settings.api_port}"
        _wait_for_api(f"{api_url}/healthz", processes, 60)
        _print_ready(settings, api_url, time.monotonic() - started, first_key)
        if settings.sandbox:
            _print_sandbox(prepared)
        while True:
            for name, process in processes.items():
                if process.poll() is not None:
                    raise LaunchError(
                        f"the {name} exited with code {process.returncode}: see var/{name}.log"
                    )
            time.sleep(0.5)
    except KeyboardInterrupt:
        print("\nstopping: api, worker, temporal ...", flush=True)
        return 0
    except sandbox.SandboxError as error:
        raise LaunchError(f"sandbox: {error} (see var/emulator.log)") from None
    finally:
        stop_all(processes)
        if interrupted or processes:
            print("stopped.", flush=True)


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
