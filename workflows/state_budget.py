"""Keeping a run's whole state within Temporal's payload limit (docs/architecture.md,
invariant 7; INVARIANTS.md, "Bounded run state").

A run's state travels to Temporal whole: as its result, with its failure, as the answer to
the `state` query, and as the input of its next run when it continues as new. Each output is
bounded on its own (`bounded`), but many of them, the variables, a loop's items or the
outputs of its iterations under way together can pass the 2 MiB payload limit; Temporal
then refuses the workflow task's commands, and retries the task for ever.

So every value the run keeps is counted here, under a key naming where it is kept, and a
node that would keep more than the run's budget fails instead (`RunStateTooLargeError`,
with its error route): the run always ends. What counts:

- each node's output in the run's state (`("node", id)`), and again in the scope that holds
  it for the nodes after it (`("scope", scope, id)`), since a continuation carries both;
- each variable (`("var", name)`);
- a loop's items, and the room its results may take, while it runs (`("loop", scope, id)`);
- the outputs of a loop iteration, released when it ends.

The budget (`app.contract.payload_limits.state_budget`) is what the payload limit leaves
once the run's input, its buffered events and the fixed part of every node's state are
counted, and at most `RunLimits.state_bytes`.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping
from typing import Any

from temporalio import workflow
from temporalio.contrib.pydantic import pydantic_data_converter

with workflow.unsafe.imports_passed_through():
    from app.contract.failures import FailureType
    from app.contract.payload_limits import MAX_NODE_INPUT_BYTES, state_budget
    from workflows.bounded import json_size
    from workflows.errors import NodeFailedError
    from workflows.state import RunInput

STATE_BOUND_PATCH = "bounded-run-state"
"""Runs recorded before the run's state, and what a node hands to Temporal, were bounded
kept and sent whatever fitted (INVARIANTS.md). Only called when a bound is first passed."""

Key = tuple[Hashable, ...]


class RunStateTooLargeError(NodeFailedError):
    def __init__(self, what: str, size: int, total: int, budget: int) -> None:
        super().__init__(
            f"{what} ({size} bytes as JSON) would make the run's state {total} bytes; "
            f"a run keeps at most {budget} (outputs, variables, loop items): keep less",
            type=FailureType.RunStateTooLarge,
        )


class InputTooLargeError(NodeFailedError):
    def __init__(self, what: str, size: int) -> None:
        super().__init__(
            f"{what} is {size} bytes encoded; Temporal takes at most {MAX_NODE_INPUT_BYTES} "
            "in one payload: send less",
            type=FailureType.InputTooLarge,
        )


def encoded_size(value: Any) -> int:
    """The bytes `value` takes as a Temporal payload, encoded as every run's data is."""
    [payload] = pydantic_data_converter.payload_converter.to_payloads([value])
    return payload.ByteSize()


def _enforce() -> bool:
    return workflow.patched(STATE_BOUND_PATCH)


def check_node_input(value: Any, what: str, enforce: Callable[[], bool] = _enforce) -> None:
    """Raise `InputTooLargeError` when `value` (an action's or a child run's input) is too
    large for one payload; runs recorded before this bound sent it as it was."""
    size = encoded_size(value)
    if size > MAX_NODE_INPUT_BYTES and enforce():
        raise InputTooLargeError(what, size)


def _ignore(units: int) -> None:
    pass


def variable_size(name: str, value: Any, spend: Callable[[int], None] = _ignore) -> int:
    """What a variable takes in the state's `variables` object: `"name":value,`."""
    return json_size(name).text + 1 + json_size(value, spend).text + 1


def run_budget(run: RunInput) -> int:
    """The state budget of `run` (`state_budget`), from its input as every run of its chain
    carries it."""
    fresh = run.model_copy(update={"resume": None})
    return state_budget(
        encoded_size(fresh),
        run.limits.buffered_event_bytes,
        len(run.plan.nodes),
        run.limits.state_bytes,
    )


class StateLedger:
    """The sizes of the values a run keeps, by where it keeps them, against its budget."""

    def __init__(self, budget: int, enforce: Callable[[], bool] = _enforce) -> None:
        self.budget = budget
        self.total = 0
        self._sizes: dict[Key, int] = {}
        self._scopes: dict[int, set[Key]] = {}
        self._enforce = enforce
        self._enforcing: bool | None = None

    def keep(self, sizes: Mapping[Key, int], what: str) -> None:
        """Record `sizes` (replacing what those keys held), or raise `RunStateTooLargeError`
        (`what` grew) and record nothing when the total would pass the budget."""
        total = self.total + sum(size - self._sizes.get(key, 0) for key, size in sizes.items())
        if total > self.budget and total > self.total and self._enforcing_now():
            raise RunStateTooLargeError(what, max(sizes.values(), default=0), total, self.budget)
        self.put(sizes)

    def put(self, sizes: Mapping[Key, int]) -> None:
        """Record `sizes` whatever the total: for what is smaller than what it replaces (an
        error output) or was counted before (a continuation being resumed)."""
        for key, size in sizes.items():
            self.total += size - self._sizes.get(key, 0)
            self._sizes[key] = size
            if key[0] in ("scope", "loop"):
                scope = key[1]
                assert isinstance(scope, int)
                self._scopes.setdefault(scope, set()).add(key)

    def release(self, key: Key) -> None:
        self.total -= self._sizes.pop(key, 0)

    def release_scope(self, scope: int) -> None:
        """Forget what a scope (a loop iteration that ended) kept."""
        for key in self._scopes.pop(scope, set()):
            self.release(key)

    def _enforcing_now(self) -> bool:
        # Asked once, the first time the budget is passed: a run recorded before the bound
        # has no marker and goes on as it did (INVARIANTS.md).
        if self._enforcing is None:
            self._enforcing = self._enforce()
        return self._enforcing
