"""A node's status changes only through the rules of `workflows.node_status`."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from workflows.node_status import (
    ANY,
    CANCEL,
    FAIL,
    RUN_ENDED,
    SKIP,
    START,
    STILL_RUNNING,
    STILL_WAITING,
    STOP_WAITING,
    SUCCEED,
    WAIT,
    Rule,
    move,
)
from workflows.state import NodeState, NodeStatus

WORKFLOWS = Path(__file__).resolve().parents[2] / "workflows"


def _after(status: NodeStatus, rule: Rule) -> NodeStatus:
    node = NodeState(status=status)
    move(node, rule)
    return node.status


@pytest.mark.parametrize("rule", [START, SKIP, WAIT, STOP_WAITING, SUCCEED, FAIL])
def test_a_loop_body_node_takes_these_changes_from_any_status(rule: Rule) -> None:
    assert {_after(status, rule) for status in ANY} == {rule.to_state}


@pytest.mark.parametrize("rule", [CANCEL, STILL_RUNNING, STILL_WAITING])
def test_a_failure_stays_shown_while_other_iterations_are_cancelled_or_go_on(rule: Rule) -> None:
    assert _after("failed", rule) == "failed"
    assert _after("succeeded", rule) == rule.to_state


def test_the_end_of_a_run_cancels_only_the_nodes_under_way() -> None:
    assert {status: _after(status, RUN_ENDED) for status in sorted(ANY)} == {
        "cancelled": "cancelled",
        "failed": "failed",
        "pending": "pending",
        "running": "cancelled",
        "skipped": "skipped",
        "succeeded": "succeeded",
        "waiting": "cancelled",
    }


def _status_assignments(source: str) -> list[str]:
    """What `source` assigns a `.status` to, written as the target (`node.status`)."""
    return [
        ast.unparse(target)
        for statement in ast.walk(ast.parse(source))
        if isinstance(statement, ast.Assign | ast.AugAssign | ast.AnnAssign)
        for target in (
            statement.targets if isinstance(statement, ast.Assign) else [statement.target]
        )
        if isinstance(target, ast.Attribute) and target.attr == "status"
    ]


def test_the_search_finds_a_status_set_in_place() -> None:
    source = 'node.status = "cancelled"\nself.state.nodes[node_id].status = "running"\n'
    assert _status_assignments(source) == ["node.status", "self.state.nodes[node_id].status"]


def test_only_the_rules_set_a_node_status() -> None:
    assigned = {
        path.name: _status_assignments(path.read_text())
        for path in sorted(WORKFLOWS.glob("*.py"))
        if path.name != "node_status.py"
    }
    # The run's own status, which is not a node's.
    assert {name: targets for name, targets in assigned.items() if targets} == {
        "run.py": ["self.state.status"]
    }
