"""What expressions inside a run can read, and rendering a node's parameters against it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from app.language.expressions import compile_template
from workflows.state import RunInput

Path = tuple[str | int, ...]


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


def _matches(path: Path, patterns: Sequence[tuple[str, ...]]) -> bool:
    return any(
        len(pattern) == len(path)
        and all(
            (part == "*" and isinstance(step, int)) or part == step
            for part, step in zip(pattern, path, strict=True)
        )
        for pattern in patterns
    )


def _render(
    value: Any, context: Mapping[str, Any], keep: Sequence[tuple[str, ...]], path: Path
) -> Any:
    if keep and _matches(path, keep):
        return value
    if isinstance(value, str):
        return compile_template(value).render(context) if "{{" in value else value
    if isinstance(value, dict):
        return {key: _render(item, context, keep, (*path, key)) for key, item in value.items()}
    if isinstance(value, list):
        return [_render(item, context, keep, (*path, index)) for index, item in enumerate(value)]
    return value


def render_parameters(
    parameters: dict[str, Any], expression_fields: Sequence[str], context: Mapping[str, Any]
) -> dict[str, Any]:
    """Parameters with every template rendered; bare-expression fields are left for the node."""
    keep = [tuple(pattern.split(".")) for pattern in expression_fields]
    rendered: dict[str, Any] = _render(parameters, context, keep, ())
    return rendered
