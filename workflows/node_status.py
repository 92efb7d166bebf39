"""Every change of a node's status, in one place: each change is a rule that names the states
it moves a node from and the state it moves it to (as Prefect's orchestration rules do), and
`move` is the only code that sets `NodeState.status`. A node in a state the rule does not
move from keeps its status.

One `NodeState` stands for every run of a node, and a node in a loop body runs once per item,
several at a time: one iteration may start the node while another has finished it, failed it
or waits in it. So most rules move a node from any state. Three do not:

- a failure stays shown while other iterations of the node are cancelled or go on
  (`CANCEL`, `STILL_RUNNING`, `STILL_WAITING`);
- when the run ends, only nodes still under way are cancelled (`RUN_ENDED`).

Statuses start at `pending` (`NodeState`), and a run that continues as new hands them on.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import get_args

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from workflows.state import NodeState, NodeStatus

ANY: frozenset[NodeStatus] = frozenset(get_args(NodeStatus))
UNDER_WAY: frozenset[NodeStatus] = frozenset({"running", "waiting"})


@dataclass(frozen=True)
class Rule:
    """One change of status: from any of `from_states` to `to_state`, for the reason `when`."""

    from_states: frozenset[NodeStatus]
    to_state: NodeStatus
    when: str


START = Rule(ANY, "running", "the node starts (a loop body's node again for each item)")
SKIP = Rule(ANY, "skipped", "no edge into it fired, or it is disabled")
WAIT = Rule(ANY, "waiting", "a delay, an event wait or an approval begins")
STOP_WAITING = Rule(ANY, "running", "its last wait ended (another iteration's may go on)")
SUCCEED = Rule(ANY, "succeeded", "its work is done, or a `stop` node ended the run")
FAIL = Rule(ANY, "failed", "its work failed; its `on_error` decides what follows")
CANCEL = Rule(ANY - {"failed"}, "cancelled", "its task was cancelled")
STILL_RUNNING = Rule(ANY - {"failed"}, "running", "an iteration ended; others run the node")
STILL_WAITING = Rule(ANY - {"failed"}, "waiting", "an iteration ended; others wait in the node")
RUN_ENDED = Rule(UNDER_WAY, "cancelled", "the run ended while the node was under way")


def move(node: NodeState, rule: Rule) -> None:
    """Apply `rule` to `node`: its status becomes `rule.to_state` if it is in `from_states`."""
    if node.status in rule.from_states:
        node.status = rule.to_state
