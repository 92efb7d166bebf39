"""A run's whole state stays within Temporal's payload limit, whatever way it grows.

On Temporal's dev server, which refuses payloads over 2 MiB as production servers do (the
time-skipping test server takes them). Each output was bounded on its own (32 KiB), but
together outputs, variables, a loop's items, the outputs of its iterations under way, what
waits received and what children returned could pass the 2 MiB payload limit; Temporal
then refused the workflow task's
commands (its result, its continue-as-new input, an action's or a child's input), the task
was retried for ever, and the run never ended. Now what a run keeps is counted
(`workflows.state_budget`): the node that would pass the bound fails with
`RunStateTooLarge` (or `InputTooLarge` for what it would hand to Temporal), naming itself,
and follows its error route when it has one.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.responses import JSONResponse
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client, WorkflowFailureError
from temporalio.exceptions import ApplicationError

from app.contract.payload_limits import TEMPORAL_PAYLOAD_BYTES
from tests.utils.servers import serve
from tests.workflows.harness import (
    Handle,
    graph,
    histories_of,
    node,
    start,
    state_of,
    value,
    wait_until_state,
)
from workflows.state import EVENT_SIGNAL, EventInput, RunLimits, RunState
from workflows.state_budget import encoded_size

RESULT_TIMEOUT_SECONDS = 90
"""A run that ends takes seconds; one whose workflow task is retried for ever, never."""
MEDIUM = 30_000
"""Characters of one medium output: under the 32 KiB output bound."""
MANY = 80
"""Medium values enough to pass Temporal's 2 MiB payload limit together."""
MEDIUM_TEXT = f"{{{{ 'x' * {MEDIUM} }}}}"
# 1.9 million characters (under an expression's 2 million), of two bytes each in UTF-8:
# 3.8 MB once encoded, far over Temporal's limit.
HUGE_TEXT = "{{ ['é' * 99000] * 19 }}"


async def finished(handle: Handle) -> RunState:
    async with asyncio.timeout(RESULT_TIMEOUT_SECONDS):
        return await handle.result()


async def failure_of(handle: Handle) -> ApplicationError:
    with pytest.raises(WorkflowFailureError) as failure:
        await finished(handle)
    cause = failure.value.cause
    assert isinstance(cause, ApplicationError)
    return cause


async def assert_no_workflow_task_failed(handle: Handle) -> None:
    events = [event.event_type for event in (await handle.fetch_history()).events]
    assert EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED not in events


def chain(nodes: list[dict[str, Any]]) -> list[tuple[str, ...]]:
    ids = ["start", *(each["id"] for each in nodes)]
    return list(itertools.pairwise(ids))


def medium_outputs(count: int) -> list[dict[str, Any]]:
    return [value(f"n{index:02}", MEDIUM_TEXT) for index in range(count)]


async def test_many_medium_outputs_fail_the_node_that_passes_the_bound(
    dev_client: Client, task_queue: str
) -> None:
    nodes = medium_outputs(MANY)
    handle = await start(dev_client, task_queue, graph(*nodes, edges=chain(nodes)))
    cause = await failure_of(handle)
    assert cause.type == "RunStateTooLarge"
    state = await state_of(handle)  # readable: within the limit
    assert state.status == "failed"
    assert state.error is not None
    culprit = state.error.node_id
    assert culprit is not None
    assert f"node '{culprit}' failed: the output of '{culprit}' ({MEDIUM + 2} bytes" in (
        cause.message
    )
    # Every node before it kept its output; none after it ran.
    index = int(culprit[1:])
    assert 10 < index < MANY
    assert state.nodes[f"n{index - 1:02}"].output == "x" * MEDIUM
    assert state.nodes[f"n{index + 1:02}"].status == "pending"
    await assert_no_workflow_task_failed(handle)


async def test_variables_set_past_the_bound_follow_the_error_route(
    dev_client: Client, task_queue: str
) -> None:
    sets = [
        node(f"s{index:02}", "set", {"values": {f"v{index:02}": MEDIUM_TEXT}}, on_error="route")
        for index in range(MANY)
    ]
    handled = value("handled", "{{ error.type }} at {{ error.node_id }}: {{ error.message }}")
    document = graph(
        *sets,
        handled,
        edges=[*chain(sets), *((each["id"], "handled", "error") for each in sets)],
    )
    handle = await start(dev_client, task_queue, document)
    state = await finished(handle)
    assert state.status == "succeeded"
    message = state.nodes["handled"].output
    assert isinstance(message, str)
    assert message.startswith("RunStateTooLarge at s")
    culprit = message.split()[2].rstrip(":")
    assert f"the variable 'v{culprit[1:]}'" in message
    # Nothing half stored: the variable that did not fit was not set.
    assert f"v{culprit[1:]}" not in state.variables
    assert 10 < len(state.variables) < MANY
    assert encoded_size(state) < TEMPORAL_PAYLOAD_BYTES
    await assert_no_workflow_task_failed(handle)


