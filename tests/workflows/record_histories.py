"""Record one history of the interpreter per scenario, for the replay tests (DESIGN.md, inv. 2).

    .venv/bin/python -m tests.workflows.record_histories            # every scenario
    .venv/bin/python -m tests.workflows.record_histories if_true_branch ...   # only these

Each scenario runs on a fresh time-skipping test server (the installed
`temporal-test-server`, nothing is downloaded) with the real worker from
`temporal.worker.build_worker`; the finished run's history is written to
`tests/workflows/histories/<name>.json`. `test_replay.py` replays every file against the
current `FlowRunWorkflow`, so a change to the interpreter that would break runs in flight
fails the suite. This list of scenarios is the only place they are defined: add one, run
this script, and commit the new file with the change.

Re-record a scenario only when its graph changes or on purpose: a recording made by new
interpreter code proves nothing about compatibility with the old one.
"""

from __future__ import annotations

import asyncio
import logging
import sys
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.responses import JSONResponse
from temporalio.client import Client, WorkflowExecutionStatus, WorkflowFailureError
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from tests.utils.servers import serve
from tests.workflows.harness import (
    Handle,
    graph,
    node,
    run_input,
    value,
    wait_until_waiting,
    worker,
)
from workflows.state import (
    DECIDE_UPDATE,
    EVENT_SIGNAL,
    INTERPRETER_WORKFLOW,
    DecisionInput,
    EventInput,
    RunState,
)

HISTORIES = Path(__file__).parent / "histories"
TEST_SERVER = Path(sys.executable).parent / "temporal-test-server"
TASK_QUEUE = "record-histories"


@dataclass(frozen=True)
class Services:
    """What the recorder runs next to Temporal for scenarios that need it."""

    http_url: str
    """Base URL of a local HTTP server (see `http_app`)."""


Drive = Callable[[Handle], Awaitable[None]]
"""Interacts with a started run (signals, updates, cancel) before its result is awaited."""


@dataclass(frozen=True)
class Scenario:
    name: str
    """Also the history's file name: says what the recording shows."""
    graph: dict[str, Any]
    payload: Any = None
    """The trigger payload, or a function of the recorder's `Services` that returns it."""
    drive: Drive | None = None
    expect: WorkflowExecutionStatus = WorkflowExecutionStatus.COMPLETED
    """How the run must end; a run that ends otherwise is not recorded."""

    def payload_for(self, services: Services) -> Any:
        return self.payload(services) if callable(self.payload) else self.payload


# -- drives ------------------------------------------------------------------------------


def send_event(node_id: str, name: str, payload: Any) -> Drive:
    async def drive(handle: Handle) -> None:
        await wait_until_waiting(handle, node_id)
        await handle.signal(EVENT_SIGNAL, EventInput(name=name, payload=payload))

    return drive


def decide(node_id: str, *, approved: bool) -> Drive:
    async def drive(handle: Handle) -> None:
        await wait_until_waiting(handle, node_id)
        await handle.execute_update(
            DECIDE_UPDATE,
            DecisionInput(node_id=node_id, approved=approved, by="ana@example.com", comment="ok"),
            result_type=str,
        )

    return drive


def cancel_while_waiting(node_id: str) -> Drive:
    async def drive(handle: Handle) -> None:
        await wait_until_waiting(handle, node_id)
        await handle.cancel()

    return drive


def http_request(node_id: str, path: str, **fields: Any) -> dict[str, Any]:
    """An `http.request` GET to the recorder's HTTP server (its URL comes from the trigger)."""
    return node(node_id, "http.request", {"url": "{{ trigger.base_url }}" + path}, **fields)


def with_http(payload: dict[str, Any]) -> Callable[[Services], dict[str, Any]]:
    return lambda services: {"base_url": services.http_url, **payload}


# -- scenarios ---------------------------------------------------------------------------

_APPROVAL = graph(
    node("review", "approval", {"message": "Publish {{ trigger.title }}?", "timeout": "P2D"}),
    value("publish", "published"),
    value("discard", "discarded"),
    value("expired", "expired"),
    edges=[
        ("start", "review"),
        ("review", "publish", "approved"),
        ("review", "discard", "rejected"),
        ("review", "expired", "timeout"),
    ],
)

_IF = graph(
    node("check", "if", {"condition": "trigger.ok"}),
    value("yes", "Y"),
    value("no", "N"),
    value("after_no", "AN"),
    edges=[
        ("start", "check"),
        ("check", "yes", "true"),
        ("check", "no", "false"),
        ("no", "after_no"),
    ],
)

_SWITCH = graph(
    node(
        "route",
        "switch",
        {
            "cases": [
                {"handle": "big", "condition": "trigger.n > 100"},
                {"handle": "some", "condition": "trigger.n > 0"},
            ]
        },
    ),
    value("big", "B"),
    value("some", "S"),
    value("none", "D"),
    edges=[
        ("start", "route"),
        ("route", "big", "big"),
        ("route", "some", "some"),
        ("route", "none", "default"),
    ],
)

