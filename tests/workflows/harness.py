"""Running graphs on a real Temporal server: compile, start the interpreter, read its state."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from typing import Any

from temporalio.api.enums.v1 import EventType
from temporalio.client import Client, WorkflowFailureError, WorkflowHandle, WorkflowHistory
from temporalio.service import RPCError, RPCStatusCode
from temporalio.worker import Worker

from activities.services import ActionServices
from app.catalog import CATALOG
from app.db.models import Account, Organization
from app.language.calls import calls, pin, plan_key
from app.language.plan import Plan
from app.vault.credentials import AI_BASE_URL_FIELD, credential_row
from emulator.testing import EmulatorHandle
from temporal.worker import build_worker
from tests.activities.support import connect_emulated
from tests.utils.compiling import compile_workflow
from workflows.state import (
    INTERPRETER_WORKFLOW,
    STATE_QUERY,
    RunInput,
    RunMetadata,
    RunState,
    TriggerInput,
    TriggerKind,
)

Handle = WorkflowHandle[Any, RunState]

ORGANIZATION = "org_test"
"""The organization every harness run belongs to."""
X_ACCOUNT, INSTAGRAM_ACCOUNT, HTTP_ACCOUNT = "acc_x", "acc_ig", "acc_http"
AI_ACCOUNT = "acc_ai"
AI_KEY = "sk-harness-ai-key-2f7c1e9b"
"""Account ids graphs may name; runs that call a platform need them stored
(`connect_harness_accounts`)."""


def compiled(graph: dict[str, Any]) -> Plan:
    """The graph's plan, every `sub_workflow` node without a version pinned to version 1."""
    accounts = {
        X_ACCOUNT: "x",
        INSTAGRAM_ACCOUNT: "instagram",
        HTTP_ACCOUNT: "http",
        AI_ACCOUNT: "ai",
    }
    plan = compile_workflow(graph, accounts=accounts, catalog=CATALOG)
    return pin(plan, {call.node_id: 1 for call in calls(plan) if call.version is None})


def run_input(
    graph: dict[str, Any],
    payload: Any = None,
    trigger: str = "start",
    *,
    kind: TriggerKind = "manual",
    workflows: Mapping[str, dict[str, Any]] | None = None,
    **fields: Any,
) -> RunInput:
    """A run of `graph` fired by its trigger node `trigger` (of `kind`), carrying version 1
    of each of `workflows` (by workflow id)."""
    plan = compiled(graph)
    return RunInput(
        plan=plan,
        trigger=TriggerInput(kind=kind, node_id=trigger, payload=payload),
        metadata=RunMetadata(
            organization_id=ORGANIZATION, workflow_id="wf_test", workflow_version=1,
            plan_hash=plan.content_hash(),
        ),
        workflows={
            plan_key(workflow_id, 1): compiled(child)
            for workflow_id, child in (workflows or {}).items()
        },
        **fields,
    )  # fmt: skip


async def start(
    client: Client,
    task_queue: str,
    graph: dict[str, Any],
    payload: Any = None,
    **fields: Any,
) -> Handle:
    """Start a run of `graph`; `fields` go to `run_input`."""
    return await client.start_workflow(
        INTERPRETER_WORKFLOW,
        run_input(graph, payload, **fields),
        id=f"run_{uuid.uuid4().hex}",
        task_queue=task_queue,
        result_type=RunState,
    )


async def state_of(handle: Handle) -> RunState:
    state: RunState = await handle.query(STATE_QUERY, result_type=RunState)
    return state


async def wait_until_waiting(handle: Handle, node_id: str) -> RunState:
    """Poll the live state until `node_id` waits (for an event, a decision or a timer);
    the run may not have started yet (a child run its parent is about to start)."""
    async with asyncio.timeout(20):
        while True:
            try:
                state = await state_of(handle)
            except RPCError as error:
                if error.status != RPCStatusCode.NOT_FOUND:
                    raise
            else:
                if any(wait.node_id == node_id for wait in state.waiting_for):
                    return state
            await asyncio.sleep(0.05)


async def wait_until_state(handle: Handle, holds: Callable[[RunState], bool]) -> RunState:
    """Poll the live state until `holds` is true of it."""
    async with asyncio.timeout(20):
        while True:
            state = await state_of(handle)
            if holds(state):
                return state
            await asyncio.sleep(0.05)


