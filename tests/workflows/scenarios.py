"""The scenarios whose histories the replay tests replay: the one place they are defined.

`record_histories.py` runs them and writes `histories/<name>.json` (plus one file per later
run of a continue-as-new chain and per recorded child run); `test_replay.py` replays them.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from temporalio.client import Client, WorkflowExecutionStatus
from temporalio.common import SearchAttributePair, TypedSearchAttributes

from app.contract import search_attributes as attributes
from tests.workflows.harness import (
    AI_ACCOUNT,
    COSTLY_RECORDS,
    DOUBLER,
    FAILER,
    INSTAGRAM_ACCOUNT,
    ORGANIZATION,
    X_ACCOUNT,
    Handle,
    calling,
    control_only_loop,
    costly_loop,
    graph,
    node,
    value,
    wait_until_signals_handled,
    wait_until_state,
    wait_until_waiting,
    waiting_for_the_last_of,
)
from workflows.state import (
    DECIDE_UPDATE,
    EVENT_SIGNAL,
    Continuation,
    DecisionInput,
    EventInput,
    LoopResults,
    LoopSnapshot,
    NodeState,
    Parked,
    RunLimits,
    RunState,
    ScopeSnapshot,
    TriggerKind,
)


@dataclass(frozen=True)
class Services:
    """What the recorder runs next to Temporal for scenarios that need it."""

    http_url: str
    """Base URL of a local HTTP server (see `http_app`)."""
    client: Client
    """The client the run was started with."""
    slow_called: asyncio.Event = field(default_factory=asyncio.Event)
    """Set when that server's `/slow` is called (it answers when the caller gives up)."""


Drive = Callable[[Handle, Services], Awaitable[None]]
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
    workflows: Mapping[str, dict[str, Any]] = field(default_factory=dict)
    """Graphs the run's `sub_workflow` nodes may start, by workflow id (version 1 each)."""
    children: tuple[str, ...] = ()
    """Child runs to record too, by what their id adds to the run's: `~call~0`."""
    limits: RunLimits | None = None
    trigger: str = "start"
    """The trigger node the run starts from..."""
    kind: TriggerKind = "manual"
    """...and what fired it, as the API or a Temporal Schedule would start the run."""
    search_attributes: TypedSearchAttributes | None = None
    """What the run starts with, as the API starts it; None: none, as tests and tools do."""
    resume: Continuation | None = None
    """Where the run picks up, as a rerun from a failed step or a continuation starts it."""
    run_events: bool = False
    """Whether the run publishes its events, as every run a trigger starts does."""
    admit_by_quota: bool = False
    """Whether the run asks the run quotas first, as every run a schedule fires does..."""
    runs_per_hour: int | None = None
    """...under this quota of the harness's organization, set before the run starts."""

    def payload_for(self, services: Services) -> Any:
        return self.payload(services) if callable(self.payload) else self.payload


# -- drives ------------------------------------------------------------------------------


def send_event(node_id: str, name: str, payload: Any) -> Drive:
    async def drive(handle: Handle, services: Services) -> None:
        await wait_until_waiting(handle, node_id)
        await handle.signal(EVENT_SIGNAL, EventInput(name=name, payload=payload))

    return drive


def send_events(node_id: str, *events: EventInput) -> Drive:
    async def drive(handle: Handle, services: Services) -> None:
        await wait_until_waiting(handle, node_id)
        for event in events:
            await handle.signal(EVENT_SIGNAL, event)

    return drive


def decide(node_id: str, *, approved: bool) -> Drive:
    async def drive(handle: Handle, services: Services) -> None:
        await wait_until_waiting(handle, node_id)
        await handle.execute_update(
            DECIDE_UPDATE,
            DecisionInput(node_id=node_id, approved=approved, by="ana@example.com", comment="ok"),
            result_type=str,
        )

    return drive


def decide_with_link(node_id: str) -> Drive:
    """A decision as the API makes it from an approval link: its approver, verified."""

    async def drive(handle: Handle, services: Services) -> None:
        await wait_until_waiting(handle, node_id)
        decision = DecisionInput(
            node_id=node_id, approved=True, by="ana@example.com", comment="ok", verified=True,
            via="link", key_id="key_0123456789abcdef01234567",
            link_id="apl_0123456789abcdef01234567",
        )  # fmt: skip
        await handle.execute_update(DECIDE_UPDATE, decision, result_type=str)

    return drive


