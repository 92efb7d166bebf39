"""A search for operations the cost model misses: generated expressions over data as large
as a run may carry (`costly.py`), each checked that the work its meter counted bounds the
work it did.

What it did is measured two ways: the memory it allocated (tracemalloc: the same on every
run, and what building a text or a list costs), and, as a generous sanity bound only, the
CPU time it took (comparisons and searches allocate nothing). An operation charged a few
units for millions of elements, as `==` on shared lists was, fails both by orders of
magnitude; `bench/slowest_expression.py` measures the time a unit really takes.
"""

from __future__ import annotations

import gc
import time
import tracemalloc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.language.expressions import Meter
from tests.language.costly import comparisons, data, evaluate, expressions, operations
from tests.utils.properties import examples

BYTES_PER_UNIT = 1_000
"""Memory a unit of work may allocate: far above the ~10-200 bytes a unit allocates (a
reference, 32 characters, a remembered size, a small object decoded from JSON)."""
BYTES_ALWAYS = 2_000_000
"""Allocated whatever the work: the evaluator's frames, a remembered size per measured list."""
SECONDS_PER_UNIT = 2e-6
"""Fifteen times the ~130 ns a unit takes on a loaded 2-core machine."""
SECONDS_ALWAYS = 0.05

searched = settings(
    max_examples=examples(60),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@contextmanager
def no_collection() -> Iterator[None]:
    """A collection of the whole heap is the machine's cost, not the expression's."""
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def allocated(run: Callable[[], Meter]) -> tuple[int, Meter]:
    with no_collection():
        tracemalloc.start()
        try:
            meter = run()
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    return peak, meter


def cpu_seconds(run: Callable[[], Meter]) -> tuple[float, Meter]:
    with no_collection():
        started = time.thread_time()
        meter = run()
        return time.thread_time() - started, meter


@searched
@given(expressions(), data())
def test_the_work_counted_bounds_the_memory_an_evaluation_allocates(
    source: str, variable: Any
) -> None:
    peak, meter = allocated(lambda: evaluate(source, variable))
    assert peak <= BYTES_ALWAYS + BYTES_PER_UNIT * meter.work, (source, peak, meter.work)


def assert_time_bounded_by_work(source: str, variable: Any = None) -> None:
    seconds, meter = cpu_seconds(lambda: evaluate(source, variable))
    assert seconds <= SECONDS_ALWAYS + SECONDS_PER_UNIT * meter.work, (source, seconds, meter.work)


@searched
@given(operations(), data())
def test_the_work_counted_bounds_the_time_an_operation_takes(source: str, variable: Any) -> None:
    assert_time_bounded_by_work(source, variable)


@searched
@given(comparisons())
def test_the_work_counted_bounds_the_time_a_comparison_takes(source: str) -> None:
    assert_time_bounded_by_work(source)


@settings(max_examples=examples(50), deadline=None)
@given(expressions(), st.shared(data(), key="variable"))
def test_the_same_expression_on_the_same_data_counts_the_same_work(
    source: str, variable: Any
) -> None:
    assert evaluate(source, variable).work == evaluate(source, variable).work
