"""A run reads parameters as validation does: what validation accepts does not fail as
`InvalidParameters`, and the same mistake fails with the same type (issue 11, point 6)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any

import pytest
from fastapi import FastAPI, Request
from temporalio.client import Client, WorkflowFailureError

from app.contract.failures import FailureType
from tests.utils.servers import serve
from tests.workflows.harness import graph, node, run_input, value
from workflows.state import INTERPRETER_WORKFLOW, STATE_QUERY, RunInput, RunState


@pytest.fixture
async def echo() -> AsyncIterator[str]:
    """A real HTTP server answering each request with its query parameters."""
    app = FastAPI()

    @app.get("/echo")
    async def answer(request: Request) -> dict[str, Any]:
        return dict(request.query_params)

    async with serve(app) as url:
        yield url


async def run(client: Client, task_queue: str, started: RunInput) -> RunState:
    handle = await client.start_workflow(
        INTERPRETER_WORKFLOW,
        started,
        id=f"run_reads_{task_queue}",
        task_queue=task_queue,
        result_type=RunState,
    )
    result: RunState = await handle.result()
    return result


async def test_a_template_giving_a_number_to_a_text_field_sends_its_text(
    client: Client, task_queue: str, echo: str
) -> None:
    document = graph(
        node("ask", "http.request", {
            "url": f"{echo}/echo",
            "query": {"n": "{{ trigger.body.n }}", "ok": "{{ trigger.body.ok }}"},
        }),
        edges=[("start", "ask")],
    )  # fmt: skip
    state = await run(client, task_queue, run_input(document, {"body": {"n": 3, "ok": True}}))
    assert state.nodes["ask"].output["body"] == {"n": "3", "ok": "true"}


async def test_a_control_node_gives_a_text_field_its_template_text(
    client: Client, task_queue: str
) -> None:
    document = graph(
        node("refuse", "fail", {"message": "{{ trigger.code }}"}), edges=[("start", "refuse")]
    )
    with pytest.raises(WorkflowFailureError):
        await run(client, task_queue, run_input(document, {"code": 404}))
    handle = client.get_workflow_handle(f"run_reads_{task_queue}")
    state = await handle.query(STATE_QUERY, result_type=RunState)
    error = state.nodes["refuse"].error
    assert error is not None
    assert (error.type, error.message) == ("WorkflowFailed", "404")


async def test_a_condition_saved_mixing_a_template_with_text_fails_as_an_expression_error(
    client: Client, task_queue: str
) -> None:
    """A plan saved before validation refused such a condition: its run names the mistake
    as validation now does, an ExpressionError, not InvalidParameters."""
    document = graph(
        node("check", "if", {"condition": "trigger.n > 3"}),
        value("big", 1),
        edges=[("start", "check"), ("check", "big", "true")],
    )
    started = run_input(document, {"n": 5})
    nodes = dict(started.plan.nodes)
    nodes["check"] = nodes["check"].model_copy(
        update={"parameters": {"condition": "{{ trigger.n }} > 3"}}
    )
    started = started.model_copy(update={"plan": started.plan.model_copy(update={"nodes": nodes})})
    with pytest.raises(WorkflowFailureError):
        await run(client, task_queue, started)
    handle = client.get_workflow_handle(f"run_reads_{task_queue}")
    state = await handle.query(STATE_QUERY, result_type=RunState)
    error = state.nodes["check"].error
    assert error is not None
    assert error.type == FailureType.ExpressionError
    assert error.message.startswith("condition: this field is one expression, not a template")


async def test_an_expression_failing_at_run_time_names_its_field_and_position(
    client: Client, task_queue: str
) -> None:
    document = graph(
        node("check", "if", {"condition": "trigger.a + 1 > 0"}),
        value("show", "{{ trigger.a + 1 }}", on_error="continue"),
        edges=[("start", "show"), ("show", "check")],
    )
    with pytest.raises(WorkflowFailureError):
        await run(client, task_queue, run_input(document, {"a": "text"}))
    state = await client.get_workflow_handle(f"run_reads_{task_queue}").query(
        STATE_QUERY, result_type=RunState
    )
    template, condition = state.nodes["show"].error, state.nodes["check"].error
    assert template is not None
    assert condition is not None
    assert template.type == condition.type == FailureType.ExpressionError
    assert template.message.startswith("value: ")
    assert condition.message.startswith("condition: ")
    assert re.search(r" \(at position \d+\)$", template.message), template.message
    assert re.search(r" \(at position \d+\)$", condition.message), condition.message
