"""Which workflows a plan calls through `sub_workflow` nodes, and the plans a run must carry.

Pure functions over plans, shared by the API (which pins versions and gathers plans from
the database) and the interpreter (which finds a child's plan in what its run carries).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from app.language.plan import Plan

SUB_WORKFLOW = "sub_workflow"
MAX_SUB_WORKFLOW_DEPTH = 5
"""How deep runs may nest: a run, its child, the child's child, ... at most this many levels
below the run that was started from a trigger."""
START_TRIGGER = "trigger.manual"
"""A child run starts from the first trigger of this type in its plan."""


@dataclass(frozen=True)
class Call:
    """One `sub_workflow` node: the workflow it runs and, once pinned, which version."""

    node_id: str
    workflow_id: Any
    """As written: a `wf_...` id, or something validation must refuse (a template)."""
    version: Any
    """None until the version is pinned when the calling workflow is stored."""


def plan_key(workflow_id: str, version: int) -> str:
    """How a carried plan is named: `wf_...@3`."""
    return f"{workflow_id}@{version}"


def calls(plan: Plan) -> list[Call]:
    """The plan's enabled `sub_workflow` nodes, in node id order."""
    return [
        Call(node.id, node.parameters.get("workflow_id"), node.parameters.get("version"))
        for node in plan.nodes.values()
        if node.type == SUB_WORKFLOW and not node.disabled
    ]


def pinned_key(call: Call) -> str | None:
    """The key of the plan a call runs, or None when it names no fixed version."""
    if isinstance(call.workflow_id, str) and type(call.version) is int:
        return plan_key(call.workflow_id, call.version)
    return None


def start_trigger(plan: Plan) -> str | None:
    """The trigger node a child run of this plan starts from."""
    return next(
        (node_id for node_id in plan.triggers if plan.nodes[node_id].type == START_TRIGGER), None
    )


def pin(plan: Plan, versions: Mapping[str, int]) -> Plan:
    """The plan with each listed `sub_workflow` node (by id) running the given version."""
    nodes = {
        node_id: (
            node.model_copy(
                update={"parameters": {**node.parameters, "version": versions[node_id]}}
            )
            if node_id in versions
            else node
        )
        for node_id, node in plan.nodes.items()
    }
    return plan.model_copy(update={"nodes": nodes})


def carried_for(plan: Plan, available: Mapping[str, Plan]) -> dict[str, Plan]:
    """The plans among `available` that a run of `plan` may start, its children's included."""
    needed: dict[str, Plan] = {}
    pending = [plan]
    while pending:
        for call in calls(pending.pop()):
            key = pinned_key(call)
            if key is not None and key not in needed and key in available:
                needed[key] = available[key]
                pending.append(available[key])
    return dict(sorted(needed.items()))
