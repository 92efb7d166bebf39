"""The builder in a real browser against a real stack: `make run`'s launcher (Temporal dev
server, worker, API, SANDBOX emulator) on free ports, and Debian's Chromium driven by
Playwright. No browser is downloaded: without /usr/bin/chromium these tests are skipped,
except in CI (`CI=true`), where .ci/run installs it and a missing browser is a failure."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page, async_playwright

from tests.builder.stack import CHROMIUM, CHROMIUM_ARGS, Stack, launched_stack
from tests.test_launcher import ROOT

AXE = ROOT / "builder" / "node_modules" / "axe-core" / "axe.min.js"
TIMEOUT_MS = 15_000


def require(path: Path, why: str) -> None:
    if path.exists():
        return
    if os.environ.get("CI"):
        pytest.fail(f"{path} is missing: {why}")
    pytest.skip(f"{path} is missing: {why}")


@pytest.fixture(scope="session")
def chromium() -> str:
    require(CHROMIUM, "apt-get install chromium (.ci/run does it)")
    return str(CHROMIUM)


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory, chromium: str) -> Iterator[Stack]:
    """`SANDBOX=true make run` on free ports, as a person starts it."""
    with launched_stack(tmp_path_factory.mktemp("stack") / "var", sandbox=True) as running:
        yield running


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
