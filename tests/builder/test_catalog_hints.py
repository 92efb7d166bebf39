"""What the catalog's UI hints and the expression preview change on screen: the palette's
groups and icons come from the API, expression fields offer only the roots their place has,
and show the value the engine computes from the workflow's last run."""

from __future__ import annotations

from typing import Any

from playwright.async_api import Page, expect

from tests.builder.stack import Stack
from tests.utils.api import eventually, wait_for_end


async def test_the_palette_groups_titles_and_icons_come_from_the_catalog(
    signed_in: Page, stack: Stack
) -> None:
    page = signed_in
    async with stack.api() as api:
        catalog = (await api.get("/node-types")).json()
    await page.get_by_role("link", name="New workflow").click()
    palette = page.get_by_role("navigation", name="Node palette")
    titles = [category["title"] for category in catalog["categories"]]
    await expect(palette.get_by_role("heading")).to_have_text(titles)
    http = palette.get_by_role("button", name="HTTP request", exact=True)
    await expect(http.locator(".palette__icon")).to_have_text("⇄")
    triggers = palette.locator("section").first.get_by_role("button")
    await expect(triggers).to_have_text(
        ["▶Manual or API", "⏱Schedule", "⚓Webhook", "↻Poll for new items"]
    )


LOOP_GRAPH: dict[str, Any] = {
    "nodes": [
        {"id": "start", "type": "trigger.manual"},
        {"id": "each", "type": "loop", "parameters": {"items": "trigger.users"}},
        {"id": "inside", "type": "if", "parameters": {"condition": "item"}},
        {"id": "after", "type": "if", "parameters": {"condition": "true"}},
    ],
    "edges": [
        {"source": "start", "target": "each"},
        {"source": "each", "target": "inside", "sourceHandle": "body"},
        {"source": "each", "target": "after", "sourceHandle": "done"},
    ],
}


async def completions(page: Page, node: str, typed: str) -> list[str]:
    await page.get_by_test_id(f"node-{node}").click()
    condition = page.get_by_role("combobox", name="Condition")
    await condition.fill(typed)
    options = page.get_by_role("listbox", name="Completions").get_by_role("option")
    await expect(options.first).to_be_visible()
    return await options.all_text_contents()


async def test_item_and_index_are_offered_only_in_a_loops_body(
    signed_in: Page, stack: Stack
) -> None:
    page = signed_in
    await page.goto(f"/ui/workflows/{await stack.create_workflow('loop', LOOP_GRAPH)}")
    assert await completions(page, "inside", "i") == ["item", "index"]
    await page.get_by_test_id("node-after").click()
    condition = page.get_by_role("combobox", name="Condition")
    await condition.fill("i")
    await expect(page.get_by_role("listbox", name="Completions")).to_be_hidden()
    assert await completions(page, "after", "n") == ["nodes", "now", "nodes.each", "nodes.start"]


GREETING_GRAPH: dict[str, Any] = {
    "nodes": [
        {"id": "start", "type": "trigger.manual"},
        {"id": "greet", "type": "transform",
         "parameters": {"value": {"greeting": "Hello {{ trigger.name }}"}}},
        {"id": "check", "type": "if", "parameters": {"condition": "true"}},
    ],
    "edges": [
        {"source": "start", "target": "greet"},
        {"source": "greet", "target": "check"},
    ],
}  # fmt: skip


async def test_an_expression_field_previews_its_value_from_the_last_run(
    signed_in: Page, stack: Stack
) -> None:
    page = signed_in
    workflow_id = await stack.create_workflow("preview", GREETING_GRAPH)
    async with stack.api() as api:
        started = await api.post(f"/workflows/{workflow_id}/runs", json={"input": {"name": "Ada"}})
        run_id = started.json()["id"]
        assert (await wait_for_end(api, run_id))["status"] == "succeeded"
        # The builder finds the latest run in the run list, which Temporal's visibility store
        # fills a moment after the run: open the page as a person would, once it is listed.
        await eventually(
            lambda: api.get("/runs", params={"workflow_id": workflow_id}),
            lambda answer: [run["id"] for run in answer.json()["data"]] == [run_id],
        )
    await page.goto(f"/ui/workflows/{workflow_id}")
    await page.get_by_test_id("node-check").click()
    condition = page.get_by_role("combobox", name="Condition")
    preview = page.get_by_role("status", name="Preview")
    await condition.fill("nodes.greet.greeting")
    await expect(preview).to_have_text('= "Hello Ada"')
    await condition.fill("nodes.greet.greeting +")
    await expect(preview).to_contain_text("⚠ ExpressionSyntaxError")
    await condition.fill("nodes.check")
    await expect(preview).to_have_text("⚠ ExpressionError: a node cannot read its own output")
