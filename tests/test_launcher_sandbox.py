"""`SANDBOX=true make run`: the emulator starts with the engine, X and Instagram point at it,
the first organization has sandbox accounts, and a workflow runs end to end on them."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.test_launcher import (
    ROOT,
    Launched,
    kill_with_everything_it_started,
    launcher_env,
    port_answers,
)
from tests.utils.servers import free_port


@pytest.fixture
def sandbox(tmp_path: Path) -> Iterator[tuple[Launched, dict[str, int]]]:
    ports = {
        "api_port": free_port(), "temporal_port": free_port(), "temporal_ui_port": free_port(),
        "sandbox_port": free_port(),
    }  # fmt: skip
    env = launcher_env(tmp_path / "var", **ports) | {"SANDBOX": "true"}
    process = subprocess.Popen(
        [sys.executable, "-m", "app.launcher"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        start_new_session=True,  # its own process group, as in a terminal
    )  # fmt: skip
    yield Launched(process), ports
    kill_with_everything_it_started(process)


def wait_for_run(api: str, headers: dict[str, str], run_id: str) -> dict[str, object]:
    deadline = time.monotonic() + 60
    # One client for the polling: each `httpx.get` loads the CA bundle anew (~0.1 CPU-s).
    with httpx.Client(headers=headers) as client:
        while time.monotonic() < deadline:
            state: dict[str, object] = client.get(f"{api}/runs/{run_id}").json()
            if state["status"] != "running":
                return state
            time.sleep(0.2)
    raise AssertionError(f"run {run_id} did not end")


def test_a_sandbox_run_posts_to_the_emulator_and_everything_stops(
    sandbox: tuple[Launched, dict[str, int]],
) -> None:
    launched, ports = sandbox
    launched.wait_for(r"ready in")
    key = launched.wait_for(r"^\s+(fh_\S+)$").group(1)
    x_account = launched.wait_for(r"^\s+x\s.*account_id (acc_\S+)").group(1)
    instagram_account = launched.wait_for(r"^\s+instagram\s.*account_id (acc_\S+)").group(1)
    api, emulator = (
        f"http://127.0.0.1:{ports['api_port']}",
        f"http://127.0.0.1:{ports['sandbox_port']}",
    )
    headers = {"Authorization": f"Bearer {key}"}

    graph = {
        "nodes": [
            {"id": "start", "type": "trigger.manual"},
            {"id": "post", "type": "x.post", "account_id": x_account,
             "parameters": {"text": "Hello from the sandbox"}},
            {"id": "photo", "type": "instagram.publish", "account_id": instagram_account,
             "parameters": {"kind": "image", "image_url": "https://cdn.example.com/a.jpg",
                            "caption": "posted {{ nodes.post.id }}", "poll_interval": "PT1S"}},
        ],
        "edges": [{"source": "start", "target": "post"}, {"source": "post", "target": "photo"}],
    }  # fmt: skip
    workflow = httpx.post(
        f"{api}/workflows", json={"name": "try it", "graph": graph}, headers=headers
    ).json()
    run = httpx.post(f"{api}/workflows/{workflow['id']}/runs", json={}, headers=headers).json()
    state = wait_for_run(api, headers, run["id"])
    assert state["status"] == "succeeded", state

    posts = httpx.get(f"{emulator}/_emulator/x/users/flowhold/posts").json()
    assert [post["text"] for post in posts["posts"]] == ["Hello from the sandbox"]
    record = httpx.get(f"{emulator}/_emulator/record").json()
    assert [e["kind"] for e in record["effects"]].count("instagram.media.published") == 1

    # Connecting an X account goes through the emulator's consent page and back to the API.
    with httpx.Client(headers=headers) as browser:  # one browser: it keeps the cookie
        started = browser.post(f"{api}/accounts/x/authorize").json()
        approved = browser.get(started["authorize_url"], follow_redirects=True)
    assert approved.status_code == 200, approved.text
    assert approved.json()["platform"] == "x"

    assert launched.interrupt() == 0
    assert not any(port_answers(port) for port in ports.values())
