"""Expressions inside a node: do they compile, and can what they read exist when the node runs?"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from app.language.analysis import Analysis
from app.language.errors import Issue
from app.language.expressions import (
    ExpressionSyntaxError,
    Reference,
    check_value,
    compile_expression,
)
from app.language.field_paths import expression_values, patterns_of, without_expressions
from app.language.nodes.fields import bare_expression

Path = tuple[str | int, ...]
LOOP_ROOTS = frozenset({"item", "index"})
OWN_LOOP_ROOT_FIELDS = {"loop": ("until",)}
"""Fields of a node type that read `item` and `index` of the node itself, not of a loop
around it: a loop's `until` reads the iteration that just ended."""


def node_references(
    node_id: str,
    parameters: dict[str, Any],
    expression_fields: Sequence[str],
    base: Path,
) -> tuple[list[tuple[Path, Reference]], list[Issue]]:
    """What a node's templates and expression fields read, or why they do not compile."""
    references: list[tuple[Path, Reference]] = []
    patterns = patterns_of(expression_fields)
    # Bare-expression fields are never rendered: read as templates here too, one mistake
    # in them would be reported twice and a mixed one let through.
    compiled, problems = check_value(without_expressions(parameters, patterns))
    issues = [
        Issue(
            "expression_syntax",
            problem.error.located(),
            node_id,
            (*base, *problem.path),
        )
        for problem in problems
    ]
    if compiled is not None:
        for path, template in compiled.templates():
            references += [((*base, *path), ref) for ref in _in_order(template.references())]
    for path, value in expression_values(parameters, patterns):
        if not isinstance(value, str):
            continue
        try:
            expression = compile_expression(bare_expression(value))
        except (ValueError, ExpressionSyntaxError):
            continue  # the parameter model reports it on this field
        references += [((*base, *path), ref) for ref in _in_order(expression.references())]
    return references, issues


def _in_order(references: Iterable[Reference]) -> list[Reference]:
    """References sorted: a frozenset's order follows hashes, which differ between processes
    (string hashes are salted, and hash(None) is its address on 3.11), and so would the
    order of the issues reported."""
    return sorted(
        references, key=lambda ref: (ref.root, ref.node_id is not None, ref.node_id or "")
    )


def check_references(
    node_id: str,
    references: Sequence[tuple[Path, Reference]],
    analysis: Analysis,
    known: set[str],
    own_loop_fields: Sequence[str] = (),
) -> list[Issue]:
    """Every reference that cannot hold when the node runs; `own_loop_fields` are the
    parameters (`OWN_LOOP_ROOT_FIELDS`) where the node itself defines the loop roots."""
    issues: list[Issue] = []
    for path, reference in references:
        if (
            reference.root in LOOP_ROOTS
            and node_id not in analysis.loop_of
            and not _in_fields(path, own_loop_fields)
        ):
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


def _in_fields(path: Path, fields: Sequence[str]) -> bool:
    """Whether `path` (`nodes, <index>, parameters, <field>, ...`) is in one of `fields`."""
    return len(path) > 3 and path[2] == "parameters" and path[3] in fields