_WAIT_FOR_EVENT = graph(
    node("paid", "wait_for_event", {
        "event": "payment.completed",
        "match": "event.order == trigger.order",
        "timeout": "P1D",
    }),
    value("ship", "ship {{ nodes.paid.amount }}"),
    value("remind", "remind"),
    edges=[("start", "paid"), ("paid", "ship", "out"), ("paid", "remind", "timeout")],
)  # fmt: skip

SCENARIOS: tuple[Scenario, ...] = (
    Scenario(
        "manual_trigger_transform_sequence",
        graph(
            value("a", {"n": "{{ trigger.n }}"}),
            value("b", "{{ nodes.a.n * 2 }}"),
            edges=[("start", "a"), ("a", "b")],
        ),
        {"n": 21},
    ),
    Scenario(
        "set_variables_read_later",
        graph(
            node("count", "set", {"values": {"total": "{{ vars.total + trigger.add }}"}}),
            value("report", "total={{ vars.total }}"),
            edges=[("start", "count"), ("count", "report")],
        )
        | {"settings": {"variables": {"total": 10}}},
        {"add": 5},
    ),
    Scenario("if_true_branch", _IF, {"ok": True}),
    Scenario("if_false_branch", _IF, {"ok": False}),
    Scenario("switch_matching_case", _SWITCH, {"n": 5}),
    Scenario("switch_default", _SWITCH, {"n": -1}),
    Scenario(
        "parallel_fan_out_join_all",
        graph(
            value("left", "L"),
            node("wait", "delay", {"duration": "PT1H"}),
            value("right", "R"),
            node("both", "join", {"mode": "all"}),
            edges=[
                ("start", "left"),
                ("start", "wait"),
                ("wait", "right"),
                ("left", "both"),
                ("right", "both"),
            ],
        ),
    ),
    Scenario(
        "join_first_continues_with_fastest_branch",
        graph(
            node("slow", "delay", {"duration": "PT2H"}),
            value("fast", "F"),
            node("first", "join", {"mode": "first"}),
            value("after", "{{ keys(nodes.first) }}"),
            edges=[
                ("start", "slow"),
                ("start", "fast"),
                ("slow", "first"),
                ("fast", "first"),
                ("first", "after"),
            ],
        ),
    ),
    Scenario(
        "delay_duration_1h",
        graph(
            node("wait", "delay", {"duration": "PT1H"}),
            value("after", "{{ nodes.wait.resumed_at }}"),
            edges=[("start", "wait"), ("wait", "after")],
        ),
    ),
    Scenario(
        "delay_until_timestamp",
        graph(
            node("wait", "delay", {"until": "{{ add_duration(now, 'PT2H') }}"}),
            value("after", "{{ nodes.wait.resumed_at }}"),
            edges=[("start", "wait"), ("wait", "after")],
        ),
    ),
    Scenario(
        "delay_until_past_timestamp_continues_at_once",
        graph(
            node("wait", "delay", {"until": "2020-01-01T00:00:00Z"}),
            value("after", "ran"),
            edges=[("start", "wait"), ("wait", "after")],
        ),
    ),
    Scenario(
        "wait_for_event_received",
        _WAIT_FOR_EVENT,
        {"order": 7},
        send_event("paid", "payment.completed", {"order": 7, "amount": 30}),
    ),
    Scenario("wait_for_event_timeout", _WAIT_FOR_EVENT, {"order": 7}),
    Scenario("approval_approved", _APPROVAL, {"title": "post"}, decide("review", approved=True)),
    Scenario("approval_rejected", _APPROVAL, {"title": "post"}, decide("review", approved=False)),
    Scenario("approval_timeout", _APPROVAL, {"title": "post"}),
    Scenario(
        "loop_three_items_two_at_a_time",
        graph(
            node("each", "loop", {"items": "trigger.names", "max_concurrency": 2}),
            node("pause", "delay", {"duration": "PT1M"}),
            value("greet", "hi {{ item }} #{{ index }}"),
            value("after", "{{ nodes.each.count }}"),
            edges=[
                ("start", "each"),
                ("each", "pause", "body"),
                ("pause", "greet"),
                ("greet", "each"),
                ("each", "after", "done"),
            ],
        ),
        {"names": ["ann", "bob", "cy"]},
    ),
    Scenario(
        "stop_ends_run_and_cancels_waiting_branch",
        graph(
            node("done", "stop", {"output": {"why": "{{ trigger.why }}"}}),
            node("long", "delay", {"duration": "P3D"}),
            value("never", "x"),
            edges=[("start", "done"), ("start", "long"), ("long", "never")],
        ),
        {"why": "enough"},
    ),
    Scenario(
        "fail_node_fails_run",
        graph(
            node(
                "stop_here", "fail", {"message": "bad input {{ trigger.id }}", "error_type": "Bad"}
            ),
            edges=[("start", "stop_here")],
        ),
        {"id": 7},
        expect=WorkflowExecutionStatus.FAILED,
    ),
    Scenario(
        "on_error_continue_after_http_404",
        graph(
            http_request("call", "/missing", on_error="continue"),
            value("after", "{{ nodes.call.error.type }}"),
            edges=[("start", "call"), ("call", "after")],
        ),
        with_http({}),
    ),
    Scenario(
        "on_error_route_fail_to_error_edge",
        graph(
            node(
                "check", "fail", {"message": "no stock", "error_type": "NoStock"}, on_error="route"
            ),
            value("handled", "handled: {{ error.message }}"),
            edges=[("start", "check"), ("check", "handled", "error")],
        ),
    ),
    Scenario(
        "disabled_node_passes_through",
        graph(
            value("off", "never", disabled=True),
            value("after", "ran"),
            edges=[("start", "off"), ("off", "after")],
        ),
    ),
    Scenario(
        "http_request_get_json",
        graph(
            http_request("fetch", "/items/{{ trigger.id }}"),
            value("name", "{{ nodes.fetch.body.name }}"),
            edges=[("start", "fetch"), ("fetch", "name")],
        ),
        with_http({"id": 7}),
    ),
    Scenario(
        "cancelled_while_delay_waits",
        graph(
            node("wait", "delay", {"duration": "P1D"}),
            value("never", "x"),
            edges=[("start", "wait"), ("wait", "never")],
        ),
        drive=cancel_while_waiting("wait"),
        expect=WorkflowExecutionStatus.CANCELED,
    ),
)


