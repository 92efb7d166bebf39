"""A saved workflow's history (compare two versions, restore one), its webhook URL and the
secret shown once, activation, and export."""

from __future__ import annotations

import json
import re

from playwright.async_api import Page, expect

from tests.builder.stack import Stack

WEBHOOK_GRAPH = {
    "nodes": [
        {"id": "hook", "type": "trigger.webhook", "position": {"x": 0, "y": 0}},
        {
            "id": "greet",
            "type": "transform",
            "parameters": {"value": "first"},
            "position": {"x": 300, "y": 0},
        },
    ],
    "edges": [{"source": "hook", "target": "greet"}],
}


async def saved_workflow(stack: Stack) -> str:
    return await stack.create_workflow("hooked", WEBHOOK_GRAPH)


async def test_a_second_version_is_compared_with_the_first_and_the_first_restored(
    signed_in: Page, stack: Stack
) -> None:
    page = signed_in
    await page.goto(f"/ui/workflows/{await saved_workflow(stack)}")
    await page.get_by_test_id("node-greet").click()
    await page.get_by_label("Value * (JSON)").fill('"second"')
    await expect(page.get_by_role("status").filter(has_text=re.compile("^Valid$"))).to_be_visible()
    await page.get_by_role("button", name="Save").click()
    await expect(page.get_by_role("status").filter(has_text="Saved version 2")).to_be_visible()

    await page.get_by_role("tab", name="History").click()
    await page.get_by_label("Compare from").select_option("1")
    await page.get_by_label("Compare to").select_option("2")
    changes = page.get_by_role("region", name="Changes from v1 to v2")
    await expect(changes).to_contain_text("~ node greet: parameters")

    await page.get_by_role("button", name="Restore version 1").click()
    await page.get_by_role("tab", name="Properties").click()
    await page.get_by_test_id("node-greet").click()
    await expect(page.get_by_label("Value * (JSON)")).to_have_value('"first"')
    await expect(page.get_by_text("v2 · unsaved changes")).to_be_visible()


async def test_the_webhook_url_is_listed_and_its_secret_shown_once(
    signed_in: Page, stack: Stack
) -> None:
    page = signed_in
    await page.goto(f"/ui/workflows/{await saved_workflow(stack)}")
    await page.get_by_role("button", name="Activate").click()
    await expect(page.get_by_role("button", name="Deactivate")).to_have_attribute(
        "aria-pressed", "true"
    )

    await page.get_by_role("tab", name="Triggers").click()
    url = page.get_by_label("URL of webhook hook")
    await expect(url).to_have_value(re.compile(rf"^{re.escape(stack.url)}/hooks/\S+$"))
    await page.get_by_role("button", name="Generate secret").click()
    dialog = page.get_by_role("dialog", name="Secret of webhook hook")
    secret = await dialog.get_by_label("Webhook secret").input_value()
    assert len(secret) >= 16
    await dialog.get_by_role("button", name="Close").click()
    await expect(page.get_by_role("button", name="Rotate secret")).to_be_visible()
    assert secret not in await page.content()


SCHEDULE_GRAPH = {
    "nodes": [
        {"id": "hourly", "type": "trigger.schedule", "parameters": {"interval": {"every": "PT1H"}}},
        {"id": "greet", "type": "transform", "parameters": {"value": "tick"}},
    ],
    "edges": [{"source": "hourly", "target": "greet"}],
}


async def test_an_active_schedule_shows_its_next_fire_times(signed_in: Page, stack: Stack) -> None:
    page = signed_in
    await page.goto(f"/ui/workflows/{await stack.create_workflow('hourly', SCHEDULE_GRAPH)}")
    await page.get_by_role("button", name="Activate").click()
    await expect(page.get_by_role("button", name="Deactivate")).to_be_visible()
    await page.get_by_role("tab", name="Triggers").click()
    schedule = page.get_by_role("listitem").filter(has_text="hourly")
    await expect(schedule).to_contain_text("running")
    await expect(schedule).to_contain_text(re.compile(r"Next: \S+"))
    await expect(schedule).not_to_contain_text("Next: —")


async def test_an_exported_file_imports_as_a_new_workflow(signed_in: Page, stack: Stack) -> None:
    page = signed_in
    exported = await saved_workflow(stack)
    await page.goto(f"/ui/workflows/{exported}")
    async with page.expect_download() as download_info:
        await page.get_by_role("button", name="Export JSON").click()
    path = await (await download_info.value).path()
    document = json.loads(path.read_text())
    assert document["format"] == "flowhold.workflow"
    assert [node["id"] for node in document["graph"]["nodes"]] == ["hook", "greet"]

    await page.get_by_role("link", name="Workflows").click()
    await page.get_by_text("Import JSON…").set_input_files(path)
    await page.wait_for_url(re.compile(r"/ui/workflows/wf_\w+$"))
    assert not page.url.endswith(exported)
    await expect(page.get_by_label("Workflow name")).to_have_value("hooked")
    await expect(page.get_by_test_id("node-greet")).to_be_visible()
