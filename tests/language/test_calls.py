"""Which workflows a plan calls, pinning their versions, and the plans a run must carry."""

from __future__ import annotations

from typing import Any

from app.catalog import CATALOG
from app.language.calls import Call, calls, carried_for, pin, pinned_key, plan_key, start_trigger
from app.language.plan import Plan
from tests.utils.compiling import compile_workflow


def plan_calling(*targets: tuple[str, int | None], disabled: bool = False) -> Plan:
    nodes: list[dict[str, Any]] = [{"id": "start", "type": "trigger.manual"}]
    for index, (workflow_id, version) in enumerate(targets):
        parameters: dict[str, Any] = {"workflow_id": workflow_id}
        if version is not None:
            parameters["version"] = version
        nodes.append(
            {"id": f"c{index}", "type": "sub_workflow", "parameters": parameters,
             "disabled": disabled}
        )  # fmt: skip
    edges = [{"source": "start", "target": node["id"]} for node in nodes[1:]]
    return compile_workflow({"nodes": nodes, "edges": edges}, catalog=CATALOG)


def test_calls_lists_enabled_sub_workflow_nodes_in_id_order() -> None:
    assert calls(plan_calling(("wf_a", 2), ("wf_b", None))) == [
        Call("c0", "wf_a", 2),
        Call("c1", "wf_b", None),
    ]
    assert calls(plan_calling(("wf_a", 2), disabled=True)) == []


def test_pin_sets_the_version_of_the_named_nodes_only() -> None:
    pinned = pin(plan_calling(("wf_a", None), ("wf_b", None)), {"c1": 4})
    assert [pinned_key(call) for call in calls(pinned)] == [None, plan_key("wf_b", 4)]


def test_carried_for_follows_children_of_children_and_nothing_else() -> None:
    leaf = plan_calling()
    middle = plan_calling(("wf_leaf", 1))
    available = {
        plan_key("wf_middle", 1): middle,
        plan_key("wf_leaf", 1): leaf,
        plan_key("wf_other", 1): leaf,
    }
    assert carried_for(plan_calling(("wf_middle", 1)), available) == {
        plan_key("wf_leaf", 1): leaf,
        plan_key("wf_middle", 1): middle,
    }


def test_a_child_starts_from_its_first_manual_trigger() -> None:
    assert start_trigger(plan_calling()) == "start"
    hooked = compile_workflow(
        {"nodes": [{"id": "hook", "type": "trigger.webhook"}]}, catalog=CATALOG
    )
    assert start_trigger(hooked) is None
