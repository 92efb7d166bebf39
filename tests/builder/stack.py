"""`make run`'s launcher on free ports in a folder of its own, and the Chromium to drive it:
shared by the browser tests, bench/builder.py and the README's screenshots."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from tests.test_launcher import ROOT, Launched, launcher_env
from tests.utils.servers import free_port

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@dataclass
class Stack:
    url: str
    key: str
    emulator: str | None
    x_account: str | None
    instagram_account: str | None
    launched: Launched = field(repr=False)

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.key}"}

    def api(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(base_url=self.url, headers=self.headers, timeout=30)

    async def create_workflow(self, name: str, graph: dict[str, object]) -> str:
        """A saved workflow's id (through the API, as a script would make it)."""
        async with self.api() as api:
            created = await api.post("/workflows", json={"name": name, "graph": graph})
            created.raise_for_status()
            workflow_id: str = created.json()["id"]
            return workflow_id


@contextmanager
def launched_stack(data_dir: Path, *, sandbox: bool) -> Iterator[Stack]:
    """The engine as `make run` (`SANDBOX=true make run`) starts it; stopped with Ctrl-C."""
    ports = {"api_port": free_port(), "temporal_port": free_port(), "temporal_ui_port": free_port()}
    if sandbox:
        ports["sandbox_port"] = free_port()
    env = launcher_env(data_dir, **ports) | {"SANDBOX": "true" if sandbox else "false"}
    process = subprocess.Popen(
        [sys.executable, "-m", "app.launcher"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        start_new_session=True,
    )  # fmt: skip
    launched = Launched(process)
    try:
        launched.wait_for(r"ready in")
        key = launched.wait_for(r"^\s+(fh_\S+)$").group(1)
        x_account = instagram_account = emulator = None
        if sandbox:
            x_account = launched.wait_for(r"^\s+x\s.*account_id (acc_\S+)").group(1)
            instagram_account = launched.wait_for(r"^\s+instagram\s.*account_id (acc_\S+)").group(1)
            emulator = f"http://127.0.0.1:{ports['sandbox_port']}"
        yield Stack(
            url=f"http://127.0.0.1:{ports['api_port']}",
            key=key,
            emulator=emulator,
            x_account=x_account,
            instagram_account=instagram_account,
            launched=launched,
        )
    finally:
        if process.poll() is None:
            launched.interrupt()
