"""Compiled expressions: the unit of the language."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from ._errors import ExpressionSyntaxError
from ._evaluator import evaluate
from ._limits import DEFAULT_LIMITS, Limits, Meter
from ._parser import Parsed, Reference, parse
from ._values import truthy


@dataclass(frozen=True)
class Expression:
    """A checked expression, ready to evaluate any number of times.

    Create with :func:`compile_expression`. Instances are immutable and may be
    shared between threads and workflow runs. Two expressions are equal when
    their sources are equal.

    Attributes:
        source: The expression text as written.
    """

    source: str
    _parsed: Parsed = field(repr=False, compare=False)

    def evaluate(
        self,
        context: Mapping[str, Any],
        *,
        limits: Limits = DEFAULT_LIMITS,
        meter: Meter | None = None,
    ) -> Any:
        """Evaluate against a context of JSON values.

        Args:
            context: Values of the roots (``trigger``, ``nodes``, ``vars``,
                ``run``, ``now``, ``item``, ``index``, ``error``); a missing
                root reads as null.
            limits: Run-time budgets.
            meter: Where the work and the result are counted, shared with other
                evaluations (a node's); a meter of its own (``limits``) when None.

        Returns:
            A JSON value (dict, list, str, int, float, bool or None).

        Raises:
            ExpressionEvaluationError: On type errors, division by zero and the
                like; ExpressionLimitError when a budget is exceeded.
        """
        return evaluate(self._parsed, context, limits, meter)

    def references(self) -> frozenset[Reference]:
        """Which context roots, and which nodes under ``nodes``, this expression reads.

        ``Reference("nodes", None)`` means the node is chosen at run time
        (``nodes[vars.k]``) or all nodes are read (``keys(nodes)``).
        """
        return self._parsed.references

    def roots(self) -> frozenset[str]:
        """Names of the context roots this expression reads."""
        return frozenset(reference.root for reference in self._parsed.references)


@lru_cache(maxsize=8192)
def _compile_cached(source: str, limits: Limits) -> Expression:
    return Expression(source, parse(source, limits))


def compile_expression(source: str, *, limits: Limits = DEFAULT_LIMITS) -> Expression:
    """Parse and check an expression.

    Results are cached by source and limits, so compiling the same text again is
    a dictionary lookup.

    Args:
        source: Expression text, e.g. ``nodes.check.status == 200``.
        limits: Compile-time budgets (length, nesting, size of the syntax tree).

    Raises:
        ExpressionSyntaxError: With the offending position, for invalid syntax,
            a construct outside the language, an unknown name or function, or a
            source over the limits.
    """
    if type(source) is not str:
        raise ExpressionSyntaxError("an expression must be text", position=None, expression="")
    return _compile_cached(source, limits)


def evaluate_condition(
    condition: str | Expression,
    context: Mapping[str, Any],
    *,
    limits: Limits = DEFAULT_LIMITS,
    meter: Meter | None = None,
) -> bool:
    """Evaluate a condition and apply truthiness.

    null, false, 0, "", [] and {} are false; everything else is true.

    Args:
        condition: Expression text or an already compiled expression.
        context: Values of the roots, as for :meth:`Expression.evaluate`.
        limits: Compile-time and run-time budgets.
        meter: As for :meth:`Expression.evaluate`.

    Raises:
        ExpressionSyntaxError: When ``condition`` is text that does not compile.
        ExpressionEvaluationError: When evaluation fails.
    """
    expression = (
        condition
        if isinstance(condition, Expression)
        else compile_expression(condition, limits=limits)
    )
    return truthy(expression.evaluate(context, limits=limits, meter=meter))
