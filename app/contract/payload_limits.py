"""How much a run may send to Temporal in one payload: the bounds, in one place.

Temporal refuses a payload over 2 MiB (its default blob size limit). Refused in a workflow
task's commands (a run's result, its continue-as-new input, an action's input, a child
run's input), the task fails and is retried for ever: the run neither fails nor ends
(TMPRL1103). Every such payload is therefore bounded where it is made, by the numbers here:

- what enters: a run's input when it starts (`MAX_RUN_INPUT_BYTES`, with its plans within
  `MAX_PLAN_BYTES`), an event (`MAX_EVENT_BYTES`), what an action or a child run is given
  (`MAX_NODE_INPUT_BYTES`), what an action answers (`MAX_ACTION_RESULT_BYTES`);
- what a run keeps (`state_budget`): node outputs, variables, loop items and results, and
  the overhead of every node's state. The run's input travels again each time it continues
  as new, and so do the events it buffers, so the state's room is what is left of the
  payload limit once they are counted.
"""

from __future__ import annotations

TEMPORAL_PAYLOAD_BYTES = 2 * 1024 * 1024
"""Temporal's default blob size limit (`limit.blobSize.error`)."""
MAX_PLAN_BYTES = 1_000_000
"""A compiled plan together with the plans of the sub-workflows its runs may start."""
MAX_RUN_INPUT_BYTES = 1_500_000
"""A run's whole input (plan, sub-workflow plans, trigger payload), encoded: it travels
again with the run's state each time the run continues as new, so it leaves the state at
least `TEMPORAL_PAYLOAD_BYTES - MAX_RUN_INPUT_BYTES - STATE_RESERVE_BYTES - events`."""
MAX_EVENT_BYTES = 2_000_000
"""An event delivered to a run (its name and payload), encoded; it is one signal. Events a
run buffers are bounded together by `RunLimits.buffered_event_bytes`."""
MAX_NODE_INPUT_BYTES = 1_500_000
"""What one node hands to Temporal: an action's input (its rendered parameters), a child
run's input (its plans and payload), encoded."""
MAX_ACTION_RESULT_BYTES = 1_500_000
"""What an action answers, encoded (an HTTP response body may be read up to 10 MB): past it
the action fails at once rather than have Temporal refuse its answer on every attempt."""
MAX_RUN_STATE_BYTES = 1024 * 1024
"""The most a run's state may take (`RunLimits.state_bytes`), when its input leaves room."""
STATE_RESERVE_BYTES = 64 * 1024
"""Kept free for what the state's count leaves out: error messages, waits, timestamps,
and the encoding's own overhead."""
NODE_STATE_BYTES = 256
"""What one node's entry in the run's state takes besides its output (status, attempts,
times, error type), encoded."""


def state_budget(input_bytes: int, buffered_event_bytes: int, nodes: int, limit: int) -> int:
    """The bytes of values (outputs, variables, loop items) a run may keep: at most `limit`,
    and no more than the payload limit leaves once its input (`input_bytes`, encoded), its
    buffered events, the fixed part of its `nodes`' states and the reserve are counted."""
    room = (
        TEMPORAL_PAYLOAD_BYTES
        - STATE_RESERVE_BYTES
        - input_bytes
        - buffered_event_bytes
        - nodes * NODE_STATE_BYTES
    )
    return max(0, min(limit, room))
