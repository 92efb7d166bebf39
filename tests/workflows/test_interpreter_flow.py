"""Control nodes run inside the workflow: sequences, branches, fan-out and join, variables."""

from __future__ import annotations

import pytest
from temporalio.client import Client, WorkflowFailureError

from tests.workflows.harness import graph, node, start, value


async def test_a_sequence_passes_outputs_along(client: Client, task_queue: str) -> None:
    handle = await start(
        client,
        task_queue,
        graph(
            value("a", {"n": "{{ trigger.n }}"}),
            value("b", "{{ nodes.a.n * 2 }}"),
            edges=[("start", "a"), ("a", "b")],
        ),
        {"n": 21},
    )
    state = await handle.result()
    assert state.status == "succeeded"
    assert state.output == {"b": 42}
    assert [state.nodes[n].status for n in ("start", "a", "b")] == ["succeeded"] * 3


@pytest.mark.parametrize(("ok", "taken", "skipped"), [(True, "yes", "no"), (False, "no", "yes")])
async def test_if_follows_one_branch_and_skips_the_other(
    client: Client, task_queue: str, ok: bool, taken: str, skipped: str
) -> None:
    handle = await start(
        client,
        task_queue,
        graph(
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
        ),
        {"ok": ok},
    )
    state = await handle.result()
    assert state.nodes[taken].status == "succeeded"
    assert state.nodes[skipped].status == "skipped"
    assert state.nodes["check"].output == {"result": ok}


async def test_switch_takes_the_first_matching_case_or_default(
    client: Client, task_queue: str
) -> None:
    switch = node(
        "route",
        "switch",
        {
            "cases": [
                {"handle": "big", "condition": "trigger.n > 100"},
                {"handle": "some", "condition": "trigger.n > 0"},
            ]
        },
    )
    document = graph(
        switch,
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
    outputs = [
        (await (await start(client, task_queue, document, {"n": n})).result()).output
        for n in (500, 5, -1)
    ]
    assert outputs == [{"big": "B"}, {"some": "S"}, {"none": "D"}]


async def test_a_join_waits_for_every_parallel_branch(client: Client, task_queue: str) -> None:
    handle = await start(
        client,
        task_queue,
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
    )
    state = await handle.result()
    assert state.output == {"both": {"left": "L", "right": "R"}}


async def test_a_join_after_an_if_runs_with_the_branch_taken(
    client: Client, task_queue: str
) -> None:
    handle = await start(
        client,
        task_queue,
        graph(
            node("check", "if", {"condition": "false"}),
            value("yes", "Y"),
            value("no", "N"),
            node("merge", "join", {"mode": "all"}),
            edges=[
                ("start", "check"),
                ("check", "yes", "true"),
                ("check", "no", "false"),
                ("yes", "merge"),
                ("no", "merge"),
            ],
        ),
    )
    state = await handle.result()
    assert state.output == {"merge": {"no": "N"}}


async def test_a_first_join_continues_with_the_first_branch(
    client: Client, task_queue: str
) -> None:
    handle = await start(
        client,
        task_queue,
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
    )
    state = await handle.result()
    assert state.nodes["after"].output == ["fast"]
    assert state.nodes["after"].attempts == 1


async def test_set_changes_variables_that_later_nodes_read(client: Client, task_queue: str) -> None:
    document = graph(
        node("count", "set", {"values": {"total": "{{ vars.total + trigger.add }}"}}),
        value("report", "total={{ vars.total }}"),
        edges=[("start", "count"), ("count", "report")],
    ) | {"settings": {"variables": {"total": 10}}}
    state = await (await start(client, task_queue, document, {"add": 5})).result()
    assert state.variables == {"total": 15}
    assert state.output == {"report": "total=15"}


async def test_a_disabled_node_is_skipped_and_the_run_passes_through(
    client: Client, task_queue: str
) -> None:
    handle = await start(
        client,
        task_queue,
        graph(
            value("off", "never", disabled=True),
            value("after", "ran"),
            edges=[("start", "off"), ("off", "after")],
        ),
    )
    state = await handle.result()
    assert state.nodes["off"].status == "skipped"
    assert state.output == {"after": "ran"}


async def test_stop_ends_the_run_with_its_output(client: Client, task_queue: str) -> None:
    handle = await start(
        client,
        task_queue,
        graph(
            node("done", "stop", {"output": {"why": "{{ trigger.why }}"}}),
            node("long", "delay", {"duration": "P3D"}),
            value("never", "x"),
            edges=[("start", "done"), ("start", "long"), ("long", "never")],
        ),
        {"why": "enough"},
    )
    state = await handle.result()
    assert state.status == "succeeded"
    assert state.output == {"done": {"why": "enough"}}
    assert state.nodes["long"].status == "cancelled"
    assert state.nodes["never"].status == "pending"


async def test_fail_fails_the_run_naming_the_node_and_its_message(
    client: Client, task_queue: str
) -> None:
    handle = await start(
        client,
        task_queue,
        graph(
            node(
                "stop_here",
                "fail",
                {"message": "bad input {{ trigger.id }}", "error_type": "BadInput"},
            ),
            edges=[("start", "stop_here")],
        ),
        {"id": 7},
    )
    with pytest.raises(WorkflowFailureError) as failure:
        await handle.result()
    cause = failure.value.cause
    assert "node 'stop_here' failed: bad input 7" in str(cause)
    state = await handle.query("state")
    assert state["status"] == "failed"
    assert state["nodes"]["stop_here"]["status"] == "failed"


async def test_a_loop_runs_its_body_for_every_item(client: Client, task_queue: str) -> None:
    handle = await start(
        client,
        task_queue,
        graph(
            node("each", "loop", {"items": "trigger.names", "max_concurrency": 2}),
            value("greet", "hi {{ item }} #{{ index }}"),
            value("after", "{{ nodes.each.count }}"),
            edges=[
                ("start", "each"),
                ("each", "greet", "body"),
                ("greet", "each"),
                ("each", "after", "done"),
            ],
        ),
        {"names": ["ann", "bob", "cy"]},
    )
    state = await handle.result()
    assert state.nodes["each"].output == {
        "results": ["hi ann #0", "hi bob #1", "hi cy #2"],
        "count": 3,
    }
    assert state.nodes["greet"].attempts == 3
    assert state.output == {"after": 3}


async def test_a_loop_over_items_that_are_not_a_list_fails_the_node(
    client: Client, task_queue: str
) -> None:
    handle = await start(
        client,
        task_queue,
        graph(
            node("each", "loop", {"items": "trigger.names"}, on_error="continue"),
            value("b", 1),
            edges=[("start", "each"), ("each", "b", "body")],
        ),
        {"names": "not a list"},
    )
    state = await handle.result()
    assert state.nodes["each"].status == "failed"
    assert state.nodes["each"].error is not None
    assert state.nodes["each"].error.type == "InvalidItems"