def numbered_events_then_approval(events: int) -> Drive:
    """While `hold` waits for its approval, `events` `paid` events numbered from 0; then
    `hold` is approved."""

    async def drive(handle: Handle, services: Services) -> None:
        await wait_until_waiting(handle, "hold")
        for number in range(events):
            await handle.signal(EVENT_SIGNAL, EventInput(name="paid", payload={"n": number}))
        await decide("hold", approved=True)(handle, services)

    return drive


def cancel_while_waiting(node_id: str) -> Drive:
    async def drive(handle: Handle, services: Services) -> None:
        await wait_until_waiting(handle, node_id)
        await handle.cancel()

    return drive


async def cancel_while_slow_call_runs(handle: Handle, services: Services) -> None:
    await services.slow_called.wait()
    await handle.cancel()


def http_request(node_id: str, path: str, **fields: Any) -> dict[str, Any]:
    """An `http.request` GET to the recorder's HTTP server (its URL comes from the trigger)."""
    return node(node_id, "http.request", {"url": "{{ trigger.base_url }}" + path}, **fields)


def with_http(payload: dict[str, Any]) -> Callable[[Services], dict[str, Any]]:
    return lambda services: {"base_url": services.http_url, **payload}


def triggered(
    trigger: dict[str, Any], *nodes: dict[str, Any], edges: list[tuple[str, ...]]
) -> dict[str, Any]:
    """A graph like `graph`'s whose trigger is `trigger` instead of a manual `start`."""
    built = graph(*nodes, edges=edges)
    return built | {"nodes": [trigger, *built["nodes"][1:]]}


def x_action(node_id: str, type_: str, **parameters: Any) -> dict[str, Any]:
    """An X action on the recorder's connected X account (the platform emulator)."""
    return node(node_id, type_, parameters, account_id=X_ACCOUNT)


def instagram_action(node_id: str, type_: str, **parameters: Any) -> dict[str, Any]:
    """An Instagram action on the recorder's connected Instagram account (the emulator)."""
    return node(node_id, type_, parameters, account_id=INSTAGRAM_ACCOUNT)


WAITING_BRANCHES = graph(
    node("paid", "wait_for_event", {
        "event": "paid", "match": "event.order == trigger.order", "timeout": "P1D",
    }),
    node("review", "approval", {"message": "ship {{ trigger.order }}?", "timeout": "P2D"}),
    node("nap", "delay", {"duration": "PT6H"}),
    node("all", "join", {"mode": "all"}),
    value("done", "{{ nodes.paid.amount }} by {{ nodes.review.by }}"),
    edges=[
        ("start", "paid"), ("start", "review"), ("start", "nap"),
        ("paid", "all"), ("review", "all", "approved"), ("nap", "all"), ("all", "done"),
    ],
)  # fmt: skip
"""Three branches that only wait: for an event, for a decision, for a moment."""
WAITING_LIMITS = RunLimits(history_events=30, buffered_events=1)
"""A few signals' worth of history; one undelivered event kept, so each later one that
matches no wait drops the one before (`dropped_events.overflow` counts the signals seen)."""


async def flood_of_stale_events(client: Client, handle: Handle, count: int) -> None:
    """`count` events for `paid` that match no wait, each sent once the run has handled the
    one before: a signal racing a continue-as-new confuses the time-skipping server."""
    await wait_until_waiting(handle, "nap")
    for _ in range(count):
        await handle.signal(EVENT_SIGNAL, EventInput(name="paid", payload={"order": 0}))
        await wait_until_signals_handled(client, handle)


async def flood_then_finish(handle: Handle, services: Services) -> None:
    """Twelve stale events while every branch waits, then the event and the decision."""
    await flood_of_stale_events(services.client, handle, 12)
    await handle.signal(EVENT_SIGNAL, EventInput(name="paid", payload={"order": 7, "amount": 5}))
    await wait_until_state(handle, lambda state: state.nodes["paid"].status == "succeeded")
    await handle.execute_update(
        DECIDE_UPDATE, DecisionInput(node_id="review", approved=True, by="ana"), result_type=str
    )


TWO_WAITS_FOR_ONE_EVENT = graph(
    value("prepare", "ready"),
    node("a_wait", "wait_for_event", {"event": "go"}),
    node("b_wait", "wait_for_event", {"event": "go"}),
    edges=[("start", "prepare"), ("prepare", "a_wait"), ("start", "b_wait")],
)
"""`b_wait` starts waiting first (`a_wait` only after `prepare`); `a_wait` is first in plan
order, so it takes the first event."""


