"""Control nodes that decide or shape data at once: no waiting, no activity, no I/O."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from app.contract.failures import FailureType
    from app.language.expressions import ExpressionError, Meter, compile_expression
    from app.language.nodes.data import SetParameters, TransformParameters
    from app.language.nodes.flow import (
        FailParameters,
        IfParameters,
        JoinParameters,
        LoopParameters,
        StopParameters,
        SwitchParameters,
    )
    from workflows.bounded import check_depth
    from workflows.errors import NodeFailedError, RunStopped
    from workflows.scope import Outcome
    from workflows.state_budget import StateLedger, variable_size


def evaluate(
    source: str, context: Mapping[str, Any], meter: Meter, field: str | None = None
) -> Any:
    """The value of a bare-expression parameter; its failure fails the node, with the
    `field` named first when given."""
    try:
        return compile_expression(source).evaluate(context, meter=meter)
    except ExpressionError as error:
        message = f"{field}: {error.located()}" if field else error.located()
        raise NodeFailedError(message, type=FailureType.ExpressionError) from None


@dataclass(frozen=True)
class Call:
    """What an immediate control node works with."""

    node_id: str
    context: Mapping[str, Any]
    variables: dict[str, Any]
    """The run's variables; `set` changes them in place."""
    arrived: Mapping[str, Any]
    """Outputs of the incoming nodes that ran, for `join`."""
    meter: Meter
    """The node's allowance for its expressions (`context.node_meter`)."""
    ledger: StateLedger
    """What the run keeps; `set` counts the variables there."""


def run_if(parameters: IfParameters, call: Call) -> Outcome:
    result = bool(evaluate(parameters.condition, call.context, call.meter, "condition"))
    return Outcome("true" if result else "false", {"result": result})


def run_switch(parameters: SwitchParameters, call: Call) -> Outcome:
    for index, case in enumerate(parameters.cases):
        if evaluate(case.condition, call.context, call.meter, f"cases[{index}].condition"):
            return Outcome(case.handle, {"handle": case.handle})
    return Outcome("default", {"handle": "default"})


def run_set(parameters: SetParameters, call: Call) -> Outcome:
    # Checked before they change: a variable too deep to keep must not reach the state.
    call.meter.count(check_depth({**call.variables, **parameters.values}, "the variables"))
    # Counted before they change too: the state must stay within Temporal's payload limit.
    sizes = {
        name: variable_size(name, value, call.meter.count)
        for name, value in parameters.values.items()
    }
    if sizes:
        largest = max(sorted(sizes), key=lambda name: sizes[name])
        call.ledger.keep(
            {("var", name): size for name, size in sizes.items()}, f"the variable '{largest}'"
        )
    call.variables.update(parameters.values)
    return Outcome("out", dict(call.variables))


def run_transform(parameters: TransformParameters, call: Call) -> Outcome:
    return Outcome("out", parameters.value)


def run_join(parameters: JoinParameters, call: Call) -> Outcome:
    return Outcome("out", dict(call.arrived))


def run_stop(parameters: StopParameters, call: Call) -> Outcome:
    call.meter.count(check_depth(parameters.output))
    raise RunStopped(call.node_id, parameters.output)


def run_fail(parameters: FailParameters, call: Call) -> Outcome:
    raise NodeFailedError(parameters.message, type=parameters.error_type)


IMMEDIATE: Mapping[str, Callable[[Any, Call], Outcome]] = {
    "if": run_if,
    "switch": run_switch,
    "set": run_set,
    "transform": run_transform,
    "join": run_join,
    "stop": run_stop,
    "fail": run_fail,
}
"""Control nodes that finish at once, by node type."""


def loop_items(parameters: LoopParameters, context: Mapping[str, Any], meter: Meter) -> list[Any]:
    assert parameters.items is not None, "a loop without items has until (loop_until)"
    items = evaluate(parameters.items, context, meter, "items")
    if items is None:
        return []
    if not isinstance(items, list):
        raise NodeFailedError(
            f"the loop's items must be a list, not {type(items).__name__}",
            type=FailureType.InvalidItems,
        )
    if len(items) > parameters.max_items:
        raise NodeFailedError(
            f"{len(items)} items is more than max_items ({parameters.max_items})",
            type=FailureType.TooManyItems,
        )
    return items
