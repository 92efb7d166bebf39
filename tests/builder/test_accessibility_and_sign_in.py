"""Signing in keeps the key in the tab only; axe-core finds no serious or critical
accessibility violation on the builder's pages."""

from __future__ import annotations

from playwright.async_api import Browser, Page, expect

from tests.builder.conftest import AXE, Watched, open_page, require
from tests.builder.stack import Stack
from tests.builder.test_drawing_and_running import draw_readme_example, sign_in
from tests.builder.test_runs_and_accounts import APPROVAL_GRAPH, start_run

SERIOUS = {"serious", "critical"}


async def violations(page: Page) -> list[dict[str, object]]:
    require(AXE, "run `npm ci` in builder/ (make builder-deps)")
    if not await page.evaluate("() => Boolean(window.axe)"):
        await page.add_script_tag(path=str(AXE))
    found: list[dict[str, object]] = await page.evaluate(
        """async () => (await axe.run(document, {resultTypes: ['violations']})).violations
            .map(v => ({id: v.id, impact: v.impact, help: v.help,
                        targets: v.nodes.slice(0, 3).map(n => n.target.join(' '))}))"""
    )
    return [violation for violation in found if violation["impact"] in SERIOUS]


async def test_the_key_lives_in_the_tab_only_never_in_the_url_or_local_storage(
    watched: Watched, stack: Stack, browser: Browser
) -> None:
    page = watched.page
    await sign_in(page, stack.key)
    assert stack.key not in page.url
    assert await page.evaluate("() => window.localStorage.length") == 0
    assert await page.evaluate("() => sessionStorage.getItem('flowhold.api_key')") == stack.key

    other_tab = await open_page(browser, stack)
    await other_tab.page.goto("/ui/")
    await expect(other_tab.page.get_by_label("API key")).to_be_visible()
    await other_tab.page.context.close()

    await page.get_by_role("button", name="Sign out").click()
    await expect(page.get_by_label("API key")).to_be_visible()
    assert await page.evaluate("() => sessionStorage.length") == 0


async def test_a_wrong_key_is_refused_with_a_message(watched: Watched) -> None:
    page = watched.page
    await page.goto("/ui/")
    await page.get_by_label("API key").fill("fh_not-a-key")
    await page.get_by_role("button", name="Sign in").click()
    await expect(page.get_by_role("alert")).to_contain_text("invalid or revoked API key")


async def test_no_page_has_a_serious_accessibility_violation(
    browser: Browser, stack: Stack
) -> None:
    opened = await open_page(browser, stack, bypass_csp=True)  # axe is injected inline
    page = opened.page
    await page.goto("/ui/")
    assert await violations(page) == [], "sign-in page"
    await sign_in(page, stack.key)
    assert await violations(page) == [], "workflow list"
    await draw_readme_example(page)
    await page.get_by_test_id("node-transform").click()
    assert await violations(page) == [], "editor with a node selected"
    palette = page.get_by_role("navigation", name="Node palette")
    for title, node in (("Switch", "switch"), ("HTTP request", "http_request")):
        await palette.get_by_role("button", name=title, exact=True).click()
        await page.get_by_test_id(f"node-{node}").click()
        await expect(page.get_by_role("region", name=f"Properties of {node}")).to_be_visible()
        await expect(page.get_by_text("Loading the form")).to_have_count(0)
        found = await violations(page)
        assert found == [], f"the form of a {node} node: {found}"
    run_id = await start_run(stack, APPROVAL_GRAPH)
    for path in ("/ui/runs", "/ui/accounts", f"/ui/runs/{run_id}"):
        await page.goto(path)
        await expect(page.get_by_role("heading", level=1)).to_be_visible()
        await expect(page.get_by_text("Loading")).to_have_count(0)
        assert await violations(page) == [], path
    await page.context.close()
    assert opened.errors == []
