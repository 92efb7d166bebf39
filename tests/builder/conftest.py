"""The builder in a real browser against a real stack: `make run`'s launcher (Temporal dev
server, worker, API, SANDBOX emulator) on free ports, and Debian's Chromium driven by
Playwright. No browser is downloaded: without /usr/bin/chromium these tests are skipped,
except in CI (`CI=true`), where .ci/run installs it and a missing browser is a failure."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from playwright.async_api import Browser, Page, async_playwright

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
AXE = ROOT / "builder" / "node_modules" / "axe-core" / "axe.min.js"
TIMEOUT_MS = 15_000


def require(path: Path, why: str) -> None:
    if path.exists():
        return
    if os.environ.get("CI"):
        pytest.fail(f"{path} is missing: {why}")
    pytest.skip(f"{path} is missing: {why}")


@dataclass
class Stack:
    url: str
    key: str
    x_account: str
    instagram_account: str
    emulator: str
    launched: Launched = field(repr=False)

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.key}"}

    def api(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(base_url=self.url, headers=self.headers, timeout=30)


@pytest.fixture(scope="session")
def chromium() -> str:
    require(CHROMIUM, "apt-get install chromium (.ci/run does it)")
    return str(CHROMIUM)


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory, chromium: str) -> Iterator[Stack]:
    """`SANDBOX=true make run` on free ports, as a person starts it."""
    ports = {
        "api_port": free_port(), "temporal_port": free_port(), "temporal_ui_port": free_port(),
        "sandbox_port": free_port(),
    }  # fmt: skip
    env = launcher_env(tmp_path_factory.mktemp("stack") / "var", **ports) | {"SANDBOX": "true"}
    process = subprocess.Popen(
        [sys.executable, "-m", "app.launcher"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        start_new_session=True,
    )  # fmt: skip
    launched = Launched(process)
    try:
        launched.wait_for(r"ready in")
        key = launched.wait_for(r"^\s+(fh_\S+)$").group(1)
        x_account = launched.wait_for(r"^\s+x\s.*account_id (acc_\S+)").group(1)
        instagram_account = launched.wait_for(r"^\s+instagram\s.*account_id (acc_\S+)").group(1)
        yield Stack(
            url=f"http://127.0.0.1:{ports['api_port']}",
            key=key,
            x_account=x_account,
            instagram_account=instagram_account,
            emulator=f"http://127.0.0.1:{ports['sandbox_port']}",
            launched=launched,
        )
    finally:
        if process.poll() is None:
            launched.interrupt()


@pytest.fixture(scope="session")
async def browser(chromium: str) -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        yield launched
        await launched.close()


@dataclass
class Watched:
    """A page and the script errors it raised (a test fails on any)."""

    page: Page
    errors: list[str]


async def open_page(browser: Browser, stack: Stack, *, bypass_csp: bool = False) -> Watched:
    context = await browser.new_context(
        base_url=stack.url, viewport={"width": 1400, "height": 900}, bypass_csp=bypass_csp
    )
    context.set_default_timeout(TIMEOUT_MS)
    page = await context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    return Watched(page, errors)


@pytest.fixture
async def watched(browser: Browser, stack: Stack) -> AsyncIterator[Watched]:
    opened = await open_page(browser, stack)
    yield opened
    await opened.page.context.close()
    assert opened.errors == []


@pytest.fixture
async def signed_in(browser: Browser, stack: Stack) -> AsyncIterator[Page]:
    """A page whose tab already holds the key, as the sign-in page leaves it."""
    opened = await open_page(browser, stack)
    await opened.page.context.add_init_script(
        f"window.sessionStorage.setItem('flowhold.api_key', {stack.key!r})"
    )
    await opened.page.goto("/ui/")
    yield opened.page
    await opened.page.context.close()
    assert opened.errors == []
