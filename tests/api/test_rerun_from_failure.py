"""Rerunning a failed run from the step that failed, over real HTTP on a real Temporal server:
what the failed run finished is kept (its side effects are not repeated: a local service
counts each), the failed nodes and what follows them run again, on the run's version or the
latest, with the original input or a corrected one."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from tests.conftest import ApiHarness
from tests.utils.api import create_workflow, manual_then, start_run, wait_for_end
from tests.utils.effects import Effects, effects_service


@pytest.fixture
async def effects() -> AsyncIterator[Effects]:
    async with effects_service() as service:
        yield service


def branching(effects: Effects) -> dict[str, Any]:
    """`first` then an `if` on the input: `second` (which reads the input) when `go`, else
    `other`; `side` in parallel from the start."""
    return {
        "nodes": [
            {"id": "start", "type": "trigger.manual"},
            effects.node("first", "/first"),
            {"id": "check", "type": "if", "parameters": {"condition": "trigger.go"}},
            effects.node("second", "/second", {"n": "{{ trigger.n }}"}),
            effects.node("other", "/other"),
            effects.node("side", "/side"),
            {"id": "done", "type": "transform", "parameters": {"value": "{{ trigger.n }}"}},
        ],
        "edges": [
            {"source": "start", "target": "first"},
            {"source": "start", "target": "side"},
            {"source": "first", "target": "check"},
            {"source": "check", "target": "second", "sourceHandle": "true"},
            {"source": "check", "target": "other", "sourceHandle": "false"},
            {"source": "second", "target": "done"},
        ],
    }


async def rerun(api: ApiHarness, run_id: str, **body: Any) -> dict[str, Any]:
    response = await api.client.post(f"/runs/{run_id}/rerun", json=body)
    assert response.status_code == 201, response.text
    return await wait_for_end(api.client, response.json()["id"])


async def failed_run(api: ApiHarness, graph: dict[str, Any], payload: Any) -> str:
    run_id = await start_run(api.client, await create_workflow(api.client, graph), payload)
    assert (await wait_for_end(api.client, run_id))["status"] == "failed"
    return run_id


async def test_a_rerun_from_the_failed_step_keeps_what_succeeded_and_takes_a_corrected_input(
    api: ApiHarness, effects: Effects
) -> None:
    effects.failing.add("second")
    original = await failed_run(api, branching(effects), {"go": True, "n": 1})
    assert effects.done == {"first": 1, "side": 1}
    effects.failing.clear()

    final = await rerun(api, original, **{"from": "failed_step", "input": {"go": True, "n": 2}})

    assert final["status"] == "succeeded", final
    assert effects.done == {"first": 1, "side": 1, "second": 1}, "nothing done twice"
    assert final["rerun_of"] == original
    assert final["reused_nodes"] == ["check", "first", "side"]
    assert final["input"] == {"go": True, "n": 2}
    assert final["output"]["done"] == 2
    nodes = final["nodes"]
    assert nodes["first"]["status"] == "succeeded"
    assert nodes["first"]["output"]["body"] == {"path": "first", "count": 1}
    assert nodes["second"]["status"] == "succeeded"
    assert nodes["second"]["attempts"] == 1
    assert nodes["other"]["status"] == "skipped", "the kept `if` still decides its branches"


async def test_a_rerun_from_the_start_repeats_everything(api: ApiHarness, effects: Effects) -> None:
    effects.failing.add("second")
    original = await failed_run(api, branching(effects), {"go": True, "n": 1})
    effects.failing.clear()
    final = await rerun(api, original)
    assert final["status"] == "succeeded"
    assert final["reused_nodes"] is None
    assert effects.done == {"first": 2, "side": 2, "second": 1}


async def test_a_loop_failed_part_way_goes_on_from_the_failed_iteration(
    api: ApiHarness, effects: Effects
) -> None:
    graph = {
        "nodes": [
            {"id": "start", "type": "trigger.manual"},
            {"id": "each", "type": "loop", "parameters": {"items": "trigger.items"}},
            effects.node("post", "/item/{{ item }}"),
            {"id": "after", "type": "transform", "parameters": {"value": "{{ nodes.each.count }}"}},
        ],
        "edges": [
            {"source": "start", "target": "each"},
            {"source": "each", "target": "post", "sourceHandle": "body"},
            {"source": "post", "target": "each"},
            {"source": "each", "target": "after", "sourceHandle": "done"},
        ],
    }
    effects.failing.add("item/3")
    original = await failed_run(api, graph, {"items": [1, 2, 3, 4]})
    assert effects.done == {"item/1": 1, "item/2": 1}
    effects.failing.clear()

    final = await rerun(api, original, **{"from": "failed_step"})

    assert final["status"] == "succeeded", final
    assert effects.done == {"item/1": 1, "item/2": 1, "item/3": 1, "item/4": 1}
    results = final["nodes"]["each"]["output"]["results"]
    assert [result["body"]["path"] for result in results] == [f"item/{n}" for n in (1, 2, 3, 4)]
    assert final["output"] == {"after": 4}
    assert final["reused_nodes"] == ["each"]


async def test_a_run_that_did_not_fail_at_a_step_is_refused_from_its_failed_step(
    api: ApiHarness,
) -> None:
    graph = manual_then({"id": "pay", "type": "wait_for_event", "parameters": {"event": "paid"}})
    run_id = await start_run(api.client, await create_workflow(api.client, graph))
    await api.client.post(f"/runs/{run_id}/cancel")
    await wait_for_end(api.client, run_id)
    refused = await api.client.post(f"/runs/{run_id}/rerun", json={"from": "failed_step"})
    assert refused.status_code == 409, refused.text
    assert '"from": "start"' in refused.json()["error"]["message"]
    bad = await api.client.post(f"/runs/{run_id}/rerun", json={"from": "middle"})
    assert bad.status_code == 422
    assert bad.json()["error"]["details"][0]["path"] == ["body", "from"]


async def test_a_corrected_input_is_checked_against_the_input_schema(api: ApiHarness) -> None:
    graph = manual_then(
        {"id": "boom", "type": "fail", "parameters": {"message": "no"}},
        input_schema={"type": "object", "required": ["n"]},
    )
    run_id = await failed_run(api, graph, {"n": 1})
    refused = await api.client.post(
        f"/runs/{run_id}/rerun", json={"from": "failed_step", "input": {}}
    )
    assert refused.status_code == 422, refused.text
    assert refused.json()["error"]["details"][0]["path"] == ["body", "input"]


# -- on the latest version ----------------------------------------------------------------


async def new_version(api: ApiHarness, run_id: str, graph: dict[str, Any]) -> None:
    workflow_id = (await api.client.get(f"/runs/{run_id}")).json()["workflow_id"]
    saved = await api.client.patch(f"/workflows/{workflow_id}", json={"graph": graph})
    assert saved.status_code == 200, saved.text


async def test_a_rerun_on_the_latest_version_runs_the_fixed_graph_from_the_failed_step(
    api: ApiHarness, effects: Effects
) -> None:
    graph = branching(effects)
    effects.failing.add("second")
    original = await failed_run(api, graph, {"go": True, "n": 1})
    # The failed node fixed, and a new node after one the rerun keeps.
    nodes = [effects.node("second", "/fixed") if n["id"] == "second" else n
             for n in graph["nodes"]]  # fmt: skip
    fixed = {
        "nodes": [*nodes, effects.node("notify", "/notify")],
        "edges": [*graph["edges"], {"source": "side", "target": "notify"}],
    }
    await new_version(api, original, fixed)

    final = await rerun(api, original, **{"from": "failed_step", "version": "latest"})

    assert final["status"] == "succeeded", final
    assert final["workflow_version"] == 2
    assert effects.done == {"first": 1, "side": 1, "fixed": 1, "notify": 1}
    assert final["reused_nodes"] == ["check", "first", "side"]


async def test_a_latest_version_that_no_longer_fits_the_kept_nodes_is_refused_naming_them(
    api: ApiHarness, effects: Effects
) -> None:
    graph = branching(effects)
    effects.failing.add("second")
    original = await failed_run(api, graph, {"go": True, "n": 1})
    nodes = [n for n in graph["nodes"] if n["id"] != "side"]
    nodes = [{"id": "check", "type": "transform", "parameters": {"value": 1}} if n["id"] == "check"
             else n for n in nodes]  # fmt: skip
    edges = [
        {"source": "start", "target": "first"},
        {"source": "first", "target": "check"},
        {"source": "check", "target": "second"},
        {"source": "second", "target": "done"},
        {"source": "start", "target": "other"},
    ]
    await new_version(api, original, {"nodes": nodes, "edges": edges})

    refused = await api.client.post(
        f"/runs/{original}/rerun", json={"from": "failed_step", "version": "latest"}
    )

    assert refused.status_code == 409, refused.text
    details = refused.json()["error"]["details"]
    assert [(d["node_id"], d["code"]) for d in details] == [
        ("check", "node_type_changed"),
        ("side", "node_removed"),
    ]
    # From the start, nothing is kept: the latest version runs whole.
    effects.failing.clear()
    final = await rerun(api, original, version="latest")
    assert final["status"] == "succeeded", final
    assert final["workflow_version"] == 2


async def test_a_failed_child_run_is_started_again_from_its_start(
    api: ApiHarness, effects: Effects
) -> None:
    child = await create_workflow(
        api.client, manual_then(effects.node("charge", "/charge", {"n": "{{ trigger.n }}"}))
    )
    parent = {
        "nodes": [
            {"id": "start", "type": "trigger.manual"},
            effects.node("first", "/first"),
            {"id": "call", "type": "sub_workflow",
             "parameters": {"workflow_id": child, "input": "{{ trigger }}"}},
        ],
        "edges": [{"source": "start", "target": "first"}, {"source": "first", "target": "call"}],
    }  # fmt: skip
    effects.failing.add("charge")
    original = await failed_run(api, parent, {"n": 1})
    effects.failing.clear()

    final = await rerun(api, original, **{"from": "failed_step"})

    assert final["status"] == "succeeded", final
    assert final["reused_nodes"] == ["first"]
    assert effects.done == {"first": 1, "charge": 1}
    child_run = await wait_for_end(api.client, f"{final['id']}~call~0")
    assert child_run["status"] == "succeeded"
