"""Which values of a node's parameters are bare expressions: one reading for validation and
for the interpreter, so a field is never a template to one and an expression to the other.

A node type names its bare-expression fields as dotted patterns (`cases.*.condition`), where
`*` stands for every item of a list.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

Path = tuple[str | int, ...]
"""Where a value is inside a node's parameters, e.g. `("cases", 0, "condition")`."""


def patterns_of(expression_fields: Sequence[str]) -> tuple[tuple[str, ...], ...]:
    """The dotted patterns of `NodeType.expression_fields`, split into their steps."""
    return tuple(tuple(pattern.split(".")) for pattern in expression_fields)


def is_expression_path(path: Sequence[str | int], patterns: Sequence[tuple[str, ...]]) -> bool:
    """Whether the value at `path` is a bare expression (never rendered as a template)."""
    return any(
        len(pattern) == len(path)
        and all(
            (part == "*" and isinstance(step, int)) or part == step
            for part, step in zip(pattern, path, strict=True)
        )
        for pattern in patterns
    )


def expression_values(
    parameters: Any, patterns: Sequence[tuple[str, ...]]
) -> Iterator[tuple[Path, Any]]:
    """Each bare-expression value present in `parameters`, with its path."""
    for pattern in patterns:
        yield from _at(parameters, pattern, ())


def _at(value: Any, pattern: Sequence[str], path: Path) -> Iterator[tuple[Path, Any]]:
    if not pattern:
        yield path, value
        return
    head, rest = pattern[0], pattern[1:]
    if head == "*" and isinstance(value, list):
        for index, item in enumerate(value):
            yield from _at(item, rest, (*path, index))
    elif isinstance(value, dict) and head in value:
        yield from _at(value[head], rest, (*path, head))


def without_expressions(value: Any, patterns: Sequence[tuple[str, ...]], path: Path = ()) -> Any:
    """`value` with every bare-expression value replaced by None: what is rendered as
    templates, walked as the interpreter walks it (`workflows.context.render_parameters`)."""
    if not patterns:
        return value
    if is_expression_path(path, patterns):
        return None
    if isinstance(value, dict):
        return {
            key: without_expressions(item, patterns, (*path, key)) for key, item in value.items()
        }
    if isinstance(value, list):
        return [without_expressions(item, patterns, (*path, i)) for i, item in enumerate(value)]
    return value


def field_name(path: Sequence[str | int]) -> str:
    """`("body", "items", 2)` as people write it: `body.items[2]`; how validation's paths
    read in a run's errors."""
    name = ""
    for step in path:
        name += f"[{step}]" if isinstance(step, int) else f".{step}" if name else str(step)
    return name
