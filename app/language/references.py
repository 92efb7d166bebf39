"""Expressions inside a node: do they compile, and can what they read exist when the node runs?"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from app.language.analysis import Analysis
from app.language.errors import Issue
from app.language.expressions import (
    ExpressionSyntaxError,
    Reference,
    check_value,
    compile_expression,
)

Path = tuple[str | int, ...]
LOOP_ROOTS = frozenset({"item", "index"})


def _at(value: Any, pattern: Sequence[str], path: Path) -> Iterator[tuple[Path, Any]]:
    """Values at a dotted pattern where `*` stands for every item of a list."""
    if not pattern:
        yield path, value
        return
    head, rest = pattern[0], pattern[1:]
    if head == "*" and isinstance(value, list):
        for index, item in enumerate(value):
            yield from _at(item, rest, (*path, index))
    elif isinstance(value, dict) and head in value:
        yield from _at(value[head], rest, (*path, head))


def _bare(source: str) -> str:
    stripped = source.strip()
    if stripped.startswith("{{") and stripped.endswith("}}") and stripped.count("{{") == 1:
        return stripped[2:-2]
    return source


def node_references(
    node_id: str,
    parameters: dict[str, Any],
    expression_fields: Sequence[str],
    base: Path,
) -> tuple[list[tuple[Path, Reference]], list[Issue]]:
    """What a node's templates and expression fields read, or why they do not compile."""
    references: list[tuple[Path, Reference]] = []
    compiled, problems = check_value(parameters)
    issues = [
        Issue("expression_syntax", problem.error.message, node_id, (*base, *problem.path))
        for problem in problems
    ]
    if compiled is not None:
        for path, template in compiled.templates():
            references += [((*base, *path), ref) for ref in template.references()]
    for pattern in expression_fields:
        for path, value in _at(parameters, pattern.split("."), ()):
            if not isinstance(value, str):
                continue
            try:
                expression = compile_expression(_bare(value))
            except ExpressionSyntaxError:
                continue  # the parameter model reports it on this field
            references += [((*base, *path), ref) for ref in expression.references()]
    return references, issues


def check_references(
    node_id: str,
    references: Sequence[tuple[Path, Reference]],
    analysis: Analysis,
    known: set[str],
) -> list[Issue]:
    """Every reference that cannot hold when the node runs."""
    issues: list[Issue] = []
    for path, reference in references:
        if reference.root in LOOP_ROOTS and node_id not in analysis.loop_of:
            issues.append(
                Issue(
                    "loop_variable_outside_loop",
                    f"'{reference.root}' is only defined inside a loop body",
                    node_id,
                    path,
                )
            )
        target = reference.node_id
        if reference.root != "nodes" or target is None:
            continue
        if target not in known:
            message = f"reads node '{target}', which does not exist"
            code = "unknown_node_reference"
        elif target == node_id:
            message = "a node cannot read its own output"
            code = "self_reference"
        elif analysis.may_run_before(target, node_id):
            continue
        else:
            message = (
                f"reads node '{target}', which cannot have run before this node "
                "(it is not upstream: it runs later or on another branch)"
            )
            code = "reference_not_upstream"
        issues.append(Issue(code, message, node_id, path))
    return issues
