"""Exception types of the expression language.

Messages are written for a visual-builder user and never contain values taken
from the evaluation context (they may be secrets or large payloads): only names
from the expression source, type names and positions.
"""

from __future__ import annotations

from typing import Self

from app.language.errors import LanguageError

JsonPath = tuple[str | int, ...]
"""Where a template sits inside a JSON parameter structure, e.g. ``("body", "items", 2)``."""


class ExpressionError(LanguageError):
    """Base class of every error raised by the expression language.

    Attributes:
        message: What went wrong, in words a workflow author understands.
        position: Character offset within the expression source (or within the
            whole template text for template errors), or None when unknown.
        expression: The expression source or template text the error is about.
        path: Where the failing template sits in a JSON parameter structure;
            empty when the error is not about a parameter value.
    """

    def __init__(
        self,
        message: str,
        *,
        position: int | None = None,
        expression: str = "",
        path: JsonPath = (),
    ) -> None:
        super().__init__(message)
        self.message = message
        self.position = position
        self.expression = expression
        self.path = path

    def __str__(self) -> str:
        where = []
        if self.path:
            where.append("at " + "".join(f"[{p!r}]" for p in self.path))
        if self.position is not None:
            where.append(f"at position {self.position}")
        return f"{self.message} ({', '.join(where)})" if where else self.message

    def located(self) -> str:
        """The message and, when known, its position: the one wording of this mistake,
        whether the text is a template or a bare expression, at validation or at run time."""
        if self.position is None:
            return self.message
        return f"{self.message} (at position {self.position})"

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(message={self.message!r}, position={self.position!r}, "
            f"path={self.path!r})"
        )

    def __reduce__(self) -> tuple[object, ...]:
        # Keyword-only fields need help to survive pickling (Temporal, multiprocessing).
        return (
            _rebuild,
            (type(self), self.message, self.position, self.expression, self.path),
        )

    def relocated(
        self, *, offset: int = 0, expression: str | None = None, path: JsonPath | None = None
    ) -> Self:
        """Return a copy moved into an enclosing text or JSON structure.

        Args:
            offset: Added to the position (start of the expression in a template).
            expression: Replaces the expression text (e.g. the whole template).
            path: Replaces the JSON path.
        """
        return type(self)(
            self.message,
            position=None if self.position is None else self.position + offset,
            expression=self.expression if expression is None else expression,
            path=self.path if path is None else path,
        )


def _rebuild(
    cls: type[ExpressionError],
    message: str,
    position: int | None,
    expression: str,
    path: JsonPath,
) -> ExpressionError:
    return cls(message, position=position, expression=expression, path=path)


class ExpressionSyntaxError(ExpressionError):
    """The expression cannot be compiled: bad syntax, a forbidden construct, an
    unknown name, or a source that is too long or too deeply nested."""


class ExpressionEvaluationError(ExpressionError):
    """The expression compiled but failed while being evaluated (wrong types,
    wrong number of function arguments, division by zero, ...)."""


class ExpressionLimitError(ExpressionEvaluationError):
    """Evaluation was stopped because it would exceed a time or size budget."""


class Problem(LanguageError):
    """Internal: raised by operations and functions that do not know where in
    the source they were called from; the evaluator adds the position."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class LimitProblem(Problem):
    """Internal: a :class:`Problem` that becomes an :class:`ExpressionLimitError`."""
