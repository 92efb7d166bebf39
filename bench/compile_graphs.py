"""Validate and compile graphs of 100, 1,000 and 10,000 nodes; print times and growth.

Run: `make bench` (or `.venv/bin/python -m bench.compile_graphs`). Not a test: the figures
go in notes, and the targets are 1,000 nodes under 50 ms and 10,000 nodes at most 10.5 times
the 1,000-node time.
"""

from __future__ import annotations

import gc
import statistics
import time

from app.catalog import CATALOG
from app.language.expressions import _expression, _template
from bench.machine import print_header, record
from tests.utils.compiling import compile_workflow
from tests.utils.graphs import sized_graph

SIZES = (100, 1_000, 10_000)
REPEATS = {100: 30, 1_000: 15, 10_000: 5}
MAX_GROWTH = 10.5
"""Ten times the nodes may take at most this many times as long: close to linear."""


def _clear_caches() -> None:
    # A fresh save of a workflow meets its expressions for the first time: measure that.
    _expression._compile_cached.cache_clear()
    _template._compile_cached.cache_clear()


def measure(size: int) -> tuple[float, float, int]:
    graph = sized_graph(size, seed=size)
    cold: list[float] = []
    warm: list[float] = []
    for _ in range(REPEATS[size]):
        _clear_caches()
        gc.collect()
        started = time.perf_counter()
        plan = compile_workflow(graph, catalog=CATALOG)
        cold.append(time.perf_counter() - started)
        started = time.perf_counter()
        compile_workflow(graph, catalog=CATALOG)
        warm.append(time.perf_counter() - started)
    return statistics.median(cold), statistics.median(warm), len(plan.nodes)


def main() -> None:
    machine = print_header("bench.compile_graphs")
    print(f"{'nodes':>8} {'cold ms':>10} {'warm ms':>10} {'µs/node':>10}")
    results = {}
    for size in SIZES:
        cold, warm, nodes = measure(size)
        results[size] = cold
        print(f"{nodes:>8} {cold * 1e3:>10.1f} {warm * 1e3:>10.1f} {cold / nodes * 1e6:>10.1f}")
    growth = results[10_000] / results[1_000]
    print(
        f"growth 100→1,000: {results[1_000] / results[100]:.1f}x for 10x nodes; "
        f"1,000→10,000: {growth:.1f}x"
    )
    verdict = "meets" if growth <= MAX_GROWTH else "MISSES"
    print(f"10,000 nodes / 1,000 nodes: {growth:.2f}x ({verdict} the {MAX_GROWTH}x target)")
    verdict = "meets" if results[1_000] < 0.050 else "MISSES"
    print(f"1,000 nodes cold: {results[1_000] * 1e3:.1f} ms ({verdict} the 50 ms target)")
    headline = (
        "cold: 100 / 1,000 / 10,000 nodes in "
        + " / ".join(f"{results[size] * 1e3:.1f}" for size in SIZES)
        + f" ms (target 1,000 < 50 ms); growth 1,000→10,000 {growth:.1f}x (target ≤ {MAX_GROWTH}x)"
    )
    figures = {f"{size} nodes cold ms": results[size] * 1e3 for size in SIZES}
    record("compile_graphs", headline, {**figures, "growth": growth}, machine)


if __name__ == "__main__":
    main()
