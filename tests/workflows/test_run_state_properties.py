"""A search for new ways to grow a run's state past Temporal's payload limit.

Hypothesis draws graphs that keep values in every way a run can (outputs of many sizes,
variables, loop items and iteration outputs, sometimes continuing as new between them) and
runs each on the dev server, which refuses payloads over 2 MiB as production servers do.
Whatever it draws, the run ends: it succeeds within the limit, or the node that would pass
the bound fails with a reason naming it; no workflow task fails.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client, WorkflowFailureError
from temporalio.exceptions import ApplicationError

from app.contract.payload_limits import TEMPORAL_PAYLOAD_BYTES
from tests.utils.properties import examples
from tests.workflows.harness import graph, histories_of, node, run_input, value
from workflows.state import INTERPRETER_WORKFLOW, RunLimits, RunState
from workflows.state_budget import encoded_size

RUN_TIMEOUT_SECONDS = 60

Segment = tuple[str, int, int]
"""(kind, count, size): `count` nodes (or loop items) keeping `size` characters each."""

segments = st.lists(
    st.tuples(
        st.sampled_from(["outputs", "variables", "loop"]),
        st.integers(min_value=1, max_value=40),
        st.sampled_from([100, 5_000, 20_000, 32_000, 60_000]),
    ),
    min_size=1,
    max_size=4,
)


def build(drawn: list[Segment], pause: bool) -> dict[str, Any]:
    """A chain of the drawn segments; with `pause`, a loop of short delays between each, so
    that a run with a small history limit continues as new there."""
    nodes: list[dict[str, Any]] = []
    edges: list[tuple[str, ...]] = []
    last = "start"
    loops: set[str] = set()

    def after(source: str, target: str) -> tuple[str, ...]:
        return (source, target, "done") if source in loops else (source, target)

    for number, (kind, count, size) in enumerate(drawn):
        text = f"{{{{ 'x' * {min(size, 100_000)} }}}}"
        if kind == "outputs":
            chain = [value(f"o{number}_{index}", text) for index in range(count)]
        elif kind == "variables":
            chain = [
                node(f"v{number}_{index}", "set", {"values": {f"v{number}_{index}": text}})
                for index in range(count)
            ]
        else:
            loop_id = f"l{number}"
            items = f"['x' * {min(size, 100_000)}] * {count}"
            chain = [node(loop_id, "loop", {"items": items, "max_concurrency": 10})]
            loops.add(loop_id)
            nodes.append(value(f"{loop_id}_echo", "{{ item }}"))
            edges += [(loop_id, f"{loop_id}_echo", "body"), (f"{loop_id}_echo", loop_id)]
        for each in chain:
            nodes.append(each)
            edges.append(after(last, each["id"]))
            last = each["id"]
        if pause:
            pause_id = f"p{number}"
            nodes += [
                node(pause_id, "loop", {"items": "[1, 2, 3]"}),
                node(f"{pause_id}_wait", "delay", {"duration": "PT1S"}),
            ]
            edges += [
                after(last, pause_id),
                (pause_id, f"{pause_id}_wait", "body"),
                (f"{pause_id}_wait", pause_id),
            ]
            last = pause_id
            loops.add(pause_id)
    return graph(*nodes, edges=edges)


async def run_to_its_end(
    client: Client, task_queue: str, document: dict[str, Any], small: bool
) -> None:
    limits = RunLimits(history_events=20) if small else RunLimits()
    handle = await client.start_workflow(
        INTERPRETER_WORKFLOW,
        run_input(document, limits=limits),
        id=f"run_{uuid.uuid4().hex}",
        task_queue=task_queue,
        result_type=RunState,
    )
    async with asyncio.timeout(RUN_TIMEOUT_SECONDS):
        try:
            state = await handle.result()
        except WorkflowFailureError as failure:
            cause = failure.cause
            assert isinstance(cause, ApplicationError), cause
            # The bound that holds may also be the expression's own: a value too large for
            # one evaluation (loop items of 40 x 60 KB) fails its node before it is kept.
            too_large = cause.type in ("RunStateTooLarge", "InputTooLarge") or (
                cause.type == "ExpressionError" and "would be too large" in cause.message
            )
            assert too_large, (cause.type, cause.message)
            assert cause.message.startswith("node '"), cause.message
        else:
            assert encoded_size(state) < TEMPORAL_PAYLOAD_BYTES
    for history in await histories_of(client, handle):
        kinds = [event.event_type for event in history.events]
        assert EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED not in kinds


# A search inside the test (it needs the event loop): marked so that `make deep` selects it.
@pytest.mark.hypothesis
async def test_no_drawn_graph_grows_a_run_past_temporals_limit(
    dev_client: Client, task_queue: str
) -> None:
    loop = asyncio.get_running_loop()

    @settings(
        max_examples=examples(8),
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow],
    )
    @given(drawn=segments, pause=st.booleans(), small=st.booleans())
    @example(drawn=[("loop", 40, 60_000)], pause=False, small=False)  # found by .ci/run, 2026-12-03
    def search(drawn: list[Segment], pause: bool, small: bool) -> None:
        document = build(drawn, pause)
        running = run_to_its_end(dev_client, task_queue, document, small and pause)
        asyncio.run_coroutine_threadsafe(running, loop).result()

    # Hypothesis runs in a thread; each example runs on this loop, where the worker polls.
    await asyncio.to_thread(search)
