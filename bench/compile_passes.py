"""How each pass of validation and compilation grows from 1,000 to 10,000 nodes.

Run: `.venv/bin/python -m bench.compile_passes`. Not a test, and not part of `make bench`:
it explains `bench.compile_graphs`' growth. The passes run one after the other as
`app.language.validation.validate` and `build_plan` run them, the collector paused as there,
each timed in CPU time; the sizes take turns and each figure is the best of all rounds.
A pass whose growth is far above the others' does more per node on a bigger graph; growth
shared by every pass, plain dictionary work included, is the machine's caches.
"""

from __future__ import annotations

import gc
import json
import time
from collections.abc import Callable
from typing import Any

from app.catalog import CATALOG
from app.language.compiler import build_plan
from app.language.expressions import _expression, _template
from app.language.graph import WorkflowGraph, normalize
from app.language.graph_checks import check_edges, check_nodes
from app.language.references import OWN_LOOP_ROOT_FIELDS, check_references, node_references
from app.language.validation import CheckedGraph, _check_settings, _check_shape
from bench.compile_graphs import floor_loop
from bench.machine import print_header
from tests.utils.graphs import sized_graph

SIZES = (1_000, 10_000)
APART = frozenset({"expressions (compile)", "references, a pass again"})
"""Figures that explain one pass and are not counted in the total: `validate` checks a
node's references as soon as it has compiled its expressions, in one pass."""
ROUNDS = 7
PER_ROUND = {1_000: 5, 10_000: 1}


def _passes(document: dict[str, Any]) -> dict[str, float]:
    """CPU seconds of each pass over `document`, expression caches empty."""
    _expression._compile_cached.cache_clear()
    _template._compile_cached.cache_clear()
    gc.collect()
    times: dict[str, float] = {}

    def timed(name: str, work: Callable[[], Any]) -> Any:
        started = time.process_time()
        result = work()
        times[name] = time.process_time() - started
        return result

    gc.disable()
    try:
        timed("size (json.dumps)", lambda: json.dumps(document, separators=(",", ":")))
        normalized = timed("normalize", lambda: normalize(document))
        graph = timed("parse (pydantic)", lambda: WorkflowGraph.model_validate(normalized))
        timed("settings", lambda: _check_settings(graph))
        types, handles, _ = timed("check_nodes", lambda: check_nodes(graph, CATALOG, {}))
        edges, _ = timed("check_edges", lambda: check_edges(graph, types, handles))
        analysis, _ = timed("shape (analyse)", lambda: _check_shape(graph, types, edges))
        assert analysis is not None

        known = {node.id for node in graph.nodes}

        def expressions(check: bool) -> dict[str, Any]:
            # With `check`, as `validate` does: each node's references checked as soon as
            # they are found, while they are in the cache (a pass of its own met them cold).
            found = {}
            for index, node in enumerate(graph.nodes):
                node_type = types[node.id]
                rendered = {
                    name: value
                    for name, value in node.parameters.items()
                    if name not in node_type.literal_fields
                }
                found[node.id], _ = node_references(
                    node.id, rendered, node_type.expression_fields, ("nodes", index, "parameters")
                )
                if check:
                    own = OWN_LOOP_ROOT_FIELDS.get(node_type.type, ())
                    check_references(node.id, found[node.id], analysis, known, own)
            return found

        timed("expressions (compile)", lambda: expressions(check=False))
        _expression._compile_cached.cache_clear()
        _template._compile_cached.cache_clear()
        found = timed("expressions + references", lambda: expressions(check=True))

        def references() -> None:
            for node in graph.nodes:
                own = OWN_LOOP_ROOT_FIELDS.get(types[node.id].type, ())
                check_references(node.id, found[node.id], analysis, known, own)

        # Once a pass of its own (this bench's, before): it met every node's references cold.
        timed("references, a pass again", references)
        kept = {node_id: [reference for _, reference in pairs] for node_id, pairs in found.items()}
        checked = CheckedGraph(graph, types, edges, analysis, kept)
        plan = timed("build_plan", lambda: build_plan(checked))
        # What resuming the collector walks: everything the check made that is alive.
        timed("collection on resume", lambda: gc.collect(0))
        assert plan.nodes
    finally:
        gc.enable()
    return times


def _floor(size: int) -> dict[str, float]:
    gc.collect()
    gc.disable()
    try:
        started = time.process_time()
        floor_loop(size)
        return {"floor (plain Python)": time.process_time() - started}
    finally:
        gc.enable()


def main() -> None:
    print_header("bench.compile_passes")
    graphs = {size: sized_graph(size, seed=size) for size in SIZES}
    best: dict[int, dict[str, float]] = {size: {} for size in SIZES}
    _passes(graphs[1_000])
    for _ in range(ROUNDS):
        for size in SIZES:
            for _ in range(PER_ROUND[size]):
                times = _passes(graphs[size]) | _floor(size)
                for name, seconds in times.items():
                    best[size][name] = min(best[size].get(name, seconds), seconds)
    small, large = best[1_000], best[10_000]
    print(f"{'pass (CPU ms, best)':<28} {'1,000':>8} {'10,000':>8} {'growth':>7}")
    for name in small:
        print(
            f"{name:<28} {small[name] * 1e3:>8.2f} {large[name] * 1e3:>8.2f} "
            f"{large[name] / small[name]:>6.1f}x"
        )
    total_small = sum(
        value for name, value in small.items() if not name.startswith("floor") and name not in APART
    )
    total_large = sum(
        value for name, value in large.items() if not name.startswith("floor") and name not in APART
    )
    print(
        f"{'all passes':<28} {total_small * 1e3:>8.2f} {total_large * 1e3:>8.2f} "
        f"{total_large / total_small:>6.1f}x"
    )


if __name__ == "__main__":
    main()
