"""`make run` with TEMPORAL_ADDRESS set: it uses that server and starts none of its own."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import httpx
from temporalio.testing import WorkflowEnvironment

from tests.test_launcher import ROOT, Launched, launcher_env
from tests.utils.servers import free_port


def test_an_existing_temporal_server_is_used_and_none_is_started(
    tmp_path: Path, temporal_env: WorkflowEnvironment
) -> None:
    target = temporal_env.client.service_client.config.target_host
    api_port, own_temporal_port = free_port(), free_port()
    env = launcher_env(tmp_path / "var", api_port=api_port, temporal_port=own_temporal_port)
    env["TEMPORAL_ADDRESS"] = target
    launched = Launched(
        subprocess.Popen(
            [sys.executable, "-m", "app.launcher"], cwd=ROOT, env=env,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            start_new_session=True,  # its own process group, as in a terminal
        )
    )  # fmt: skip
    try:
        launched.wait_for(r"ready in")
        temporal_line = launched.wait_for(r"^\s+Temporal\s").string
        assert httpx.get(f"http://127.0.0.1:{api_port}/healthz").json()["checks"] == {
            "database": "ok",
            "temporal": "ok",
        }
    finally:
        exit_code = launched.interrupt()
    assert exit_code == 0
    assert target in temporal_line
    assert not (tmp_path / "var" / "temporal.db").exists()
    assert not (tmp_path / "var" / "temporal.log").exists()
