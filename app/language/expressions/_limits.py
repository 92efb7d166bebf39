"""Compile-time and run-time budgets.

Expressions run inside Temporal workflow code, so a hostile or careless
expression must not be able to stall a workflow task or exhaust memory. Every
size is checked *before* the value is built.
"""

from __future__ import annotations

from dataclasses import dataclass

from ._errors import LimitProblem


@dataclass(frozen=True, slots=True)
class Limits:
    """Budgets applied when compiling and evaluating expressions.

    Attributes:
        max_source_length: Characters in one expression (templates may hold
            several expressions; each is checked separately).
        max_template_length: Characters in one template text.
        max_depth: Nesting depth of brackets and of the syntax tree.
        max_nodes: Syntax-tree nodes in one expression.
        max_steps: Work units per evaluation: one per syntax node visited, per
            element iterated by a comprehension or function, per element
            scanned by ``in``.
        max_string_length: Characters in any text built by an expression, and
            in a rendered template.
        max_collection_length: Elements in any list or object built.
        max_total_allocation: Elements plus characters built over one whole
            evaluation (bounds memory when a comprehension builds many values).
        max_int_bits: Bit length of any integer computed (``2**255`` fits at
            the default of 256, ``2**256`` does not).
    """

    max_source_length: int = 2_000
    max_template_length: int = 100_000
    max_depth: int = 50
    max_nodes: int = 500
    max_steps: int = 10_000
    max_string_length: int = 100_000
    max_collection_length: int = 10_000
    max_total_allocation: int = 1_000_000
    max_int_bits: int = 256


DEFAULT_LIMITS = Limits()


class Budget:
    """Mutable per-evaluation counters checked against :class:`Limits`."""

    __slots__ = ("allocated", "limits", "steps")

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.steps = 0
        self.allocated = 0

    def charge(self, units: int) -> None:
        """Spend ``units`` work steps."""
        self.steps += units
        if self.steps > self.limits.max_steps:
            raise LimitProblem(
                f"the expression takes too many steps (limit {self.limits.max_steps})"
            )

    def string(self, length: int) -> None:
        """Allow building a text of ``length`` characters, or refuse."""
        if length > self.limits.max_string_length:
            raise LimitProblem(
                f"the text would be too long ({length} characters, "
                f"limit {self.limits.max_string_length})"
            )
        self._allocate(length)

    def collection(self, length: int) -> None:
        """Allow building a list or object of ``length`` elements, or refuse."""
        if length > self.limits.max_collection_length:
            raise LimitProblem(
                f"the list or object would be too large ({length} elements, "
                f"limit {self.limits.max_collection_length})"
            )
        self._allocate(length)
        self.charge(length // 16)

    def integer(self, value: int) -> int:
        """Return ``value`` if its size is within bounds, or refuse."""
        if value.bit_length() > self.limits.max_int_bits:
            raise LimitProblem(
                f"the number would be too large (limit {self.limits.max_int_bits} bits)"
            )
        return value

    def _allocate(self, units: int) -> None:
        self.allocated += units
        if self.allocated > self.limits.max_total_allocation:
            raise LimitProblem(
                "the expression builds too much data in total "
                f"(limit {self.limits.max_total_allocation} characters and elements)"
            )
