"""An expression that would do too much work fails its node, never the workflow task.

Each of these graphs made the interpreter run for seconds inside one workflow task: past
Temporal's 2-second deadlock detector (TMPRL1101) the task failed, was retried for ever,
and the run never ended. Now the work is counted as it is done: past a limit the node
fails with an `ExpressionError` naming its field, and its `on_error` route is followed.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client

from tests.workflows.harness import (
    Handle,
    graph,
    node,
    start,
    value,
    wait_until_waiting,
    waiting_for_the_last_of,
)
from workflows.state import DECIDE_UPDATE, EVENT_SIGNAL, DecisionInput, EventInput, RunState

# One list of ten thousand zeros, shared by every row: a handful of steps to build, but
# 80 million zeros once written out or compared element by element.
SHARED_ROWS = "[[0] * 10000] * 8000"
# A hundred distinct texts, repeated through shared lists: 500 million comparisons of texts
# when two such values are compared (each side is built anew, so nothing is identical).
TEXTS = "[str(i) for i in range(100)]"
DEEP = f"[[[{TEXTS}] * 1000] * 1000] * 5"
# Twenty million zeros in an output, through four levels of sharing.
BIG_OUTPUT = "[[[[0] * 100] * 100] * 100] * 20"

RESULT_TIMEOUT_SECONDS = 60
"""A run that ends takes a few seconds; one whose workflow task is retried for ever, never."""


def routed(heavy: dict[str, Any], *, out: str | None = None) -> dict[str, Any]:
    """`heavy` after the trigger; its error route reaches `handled`, then `tally` (a few
    milliseconds of work, as a run's next nodes do), its output `out` (its first handle
    when None) reaches `after`."""
    return graph(
        {**heavy, "on_error": "route"},
        value("after", "{{ 'went on' }}"),
        value("handled", "{{ error.type }}: {{ error.message }}"),
        value("tally", "{{ len([x for x in range(3000)]) }}"),
        edges=[
            ("start", "heavy"),
            ("heavy", "after", *([out] if out else [])),
            ("heavy", "handled", "error"),
            ("handled", "tally"),
        ],
    )


async def finished(handle: Handle) -> RunState:
    async with asyncio.timeout(RESULT_TIMEOUT_SECONDS):
        return await handle.result()


def handled_error(final: RunState) -> str:
    """What the error route received: `type: message`."""
    received = final.nodes["handled"].output
    assert isinstance(received, str)
    return received


async def assert_no_workflow_task_failed(handle: Handle) -> None:
    events = [event.event_type for event in (await handle.fetch_history()).events]
    assert EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED not in events


@pytest.mark.parametrize(
    ("heavy", "out", "handled"),
    [
        pytest.param(
            value("heavy", {"size": f"{{{{ len(str({SHARED_ROWS})) }}}}"}),
            None,
            "value.size: the text would be too long",
            id="str-of-shared-rows",
        ),
        pytest.param(
            value("heavy", f"{{{{ json_encode({SHARED_ROWS}) }}}}"),
            None,
            "value: the text would be too long",
            id="json_encode-of-shared-rows",
        ),
        pytest.param(
            value("heavy", f"{{{{ join({SHARED_ROWS}, ',') }}}}"),
            None,
            "value: the text would be too long",
            id="join-of-shared-rows",
        ),
        pytest.param(
            node("heavy", "if", {"condition": f"{DEEP} == {DEEP}"}),
            "true",
            "condition: the expression takes too much work",
            id="equality-of-deep-values",
        ),
        pytest.param(
            node("heavy", "if", {"condition": f"{DEEP} in [{DEEP}]"}),
            "true",
            "condition: the expression takes too much work",
            id="membership-of-a-deep-value",
        ),
        pytest.param(
            # Kept, this output was encoded whole by the output check (and by Temporal).
            value("heavy", f"{{{{ {BIG_OUTPUT} }}}}"),
            None,
            "value: the value would be too large",
            id="output-of-shared-elements",
        ),
        pytest.param(
            # The depth check of the variables walked every shared element.
            node("heavy", "set", {"values": {"v": f"{{{{ {BIG_OUTPUT} }}}}"}}),
            None,
            "values.v: the value would be too large",
            id="variable-of-shared-elements",
        ),
    ],
)
async def test_an_expression_doing_too_much_work_fails_its_node_naming_the_field(
    client: Client, task_queue: str, heavy: dict[str, Any], out: str | None, handled: str
) -> None:
    handle = await start(client, task_queue, routed(heavy, out=out))
    final = await finished(handle)
    await assert_no_workflow_task_failed(handle)
    assert final.status == "succeeded"
    assert final.nodes["heavy"].status == "failed"
    assert final.nodes["after"].status == "skipped"
    assert handled_error(final).startswith(f"ExpressionError: {handled}")


async def test_loop_items_of_millions_of_shared_elements_fail_the_loop(
    client: Client, task_queue: str
) -> None:
    heavy = node("heavy", "loop", {"items": f"[{BIG_OUTPUT}]"})
    document = routed(heavy, out="done")
    document["nodes"].append(value("body", "{{ item }}"))
    document["edges"].append({"source": "heavy", "target": "body", "sourceHandle": "body"})
    document["edges"].append({"source": "body", "target": "heavy"})
    handle = await start(client, task_queue, document)
    final = await finished(handle)
    await assert_no_workflow_task_failed(handle)
    assert handled_error(final).startswith("ExpressionError: items: the value would be too large")


async def test_matching_many_buffered_events_breathes_rather_than_fail_the_task(
    client: Client, task_queue: str
) -> None:
    events = 100
    handle = await start(client, task_queue, waiting_for_the_last_of(events))
    await wait_until_waiting(handle, "hold")
    for number in range(events):
        await handle.signal(EVENT_SIGNAL, EventInput(name="paid", payload={"n": number}))
    await handle.execute_update(
        DECIDE_UPDATE, DecisionInput(approved=True, by="ann", verified=True)
    )
    final = await finished(handle)
    # Matched in one task, the hundred events took seconds: the deadlock detector failed
    # the task (TMPRL1101) on every retry.
    await assert_no_workflow_task_failed(handle)
    assert final.output == {"thanks": events - 1}
    kinds = [event.event_type for event in (await handle.fetch_history()).events]
    assert EventType.EVENT_TYPE_TIMER_STARTED in kinds
