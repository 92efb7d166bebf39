"""Validate and compile graphs of 100, 1,000 and 10,000 nodes; print times and growth.

Run: `make bench` (or `.venv/bin/python -m bench.compile_graphs`). Not a test: the figures
go in notes, and the targets are 1,000 nodes under 50 ms and 10,000 nodes at most 10.5 times
the 1,000-node time.

The sizes take turns, round after round, so a burst of load falls on all of them alike.
Each compile is timed on the wall clock and in CPU time (which other processes' load
barely moves); each figure is the median and the best of all rounds. "Cold" starts with
empty expression caches, as a fresh save does, and includes the collection that runs when
the paused collector resumes; "+ collection" adds the next young collection, which walks
what the compile kept (its plan, the expression caches) again: collection the pause
deferred is counted, not hidden. The floor is a plain Python loop over as much memory per
node as a compile holds at its peak (no language code): how much this machine slows down
when the same work outgrows its caches. A growth near the floor's is the hardware's, not
a pass of ours.
"""

from __future__ import annotations

import gc
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from app.catalog import CATALOG
from app.language.expressions import _expression, _template
from app.language.validation import collector_paused, validate
from bench.machine import print_header, record
from tests.utils.compiling import compile_workflow
from tests.utils.graphs import cycle_behind_a_hub, entered_loop_body, sized_graph

SIZES = (100, 1_000, 10_000)
ROUNDS = 7
PER_ROUND = {100: 6, 1_000: 3, 10_000: 1}
MAX_GROWTH = 10.5
"""Ten times the nodes may take at most this many times as long: close to linear."""
FLOOR_BYTES_PER_NODE = 4_500
"""About what a compile holds per node at its peak (tracemalloc, 10,000 nodes)."""


@dataclass
class Samples:
    """One size's timings, in seconds, over every round."""

    cold_wall: list[float] = field(default_factory=list)
    cold_cpu: list[float] = field(default_factory=list)
    warm_wall: list[float] = field(default_factory=list)
    collected_cpu: list[float] = field(default_factory=list)
    floor_cpu: list[float] = field(default_factory=list)


def _clear_caches() -> None:
    # A fresh save of a workflow meets its expressions for the first time: measure that.
    _expression._compile_cached.cache_clear()
    _template._compile_cached.cache_clear()


