"""`make run` outlives a crashed worker: it starts the worker again, says so, and runs go on."""

from __future__ import annotations

import contextlib
import os
import signal
import time
from pathlib import Path

import httpx

from tests.api.test_walking_skeleton import GREETING_GRAPH
from tests.test_launcher import Launched, launch, ports

__all__ = ["launch", "ports"]


def worker_of(launcher_pid: int, timeout: float = 30) -> int:
    """The launcher's live worker (an exited one, not reaped yet, has no command line)."""
    deadline = time.monotonic() + timeout
    while True:
        children = Path(f"/proc/{launcher_pid}/task/{launcher_pid}/children").read_text().split()
        for child in children:
            with contextlib.suppress(FileNotFoundError):
                if b"worker.py" in Path(f"/proc/{child}/cmdline").read_bytes():
                    return int(child)
        if time.monotonic() > deadline:
            raise AssertionError("the launcher has no live worker")
        time.sleep(0.1)


def test_a_killed_worker_is_started_again_and_runs_go_on(
    launch: type[Launched], ports: dict[str, int]
) -> None:
    launched = launch()  # type: ignore[call-arg]
    launched.wait_for(r"ready in")
    key = launched.wait_for(r"^\s+(fh_\S+)$").group(1)
    api = f"http://127.0.0.1:{ports['api_port']}"
    headers = {"Authorization": f"Bearer {key}"}
    first_worker = worker_of(launched.process.pid)

    os.kill(first_worker, signal.SIGKILL)
    launched.wait_for(r"the worker exited with code -9 \(see var/worker.log\): starting it again")
    launched.wait_for(r"the worker is running again")

    assert worker_of(launched.process.pid) != first_worker
    # A run's state is a query the new worker answers: allow it the API's own query time.
    with httpx.Client(base_url=api, headers=headers, timeout=30) as client:
        workflow = client.post("/workflows", json={"name": "greet", "graph": GREETING_GRAPH}).json()
        run = client.post(
            f"/workflows/{workflow['id']}/runs", json={"input": {"name": "Ada"}}
        ).json()
        deadline = time.monotonic() + 60
        while (state := client.get(f"/runs/{run['id']}").json())[
            "status"
        ] == "running" and time.monotonic() < deadline:
            time.sleep(0.2)
    assert state["output"] == {"greet": {"greeting": "Hello Ada"}}
    assert launched.interrupt() == 0
