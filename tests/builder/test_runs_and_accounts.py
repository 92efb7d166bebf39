"""From the execution view a person approves a waiting approval and watches the run end;
on the accounts page they connect X through the sandbox's OAuth and Instagram with a token
that is never shown again."""

from __future__ import annotations

import re

import httpx
from playwright.async_api import Browser, Page, expect

from tests.builder.conftest import open_page
from tests.builder.stack import Stack

APPROVAL_GRAPH = {
    "nodes": [
        {"id": "start", "type": "trigger.manual"},
        {"id": "review", "type": "approval", "parameters": {"message": "Publish it?"}},
        {"id": "publish", "type": "transform", "parameters": {"value": {"published": True}}},
    ],
    "edges": [
        {"source": "start", "target": "review"},
        {"source": "review", "target": "publish", "sourceHandle": "approved"},
    ],
}


async def start_run(stack: Stack, graph: dict[str, object]) -> str:
    workflow_id = await stack.create_workflow("needs approval", graph)
    async with stack.api() as api:
        run = await api.post(f"/workflows/{workflow_id}/runs", json={"input": {}})
        run.raise_for_status()
        run_id: str = run.json()["id"]
        return run_id


async def test_a_waiting_approval_is_approved_from_the_execution_view_and_the_run_succeeds(
    signed_in: Page, stack: Stack
) -> None:
    page = signed_in
    run_id = await start_run(stack, APPROVAL_GRAPH)
    await page.goto(f"/ui/runs/{run_id}")

    await expect(page.get_by_test_id("node-review")).to_have_attribute("data-status", "waiting")
    await expect(page.get_by_test_id("node-review")).to_contain_text("Approval")
    await page.get_by_role("button", name="Approve review").click()

    await expect(page.get_by_test_id("run-status")).to_have_text("succeeded")
    await expect(page.get_by_test_id("node-publish")).to_have_attribute("data-status", "succeeded")
    ended = page.get_by_role("status").filter(has_text=re.compile(r"ended · \d+ updates"))
    await expect(ended).to_be_visible()


async def test_a_key_bound_to_a_person_approves_as_that_person_without_typing_a_name(
    browser: Browser, stack: Stack
) -> None:
    review = {"message": "Publish it?", "approvers": ["ana@example.com"]}
    graph = {
        "nodes": [
            {"id": "start", "type": "trigger.manual"},
            {"id": "review", "type": "approval", "parameters": review},
        ],
        "edges": [{"source": "start", "target": "review"}],
    }
    run_id = await start_run(stack, graph)
    async with stack.api() as api:
        made = await api.post(
            "/api-keys", json={"name": "Ana", "scope": "write", "person": "ana@example.com"}
        )
        made.raise_for_status()
    opened = await open_page(browser, stack)
    page = opened.page
    await page.context.add_init_script(
        f"window.sessionStorage.setItem('flowhold.api_key', {made.json()['key']!r})"
    )
    await page.goto(f"/ui/runs/{run_id}")

    await expect(page.get_by_test_id("decider")).to_have_text("Deciding as ana@example.com")
    await expect(page.get_by_label("By")).to_have_count(0)
    await page.get_by_role("button", name="Approve review").click()

    await expect(page.get_by_test_id("run-status")).to_have_text("succeeded")
    async with stack.api() as api:
        output = (await api.get(f"/runs/{run_id}")).json()["nodes"]["review"]["output"]
    assert (output["by"], output["verified"], output["via"]) == ("ana@example.com", True, "key")
    await page.context.close()
    assert opened.errors == []


EVENT_GRAPH = {
    "nodes": [
        {"id": "start", "type": "trigger.manual"},
        {"id": "paid", "type": "wait_for_event", "parameters": {"event": "order.paid"}},
        {"id": "thank", "type": "transform", "parameters": {"value": "{{ nodes.paid.amount }}"}},
    ],
    "edges": [
        {"source": "start", "target": "paid"},
        {"source": "paid", "target": "thank", "sourceHandle": "out"},
    ],
}


async def test_the_runs_list_shows_a_run_and_filters_it_by_status(
    signed_in: Page, stack: Stack
) -> None:
    page = signed_in
    run_id = await start_run(stack, APPROVAL_GRAPH)
    await page.goto("/ui/runs")
    row = page.get_by_role("row").filter(has_text=run_id)
    # Temporal's visibility lists a run a moment after it starts.
    for _ in range(20):
        if await row.count():
            break
        await page.get_by_role("button", name="Refresh").click()
        await page.wait_for_timeout(250)
    await expect(row).to_contain_text("running")

    await page.get_by_label("Status").select_option("succeeded")
    await expect(row).to_have_count(0)
    await page.get_by_label("Status").select_option("running")
    await expect(row).to_be_visible()
    await row.get_by_role("link", name=run_id).click()
    await expect(page.get_by_test_id("node-review")).to_have_attribute("data-status", "waiting")


