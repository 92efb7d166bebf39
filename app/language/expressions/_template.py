"""Templates: text with ``{{ expression }}`` placeholders.

A placeholder ends at the first ``}}`` that is outside string literals and
outside brackets, so ``{{ "}}" }}`` and ``{{ {"a": {"b": 1}} }}`` work. There is
no escape sequence: a literal ``{{`` is written ``{{ "{{" }}``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, NamedTuple

from ._convert import Writing, text_writing
from ._errors import (
    ExpressionError,
    ExpressionEvaluationError,
    ExpressionLimitError,
    ExpressionSyntaxError,
    LimitProblem,
    Problem,
)
from ._expression import Expression, compile_expression
from ._limits import DEFAULT_LIMITS, Budget, Limits, Meter
from ._parser import Reference
from ._source import skip_string
from ._values import to_text

OPEN, CLOSE = "{{", "}}"


class Placeholder(NamedTuple):
    """One ``{{ expression }}`` of a template.

    Attributes:
        offset: Where the expression text (just after ``{{``) starts in the template.
        expression: The compiled expression.
    """

    offset: int
    expression: Expression


@dataclass(frozen=True)
class Template:
    """A compiled template. Create with :func:`compile_template`.

    Attributes:
        text: The template as written.
        parts: Literal texts and placeholders, in order.
    """

    text: str
    parts: tuple[str | Placeholder, ...] = field(compare=False)
    placeholders: tuple[Placeholder, ...] = field(init=False, compare=False, repr=False)
    """The placeholders, in order."""
    single: Placeholder | None = field(init=False, compare=False, repr=False)
    """The placeholder when the text is just one, with optional surrounding whitespace."""

    def __post_init__(self) -> None:
        placeholders = tuple(part for part in self.parts if isinstance(part, Placeholder))
        blank = all(not part.strip() for part in self.parts if isinstance(part, str))
        object.__setattr__(self, "placeholders", placeholders)
        object.__setattr__(
            self, "single", placeholders[0] if len(placeholders) == 1 and blank else None
        )

    @property
    def is_constant(self) -> bool:
        """True when the text has no placeholder at all."""
        return not self.placeholders

    def references(self) -> frozenset[Reference]:
        """Union of the references of every placeholder."""
        return frozenset().union(*(p.expression.references() for p in self.placeholders))

    def render(
        self,
        context: Mapping[str, Any],
        *,
        limits: Limits = DEFAULT_LIMITS,
        meter: Meter | None = None,
    ) -> Any:
        """Evaluate the placeholders and build the result.

        A template that is exactly one placeholder (plus whitespace) returns the
        raw value, keeping its type (list, object, number, ...). Otherwise every
        value is turned into text - null → "", true/false → "true"/"false",
        lists and objects → compact JSON with sorted keys - and concatenated;
        each value is measured before it is written out.

        Args:
            meter: Where the placeholders' work is counted (see
                :meth:`Expression.evaluate`); one for this template when None.

        Raises:
            ExpressionEvaluationError: With the position within the template text;
                ExpressionLimitError when the output exceeds
                ``limits.max_string_length``.
        """
        meter = meter or Meter(limits)
        single = self.single
        if single is not None:
            return self._evaluate(single, context, limits, meter)
        budget = Budget(limits, meter)
        pieces: list[str] = []
        length = 0
        for part in self.parts:
            if isinstance(part, str):
                pieces.append(part)
                length += len(part)
                if length > limits.max_string_length:
                    raise self._fail(self._too_long(limits), None)
                continue
            value = self._evaluate(part, context, limits, meter)
            try:
                # Measured first: a value too long to fit is never written out.
                writing = self._writing(budget, value)
                length += writing.length
                if length > limits.max_string_length:
                    raise self._too_long(limits)
                budget.work(writing.work)
            except Problem as problem:
                raise self._fail(problem, part.offset) from None
            pieces.append(to_text(value))
        try:
            budget.scan(length)  # joining the pieces
        except Problem as problem:
            raise self._fail(problem, None) from None
        return "".join(pieces)

    @staticmethod
    def _writing(budget: Budget, value: Any) -> Writing:
        try:
            return text_writing(budget, value)
        except RecursionError:
            raise LimitProblem("the data is nested too deeply") from None

    @staticmethod
    def _too_long(limits: Limits) -> LimitProblem:
        return LimitProblem(
            f"the text would be too long (limit {limits.max_string_length} characters)"
        )

    def _evaluate(
        self, part: Placeholder, context: Mapping[str, Any], limits: Limits, meter: Meter
    ) -> Any:
        try:
            return part.expression.evaluate(context, limits=limits, meter=meter)
        except ExpressionError as exc:
            raise exc.relocated(offset=part.offset, expression=self.text) from None

    def _fail(self, problem: Problem, offset: int | None) -> ExpressionEvaluationError:
        kind = (
            ExpressionLimitError if isinstance(problem, LimitProblem) else ExpressionEvaluationError
        )
        return kind(problem.message, position=offset, expression=self.text)


def _find_close(text: str, start: int, *, brackets: bool, strings: bool) -> int:
    """Index of the ``}}`` that closes a placeholder whose expression starts at ``start``."""
    depth = 0
    i, n = start, len(text)
    while i < n:
        ch = text[i]
        if strings and ch in "'\"":
            i = skip_string(text, i)
            continue
        if ch == "}" and depth == 0 and text.startswith(CLOSE, i):
            return i
        if brackets:
            if ch in "([{":
                depth += 1
            elif ch in ")]}":
                depth = max(depth - 1, 0)
        i += 1
    return -1


def _split(text: str) -> list[str | tuple[int, int]]:
    parts: list[str | tuple[int, int]] = []
    position = 0
    while True:
        opening = text.find(OPEN, position)
        if opening < 0:
            break
        if opening > position:
            parts.append(text[position:opening])
        start = opening + len(OPEN)
        # Strict scan first; the looser ones only serve to report a precise syntax
        # error (an unclosed bracket or quote) instead of "unterminated {{".
        end = _find_close(text, start, brackets=True, strings=True)
        if end < 0:
            end = _find_close(text, start, brackets=False, strings=True)
        if end < 0:
            end = text.find(CLOSE, start)
        if end < 0:
            raise ExpressionSyntaxError(
                "unterminated '{{': close the expression with '}}'",
                position=opening,
                expression=text,
            )
        parts.append((start, end))
        position = end + len(CLOSE)
    if position < len(text):
        parts.append(text[position:])
    return parts


@lru_cache(maxsize=4096)
def _compile_cached(text: str, limits: Limits) -> Template:
    if len(text) > limits.max_template_length:
        raise ExpressionSyntaxError(
            f"the text is too long ({len(text)} characters, limit {limits.max_template_length})",
            position=limits.max_template_length,
            expression=text,
        )
    parts: list[str | Placeholder] = []
    for part in _split(text):
        if isinstance(part, str):
            parts.append(part)
            continue
        start, end = part
        try:
            expression = compile_expression(text[start:end], limits=limits)
        except ExpressionError as exc:
            raise exc.relocated(offset=start, expression=text) from None
        parts.append(Placeholder(start, expression))
    return Template(text, tuple(parts))


def compile_template(text: str, *, limits: Limits = DEFAULT_LIMITS) -> Template:
    """Split a text into literal parts and ``{{ expression }}`` placeholders and compile them.

    Args:
        text: Template text, e.g. ``"Hello {{ trigger.name }}"``.
        limits: Budgets; each placeholder is limited like a separate expression.

    Raises:
        ExpressionSyntaxError: For an unterminated ``{{``, an empty placeholder
            or any invalid expression, with the position within ``text``.
    """
    if type(text) is not str:
        raise ExpressionSyntaxError("a template must be text", position=None, expression="")
    return _compile_cached(text, limits)
