"""Each action type's default time limit per attempt: compiled into the plan, used by the run.

An Instagram publication polls a container for minutes; an HTTP request is one request.
A node's own `timeout_seconds` always wins; a plan compiled before types had defaults
carries none, and its actions keep the engine's five minutes.
"""

from __future__ import annotations

from typing import Any

import pytest
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client

from app.catalog import CATALOG
from tests.utils.compiling import compile_workflow
from tests.workflows.harness import Handle, graph, node, run_input
from tests.workflows.test_interpreter_actions import call, platform  # noqa: F401 (fixture)
from workflows.state import INTERPRETER_WORKFLOW, RunState

PUBLISH = {"kind": "image", "image_url": "https://example.com/a.jpg"}


@pytest.mark.parametrize(
    ("type_", "parameters", "fields", "seconds"),
    [
        ("http.request", {"url": "https://example.com"}, {}, 60),
        ("http.request", {"url": "https://example.com", "timeout": "PT2M"}, {}, 135),
        ("http.request", {"url": "https://example.com", "timeout": "{{ trigger.t }}"}, {}, 60),
        ("http.request", {"url": "https://example.com"}, {"timeout_seconds": 7}, 7),
        ("instagram.publish", PUBLISH, {"account_id": "acc_ig"}, 900),
        ("instagram.publish", PUBLISH | {"max_wait": "PT1H"}, {"account_id": "acc_ig"}, 3900),
        ("x.post", {"text": "hi"}, {"account_id": "acc_x"}, 300),
        ("delay", {"duration": "PT1M"}, {}, None),
    ],
)
def test_a_node_without_a_timeout_gets_its_types_default_in_the_plan(
    type_: str, parameters: dict[str, Any], fields: dict[str, Any], seconds: float | None
) -> None:
    document = graph(node("act", type_, parameters, **fields), edges=[("start", "act")])
    plan = compile_workflow(
        document, accounts={"acc_x": "x", "acc_ig": "instagram"}, catalog=CATALOG
    )
    assert plan.nodes["act"].timeout_seconds == seconds


@pytest.mark.parametrize(("old_plan", "seconds"), [(False, 60), (True, 300)])
async def test_the_run_gives_the_activity_the_plans_time_limit(
    client: Client,
    task_queue: str,
    platform: tuple[str, dict[str, int]],  # noqa: F811
    old_plan: bool,
    seconds: float,
) -> None:
    url, _ = platform
    started = run_input(graph(call("send", f"{url}/ok", "POST"), edges=[("start", "send")]))
    if old_plan:
        nodes = {
            node_id: planned.model_copy(update={"timeout_seconds": None})
            for node_id, planned in started.plan.nodes.items()
        }
        started = started.model_copy(
            update={"plan": started.plan.model_copy(update={"nodes": nodes})}
        )
    handle: Handle = await client.start_workflow(
        INTERPRETER_WORKFLOW, started, id=f"run_timeout_{old_plan}_{task_queue}",
        task_queue=task_queue, result_type=RunState,
    )  # fmt: skip
    await handle.result()
    [scheduled] = [
        event.activity_task_scheduled_event_attributes
        for event in (await handle.fetch_history()).events
        if event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED
    ]
    assert scheduled.start_to_close_timeout.ToTimedelta().total_seconds() == seconds