def _timed(work: Callable[[], Any]) -> tuple[Any, float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    result = work()
    return result, time.perf_counter() - wall, time.process_time() - cpu


def floor_loop(size: int) -> dict[str, Any]:
    """No language code: per node, a few dicts, lists, tuples and strings (about
    `FLOOR_BYTES_PER_NODE` bytes kept), read back in three passes keyed by node id."""
    ids = [f"n{index}" for index in range(size)]
    nodes: dict[str, dict[str, Any]] = {}
    for index, node_id in enumerate(ids):
        nodes[node_id] = {
            "id": node_id,
            "type": "transform",
            "parameters": {"value": f"{{{{ nodes['{node_id}'] }}}}", "n": index},
            "edges": [(ids[index - 1], "out", node_id)],
            "words": [f"{word}:{node_id}" for word in range(34)],
            "seen": {node_id, "in", "out"},
        }
    kept: dict[str, Any] = {}
    for node_id in ids:
        node = nodes[node_id]
        kept[node_id] = {
            "id": node["id"],
            "incoming": tuple(edge[0] for edge in node["edges"]),
            "parameters": dict(node["parameters"]),
            "words": tuple(node["words"]),
        }
    for node_id in reversed(ids):
        kept[node_id]["seen"] = len(nodes[node_id]["seen"]) + len(kept[node_id]["words"])
    return kept


def _paused_floor_loop(size: int) -> dict[str, Any]:
    # As a compile does: the collector paused, and walking what is kept when it resumes.
    with collector_paused():
        return floor_loop(size)


def measure_round(size: int, graph: dict[str, Any], samples: Samples) -> int:
    nodes = 0
    for _ in range(PER_ROUND[size]):
        _clear_caches()
        gc.collect()
        plan, wall, cpu = _timed(lambda: compile_workflow(graph, catalog=CATALOG))
        samples.cold_wall.append(wall)
        samples.cold_cpu.append(cpu)
        nodes = len(plan.nodes)
        # The next young collection walks what the compile kept (its plan, the caches).
        samples.collected_cpu.append(cpu + _timed(lambda: gc.collect(1))[2])
        _, wall, _ = _timed(lambda: compile_workflow(graph, catalog=CATALOG))
        samples.warm_wall.append(wall)
        del plan
        gc.collect()
        _, _, cpu = _timed(lambda: _paused_floor_loop(size))
        samples.floor_cpu.append(cpu)
    return nodes


INVALID_SHAPES: dict[str, Callable[[int], dict[str, Any]]] = {
    "an edge into a long loop body": entered_loop_body,
    "a cycle behind a node with an edge to every other": cycle_behind_a_hub,
}
"""Graphs as they are between two edits, whose checks once grew with the square of the size."""


def measure_invalid(shape: Callable[[int], dict[str, Any]], size: int) -> float:
    """Best CPU time of three checks of an invalid graph of `size` nodes."""
    document = shape(size)
    times = []
    for _ in range(3):
        _clear_caches()
        gc.collect()
        (checked, issues), _, cpu = _timed(lambda: validate(document, catalog=CATALOG, accounts={}))
        assert checked is None
        assert issues
        times.append(cpu)
    return min(times)


def _growth(results: dict[int, Samples], pick: Callable[[Samples], float]) -> float:
    return pick(results[10_000]) / pick(results[1_000])


def main() -> None:
    machine = print_header("bench.compile_graphs")
    graphs = {size: sized_graph(size, seed=size) for size in SIZES}
    results = {size: Samples() for size in SIZES}
    nodes = dict.fromkeys(SIZES, 0)
    compile_workflow(graphs[100], catalog=CATALOG)  # imports and first-call set-up
    for _ in range(ROUNDS):
        for size in SIZES:
            nodes[size] = measure_round(size, graphs[size], results[size])

    def median(values: list[float]) -> float:
        return statistics.median(values)

    print(
        f"{'nodes':>8} {'cold ms':>16} {'cold CPU ms':>16} {'+ collection':>13} "
        f"{'warm ms':>8} {'µs/node':>8} {'floor ms':>9}"
    )
    print(f"{'':>8} {'median / best':>16} {'median / best':>16} {'CPU median':>13}")
    for size in SIZES:
        sample = results[size]
        print(
            f"{nodes[size]:>8} "
            f"{median(sample.cold_wall) * 1e3:>8.1f} / {min(sample.cold_wall) * 1e3:<5.1f} "
            f"{median(sample.cold_cpu) * 1e3:>8.1f} / {min(sample.cold_cpu) * 1e3:<5.1f} "
            f"{median(sample.collected_cpu) * 1e3:>13.1f} "
            f"{median(sample.warm_wall) * 1e3:>8.1f} "
            f"{median(sample.cold_cpu) / nodes[size] * 1e6:>8.1f} "
            f"{min(sample.floor_cpu) * 1e3:>9.2f}"
        )
    growths = {
        "cold wall, median": _growth(results, lambda s: median(s.cold_wall)),
        "cold wall, best": _growth(results, lambda s: min(s.cold_wall)),
        "cold CPU, median": _growth(results, lambda s: median(s.cold_cpu)),
        "cold CPU, best": _growth(results, lambda s: min(s.cold_cpu)),
        "cold CPU + collection, median": _growth(results, lambda s: median(s.collected_cpu)),
        "floor (plain Python, same memory), best": _growth(results, lambda s: min(s.floor_cpu)),
    }
    print("\ngrowth 1,000 → 10,000 nodes (10x the nodes):")
    for name, value in growths.items():
        print(f"  {name:<42} {value:5.2f}x")
    growth = growths["cold CPU, best"]
    verdict = "meets" if growth <= MAX_GROWTH else "MISSES"
    print(
        f"10,000 nodes / 1,000 nodes (cold CPU, best): {growth:.2f}x "
        f"({verdict} the {MAX_GROWTH}x target)"
    )
    cold_1k = median(results[1_000].cold_wall)
    verdict = "meets" if cold_1k < 0.050 else "MISSES"
    print(f"1,000 nodes cold (wall, median): {cold_1k * 1e3:.1f} ms ({verdict} the 50 ms target)")
    headline = (
        "cold: 100 / 1,000 / 10,000 nodes in "
        + " / ".join(f"{median(results[size].cold_wall) * 1e3:.1f}" for size in SIZES)
        + f" ms (target 1,000 < 50 ms); growth 1,000→10,000 {growth:.1f}x CPU "
        f"(target ≤ {MAX_GROWTH}x; this machine's floor "
        f"{growths['floor (plain Python, same memory), best']:.1f}x)"
    )
    print("\ninvalid graphs (CPU ms, best of 3):   1,000   10,000   growth")
    invalid: dict[str, float] = {}
    for name, shape in INVALID_SHAPES.items():
        small, large = measure_invalid(shape, 1_000), measure_invalid(shape, 10_000)
        invalid[f"{name}: 10000 nodes CPU ms"] = large * 1e3
        print(f"  {name:<50} {small * 1e3:>7.1f} {large * 1e3:>8.1f} {large / small:>7.1f}x")
    figures: dict[str, float] = {
        f"{size} nodes cold ms": median(results[size].cold_wall) * 1e3 for size in SIZES
    }
    figures |= {
        f"{size} nodes cold CPU ms (best)": min(results[size].cold_cpu) * 1e3 for size in SIZES
    }
    figures |= invalid
    figures |= {"growth": growth} | {f"growth {name}": value for name, value in growths.items()}
    record("compile_graphs", headline, figures, machine)


if __name__ == "__main__":
    main()
