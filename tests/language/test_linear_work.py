"""Validation and compilation do the same work per node at any size: a pass that grows
faster than the graph (a scan inside a loop over nodes, a walk per node) fails here, without
timing anything. The builder validates on every edit, so such a pass is felt on big graphs.

Work is counted as lines of the language's code run (`sys.settrace`, its frames only): a
Python loop inside a loop shows, and so does a function called once per node per node. Work
done inside one C call (`list.index`, copying a dict) is one line whatever its size, so
`bench/compile_graphs.py` remains the measure of time.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import Any

import pytest

import app.language
from app.catalog import CATALOG
from app.language.expressions import _expression, _template
from app.language.validation import validate
from tests.utils.compiling import compile_workflow
from tests.utils.graphs import (
    cycle_behind_a_hub,
    disabled_triggers,
    entered_loop_body,
    nested_loops,
    repeating_graph,
)

LANGUAGE = str(Path(app.language.__file__).parent)
SMALL, LARGE = 500, 5_000
MAX_GROWTH_PER_NODE = 1.05
"""Ten times the nodes, at most this much more work per node (constant work thins out)."""

Tracer = Callable[[FrameType, str, Any], Any]


def lines_run(work: Callable[[], object]) -> int:
    """How many lines of `app/language` the work runs, expression caches empty."""
    _expression._compile_cached.cache_clear()
    _template._compile_cached.cache_clear()
    lines = 0

    def in_frame(frame: FrameType, event: str, arg: Any) -> Tracer:
        nonlocal lines
        if event == "line":
            lines += 1
        return in_frame

    def on_call(frame: FrameType, event: str, arg: Any) -> Tracer | None:
        return in_frame if frame.f_code.co_filename.startswith(LANGUAGE) else None

    previous = sys.gettrace()
    sys.settrace(on_call)
    try:
        work()
    finally:
        sys.settrace(previous)
    return lines


def _growth_per_node(work: Callable[[int], object]) -> float:
    small = lines_run(lambda: work(SMALL)) / SMALL
    large = lines_run(lambda: work(LARGE)) / LARGE
    return large / small


def test_a_valid_graph_compiles_with_the_same_work_per_node_at_any_size() -> None:
    graphs = {size: repeating_graph(size) for size in (SMALL, LARGE)}
    growth = _growth_per_node(lambda size: compile_workflow(graphs[size], catalog=CATALOG))
    assert growth <= MAX_GROWTH_PER_NODE


def test_loops_nested_in_one_another_compile_with_the_same_work_per_node_at_any_size() -> None:
    # Each loop's body holds every loop inside it: kept as sets, the work grew with the
    # square of the depth (3,333 loops deep took 10 s).
    graphs = {size: nested_loops(size) for size in (SMALL, LARGE)}
    growth = _growth_per_node(lambda size: compile_workflow(graphs[size], catalog=CATALOG))
    assert growth <= MAX_GROWTH_PER_NODE


@pytest.mark.parametrize("shape", [entered_loop_body, cycle_behind_a_hub, disabled_triggers])
def test_an_invalid_graph_is_checked_with_the_same_work_per_node_at_any_size(
    shape: Callable[[int], dict[str, Any]],
) -> None:
    graphs = {size: shape(size) for size in (SMALL, LARGE)}

    def check(size: int) -> None:
        checked, issues = validate(graphs[size], catalog=CATALOG, accounts={})
        assert checked is None
        assert issues

    assert _growth_per_node(check) <= MAX_GROWTH_PER_NODE