async def test_one_huge_action_input_fails_its_node_before_temporal_refuses_it(
    dev_client: Client, task_queue: str
) -> None:
    action = node(
        "send",
        "http.request",
        {
            "method": "POST",
            "url": "https://example.com/in",
            "body": {"type": "raw", "raw": HUGE_TEXT},
        },
        on_error="route",
    )
    handled = value("handled", "{{ error.type }}: {{ error.message }}")
    document = graph(action, handled, edges=[("start", "send"), ("send", "handled", "error")])
    handle = await start(dev_client, task_queue, document)
    state = await finished(handle)
    assert state.status == "succeeded"
    message = state.nodes["handled"].output
    assert isinstance(message, str)
    assert message.startswith("InputTooLarge: the action's input (its rendered parameters) is ")
    await assert_no_workflow_task_failed(handle)


async def test_a_loops_huge_items_fail_the_loop(dev_client: Client, task_queue: str) -> None:
    # Kept while the loop runs, the items travel with the run when it continues as new.
    document = graph(
        node("each", "loop", {"items": "['é' * 99000] * 19"}, on_error="route"),
        node("pause", "delay", {"duration": "PT1S"}),
        value("handled", "{{ error.type }}: {{ error.message }}"),
        edges=[
            ("start", "each"),
            ("each", "pause", "body"),
            ("pause", "each"),
            ("each", "handled", "error"),
        ],
    )
    handle = await start(dev_client, task_queue, document, limits=RunLimits(history_events=30))
    state = await finished(handle)
    message = state.nodes["handled"].output
    assert isinstance(message, str)
    assert message.startswith("RunStateTooLarge: the loop's items (")
    await assert_no_workflow_task_failed(handle)


def waiting_loop(name: str) -> tuple[list[dict[str, Any]], list[tuple[str, ...]]]:
    """A loop `name` over 50 items, all at once, whose body makes a medium output (routing
    its failure to `{name}_handled`) and then waits five seconds for an event."""
    nodes = [
        node(name, "loop", {"items": "[i for i in range(50)]", "max_concurrency": 50}),
        value(f"{name}_big", MEDIUM_TEXT, on_error="route"),
        node(f"{name}_hold", "wait_for_event", {"event": "go", "timeout": "PT5S"}),
        value(f"{name}_handled", "{{ error.type }}"),
    ]
    edges = [
        ("start", name),
        (name, f"{name}_big", "body"),
        (f"{name}_big", f"{name}_hold"),
        (f"{name}_big", f"{name}_handled", "error"),
        (f"{name}_hold", name, "timeout"),
        (f"{name}_hold", name),
        (f"{name}_handled", name),
    ]
    return nodes, edges


async def test_the_outputs_of_loop_iterations_under_way_are_bounded(
    dev_client: Client, task_queue: str
) -> None:
    # A hundred iterations wait at once, each holding a medium output: 3 MB in their scopes,
    # which the run carries when it continues as new.
    first, first_edges = waiting_loop("a")
    second, second_edges = waiting_loop("b")
    document = graph(*first, *second, edges=[*first_edges, *second_edges])
    handle = await start(dev_client, task_queue, document, limits=RunLimits(history_events=40))
    await wait_until_state(handle, lambda state: len(state.waiting_for) > 5)
    for _ in range(10):  # events no wait takes: they only grow the history
        await handle.signal(EVENT_SIGNAL, EventInput(name="noise"))
    state = await finished(handle)
    assert state.status == "succeeded"
    results = [*state.nodes["a"].output["results"], *state.nodes["b"].output["results"]]
    # The iterations that fitted waited (through a continue-as-new), the others were routed.
    assert 10 < results.count(None) < 90
    assert results.count(None) + results.count("RunStateTooLarge") == 100
    assert len(await histories_of(dev_client, handle)) > 1
    await assert_no_workflow_task_failed(handle)


