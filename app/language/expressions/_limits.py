"""Compile-time and run-time budgets.

Expressions run inside Temporal workflow code, so a hostile or careless
expression must not be able to stall a workflow task or exhaust memory. Every
size is checked *before* the value is built, and every operation is charged for
the size of what it touches (COSTS.md): work is counted, never timed, so the same
expression on the same data passes or fails alike on every machine and every
replay.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from ._errors import LimitProblem
from ._size import CHARACTERS_PER_UNIT, Measure, Size, TooLarge

STEP_WORK = 4
"""Units of work of one step (a syntax node visited, a turn of a comprehension): the
evaluator's Python code, about four times what C code does per element of a list."""


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
        max_work: Units of work of a `Meter`: one evaluation, or all those of
            one node in the interpreter. A unit is about one element of a list or
            object copied, compared, encoded or measured, or 32 characters scanned
            or copied; a step costs `STEP_WORK` (COSTS.md has the table).
        max_value_size: Characters of compact JSON of what a `Meter`'s
            evaluations return, shared parts counted each time they appear: what
            the caller will encode, store and send on.
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
    max_work: int = 400_000
    max_value_size: int = 2_000_000


DEFAULT_LIMITS = Limits()


def _always() -> bool:
    return True


class Meter:
    """The work and the output of evaluations that share one allowance.

    An evaluation without a meter gets one of its own. The interpreter gives all the
    evaluations of one node (its conditions, every template of its parameters) one meter,
    so a node with many templates is bounded as a whole, and reads `work` to pace the
    workflow task.

    Args:
        limits: `max_work` and `max_value_size` bound the meter.
        enforce: Asked once, when a bound of the meter is first passed: True refuses (raises
            a limit error), False lets this meter go on unbounded, as evaluations did before
            meters existed (the interpreter answers from `workflow.patched`, so a run recorded
            before replays as it ran).
        known: Sizes of values measured beforehand (`Measure.known`), such as a run's
            trigger payload, which every node reads: not measured again, nor charged.
    """

    __slots__ = ("_enforce", "counted", "enforcing", "limits", "measure", "produced", "work")

    def __init__(
        self,
        limits: Limits = DEFAULT_LIMITS,
        *,
        enforce: Callable[[], bool] = _always,
        known: Mapping[int, tuple[Any, Size]] | None = None,
    ) -> None:
        self.limits = limits
        self.work = 0
        """Units of work spent so far."""
        self.counted = 0
        """Units of work done for the evaluations by their caller (`count`)."""
        self.produced = 0
        """Characters of JSON of the values returned so far."""
        self.enforcing = True
        """False once `enforce` declined: nothing is refused any more."""
        self._enforce = enforce
        self.measure = Measure(self.spend, known=known)
        """Sizes of values, each list and object measured once for the meter's life."""

    def spend(self, units: int) -> None:
        """Count ``units`` of work; past `Limits.max_work`, refuse."""
        self.work += units
        if self.work > self.limits.max_work and self.enforcing:
            self._exceeded(f"the expression takes too much work (limit {self.limits.max_work})")

    def count(self, units: int) -> None:
        """Count ``units`` of work the caller did around the evaluations, bounded by other
        means (walking a plan's constants): counted for pacing, never refused."""
        self.counted += units

    def produce(self, value: Any) -> None:
        """Count a value an evaluation returns; refuse it when all the meter's values would
        be too large to write out (it measures, so a value that shares parts is refused
        before anything walks it)."""
        if not self.enforcing:
            return
        allowed = self.limits.max_value_size - self.produced
        try:
            size = self.measure.size(value, allowed)
        except TooLarge:
            self._exceeded(
                "the value would be too large "
                f"(limit {self.limits.max_value_size} characters as JSON)"
            )
            return
        except RecursionError:
            # Too deep to measure (or to keep): refused, except in runs recorded before.
            self._exceeded("the data is nested too deeply")
            return
        except (TypeError, ValueError):
            return  # not JSON: refused or passed on as before, by whatever reads it
        self.produced += size.text

    def _exceeded(self, message: str) -> None:
        if self._enforce():
            raise LimitProblem(message)
        self.enforcing = False


class Budget:
    """Mutable per-evaluation counters checked against :class:`Limits`, and the
    `Meter` the evaluation draws its work from."""

    __slots__ = ("allocated", "limits", "meter", "steps")

    def __init__(self, limits: Limits, meter: Meter | None = None) -> None:
        self.limits = limits
        self.meter = meter or Meter(limits)
        self.steps = 0
        self.allocated = 0

    def charge(self, units: int) -> None:
        """Spend ``units`` steps."""
        self.steps += units
        if self.steps > self.limits.max_steps:
            raise LimitProblem(
                f"the expression takes too many steps (limit {self.limits.max_steps})"
            )
        self.meter.spend(units * STEP_WORK)

    def work(self, units: int) -> None:
        """Spend ``units`` of work done by C code (elements touched, see `Limits.max_work`)."""
        self.meter.spend(units)

    def scan(self, characters: int) -> None:
        """Spend the work of scanning or copying ``characters``."""
        self.meter.spend(characters // CHARACTERS_PER_UNIT)

    def size(self, value: Any) -> Size:
        """The size of ``value`` written out, spending the work of measuring it."""
        return self.meter.measure.size(value)

    def smaller_walk(self, left: Any, right: Any, times: int = 1) -> int:
        """Units of work to walk ``left`` ``times`` over or ``right`` once, whichever is less
        (comparing two values stops at the end of the smaller one; looking for ``left`` in
        a list of ``times`` elements compares it with each, and walks at most the list).
        Measures no more of the larger than the smaller; 0 once the meter stopped bounding."""
        if not self.meter.enforcing:
            return 0
        times = max(times, 1)
        cap = 256
        while True:
            once = self._size_within(left, cap // times)
            other = self._size_within(right, cap)
            walks = [times * once.walk] if once else []
            walks += [other.walk] if other else []
            if walks:
                return min(walks)
            if cap > CHARACTERS_PER_UNIT * self.limits.max_work:
                return cap // CHARACTERS_PER_UNIT  # both more than a meter may spend
            cap *= 4

    def _size_within(self, value: Any, cap: int) -> Size | None:
        try:
            return self.meter.measure.size(value, cap)
        except TooLarge:
            return None

    def string(self, length: int) -> None:
        """Allow building a text of ``length`` characters, or refuse."""
        if length > self.limits.max_string_length:
            raise LimitProblem(
                f"the text would be too long ({length} characters, "
                f"limit {self.limits.max_string_length})"
            )
        self._allocate(length)
        self.scan(length)

    def collection(self, length: int) -> None:
        """Allow building a list or object of ``length`` elements, or refuse."""
        if length > self.limits.max_collection_length:
            raise LimitProblem(
                f"the list or object would be too large ({length} elements, "
                f"limit {self.limits.max_collection_length})"
            )
        self._allocate(length)
        self.charge(length // 16)
        self.work(length)

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
