"""Running graphs on a real Temporal server: compile, start the interpreter, read its state."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from temporalio.client import Client, WorkflowHandle
from temporalio.worker import Worker

from app.language.compiler import compile_workflow
from temporal.worker import build_worker
from workflows.state import (
    INTERPRETER_WORKFLOW,
    STATE_QUERY,
    RunInput,
    RunMetadata,
    RunState,
    TriggerInput,
)

Handle = WorkflowHandle[Any, RunState]


def run_input(graph: dict[str, Any], payload: Any = None, trigger: str = "start") -> RunInput:
    plan = compile_workflow(graph, accounts={"acc_x": "x", "acc_http": "http"})
    return RunInput(
        plan=plan,
        trigger=TriggerInput(kind="manual", node_id=trigger, payload=payload),
        metadata=RunMetadata(
            organization_id="org_test", workflow_id="wf_test", workflow_version=1,
            plan_hash=plan.content_hash(),
        ),
    )  # fmt: skip


async def start(
    client: Client, task_queue: str, graph: dict[str, Any], payload: Any = None
) -> Handle:
    return await client.start_workflow(
        INTERPRETER_WORKFLOW,
        run_input(graph, payload),
        id=f"run_{uuid.uuid4().hex}",
        task_queue=task_queue,
        result_type=RunState,
    )


async def state_of(handle: Handle) -> RunState:
    state: RunState = await handle.query(STATE_QUERY, result_type=RunState)
    return state


async def wait_until_waiting(handle: Handle, node_id: str) -> RunState:
    """Poll the live state until `node_id` waits (for an event, a decision or a timer)."""
    async with asyncio.timeout(20):
        while True:
            state = await state_of(handle)
            if any(wait.node_id == node_id for wait in state.waiting_for):
                return state
            await asyncio.sleep(0.05)


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
