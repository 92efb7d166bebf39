"""What is wrong with a workflow or an expression, each problem naming where it is so a builder
can show it in place.

* LanguageError                     message
  x ExpressionError                 position, expression, path (`app.language.expressions`)
    + ExpressionSyntaxError         the expression cannot compile
    + ExpressionEvaluationError     it compiled, but failed on the values it read
      - ExpressionLimitError        it would exceed a time or size budget
  x Problem                         inside the evaluator only: an evaluation error that does not
    + LimitProblem                  know its position yet; it leaves as an ExpressionError
  x TooLarge                        inside measuring only: a value passed the cap it was
                                    measured against (`expressions._size`)
  x NotNested                       inside the loop check only: loop bodies overlap, so the
                                    check goes body by body (`loop_nesting`)

Messages never carry values read at run time (they may be secrets or large payloads): only
names from the source, type names and positions. A run shows these as `ExpressionError` or
`InvalidParameters` (`app.contract.failures`); the API answers them with a 422.
"""

from __future__ import annotations

from dataclasses import dataclass, field


class LanguageError(Exception):
    """Base of the workflow language's errors."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Issue:
    """One thing wrong with a workflow graph."""

    code: str
    """Stable machine-readable kind, e.g. `unknown_node_type`, `dangling_edge`."""
    message: str
    """What is wrong, in words a builder can show next to the node."""
    node_id: str | None = None
    """The node the problem belongs to, if any."""
    path: tuple[str | int, ...] = field(default=())
    """Where in the submitted document, e.g. `("nodes", 3, "parameters", "url")`."""
    edge_id: str | int | None = None
    """The edge the problem belongs to, if any: its `id`, or its index when it has none."""
