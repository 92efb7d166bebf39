"""Evaluating an expression or template for a builder's preview, exactly as a run would: the
language's own evaluator, the roots a run's node sees (`workflows.context`), one node's
allowance of work and output (`Meter`). Nothing is stored, nothing is started.

A failing expression is an answer (`PreviewResult.error`), not an exception: the builder
shows it next to the field.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from temporalio.client import Client

from app.errors import ErrorDetail, InvalidInputError
from app.language.expressions import (
    Expression,
    ExpressionError,
    Meter,
    Reference,
    Template,
    compile_expression,
    compile_template,
)
from app.language.plan import Plan
from app.services.runs.details import run_input_of
from app.services.runs.reading import describe_run, read_view
from workflows.context import expression_context, run_root

PreviewMode = Literal["template", "expression"]
PREVIEW_SECONDS = 5.0
"""Wall-clock bound of one preview, beside the work bound every evaluation has: a preview
that takes longer (a machine under load) answers a limit error rather than holding a
request open."""


@dataclass(frozen=True)
class PreviewError:
    type: str
    """`ExpressionSyntaxError`, `ExpressionEvaluationError`, `ExpressionLimitError`, or
    `ExpressionError` (a node read that is not upstream of the node previewed)."""
    message: str
    offset: int | None
    """Character offset in the source, when known."""


@dataclass(frozen=True)
class PreviewResult:
    value: Any = None
    error: PreviewError | None = None


def _failure(error: ExpressionError, shift: int = 0) -> PreviewResult:
    offset = None if error.position is None else error.position + shift
    return PreviewResult(error=PreviewError(type(error).__name__, error.message, offset))


def _bare(source: str) -> tuple[str, int]:
    """A bare expression field may be written inside one `{{ }}` (as validation accepts):
    the expression and where it starts in the source."""
    stripped = source.strip()
    if stripped.startswith("{{") and stripped.endswith("}}") and stripped.count("{{") == 1:
        inner = stripped[2:-2]
        return inner, source.index(stripped) + 2
    return source, 0


def _compiled(source: str, mode: PreviewMode) -> tuple[Expression | Template, int]:
    if mode == "template":
        return compile_template(source), 0
    text, shift = _bare(source)
    return compile_expression(text), shift


def _evaluate(compiled: Expression | Template, context: Mapping[str, Any]) -> Any:
    meter = Meter()  # a node's allowance, enforced as in every run recorded today
    return (
        compiled.render(context, meter=meter)
        if isinstance(compiled, Template)
        else (compiled.evaluate(context, meter=meter))
    )


def _references(compiled: Expression | Template) -> frozenset[Reference]:
    return compiled.references()


def _offset_of(source: str, node_id: str) -> int | None:
    for spelling in (f"nodes.{node_id}", f'nodes["{node_id}"]', f"nodes['{node_id}']"):
        if (found := source.find(spelling)) >= 0:
            return found
    return None


def _not_upstream(
    source: str, compiled: Expression | Template, node_id: str, upstream: set[str]
) -> PreviewResult | None:
    for reference in sorted(_references(compiled), key=lambda ref: ref.node_id or ""):
        if reference.root == "nodes" and reference.node_id and reference.node_id not in upstream:
            message = (
                "a node cannot read its own output"
                if reference.node_id == node_id
                else f"nodes.{reference.node_id} is not upstream of {node_id}"
            )
            offset = _offset_of(source, reference.node_id)
            return PreviewResult(error=PreviewError("ExpressionError", message, offset))
    return None


async def preview(
    source: str,
    mode: PreviewMode,
    context: Mapping[str, Any],
    *,
    node_id: str | None = None,
    upstream: set[str] | None = None,
) -> PreviewResult:
    """Evaluate `source` against `context` (the roots). With `node_id` and `upstream`, a read
    of a node outside `upstream` is an error, as validation would say."""
    try:
        compiled, shift = _compiled(source, mode)
    except ExpressionError as error:
        return _failure(error)
    if node_id is not None and upstream is not None:
        refused = _not_upstream(source, compiled, node_id, upstream)
        if refused is not None:
            return refused
    try:
        value = await asyncio.wait_for(
            asyncio.to_thread(_evaluate, compiled, context), PREVIEW_SECONDS
        )
    except ExpressionError as error:
        return _failure(error, shift)
    except RecursionError:
        return PreviewResult(
            error=PreviewError("ExpressionLimitError", "the data is nested too deeply", None)
        )
    except TimeoutError:
        message = f"the expression took longer than {PREVIEW_SECONDS:g} s to preview"
        return PreviewResult(error=PreviewError("ExpressionLimitError", message, None))
    return PreviewResult(value=value)


def _ancestors(plan: Plan, node_id: str) -> set[str]:
    found: set[str] = set()
    queue = list(plan.nodes[node_id].incoming)
    while queue:
        current = queue.pop()
        if current in found or current not in plan.nodes:
            continue
        found.add(current)
        queue.extend(plan.nodes[current].incoming)
    return found


async def run_context(
    client: Client, *, organization_id: str, run_id: str, node_id: str
) -> tuple[dict[str, Any], set[str]]:
    """The roots `node_id` saw in run `run_id` (its upstream nodes' outputs, the run's trigger
    payload, variables and metadata, the time it started), and the ids of its upstream nodes.
    Another organization's run is not found; a node the run's plan lacks is a 422."""
    handle, description = await describe_run(client, organization_id=organization_id, run_id=run_id)
    run_input = await run_input_of(client, handle, description)
    if node_id not in run_input.plan.nodes:
        message = f"run '{run_id}' has no node '{node_id}'"
        path = ("body", "context", "node_id")
        raise InvalidInputError(message, [ErrorDetail(message, path, code="unknown_node")])
    view = await read_view(client, handle, description)
    upstream = _ancestors(run_input.plan, node_id)
    states = {key: state for key, state in view.nodes.items() if key in upstream}
    # `error` is the run's last failure; upstream of this node, the latest to end.
    failures = sorted(
        (
            (state.ended_at, state.error)
            for state in states.values()
            if state.error is not None and state.ended_at is not None
        ),
        key=lambda failure: failure[0],
    )
    node_state = view.nodes.get(node_id)
    started = node_state.started_at if node_state and node_state.started_at else None
    context = expression_context(
        run_input,
        outputs={key: state.output for key, state in states.items()},
        variables=view.variables,
        now=started or datetime.now(UTC),
        run_info=run_root(run_input, run_id),
        error=failures[-1][1].model_dump() if failures else None,
    )
    return context, upstream
