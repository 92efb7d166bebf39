"""The builder at size in headless Chromium: a 500-node workflow opening and answering clicks,
and an execution view taking 1,000 node updates. Figures, not assertions (issue 13 point 9
asks for under 2 s to open and respond).

Run: `make bench-builder` (or `.venv/bin/python -m bench.builder`). It starts `make run`'s
launcher on free ports in a temporary folder, saves the graph through the API, and drives
/usr/bin/chromium with Playwright. The 1,000 updates are encoded as the API's stream encodes
them (`app.api.run_stream_events`: a whole `state`, then one `node` event per change), and, to
compare, as each the whole run state (the stream's format before deltas; `--stream`), sent
over HTTP by a small proxy in front of the API at 100 a second (`--per-second`), 25 times
what a run's stream sends (it polls every 250 ms); every other request goes through to the
API.

`--bundle DIR` (repeatable) opens the graph with another build of the builder as well (e.g.
`app/ui` of an older checkout, copied aside), served by the same proxy in front of the same
API, and `--rounds N` opens it N times with each bundle in turn: before and after in one run,
on one machine, under one load. "First nodes drawn" is from navigation to the start node in
the page; "responds" is then a click on a node answered by its form.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from fastapi.sse import format_sse_event
from playwright.sync_api import Browser, Page, sync_playwright
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, Response, StreamingResponse
from starlette.routing import Route

from app.api.builder_ui import BUNDLE
from app.api.run_schemas import RunStatePublic
from app.api.run_stream_events import RunStreamEncoder
from tests.builder.stack import CHROMIUM, CHROMIUM_ARGS, launched_stack
from tests.utils.servers import free_port

CHAINS = 25
HOP = {"host", "content-length", "content-encoding", "transfer-encoding", "connection"}

# Samples the gaps between animation frames: the longest is how long the page froze.
FRAME_SAMPLER = """
window.__frames = [];
const tick = (t) => { window.__frames.push(t); requestAnimationFrame(tick); };
requestAnimationFrame(tick);
"""


def wide_graph(size: int) -> dict[str, Any]:
    """A manual trigger and `size - 1` transforms in parallel chains, without positions (the
    builder lays it out when it opens)."""
    nodes: list[dict[str, Any]] = [{"id": "start", "type": "trigger.manual"}]
    edges: list[dict[str, str]] = []
    for index in range(size - 1):
        chain, step = index % CHAINS, index // CHAINS
        node_id = f"t_{chain}_{step}"
        nodes.append(
            {
                "id": node_id,
                "type": "transform",
                "parameters": {"value": {"step": step, "hello": "{{ trigger.name }}"}},
            }
        )
        edges.append(
            {"source": "start" if step == 0 else f"t_{chain}_{step - 1}", "target": node_id}
        )
    return {"nodes": nodes, "edges": edges}


def longest_frame_gap(page: Page, since: float) -> float:
    gaps: float = page.evaluate(
        """(since) => { const f = window.__frames.filter(t => t >= since); let m = 0;
            for (let i = 1; i < f.length; i++) m = Math.max(m, f[i] - f[i - 1]); return m; }""",
        since,
    )
    return gaps


def now(page: Page) -> float:
    value: float = page.evaluate("() => performance.now()")
    return value


def timed(*steps: Callable[[], object]) -> float:
    """Milliseconds the steps take, one after the other."""
    started = time.perf_counter()
    for step in steps:
        step()
    return (time.perf_counter() - started) * 1000


def bench_open(page: Page, url: str, workflow_id: str) -> dict[str, float]:
    """From navigation to the graph drawn, then to it validated, then a first click answered."""
    figures: dict[str, float] = {}
    started = time.perf_counter()
    page.goto(f"{url}/ui/workflows/{workflow_id}")
    page.get_by_test_id("node-start").wait_for()
    figures["open: first nodes drawn (ms)"] = (time.perf_counter() - started) * 1000
    page.get_by_role("status").filter(has_text="Valid").wait_for()
    figures["open: validated by the API (ms)"] = (time.perf_counter() - started) * 1000
    figures["open: then a click answered (ms)"] = timed(
        page.get_by_test_id("node-t_9_0").click,
        page.get_by_role("region", name="Properties of t_9_0").wait_for,
    )
    return figures


def bench_canvas(page: Page, url: str, workflow_id: str, size: int) -> dict[str, float]:
    figures = bench_open(page, url, workflow_id)

    clicks = []
    for chain in range(5):
        node = page.get_by_test_id(f"node-t_{chain}_0")
        heading = page.get_by_role("region", name=f"Properties of t_{chain}_0")
        clicks.append(timed(node.click, heading.wait_for))
    figures["respond: click a node, its form shown (median ms)"] = statistics.median(clicks)

    nodes = page.locator(".react-flow__node")
    palette = page.get_by_role("navigation", name="Node palette")
    added = page.get_by_test_id("node-transform")
    figures["respond: add a node from the palette (ms)"] = timed(
        palette.get_by_role("button", name="Transform", exact=True).click, added.wait_for
    )
    figures["respond: undo (ms)"] = timed(
        lambda: page.keyboard.press("Control+z"), lambda: added.wait_for(state="detached")
    )
    pane = page.locator(".react-flow__pane").bounding_box()
    assert pane is not None
    since = now(page)
    drag_ms = timed(
        lambda: page.mouse.move(pane["x"] + 400, pane["y"] + 300),
        page.mouse.down,
        lambda: page.mouse.move(pane["x"] + 100, pane["y"] + 200, steps=20),
        page.mouse.up,
    )
    figures["respond: pan the canvas, 20 moves (ms)"] = drag_ms
    figures["respond: pan, longest frame (ms)"] = longest_frame_gap(page, since)
    figures["nodes drawn (visible ones only)"] = float(nodes.count())
    figures["graph size"] = float(size)
    return figures


def compare_bundles(
    browser: Browser, init: str, api: str, workflow_id: str, bundles: list[Path], rounds: int
) -> dict[str, dict[str, list[float]]]:
    """Opens the graph `rounds` times with each bundle in turn, each through the same kind of
    proxy and in a new context (nothing cached: a first visit)."""
    figures: dict[str, dict[str, list[float]]] = {str(bundle): {} for bundle in bundles}
    if not rounds:
        return figures
    with ExitStack() as stack:
        urls = [stack.enter_context(serving(bundle_proxy(api, bundle))) for bundle in bundles]
        for _ in range(rounds):
            for bundle, url in zip(bundles, urls, strict=True):
                context = browser.new_context(viewport={"width": 1400, "height": 900})
                context.add_init_script(init)
                context.set_default_timeout(60_000)
                for name, value in bench_open(context.new_page(), url, workflow_id).items():
                    figures[str(bundle)].setdefault(name, []).append(value)
                context.close()
    return figures


def run_states(graph: dict[str, Any], updates: int) -> Iterator[RunStatePublic]:
    """`updates` successive states of a run: nodes start, then succeed, one change each."""
    ids = [node["id"] for node in graph["nodes"]]
    states: dict[str, dict[str, Any]] = {}
    stamp = "2026-01-01T00:00:00Z"
    for sequence in range(updates):
        node = ids[(sequence // 2) % len(ids)]
        status = "running" if sequence % 2 == 0 else "succeeded"
        states[node] = {
            "status": status, "attempts": 1, "started_at": stamp,
            "ended_at": stamp if status == "succeeded" else None,
            "output": {"step": sequence} if status == "succeeded" else None, "error": None,
        }  # fmt: skip
        yield RunStatePublic.model_validate(
            {"status": "running", "nodes": states, "variables": {}, "waiting_for": []}
        )


def stream_events(graph: dict[str, Any], updates: int, stream: str) -> list[str]:
    """The stream's events for `updates` changes of a run: as the API sends them (`deltas`,
    `app.api.run_stream_events`), or each the whole state as it did before (`whole`)."""
    blocks: list[bytes] = []
    if stream == "whole":
        for sequence, state in enumerate(run_states(graph, updates), start=1):
            blocks.append(
                format_sse_event(data_str=state.model_dump_json(), event="state", id=str(sequence))
            )
        blocks.append(format_sse_event(data_str="{}", event="end", id=str(updates + 1)))
    else:
        encoder = RunStreamEncoder()
        for state in run_states(graph, updates):
            blocks.extend(encoder.changes(state))
        blocks.append(encoder.end())
    return [block.decode() for block in blocks]


def forwarder(api: str, run_id: str | None = None) -> Callable[[Request], Any]:
    """Sends a request on to the API; `run_id` reads as running with no node started."""
    client = httpx.AsyncClient(base_url=api, timeout=60)

    async def forward(request: Request) -> Response:
        answer = await client.request(
            request.method,
            request.url.path,
            params=request.query_params,
            headers={k: v for k, v in request.headers.items() if k.lower() not in HOP},
            content=await request.body(),
        )
        content = answer.content
        if run_id is not None and request.url.path == f"/runs/{run_id}":
            run = answer.json()
            run.update(status="running", nodes={}, ended_at=None, output=None)
            content = json.dumps(run).encode()
        headers = {k: v for k, v in answer.headers.items() if k.lower() not in HOP}
        return Response(content, status_code=answer.status_code, headers=headers)

    return forward


def bundle_proxy(api: str, bundle: Path) -> Starlette:
    """The API with the builder's bundle in `bundle` at /ui (index.html for the app's paths)."""

    root = bundle.resolve()

    def ui(request: Request) -> FileResponse:  # sync: Starlette runs it in a thread
        relative = request.path_params["path"]
        found = (root / relative).resolve()
        if not (relative and found.is_relative_to(root) and found.is_file()):
            found = root / "index.html"
        return FileResponse(found)

    return Starlette(
        routes=[
            Route("/ui/{path:path}", ui),
            Route(
                "/{path:path}", forwarder(api), methods=["GET", "POST", "PUT", "PATCH", "DELETE"]
            ),
        ]
    )


def stream_proxy(api: str, run_id: str, body: list[str], per_second: float) -> Starlette:
    """The API, except that `run_id` reads as running and its stream sends `body`'s events
    at `per_second` (a real run's stream sends at most four a second)."""

    async def stream(_: Request) -> StreamingResponse:
        async def events() -> AsyncIterator[str]:
            for block in body:
                yield block
                await asyncio.sleep(1 / per_second)

        return StreamingResponse(events(), media_type="text/event-stream")

    return Starlette(
        routes=[
            Route(f"/runs/{run_id}/stream", stream),
            Route(
                "/{path:path}",
                forwarder(api, run_id),
                methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
            ),
        ]
    )


@contextmanager
def serving(app: Starlette) -> Iterator[str]:
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join()


def bench_execution(
    page: Page,
    api: str,
    run_id: str,
    graph: dict[str, Any],
    updates: int,
    per_second: float,
    stream: str,
) -> dict[str, float]:
    body = stream_events(graph, updates, stream)
    with serving(stream_proxy(api, run_id, body, per_second)) as url:
        started = time.perf_counter()
        page.goto(f"{url}/ui/runs/{run_id}")
        page.get_by_test_id("node-start").wait_for()
        since = now(page)
        opened = (time.perf_counter() - started) * 1000
        done = page.get_by_role("status").filter(has_text=f"{updates} updates")
        done.wait_for(timeout=600_000)
        applied = (time.perf_counter() - started) * 1000
        last = graph["nodes"][((updates - 1) // 2) % len(graph["nodes"])]["id"]
        respond = timed(
            page.get_by_test_id(f"node-{last}").click,
            page.get_by_role("region", name=f"Node {last}").wait_for,
        )
        gap = longest_frame_gap(page, since)
    size = sum(map(len, body))
    return {
        f"run view ({stream}): graph drawn (ms)": opened,
        f"run view ({stream}): {updates} updates at {per_second:.0f}/s, all shown (ms)": applied,
        f"run view ({stream}): longest frame while updating (ms)": gap,
        f"run view ({stream}): click a node afterwards, details shown (ms)": respond,
        f"run view ({stream}): bytes streamed": float(size),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--nodes", type=int, default=500)
    parser.add_argument("--updates", type=int, default=1000)
    parser.add_argument(
        "--per-second", type=float, default=100.0, help="stream rate of the updates"
    )
    parser.add_argument(
        "--stream",
        choices=["deltas", "whole", "both"],
        default="both",
        help="the stream's format: the API's (a whole state, then deltas), the whole state "
        "at every update as before, or one after the other",
    )
    parser.add_argument(
        "--bundle",
        type=Path,
        action="append",
        default=[],
        help="another build of the builder (a copy of app/ui) to open the graph with as well",
    )
    parser.add_argument(
        "--rounds",
        type=int,
        default=0,
        help="open the graph this many times with app/ui and each --bundle in turn "
        "(3 when a --bundle is given)",
    )
    args = parser.parse_args()
    rounds = args.rounds or (3 if args.bundle else 0)
    if not CHROMIUM.exists():
        sys.exit("bench.builder needs /usr/bin/chromium (apt-get install chromium)")
    graph = wide_graph(args.nodes)
    with tempfile.TemporaryDirectory() as tmp, launched_stack(Path(tmp), sandbox=False) as stack:
        url, key = stack.url, stack.key
        headers = {"Authorization": f"Bearer {key}"}
        workflow = httpx.post(
            f"{url}/workflows", json={"name": "wide", "graph": graph}, headers=headers, timeout=60
        )
        workflow.raise_for_status()
        workflow_id = workflow.json()["id"]
        run = httpx.post(
            f"{url}/workflows/{workflow_id}/runs", json={"input": {"name": "Ada"}}, headers=headers
        )
        run.raise_for_status()
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            context = browser.new_context(viewport={"width": 1400, "height": 900})
            context.add_init_script(
                f"window.sessionStorage.setItem('flowhold.api_key', {key!r});" + FRAME_SAMPLER
            )
            context.set_default_timeout(60_000)
            init = f"window.sessionStorage.setItem('flowhold.api_key', {key!r});"
            opened = compare_bundles(
                browser, init, url, workflow_id, [BUNDLE, *args.bundle], rounds
            )
            figures = bench_canvas(context.new_page(), url, workflow_id, args.nodes)
            streams = ["whole", "deltas"] if args.stream == "both" else [args.stream]
            for stream in streams:
                figures |= bench_execution(
                    context.new_page(),
                    url,
                    run.json()["id"],
                    graph,
                    args.updates,
                    args.per_second,
                    stream,
                )
            browser.close()
    width = max(len(name) for name in figures)
    for name, value in figures.items():
        print(f"{name:<{width}}  {value:10.1f}")
    for bundle, by_figure in opened.items():
        print(f"\n{bundle} ({rounds} opens, a new browser context each; min / median / max)")
        width = max(len(name) for name in by_figure)
        for name, values in by_figure.items():
            low, middle, high = min(values), statistics.median(values), max(values)
            print(f"{name:<{width}}  {low:10.1f} {middle:10.1f} {high:10.1f}")


if __name__ == "__main__":
    main()