async def cancel_and_wait(handle: Handle) -> None:
    """Cancel a run and wait until it has ended. A run left to a stopped worker keeps a task
    open on the time-skipping server, whose clock then stops for every later test."""
    await handle.cancel()
    with contextlib.suppress(WorkflowFailureError):
        await handle.result()


async def histories_of(client: Client, handle: Handle) -> list[WorkflowHistory]:
    """The history of each run of a run's continue-as-new chain, first run first."""
    histories = []
    run_id = handle.result_run_id
    while run_id:
        history = await client.get_workflow_handle(handle.id, run_id=run_id).fetch_history()
        histories.append(history)
        last = history.events[-1]
        run_id = (
            last.workflow_execution_continued_as_new_event_attributes.new_execution_run_id
            if last.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW
            else None
        )
    return histories


async def chain_of(client: Client, handle: Handle) -> list[list[EventType.ValueType]]:
    """The event types of each run of a run's continue-as-new chain, first run first."""
    return [
        [event.event_type for event in history.events]
        for history in await histories_of(client, handle)
    ]


async def wait_until_continued(client: Client, handle: Handle, runs: int = 2) -> None:
    """Poll until the run's chain has `runs` runs: it continued as new `runs - 1` times."""
    async with asyncio.timeout(20):
        while True:
            if len(await chain_of(client, handle)) >= runs:
                return
            await asyncio.sleep(0.05)


async def wait_until_signals_handled(client: Client, handle: Handle) -> None:
    """Poll until the run's latest run has completed a workflow task since the last signal it
    got. Reading the history never races a continue-as-new; a query does, and the
    time-skipping server then loses the run's history."""
    async with asyncio.timeout(20):
        while True:
            run_id = (await client.get_workflow_handle(handle.id).describe()).run_id
            history = await client.get_workflow_handle(handle.id, run_id=run_id).fetch_history()
            kinds = [event.event_type for event in history.events]
            last_signal = _last(kinds, EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED)
            last_task = _last(kinds, EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED)
            if last_task > last_signal and (
                EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED not in kinds[last_task:]
            ):
                return
            await asyncio.sleep(0.05)


def _last(kinds: list[EventType.ValueType], kind: EventType.ValueType) -> int:
    return max((index for index, found in enumerate(kinds) if found == kind), default=-1)


async def connect_harness_accounts(services: ActionServices, emulator: EmulatorHandle) -> None:
    """Store `ORGANIZATION` with `X_ACCOUNT` and `INSTAGRAM_ACCOUNT` connected to a new user of
    each emulated platform, and `AI_ACCOUNT` to the emulated OpenAI-compatible API, so harness
    runs' actions can call the emulator."""
    x = emulator.add_x_user("ada", name="Ada Lovelace")
    instagram = emulator.add_instagram_user("ada.makes")
    async with services.database.session() as session:
        # Fixed ids, so graphs can name the accounts: connecting an account again (same
        # external id) fills in its row rather than making a new one.
        session.add(Organization(id=ORGANIZATION, name="Harness"))
        await session.flush()
        for account_id, platform, external_id in (
            (X_ACCOUNT, "x", x.user_id),
            (INSTAGRAM_ACCOUNT, "instagram", instagram.ig_user_id),
        ):
            session.add(
                Account(
                    id=account_id,
                    organization_id=ORGANIZATION,
                    platform=platform,
                    display_name="",
                    external_id=external_id,
                )
            )
        session.add(Account(id=AI_ACCOUNT, organization_id=ORGANIZATION, platform="ai",
                            display_name=""))  # fmt: skip
        session.add(
            credential_row(
                services.vault, organization_id=ORGANIZATION, account_id=AI_ACCOUNT,
                kind="openai", secret={"api_key": AI_KEY, AI_BASE_URL_FIELD: f"{emulator.url}/v1"},
            )
        )  # fmt: skip
        await session.commit()
    emulator.add_ai_key(AI_KEY)
    await connect_emulated(services, ORGANIZATION, x, instagram)


@asynccontextmanager
async def worker(client: Client, task_queue: str, **options: Any) -> AsyncIterator[Worker]:
    async with build_worker(client, task_queue, **options) as running:
        yield running