async def one_event_then_another(handle: Handle, services: Services) -> None:
    await wait_until_state(handle, lambda state: len(state.waiting_for) == 2)
    await handle.signal(EVENT_SIGNAL, EventInput(name="go", payload=1))
    await wait_until_state(handle, lambda state: len(state.waiting_for) == 1)
    await handle.signal(EVENT_SIGNAL, EventInput(name="go", payload=2))


async def the_event_on_the_signal_that_ends_the_run(client: Client, handle: Handle) -> None:
    """Stale events until the next signal's task reaches the history bound (it sees three
    more events: signalled, task scheduled and started), then the event `paid` waits for:
    the run continues as new on it. Then the decision."""
    await wait_until_waiting(handle, "nap")
    while (await handle.describe()).history_length + 3 < WAITING_LIMITS.history_events:
        await handle.signal(EVENT_SIGNAL, EventInput(name="paid", payload={"order": 0}))
        await wait_until_signals_handled(client, handle)
    await handle.signal(EVENT_SIGNAL, EventInput(name="paid", payload={"order": 7, "amount": 5}))
    await wait_until_signals_handled(client, handle)
    await handle.execute_update(
        DECIDE_UPDATE, DecisionInput(node_id="review", approved=True, by="ana"), result_type=str
    )


# -- scenarios ---------------------------------------------------------------------------

_APPROVAL_BY = graph(
    node("review", "approval", {"message": "Publish?", "approvers": ["ana@example.com"]}),
    value("publish", "{{ nodes.review.by }} via {{ nodes.review.via }}"),
    edges=[("start", "review"), ("review", "publish", "approved")],
)

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

_SHARED_TEXTS = "[[[str(i) for i in range(100)]] * 1000] * 5"
"""Half a million texts, through shared lists: built anew on each side of a comparison."""

_MEDIUM_TEXT = "{{ 'x' * 30000 }}"
_MEDIUM_OUTPUTS = [value(f"n{index:02}", _MEDIUM_TEXT) for index in range(20)]
_MEDIUM_SETS = [
    node(f"s{index}", "set", {"values": {f"v{index}": _MEDIUM_TEXT}}, on_error="route")
    for index in range(5)
]


def _chain_of(nodes: list[dict[str, Any]]) -> list[tuple[str, ...]]:
    ids = ["start", *(each["id"] for each in nodes)]
    return list(itertools.pairwise(ids))


_FAILS_IN_A_LOOP = graph(
    value("first", "{{ trigger.items }}"),
    value("side", "aside"),
    node("each", "loop", {"items": "trigger.items", "max_concurrency": 1}),
    node("check", "if", {"condition": "item == 2 and not trigger.fixed"}),
    node("boom", "fail", {"message": "item {{ item }}"}),
    value("fine", "done {{ item }}"),
    value("after", "{{ nodes.each.count }}"),
    edges=[
        ("start", "first"),
        ("start", "side"),
        ("first", "each"),
        ("each", "check", "body"),
        ("check", "boom", "true"),
        ("check", "fine", "false"),
        ("fine", "each"),
        ("each", "after", "done"),
    ],
)


def _rerun_of_the_failed_loop() -> Continuation:
    """What the run service starts a rerun of `failure_keeps_progress_for_a_rerun` with:
    `first` and `side` kept, the loop's first item done, its second to run again."""
    done = NodeState(status="succeeded", attempts=1)
    return Continuation(
        state=RunState(
            nodes={
                **{node_id: NodeState() for node_id in ("start", "boom", "fine", "after")},
                "first": done.model_copy(update={"output": [1, 2, 3]}),
                "side": done.model_copy(update={"output": "aside"}),
                "each": NodeState(status="running", attempts=1),
                "check": NodeState(),
            }
        ),
        scope=ScopeSnapshot(
            outputs={"first": [1, 2, 3], "side": "aside"},
            reused={"first": "out", "side": "out"},
            parked={
                "each": Parked(
                    loop=LoopSnapshot(
                        count=3,
                        next_index=2,
                        remaining=[3],
                        results=LoopResults(kept={0: "done 1"}, size_bytes=9),
                        running={
                            1: ScopeSnapshot(outputs={}, reused={}, item=2, index=1),
                        },
                    )
                )
            },
        ),
        runs=0,
    )