# -- recording ---------------------------------------------------------------------------


def http_app() -> FastAPI:
    """The HTTP API the `http.request` scenarios call: small, fixed answers."""
    app = FastAPI()

    @app.get("/items/{item_id}")
    async def item(item_id: int) -> dict[str, Any]:
        return {"id": item_id, "name": f"item {item_id}"}

    @app.get("/missing")
    async def missing() -> JSONResponse:
        return JSONResponse({"detail": "not found"}, status_code=404)

    return app


async def record(client: Client, scenario: Scenario, services: Services) -> str:
    """Run one scenario to its end; returns its history as JSON."""
    handle: Handle = await client.start_workflow(
        INTERPRETER_WORKFLOW,
        run_input(scenario.graph, scenario.payload_for(services)),
        id=f"history-{scenario.name}",
        task_queue=TASK_QUEUE,
        result_type=RunState,
        execution_timeout=timedelta(days=30),
    )
    if scenario.drive is not None:
        await scenario.drive(handle)
    try:
        state = await handle.result()
        outcome = f"{state.status}: {state.output}"
    except WorkflowFailureError as failure:
        outcome = f"{type(failure.cause).__name__}: {failure.cause}"
    status = (await handle.describe()).status
    if status != scenario.expect:
        raise RuntimeError(
            f"{scenario.name}: the run ended {status and status.name}, not "
            f"{scenario.expect.name} ({outcome})"
        )
    print(f"  {scenario.name}: {outcome}")
    history = await handle.fetch_history()
    return history.to_json()


async def record_all(names: Sequence[str]) -> None:
    unknown = set(names) - {scenario.name for scenario in SCENARIOS}
    if unknown:
        raise SystemExit(f"no such scenario: {', '.join(sorted(unknown))}")
    chosen = [scenario for scenario in SCENARIOS if not names or scenario.name in names]
    HISTORIES.mkdir(exist_ok=True)
    began = time.monotonic()
    env = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=str(TEST_SERVER), data_converter=pydantic_data_converter
    )
    try:
        async with serve(http_app()) as url, worker(env.client, TASK_QUEUE):
            services = Services(http_url=url)
            # One at a time: time skips for the whole server, so a run that waits for a
            # drive must not share the clock with a run whose result is being awaited.
            for scenario in chosen:
                text = await record(env.client, scenario, services)
                (HISTORIES / f"{scenario.name}.json").write_text(text + "\n")
    finally:
        await env.shutdown()
    if not names:
        keep = {f"{scenario.name}.json" for scenario in SCENARIOS}
        for stale in sorted(HISTORIES.glob("*.json")):
            if stale.name not in keep:
                print(f"  removing {stale.name}: no scenario records it")
                stale.unlink()
    print(f"recorded {len(chosen)} histories in {time.monotonic() - began:.1f}s to {HISTORIES}")


if __name__ == "__main__":
    # The SDK logs every failed activity attempt with its traceback; here they are expected.
    logging.getLogger("temporalio.activity").setLevel(logging.ERROR)
    asyncio.run(record_all(sys.argv[1:]))