def graph(*nodes: dict[str, Any], edges: list[tuple[str, ...]]) -> dict[str, Any]:
    """A graph from nodes and (source, target[, handle]) edges, with a manual trigger `start`."""
    return {
        "nodes": [{"id": "start", "type": "trigger.manual"}, *nodes],
        "edges": [
            {"source": e[0], "target": e[1], **({"sourceHandle": e[2]} if len(e) > 2 else {})}
            for e in edges
        ],
    }


def node(
    node_id: str, type_: str, parameters: dict[str, Any] | None = None, **fields: Any
) -> dict[str, Any]:
    return {"id": node_id, "type": type_, "parameters": parameters or {}, **fields}


def value(node_id: str, produced: Any, **fields: Any) -> dict[str, Any]:
    return node(node_id, "transform", {"value": produced}, **fields)


def control_only_loop() -> dict[str, Any]:
    """A loop over `trigger.items`, four at a time, whose body only decides and shapes data:
    no activity, no timer, so it would all run inside one workflow task unless paced."""
    return graph(
        node("each", "loop", {"items": "trigger.items", "max_concurrency": 4}),
        node("check", "if", {"condition": "item % 2 == 0"}),
        value("even", "{{ item }}"),
        value("odd", "{{ -item }}"),
        edges=[
            ("start", "each"),
            ("each", "check", "body"),
            ("check", "even", "true"),
            ("check", "odd", "false"),
            ("even", "each"),
            ("odd", "each"),
        ],
    )


COSTLY_RECORDS = [
    {"id": index, "name": f"user {index}", "tags": ["a", str(index)]} for index in range(500)
]
"""A trigger's `records` for `costly_loop`."""
COSTLY_TEMPLATES = 30
"""Templates of `costly_loop`'s body node, each writing out all `COSTLY_RECORDS`: about
20 ms of work per iteration on a 2-core machine, well within one node's limits."""


def costly_loop(items: int) -> dict[str, Any]:
    """A loop over `items` numbers whose body is one `transform` node `heavy` of
    `COSTLY_TEMPLATES` costly templates over `trigger.records`."""
    return graph(
        node("each", "loop", {"items": f"range({items})"}),
        value("heavy", {"sizes": ["{{ len(json_encode(trigger.records)) }}"] * COSTLY_TEMPLATES}),
        edges=[("start", "each"), ("each", "heavy", "body"), ("heavy", "each")],
    )


COSTLY_MATCH = (
    "[len(json_encode([[str(i) for i in range(100)]] * 200)) for x in range(8)] "
    "and event.n == {last}"
)
"""A match of about a tenth of a node's allowance, true only for the last event."""


def waiting_for_the_last_of(events: int) -> dict[str, Any]:
    """`pay` waits for the `paid` event numbered `events - 1`, with a costly match, once
    `hold` is approved: the events sent meanwhile are all matched when `pay` starts."""
    return graph(
        node("hold", "approval", {"message": "go on?"}),
        node(
            "pay",
            "wait_for_event",
            {"event": "paid", "match": COSTLY_MATCH.format(last=events - 1)},
        ),
        value("thanks", "{{ nodes.pay.n }}"),
        edges=[("start", "hold"), ("hold", "pay", "approved"), ("pay", "thanks")],
    )


# -- sub-workflows -----------------------------------------------------------------------

DOUBLER = graph(value("double", {"doubled": "{{ trigger.n * 2 }}"}), edges=[("start", "double")])
FAILER = graph(
    node("boom", "fail", {"message": "no {{ trigger.n }}", "error_type": "NoGood"}),
    edges=[("start", "boom")],
)
WAITER = graph(node("hold", "wait_for_event", {"event": "go"}), edges=[("start", "hold")])


def calling(
    workflow_id: str = "wf_child", *, input: Any = None, wait: bool = True, **fields: Any
) -> dict[str, Any]:
    """A graph whose node `call` runs `workflow_id`, then `after` reads its output; with
    `on_error="route"`, `handled` reads the error."""
    parameters: dict[str, Any] = {"workflow_id": workflow_id, "wait": wait}
    if input is not None:
        parameters["input"] = input
    routed = fields.get("on_error") == "route"
    return graph(
        node("call", "sub_workflow", parameters, **fields),
        value("after", "{{ nodes.call }}"),
        *([value("handled", "{{ error.type }}: {{ error.message }}")] if routed else []),
        edges=[
            ("start", "call"),
            ("call", "after"),
            *([("call", "handled", "error")] if routed else []),
        ],
    )
