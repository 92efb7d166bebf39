"""`make run`: Temporal, worker and API start; Ctrl-C stops all three; state survives."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.api.test_walking_skeleton import GREETING_GRAPH
from tests.utils.servers import free_port

ROOT = Path(__file__).resolve().parent.parent


def launcher_env(data_dir: Path, **ports: int) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("TEMPORAL_", "API_", "DATABASE_URL"))
    }
    env.update(DATA_DIR=str(data_dir), ENVIRONMENT="development", PYTHONUNBUFFERED="1")
    env.update({name.upper(): str(port) for name, port in ports.items()})
    return env


@pytest.fixture
def ports() -> dict[str, int]:
    return {"api_port": free_port(), "temporal_port": free_port(), "temporal_ui_port": free_port()}


class Launched:
    def __init__(self, process: subprocess.Popen[str]) -> None:
        self.process = process
        self.lines: list[str] = []

    def wait_for(self, pattern: str, timeout: float = 90) -> re.Match[str]:
        deadline = time.monotonic() + timeout
        assert self.process.stdout is not None
        while time.monotonic() < deadline:
            line = self.process.stdout.readline()
            if not line:
                raise AssertionError(f"launcher exited early: {''.join(self.lines)}")
            self.lines.append(line)
            if match := re.search(pattern, line):
                return match
        raise AssertionError(f"no line matching {pattern!r}: {''.join(self.lines)}")

    def interrupt(self, timeout: float = 60) -> int:
        """Ctrl-C as a terminal sends it: SIGINT to the whole foreground process group."""
        os.killpg(self.process.pid, signal.SIGINT)
        try:
            code = self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            kill_with_everything_it_started(self.process)
            raise
        assert self.process.stdout is not None
        self.lines.extend(self.process.stdout.readlines())
        return code


@pytest.fixture
def launch(tmp_path: Path, ports: dict[str, int]) -> Iterator[type[Launched]]:
    started: list[subprocess.Popen[str]] = []

    def start() -> Launched:
        process = subprocess.Popen(
            [sys.executable, "-m", "app.launcher"],
            cwd=ROOT,
            env=launcher_env(tmp_path / "var", **ports),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,  # its own process group, as in a terminal
        )
        started.append(process)
        return Launched(process)

    yield start  # type: ignore[misc]
    for process in started:
        kill_with_everything_it_started(process)


def descendants(pid: int) -> list[int]:
    """Every live process below `pid`."""
    found: list[int] = []
    with contextlib.suppress(FileNotFoundError):
        for task in os.listdir(f"/proc/{pid}/task"):
            with contextlib.suppress(FileNotFoundError):
                for child in Path(f"/proc/{pid}/task/{task}/children").read_text().split():
                    found += [int(child), *descendants(int(child))]
    return found


def kill_with_everything_it_started(process: subprocess.Popen[str]) -> None:
    """End a launcher a test leaves running (it failed, or Ctrl-C took too long), and its
    Temporal server, worker, API and emulator: they run in sessions of their own, so killing
    the launcher alone left them running, and polling, to the end of the suite and after."""
    if process.poll() is None:
        for pid in [process.pid, *descendants(process.pid)]:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
    process.wait()


def children_sharing_the_session(pid: int) -> list[int]:
    """Children of `pid` a terminal's Ctrl-C would reach along with it."""
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return [int(child) for child in children if os.getsid(int(child)) == os.getsid(pid)]


def port_answers(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


def test_a_busy_port_gets_one_line_not_a_traceback(tmp_path: Path, ports: dict[str, int]) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", ports["api_port"]))
        busy.listen()
        result = subprocess.run(
            [sys.executable, "-m", "app.launcher"],
            cwd=ROOT,
            env=launcher_env(tmp_path, **ports),
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        f"make run: port {ports['api_port']} on 127.0.0.1 is already in use: "
        "set API_PORT to a free port"
    ]


def test_production_with_default_secrets_refuses_to_start(tmp_path: Path) -> None:
    env = launcher_env(tmp_path) | {"ENVIRONMENT": "production"}
    result = subprocess.run(
        [sys.executable, "-m", "app.launcher"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 1
    assert "SECRET_KEY" in result.stderr
    assert "Traceback" not in result.stderr


def test_run_serves_everything_stops_cleanly_and_resumes_with_its_data(
    launch: type[Launched], ports: dict[str, int]
) -> None:
    first = launch()  # type: ignore[call-arg]
    first.wait_for(r"ready in")
    # Only the launcher takes Ctrl-C: it stops Temporal last, after the worker and the API.
    assert children_sharing_the_session(first.process.pid) == []
    key = first.wait_for(r"^\s+(fh_\S+)$").group(1)
    api = f"http://127.0.0.1:{ports['api_port']}"
    headers = {"Authorization": f"Bearer {key}"}
    assert httpx.get(f"{api}/healthz").status_code == 200
    assert httpx.get(f"http://127.0.0.1:{ports['temporal_ui_port']}/").status_code == 200
    workflow = httpx.post(
        f"{api}/workflows", json={"name": "greet", "graph": GREETING_GRAPH}, headers=headers
    ).json()
    run = httpx.post(
        f"{api}/workflows/{workflow['id']}/runs", json={"input": {"name": "Ada"}}, headers=headers
    ).json()

    assert first.interrupt() == 0
    assert "stopped." in first.lines[-1]
    assert not any("exited with code" in line for line in first.lines), first.lines
    assert not any(port_answers(port) for port in ports.values())

    second = launch()  # type: ignore[call-arg]
    second.wait_for(r"ready in")
    # One client for the polling: each `httpx.get` loads the CA bundle anew (~0.1 CPU-s).
    with httpx.Client(base_url=api, headers=headers) as client:
        assert client.get(f"/workflows/{workflow['id']}").status_code == 200
        deadline = time.monotonic() + 30
        while (state := client.get(f"/runs/{run['id']}").json())[
            "status"
        ] == "running" and time.monotonic() < deadline:
            time.sleep(0.2)
    assert state["status"] == "succeeded"
    assert state["output"] == {"greet": {"greeting": "Hello Ada"}}
    assert second.interrupt() == 0