async def test_the_event_a_run_waits_for_is_sent_from_the_execution_view(
    signed_in: Page, stack: Stack
) -> None:
    page = signed_in
    await page.goto(f"/ui/runs/{await start_run(stack, EVENT_GRAPH)}")
    await expect(page.get_by_test_id("node-paid")).to_have_attribute("data-status", "waiting")
    await page.get_by_label("Payload (JSON)").fill('{"amount": 30}')
    await page.get_by_role("button", name="Send “order.paid”").click()

    await expect(page.get_by_test_id("run-status")).to_have_text("succeeded")
    await page.get_by_test_id("node-thank").click()
    await expect(page.get_by_label("Output of thank")).to_have_text("30")


async def test_a_cancelled_run_is_run_again_from_its_view(signed_in: Page, stack: Stack) -> None:
    page = signed_in
    first = await start_run(stack, EVENT_GRAPH)
    await page.goto(f"/ui/runs/{first}")
    await expect(page.get_by_test_id("node-paid")).to_have_attribute("data-status", "waiting")
    await page.get_by_role("button", name="Cancel run").click()
    await expect(page.get_by_test_id("run-status")).to_have_text("cancelled")

    await page.get_by_role("button", name="Rerun").click()
    await page.wait_for_url(re.compile(r"/ui/runs/(?!" + re.escape(first) + r"$)"))
    await expect(page.get_by_role("link", name=first)).to_be_visible()
    await expect(page.get_by_test_id("node-paid")).to_have_attribute("data-status", "waiting")


async def test_connecting_x_through_the_sandbox_oauth_shows_the_account_active(
    signed_in: Page, stack: Stack
) -> None:
    page = signed_in
    await page.goto("/ui/accounts")
    await expect(page.get_by_role("table", name="Connected accounts")).to_be_visible()
    async with stack.api() as api:
        before = (await api.get("/accounts")).json()["data"]

    # The tab goes to X (the sandbox's consent page) and X's callback sends it back here.
    async with page.expect_navigation(url=re.compile(r"/ui/accounts\?connected=acc_\w+$")):
        await page.get_by_role("button", name="Connect X").click()
    # The page takes the outcome out of the address once it has shown it.
    await page.wait_for_url(re.compile(r"/ui/accounts$"))
    await expect(page.get_by_role("status").filter(has_text="Account connected")).to_be_visible()

    async with stack.api() as api:
        after = (await api.get("/accounts")).json()["data"]
    changed = [a for a in after if a not in before and a["platform"] == "x"]
    assert changed, "no X account was connected or renewed"
    row = page.get_by_role("row").filter(has_text=changed[0]["id"])
    await expect(row).to_contain_text("active")
    await expect(row).to_contain_text("oauth2")


async def test_an_instagram_token_connects_an_account_and_is_never_shown_again(
    signed_in: Page, stack: Stack
) -> None:
    page = signed_in
    assert stack.emulator is not None
    async with httpx.AsyncClient(base_url=stack.emulator) as emulator:
        added = await emulator.post("/_emulator/instagram/users", json={"username": "shop_ui"})
    user = added.json()
    await page.goto("/ui/accounts")
    form = page.get_by_role("form", name="Instagram (long-lived token)")
    token = form.get_by_label("Access token")
    await expect(token).to_have_attribute("type", "password")
    await token.fill(user["access_token"])
    await form.get_by_role("button", name="Connect").click()

    row = page.get_by_role("row").filter(has_text="shop_ui")
    await expect(row).to_contain_text("active")
    await expect(token).to_have_value("")
    assert user["access_token"] not in await page.content()


async def test_a_nodes_panel_shows_the_input_it_received_and_its_attempts(
    signed_in: Page, stack: Stack
) -> None:
    graph = {
        "nodes": [
            {"id": "start", "type": "trigger.manual"},
            {
                "id": "post",
                "type": "x.post",
                "account_id": stack.x_account,
                "parameters": {"text": "Hello from {{ trigger.who }}"},
            },
        ],
        "edges": [{"source": "start", "target": "post"}],
    }
    workflow_id = await stack.create_workflow("posts", graph)
    async with stack.api() as api:
        run = await api.post(f"/workflows/{workflow_id}/runs", json={"input": {"who": "Ada"}})
        run.raise_for_status()
    page = signed_in
    await page.goto(f"/ui/runs/{run.json()['id']}")
    await expect(page.get_by_test_id("run-status")).to_have_text("succeeded")
    await page.get_by_test_id("node-post").click()
    await expect(page.get_by_label("Input of post")).to_contain_text('"Hello from Ada"')
    await expect(page.get_by_label("Attempts of post")).to_contain_text("1: succeeded")
    await page.get_by_text("Run input").click()
    await expect(page.get_by_label("Run input")).to_contain_text('"Ada"')