async def test_events_received_by_many_waits_are_bounded(
    dev_client: Client, task_queue: str
) -> None:
    waits = [
        node(f"w{index:02}", "wait_for_event", {"event": f"e{index:02}"}, on_error="continue")
        for index in range(MANY)
    ]
    document = graph(*waits, edges=[("start", each["id"]) for each in waits])
    handle = await start(dev_client, task_queue, document)
    await wait_until_state(handle, lambda state: len(state.waiting_for) == MANY)
    for index in range(MANY):
        await handle.signal(EVENT_SIGNAL, EventInput(name=f"e{index:02}", payload="x" * MEDIUM))
    state = await finished(handle)
    assert state.status == "succeeded"
    failed = [n for n, each in state.nodes.items() if each.status == "failed"]
    assert failed
    for node_id in failed:
        error = state.nodes[node_id].error
        assert error is not None
        assert error.type == "RunStateTooLarge"
    assert encoded_size(state) < TEMPORAL_PAYLOAD_BYTES
    await assert_no_workflow_task_failed(handle)


def _child_of_many_outputs() -> dict[str, Any]:
    nodes = medium_outputs(MANY)
    return graph(*nodes, edges=chain(nodes))


async def test_a_child_whose_state_grows_too_large_fails_its_parents_node(
    dev_client: Client, task_queue: str
) -> None:
    document = graph(
        node("call", "sub_workflow", {"workflow_id": "wf_child", "wait": True}, on_error="route"),
        value("handled", "{{ error.type }}: {{ error.message }}"),
        edges=[("start", "call"), ("call", "handled", "error")],
    )
    handle = await start(
        dev_client, task_queue, document, workflows={"wf_child": _child_of_many_outputs()}
    )
    state = await finished(handle)
    message = state.nodes["handled"].output
    assert isinstance(message, str)
    assert message.startswith(f"RunStateTooLarge: run {handle.id}~call~0 failed: node 'n")
    await assert_no_workflow_task_failed(handle)


async def test_a_huge_child_input_fails_its_node(dev_client: Client, task_queue: str) -> None:
    document = graph(
        node(
            "call",
            "sub_workflow",
            {"workflow_id": "wf_child", "wait": True, "input": {"text": HUGE_TEXT}},
            on_error="route",
        ),
        value("handled", "{{ error.type }}: {{ error.message }}"),
        edges=[("start", "call"), ("call", "handled", "error")],
    )
    child = graph(value("echo", "{{ len(trigger.text) }}"), edges=[("start", "echo")])
    handle = await start(dev_client, task_queue, document, workflows={"wf_child": child})
    state = await finished(handle)
    message = state.nodes["handled"].output
    assert isinstance(message, str)
    assert message.startswith("InputTooLarge: the child run's input (its plans and payload)")
    await assert_no_workflow_task_failed(handle)


async def test_a_state_that_fits_a_result_but_not_a_continuation_is_bounded(
    dev_client: Client, task_queue: str
) -> None:
    # Forty medium outputs (1.2 MB) fit in the run's result, but a continuation carries them
    # twice (the nodes' state and the scope the nodes after them read): 2.4 MB. The loop of
    # delays after them makes the run continue as new.
    nodes = medium_outputs(40)
    document = graph(
        *nodes,
        node("each", "loop", {"items": "[i for i in range(20)]"}),
        node("pause", "delay", {"duration": "PT1S"}),
        edges=[
            *chain(nodes),
            (nodes[-1]["id"], "each"),
            ("each", "pause", "body"),
            ("pause", "each"),
        ],
    )
    handle = await start(dev_client, task_queue, document, limits=RunLimits(history_events=20))
    cause = await failure_of(handle)
    assert cause.type == "RunStateTooLarge"
    assert "the output of 'n" in cause.message
    await assert_no_workflow_task_failed(handle)


@pytest.fixture
async def big_answers() -> AsyncIterator[str]:
    """A real HTTP server whose /big answers 3 MB of JSON (1.5 million two-byte characters)."""
    app = FastAPI()

    @app.get("/big")
    async def big() -> JSONResponse:
        return JSONResponse({"text": "é" * 1_500_000})

    async with serve(app) as url:
        yield url


async def test_an_action_result_too_large_for_temporal_fails_its_node(
    dev_client: Client, task_queue: str, big_answers: str
) -> None:
    action = node(
        "fetch",
        "http.request",
        {"method": "GET", "url": f"{big_answers}/big", "max_response_bytes": 5_000_000},
        retry={"maximum_attempts": 2, "initial_interval_seconds": 1, "backoff_coefficient": 1},
        on_error="route",
    )
    handled = value("handled", "{{ error.type }}: {{ error.message }}")
    document = graph(action, handled, edges=[("start", "fetch"), ("fetch", "handled", "error")])
    handle = await start(dev_client, task_queue, document)
    state = await finished(handle)
    message = state.nodes["handled"].output
    assert isinstance(message, str)
    assert message.startswith("ResultTooLarge: the action's answer is ")
    assert state.nodes["fetch"].attempts == 1
    await assert_no_workflow_task_failed(handle)
