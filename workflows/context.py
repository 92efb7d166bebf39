"""What expressions inside a run can read, and rendering a node's parameters against it."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

from temporalio import workflow

from app.language.expressions import ExpressionError, Measure, Meter, Size, compile_template
from app.language.field_paths import is_expression_path, patterns_of
from workflows.state import RunInput

Path = tuple[str | int, ...]

EXPRESSION_WORK_PATCH = "bounded-expression-work"
"""Runs recorded before expressions were charged for all their work, and a node's
evaluations shared one allowance, evaluated without those bounds (INVARIANTS.md). Only
called when a bound is first passed."""
PARAMETER_WORK = 2
"""Units of work (`Meter`) of one value of a node's parameters walked while rendering."""


def _enforce_work_bounds() -> bool:
    return workflow.patched(EXPRESSION_WORK_PATCH)


def node_meter(known: Mapping[int, tuple[Any, Size]] | None = None) -> Meter:
    """The allowance of one node's evaluations: every template of its parameters and its
    conditions, items or match draw from it, and it counts the node's work for pacing.
    `known`: sizes measured once for the run (`payload_sizes`)."""
    return Meter(enforce=_enforce_work_bounds, known=known)


def payload_sizes(payload: Any, spend: Callable[[int], None]) -> Mapping[int, tuple[Any, Size]]:
    """The sizes of the trigger's payload, which every node may read (and pass on whole):
    measured once per run rather than by each node that writes it out, compares it or
    returns it; `spend` is told the work."""
    measure = Measure(spend)
    with contextlib.suppress(TypeError, ValueError, RecursionError):
        measure.size(payload)  # what is not JSON is left to whatever reads it
    return measure.known


def run_root(run: RunInput, run_id: str) -> dict[str, Any]:
    """What expressions read as `run`: the same for every node of a run."""
    return {
        "id": run_id,
        **run.metadata.model_dump(mode="json"),
        "trigger_kind": run.trigger.kind,
        "trigger_node": run.trigger.node_id,
    }


def expression_context(
    run: RunInput,
    *,
    outputs: Mapping[str, Any],
    variables: Mapping[str, Any],
    now: datetime,
    run_info: Mapping[str, Any],
    loop: tuple[Any, int] | None = None,
    error: Any = None,
) -> dict[str, Any]:
    """The roots of every expression: trigger, nodes, vars, run, now (and item, index, error).
    `run_info` is `run_root(run, ...)`, made once per run."""
    context: dict[str, Any] = {
        "trigger": run.trigger.payload,
        "nodes": outputs,
        "vars": variables,
        "run": run_info,
        "now": now.isoformat(),
        "error": error,
    }
    if loop is not None:
        context["item"], context["index"] = loop
    return context


class _Rendering:
    """One node's parameters being rendered: what stays as written, and the node's meter."""

    def __init__(
        self,
        context: Mapping[str, Any],
        keep: Sequence[tuple[str, ...]],
        meter: Meter,
        nulls: list[tuple[Path, str]],
    ) -> None:
        self.context = context
        self.keep = keep
        self.meter = meter
        self.nulls = nulls
        self.walked = 0
        """Values of the parameters walked (constants too): the work a plan's constants
        cost, bounded by the plan's size, counted for pacing only."""

    def render(self, value: Any, path: Path) -> Any:
        self.walked += 1
        if self.keep and is_expression_path(path, self.keep):
            return value
        if isinstance(value, str):
            if "{{" not in value:
                return value
            try:
                rendered = compile_template(value).render(self.context, meter=self.meter)
            except ExpressionError as error:
                raise error.relocated(path=path) from None
            if rendered is None:
                self.nulls.append((path, value))
            return rendered
        if isinstance(value, dict):
            return {key: self.render(item, (*path, key)) for key, item in value.items()}
        if isinstance(value, list):
            return [self.render(item, (*path, index)) for index, item in enumerate(value)]
        return value


def render_parameters(
    parameters: dict[str, Any],
    expression_fields: Sequence[str],
    context: Mapping[str, Any],
    meter: Meter,
    nulls: list[tuple[Path, str]] | None = None,
) -> dict[str, Any]:
    """Parameters with every template rendered; bare-expression fields are left for the node.
    Templates draw from `meter`, which also counts the walk of the parameters. A template
    that fails raises its `ExpressionError` with `path` set to its field. Each template
    that gave null is added to `nulls` (its field and text), for the node's error."""
    rendering = _Rendering(
        context, patterns_of(expression_fields), meter, [] if nulls is None else nulls
    )
    try:
        rendered: dict[str, Any] = rendering.render(parameters, ())
    finally:
        meter.count(rendering.walked * PARAMETER_WORK)
    return rendered