_SCHEDULED = triggered(
    node("weekly", "trigger.schedule", {"cron": ["0 9 * * MON"], "input": {"report": "sales"}}),
    value("report", "{{ trigger.report }} due {{ trigger.scheduled_time }}"),
    edges=[("weekly", "report")],
)

SCENARIOS: tuple[Scenario, ...] = (
    Scenario(
        "failure_keeps_progress_for_a_rerun",
        _FAILS_IN_A_LOOP,
        {"items": [1, 2, 3]},
        expect=WorkflowExecutionStatus.FAILED,
    ),
    Scenario(
        "rerun_from_a_failed_step_passes_the_kept_nodes",
        _FAILS_IN_A_LOOP,
        {"items": [1, 2, 3], "fixed": True},
        resume=_rerun_of_the_failed_loop(),
    ),
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
    Scenario(
        "wait_for_event_drops_unexpected_and_oldest_events",
        _WAIT_FOR_EVENT,
        {"order": 7},
        send_events(
            "paid",
            EventInput(name="refunded", payload={"order": 7}),
            *[
                EventInput(name="payment.completed", payload={"order": 8, "amount": n})
                for n in (1, 2, 3)
            ],
            EventInput(name="payment.completed", payload={"order": 7, "amount": 30}),
        ),
        limits=RunLimits(buffered_events=2),
    ),
    Scenario("approval_approved", _APPROVAL, {"title": "post"}, decide("review", approved=True)),
    Scenario(
        # Publishes `run.waiting_for_approval` as the approval starts, `run.succeeded` at the end.
        "run_events_published_as_an_approval_waits_and_the_run_succeeds",
        _APPROVAL,
        {"title": "post"},
        decide("review", approved=True),
        run_events=True,
    ),
    Scenario(
        "run_events_published_as_the_run_fails",
        graph(node("stop_here", "fail", {"message": "bad"}), edges=[("start", "stop_here")]),
        {},
        expect=WorkflowExecutionStatus.FAILED,
        run_events=True,
    ),
    Scenario("approval_rejected", _APPROVAL, {"title": "post"}, decide("review", approved=False)),
    Scenario("approval_timeout", _APPROVAL, {"title": "post"}),
    Scenario("approval_by_a_verified_approver", _APPROVAL_BY, {}, decide_with_link("review")),
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
        # Polls until a condition holds, a durable delay between iterations; one run
        # continues as new while the loop waits between two iterations.
        "loop_until_with_a_delay_continues_as_new",
        graph(
            node("poll", "loop", {"until": "item.n == 10", "delay": "PT1M"}),
            value("step", {"n": "{{ index + 1 }}", "previous": "{{ item }}"}),
            value("after", "{{ nodes.poll.count }}: {{ nodes.poll.last.n }}"),
            edges=[
                ("start", "poll"),
                ("poll", "step", "body"),
                ("step", "poll"),
                ("poll", "after", "done"),
            ],
        ),
        limits=RunLimits(history_events=30),
    ),
    Scenario(
        # `until` still false after max_iterations: the node fails, its error routed.
        "loop_until_not_met_routes_its_error",
        graph(
            node(
                "poll",
                "loop",
                {"until": "false", "delay": "PT1M", "max_iterations": 2},
                on_error="route",
            ),
            value("step", "{{ index }}"),
            value("gave_up", "{{ error.type }}"),
            edges=[
                ("start", "poll"),
                ("poll", "step", "body"),
                ("step", "poll"),
                ("poll", "gave_up", "error"),
            ],
        ),
    ),
    Scenario(
        # Past `pace.NODES_PER_TASK` nodes in one workflow task the run takes a 1 ms breath.
        "loop_of_control_nodes_takes_breaths",
        control_only_loop(),
        {"items": list(range(1_100))},
    ),
    Scenario(
        "loop_of_costly_nodes_breathes_by_counted_work",
        costly_loop(30),
        {"records": COSTLY_RECORDS},
    ),
    Scenario(
        "wait_for_event_matches_many_events_breathing_between_tasks",
        waiting_for_the_last_of(30),
        drive=numbered_events_then_approval(30),
    ),
    Scenario(
        "expression_over_its_work_limit_follows_error_route",
        graph(
            node(
                "heavy",
                "if",
                {
                    "condition": "[[[str(i) for i in range(100)]] * 1000] * 10 == "
                    "[[[str(i) for i in range(100)]] * 1000] * 10"
                },
                on_error="route",
            ),
            value("handled", "{{ error.type }}: {{ error.message }}"),
            edges=[("start", "heavy"), ("heavy", "handled", "error")],
        ),
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
        # The action reports its attempt around its output; the `if` reads that output, so
        # an interpreter that misread the result would take the other branch's timer.
        "http_request_retried_reports_its_attempt",
        graph(
            http_request(
                "fetch",
                "/busy-once/{{ trigger.key }}",
                retry={"maximum_attempts": 3, "initial_interval_seconds": 1},
            ),
            node("check", "if", {"condition": "nodes.fetch.body.ok"}),
            node("pause", "delay", {"duration": "PT1M"}),
            value("no", "N"),
            edges=[
                ("start", "fetch"),
                ("fetch", "check"),
                ("check", "pause", "true"),
                ("check", "no", "false"),
            ],
        ),
        with_http({"key": "retried"}),
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
    Scenario(
        # `b` starts after `z` but comes first in the plan: cancelled first.
        "cancelled_in_plan_order_not_start_order",
        graph(
            value("a", "x"),
            node("b", "delay", {"duration": "P2D"}),
            node("z", "delay", {"duration": "P3D"}),
            edges=[("start", "a"), ("a", "b"), ("start", "z")],
        ),
        drive=cancel_while_waiting("b"),
        expect=WorkflowExecutionStatus.CANCELED,
    ),
    Scenario(
        "cancelled_while_action_runs",
        graph(
            http_request("call", "/slow"),
            value("never", "x"),
            edges=[("start", "call"), ("call", "never")],
        ),
        with_http({}),
        drive=cancel_while_slow_call_runs,
        expect=WorkflowExecutionStatus.CANCELED,
    ),
    Scenario(
        "sub_workflow_waits_for_child",
        calling(input={"n": "{{ trigger.n }}"}),
        {"n": 21},
        workflows={"wf_child": DOUBLER},
        children=("~call~0",),
    ),
    Scenario(
        "sub_workflow_failure_follows_error_route",
        calling(input={"n": 3}, on_error="route"),
        workflows={"wf_child": FAILER},
        children=("~call~0",),
    ),
    Scenario(
        # As the API started runs before the status came from Temporal's ExecutionStatus:
        # with `FlowRunStatus` "running", upserted when the run ends, and passed to children.
        "sub_workflow_started_with_status_attribute",
        calling(input={"n": "{{ trigger.n }}"}),
        {"n": 4},
        workflows={"wf_child": DOUBLER},
        children=("~call~0",),
        search_attributes=TypedSearchAttributes(
            [
                SearchAttributePair(attributes.ORGANIZATION_ID, ORGANIZATION),
                SearchAttributePair(attributes.WORKFLOW_ID, "wf_test"),
                SearchAttributePair(attributes.WORKFLOW_VERSION, 1),
                SearchAttributePair(attributes.TRIGGER_KIND, "manual"),
                SearchAttributePair(attributes.RUN_STATUS, "running"),
            ]
        ),
    ),
    Scenario(
        "sub_workflow_not_waited_for",
        calling(input={"n": 1}, wait=False),
        workflows={"wf_child": DOUBLER},
    ),
    Scenario(
        "continue_as_new_loop_and_parked_delay",
        graph(
            node("sleep", "delay", {"duration": "PT2H"}),
            node("each", "loop", {"items": "trigger.items"}),
            node("pause", "delay", {"duration": "PT1M"}),
            node("count", "set", {"values": {"seen": "{{ vars.seen + 1 }}"}}),
            value("greet", "hi {{ item }} #{{ index }}"),
            node("both", "join", {"mode": "all"}),
            value("after", "{{ nodes.each.count }} items, {{ vars.seen }} seen"),
            edges=[
                ("start", "sleep"),
                ("start", "each"),
                ("each", "pause", "body"),
                ("pause", "count"),
                ("count", "greet"),
                ("greet", "each"),
                ("sleep", "both"),
                ("each", "both", "done"),
                ("both", "after"),
            ],
        )
        | {"settings": {"variables": {"seen": 0}}},
        {"items": [f"n{i}" for i in range(12)]},
        limits=RunLimits(history_events=30),
    ),
    Scenario(
        # Recorded before runs whose branches all wait continued as new on a signal: one
        # history that grows past the limit (re-recorded, it would continue as new).
        "events_flood_while_waiting_recorded_without_continuing",
        WAITING_BRANCHES,
        {"order": 7},
        flood_then_finish,
        limits=WAITING_LIMITS,
    ),
    Scenario(
        "continue_as_new_while_every_branch_waits",
        WAITING_BRANCHES,
        {"order": 7},
        flood_then_finish,
        limits=WAITING_LIMITS,
    ),
    Scenario(
        "wait_for_event_one_event_goes_to_the_first_wait_in_plan_order",
        TWO_WAITS_FOR_ONE_EVENT,
        drive=one_event_then_another,
    ),
    Scenario(
        # Recorded before expressions were charged for all their work and a node's templates
        # shared one allowance: within the old bounds, over the new ones. Runs in flight
        # replay them unbounded (`bounded-expression-work`, `pace-workflow-tasks-by-work`).
        "costly_expressions_recorded_before_they_were_bounded",
        graph(
            value("writes", {"sizes": ["{{ len(json_encode(trigger.records)) }}"] * 100}),
            node("compares", "if", {"condition": f"{_SHARED_TEXTS} == {_SHARED_TEXTS}"}),
            value("equal", "{{ nodes.compares.result }}"),
            edges=[("start", "writes"), ("writes", "compares"), ("compares", "equal", "true")],
        ),
        {"records": COSTLY_RECORDS},
    ),
    Scenario(
        # Recorded before the matches of one workflow task shared a budget: twenty costly
        # matches in one task (re-recorded, the wait would breathe halfway).
        "wait_for_event_matched_many_events_recorded_before_breathing",
        waiting_for_the_last_of(20),
        drive=numbered_events_then_approval(20),
    ),
    Scenario(
        # Recorded before events went to one wait in plan order: both waits took the event,
        # and the second to resume failed (`InternalError`). Runs in flight replay that.
        "wait_for_event_one_event_two_waits_recorded_before_plan_order",
        TWO_WAITS_FOR_ONE_EVENT,
        drive=send_event("b_wait", "go", 1),
        expect=WorkflowExecutionStatus.FAILED,
    ),
    Scenario(
        "continue_as_new_takes_the_event_found_on_the_last_signal",
        WAITING_BRANCHES,
        {"order": 7},
        lambda handle, services: the_event_on_the_signal_that_ends_the_run(services.client, handle),
        limits=WAITING_LIMITS,
    ),
    Scenario(
        # Recorded before the run's state was bounded: twenty medium outputs (600 KB), within
        # Temporal's limit, over the new bound (outputs count twice: the continuation carries
        # them twice). Runs in flight replay them unbounded (`bounded-run-state`).
        "run_state_recorded_before_it_was_bounded",
        graph(
            *_MEDIUM_OUTPUTS,
            value("last", "{{ len(nodes.n19) }}"),
            edges=[*_chain_of(_MEDIUM_OUTPUTS), ("n19", "last")],
        ),
    ),
    Scenario(
        "run_state_too_large_follows_the_error_route",
        graph(
            *_MEDIUM_SETS,
            value("handled", "{{ error.type }} at {{ error.node_id }}"),
            edges=[
                *_chain_of(_MEDIUM_SETS),
                *((s["id"], "handled", "error") for s in _MEDIUM_SETS),
            ],
        ),
        limits=RunLimits(state_bytes=100_000),
    ),
    Scenario(
        "trigger_schedule_reads_scheduled_time",
        triggered(
            node(
                "weekly",
                "trigger.schedule",
                {
                    "cron": ["0 9 * * MON"],
                    "timezone": "Europe/Paris",
                    "input": {"report": "sales"},
                },
            ),
            value("report", "{{ trigger.report }} due {{ trigger.scheduled_time }}"),
            edges=[("weekly", "report")],
        ),
        {
            "report": "sales"
        },  # what a Temporal Schedule starts the run with (app/services/schedules.py)
        trigger="weekly",
        kind="schedule",
    ),
    Scenario(
        # What a schedule starts since run quotas hold for scheduled runs: admitted, it runs.
        "schedule_admitted_by_quota",
        _SCHEDULED,
        {"report": "sales"},
        trigger="weekly",
        kind="schedule",
        run_events=True,
        admit_by_quota=True,
        runs_per_hour=1_000,
    ),
    Scenario(
        # Refused: it fails `QuotaExceeded` from its trigger, before its first node.
        "schedule_refused_by_quota",
        _SCHEDULED,
        {"report": "sales"},
        expect=WorkflowExecutionStatus.FAILED,
        trigger="weekly",
        kind="schedule",
        run_events=True,
        admit_by_quota=True,
        runs_per_hour=0,
    ),
    Scenario(
        "trigger_webhook_reads_request",
        triggered(
            node("hook", "trigger.webhook", {"authentication": "token"}),
            value("order", "order {{ trigger.body.order }} from {{ trigger.query.shop }}"),
            edges=[("hook", "order")],
        ),
        {
            "method": "POST",
            "headers": {"content-type": "application/json", "user-agent": "shop/1.0"},
            "query": {"shop": "north"},
            "body": {"order": 7},
        },  # what app/services/webhook_delivery.trigger_payload makes of a delivery
        trigger="hook",
        kind="webhook",
    ),
    Scenario(
        "trigger_poll_reads_the_new_item",
        triggered(
            node(
                "mentions",
                "trigger.poll",
                {
                    "interval": {"every": "PT5M"},
                    "source": {
                        "type": "http.request",
                        "parameters": {"method": "GET", "url": "https://api.example.com/m"},
                    },
                    "items": "body.data",
                },
            ),
            value("reply", "reply to {{ trigger.item_id }}: {{ trigger.item.text }}"),
            edges=[("mentions", "reply")],
        ),
        {
            "item": {"id": "m7", "text": "hello"},
            "item_id": "m7",
            "polled_at": "2026-12-03T10:00:00Z",
        },  # what app/services/polling.PolledRuns starts a run with
        trigger="mentions",
        kind="poll",
    ),
    Scenario(
        "x_me_post_read_delete",
        graph(
            x_action("me", "x.me"),
            x_action("post", "x.post", text="hello from @{{ nodes.me.username }}"),
            x_action("read", "x.get_post", post_id="{{ nodes.post.id }}"),
            x_action("remove", "x.delete", post_id="{{ nodes.post.id }}"),
            edges=[("start", "me"), ("me", "post"), ("post", "read"), ("read", "remove")],
        ),
    ),
    Scenario(
        "account_chosen_at_run_time",
        graph(
            node("me", "x.me", {}, account_id="{{ trigger.accounts.x }}"),
            node(
                "missing",
                "x.me",
                {},
                account_id="{{ trigger.accounts.gone }}",
                on_error="continue",
            ),
            edges=[("start", "me"), ("me", "missing")],
        ),
        payload={"accounts": {"x": X_ACCOUNT, "gone": "acc_gone"}},
    ),
    Scenario(
        "x_thread_two_posts",
        graph(
            x_action("thread", "x.thread", posts=[{"text": "one (1/2)"}, {"text": "two (2/2)"}]),
            value("ids", "{{ nodes.thread.first_id }}..{{ nodes.thread.last_id }}"),
            edges=[("start", "thread"), ("thread", "ids")],
        ),
    ),
    Scenario(
        "x_upload_media_post_and_reads",
        graph(
            x_action(
                "upload",
                "x.upload_media",
                data="iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==",
                media_type="image/png",
            ),
            x_action(
                "post",
                "x.post",
                text="a picture for @ada",
                media_ids=["{{ nodes.upload.media_id }}"],
            ),
            x_action("mentions", "x.mentions", max_results=10),
            x_action(
                "own",
                "x.user_posts",
                exclude=["replies"],
                since_id="{{ nodes.mentions.newest_id }}",
            ),
            x_action("search", "x.search_recent", query="picture", max_pages=2),
            edges=[
                ("start", "upload"),
                ("upload", "post"),
                ("post", "mentions"),
                ("mentions", "own"),
                ("own", "search"),
            ],
        ),
    ),
    Scenario(
        # Recorded with summaries on its commands (the node's name and id, workflows/summaries.py):
        # user metadata the replayer does not compare, so histories without them replay too.
        "summaries_name_actions_and_children",
        graph(
            node(
                "announce",
                "x.post",
                {"text": "launch day"},
                account_id=X_ACCOUNT,
                name="Announce the launch",
            ),
            node("call", "sub_workflow", {"workflow_id": "wf_child", "input": {"n": 2}}),
            value("after", "{{ nodes.call }}"),
            edges=[("start", "announce"), ("announce", "call"), ("call", "after")],
        ),
        workflows={"wf_child": DOUBLER},
        children=("~call~0",),
    ),
    Scenario(
        "instagram_publish_then_insights",
        graph(
            instagram_action(
                "publish",
                "instagram.publish",
                kind="image",
                image_url="https://cdn.example.com/photo.jpg",
                caption="{{ trigger.caption }}",
                poll_interval="PT1S",
            ),
            instagram_action(
                "insights",
                "instagram.insights",
                target="media",
                media_id="{{ nodes.publish.media_id }}",
                metrics=["reach", "likes"],
            ),
            edges=[("start", "publish"), ("publish", "insights")],
        ),
        {"caption": "made today"},
    ),
    Scenario(
        "instagram_conversation_nodes",
        graph(
            instagram_action(
                "publish",
                "instagram.publish",
                kind="image",
                image_url="https://cdn.example.com/photo.jpg",
                caption="{{ trigger.caption }}",
                alt_text="a mug",
                user_tags=[{"username": "bo.brews", "x": 0.5, "y": 0.5}],
                first_comment="first!",
                poll_interval="PT1S",
            ),
            instagram_action(
                "listed", "instagram.list_comments", media_id="{{ nodes.publish.media_id }}"
            ),
            instagram_action(
                "reply",
                "instagram.reply_comment",
                comment_id="{{ nodes.publish.first_comment_id }}",
                message="thanks",
            ),
            # The account's own comment: Meta refuses to hide it, or to answer it privately,
            # and nobody wrote to it: those steps fail and the run goes on.
            node(
                "hide",
                "instagram.hide_comment",
                {"comment_id": "{{ nodes.publish.first_comment_id }}"},
                account_id=INSTAGRAM_ACCOUNT,
                on_error="continue",
            ),
            node(
                "private",
                "instagram.private_reply",
                {"comment_id": "{{ nodes.publish.first_comment_id }}", "message": "hi"},
                account_id=INSTAGRAM_ACCOUNT,
                on_error="continue",
            ),
            node(
                "dm",
                "instagram.send_message",
                {"recipient_id": "1234", "message": "hi"},
                account_id=INSTAGRAM_ACCOUNT,
                on_error="continue",
            ),
            instagram_action(
                "delete",
                "instagram.delete_comment",
                comment_id="{{ nodes.publish.first_comment_id }}",
            ),
            value("count", "{{ nodes.listed.count }} {{ nodes.delete.deleted }}"),
            edges=[
                ("start", "publish"),
                ("publish", "listed"),
                ("listed", "reply"),
                ("reply", "hide"),
                ("hide", "private"),
                ("private", "dm"),
                ("dm", "delete"),
                ("delete", "count"),
            ],
        ),
        {"caption": "made today"},
    ),
    Scenario(
        "ai_generate_structured",
        graph(
            node(
                "draft",
                "ai.generate",
                {
                    "model": "test-model",
                    "system": "Be brief.",
                    "prompt": "Post about {{ trigger.topic }}",
                    "response_schema": {
                        "type": "object",
                        "properties": {"text": {"type": "string"}},
                        "required": ["text"],
                    },
                },
                account_id=AI_ACCOUNT,
            ),
            value("text", "{{ nodes.draft.json.text }} ({{ nodes.draft.usage.total_tokens }})"),
            edges=[("start", "draft"), ("draft", "text")],
        ),
        {"topic": "durable runs"},
    ),
)


# -- the HTTP API scenarios call ---------------------------------------------------------


def http_app(slow_called: asyncio.Event) -> FastAPI:
    """The HTTP API the `http.request` scenarios call: small, fixed answers, `/slow`,
    which answers only when the caller gives up, and `/busy-once/{key}`, 503 the first time."""
    app = FastAPI()

    @app.get("/slow")
    async def slow(request: Request) -> dict[str, Any]:
        slow_called.set()
        while True:
            if await request.is_disconnected():
                return {}
            await asyncio.sleep(0.05)

    @app.get("/items/{item_id}")
    async def item(item_id: int) -> dict[str, Any]:
        return {"id": item_id, "name": f"item {item_id}"}

    @app.get("/missing")
    async def missing() -> JSONResponse:
        return JSONResponse({"detail": "not found"}, status_code=404)

    busy_once: set[str] = set()

    @app.get("/busy-once/{key}")
    async def busy_once_then_ok(key: str) -> JSONResponse:
        if key not in busy_once:
            busy_once.add(key)
            return JSONResponse({}, status_code=503, headers={"Retry-After": "1"})
        return JSONResponse({"ok": True})

    return app
