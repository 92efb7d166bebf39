"""The README's pictures of the builder: the canvas and a run's execution view.

Run: `make builder-screenshots` (`.venv/bin/python -m builder.scripts.screenshots`). It starts
`SANDBOX=true make run`'s launcher on free ports, saves a workflow through the API, starts a
run that waits for its approval, and photographs both pages in headless Chromium.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from playwright.sync_api import sync_playwright

from tests.builder.stack import CHROMIUM, CHROMIUM_ARGS, launched_stack
from tests.test_launcher import ROOT

IMAGES = ROOT / "docs" / "images"


def example(x_account: str) -> dict[str, Any]:
    def at(x: int, y: int) -> dict[str, int]:
        return {"x": x, "y": y}

    return {
        "nodes": [
            {"id": "start", "type": "trigger.manual", "name": "New episode", "position": at(0, 80),
             "parameters": {"input_schema": {"type": "object", "required": ["title"],
                                             "properties": {"title": {"type": "string"}}}}},
            {"id": "draft", "type": "transform", "name": "Write the post", "position": at(280, 80),
             "parameters": {"value": {"text": "New episode: {{ trigger.title }}"}}},
            {"id": "review", "type": "approval", "name": "Editor approves", "position": at(560, 80),
             "parameters": {"message": "Post this?\n\n{{ nodes.draft.text }}"}},
            {"id": "post", "type": "x.post", "name": "Post to X", "account_id": x_account,
             "retry": {"maximum_attempts": 5}, "position": at(860, 0),
             "parameters": {"text": "{{ nodes.draft.text }}"}},
            {"id": "skip", "type": "stop", "name": "Not posted", "position": at(860, 170)},
        ],
        "edges": [
            {"source": "start", "target": "draft"},
            {"source": "draft", "target": "review"},
            {"source": "review", "target": "post", "sourceHandle": "approved"},
            {"source": "review", "target": "skip", "sourceHandle": "rejected"},
        ],
        "ui": {"notes": [{"id": "note", "position": at(280, 260),
                          "text": "Runs in the sandbox: nothing is posted for real."}]},
    }  # fmt: skip


def main() -> None:
    IMAGES.mkdir(parents=True, exist_ok=True)
    with (
        tempfile.TemporaryDirectory() as tmp,
        launched_stack(Path(tmp), sandbox=True) as stack,
        httpx.Client(base_url=stack.url, headers=stack.headers, timeout=30) as api,
        sync_playwright() as playwright,
    ):
        assert stack.x_account is not None
        graph = example(stack.x_account)
        workflow = api.post("/workflows", json={"name": "Announce an episode", "graph": graph})
        workflow.raise_for_status()
        workflow_id = workflow.json()["id"]
        run = api.post(f"/workflows/{workflow_id}/runs", json={"input": {"title": "Durable"}})
        run.raise_for_status()

        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1440, "height": 860})
        context.add_init_script(f"sessionStorage.setItem('flowhold.api_key', {stack.key!r})")
        page = context.new_page()
        page.goto(f"{stack.url}/ui/workflows/{workflow_id}")
        page.get_by_test_id("node-post").click()
        page.get_by_role("status").filter(has_text="Valid").wait_for()
        time.sleep(0.5)
        page.screenshot(path=str(IMAGES / "builder-canvas.png"))

        page.goto(f"{stack.url}/ui/runs/{run.json()['id']}")
        page.get_by_test_id("node-review").and_(page.locator('[data-status="waiting"]')).wait_for()
        page.get_by_test_id("node-draft").click()
        time.sleep(0.5)
        page.screenshot(path=str(IMAGES / "builder-run.png"))
        browser.close()
    print(f"wrote {IMAGES / 'builder-canvas.png'} and {IMAGES / 'builder-run.png'}")


if __name__ == "__main__":
    main()
