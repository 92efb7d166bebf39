"""Graph analysis: reachability, loop bodies, cycles and what may have run before what."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from app.language.analysis import (
    Analysis,
    Edge,
    _bodies_one_by_one,
    _passed_before,
    _reached_around,
    analyse,
)


def run(
    edges: list[tuple[str, str, str]],
    *,
    nodes: list[str] | None = None,
    loops: tuple[str, ...] = (),
) -> Analysis:
    node_ids = nodes or sorted({n for s, _, t in edges for n in (s, t)} | {"t"})
    return analyse(
        node_ids,
        [Edge(s, h, t, i) for i, (s, h, t) in enumerate(edges)],
        triggers=["t"],
        loops=list(loops),
    )


def test_nodes_no_trigger_reaches_are_not_reachable() -> None:
    result = run([("t", "out", "a"), ("x", "out", "y")])
    assert result.reachable == {"t", "a"}


def test_order_is_topological() -> None:
    result = run([("t", "out", "b"), ("b", "out", "c"), ("t", "out", "a"), ("a", "out", "c")])
    position = {node: index for index, node in enumerate(result.order)}
    assert position["t"] < position["a"] < position["c"]
    assert position["b"] < position["c"]


def test_a_cycle_outside_loops_is_found_with_its_nodes() -> None:
    result = run([("t", "out", "a"), ("a", "out", "b"), ("b", "out", "c"), ("c", "out", "a")])
    assert sorted(result.cycle) == ["a", "b", "c"]


def test_an_edge_back_to_its_loop_is_not_a_cycle() -> None:
    result = run(
        [("t", "out", "l"), ("l", "body", "a"), ("a", "out", "l"), ("l", "done", "z")],
        loops=("l",),
    )
    assert result.cycle == []
    assert result.loop_of == {"a": "l"}
    assert result.back_edges == {2}


def test_nested_loops_give_each_node_its_innermost_loop() -> None:
    result = run(
        [
            ("t", "out", "outer"),
            ("outer", "body", "inner"),
            ("inner", "body", "a"),
            ("a", "out", "inner"),
            ("inner", "done", "b"),
            ("b", "out", "outer"),
        ],
        loops=("outer", "inner"),
    )
    assert result.loop_of == {"inner": "outer", "b": "outer", "a": "inner"}
    assert result.cycle == []


def test_an_edge_jumping_into_a_loop_body_is_reported() -> None:
    result = run(
        [("t", "out", "l"), ("l", "body", "a"), ("a", "out", "l"), ("t", "out", "a")],
        loops=("l",),
    )
    assert [(edge.source, loop) for edge, loop in result.entering_body] == [("t", "l")]


def test_an_upstream_node_may_have_run() -> None:
    result = run([("t", "out", "a"), ("a", "out", "b")])
    assert result.may_run_before("a", "b")
    assert result.may_run_before("t", "b")
    assert not result.may_run_before("b", "a")


def test_the_other_branch_of_an_if_cannot_have_run() -> None:
    result = run(
        [("t", "out", "if"), ("if", "true", "yes"), ("if", "false", "no"), ("yes", "out", "after")]
    )
    assert result.may_run_before("yes", "after")
    assert not result.may_run_before("no", "after")
    assert not result.is_ancestor("no", "after")


def test_after_branches_merge_either_branch_may_have_run() -> None:
    result = run(
        [
            ("t", "out", "if"),
            ("if", "true", "yes"),
            ("if", "false", "no"),
            ("yes", "out", "merge"),
            ("no", "out", "merge"),
            ("merge", "out", "end"),
        ]
    )
    assert result.may_run_before("yes", "end")
    assert result.may_run_before("no", "end")


def test_a_node_downstream_of_one_branch_cannot_read_the_sibling_branch() -> None:
    result = run(
        [
            ("t", "out", "if"),
            ("if", "true", "yes"),
            ("if", "false", "no"),
            ("yes", "out", "join"),
            ("no", "out", "join"),
            ("yes", "out", "only_yes"),
        ]
    )
    assert result.is_ancestor("yes", "join")
    assert not result.may_run_before("no", "only_yes")


def test_parallel_branches_of_one_handle_are_not_exclusive() -> None:
    result = run([("t", "out", "a"), ("t", "out", "b"), ("a", "out", "j"), ("b", "out", "j")])
    assert result.may_run_before("a", "j")
    assert result.may_run_before("b", "j")


def test_a_loop_body_is_not_upstream_of_what_follows_the_loop() -> None:
    result = run(
        [("t", "out", "l"), ("l", "body", "a"), ("a", "out", "l"), ("l", "done", "z")],
        loops=("l",),
    )
    assert not result.may_run_before("a", "z")
    assert result.may_run_before("l", "a")


@settings(max_examples=200, deadline=None)
@given(st.integers(2, 25).flatmap(lambda size: st.tuples(st.just(size), _forward_edges(size))))
def test_ancestry_is_exactly_reachability(graph: tuple[int, list[tuple[int, int]]]) -> None:
    """Ancestor sets kept as runs of positions answer as a walk over the edges would."""
    size, pairs = graph
    names = ["t", *(f"n{index}" for index in range(1, size))]
    edges = [(names[source], "out", names[target]) for source, target in pairs]
    result = run(edges, nodes=names)
    below: dict[str, set[str]] = {name: set() for name in names}
    for source, _, target in sorted(edges, key=lambda edge: names.index(edge[2])):
        below[target] |= below[source] | {source}
    for later in names:
        for earlier in names:
            expected = earlier in result.reachable and earlier in below[later]
            assert result.is_ancestor(earlier, later) == expected, (earlier, later)


def _forward_edges(size: int) -> st.SearchStrategy[list[tuple[int, int]]]:
    pairs = [(source, target) for target in range(1, size) for source in range(target)]
    return st.lists(st.sampled_from(pairs), max_size=size * 3, unique=True)


def test_a_long_chain_keeps_one_run_per_node() -> None:
    chain = [(f"n{index}" if index else "t", "out", f"n{index + 1}") for index in range(2_000)]
    result = run(chain)
    assert result.is_ancestor("t", "n2000")
    assert all(len(runs) == 2 for runs in result._ancestors.values() if runs)


@settings(max_examples=300)
@given(
    st.integers(2, 12).flatmap(
        lambda size: st.tuples(
            st.just(size),
            st.lists(st.tuples(st.integers(0, size - 1), st.integers(0, size - 1)), max_size=30),
            st.lists(st.integers(0, size - 1), min_size=1, max_size=3, unique=True),
            st.integers(0, size - 1),
        )
    )
)
def test_the_nodes_passed_before_a_loop_are_those_without_which_it_is_not_reached(
    graph: tuple[int, list[tuple[int, int]], list[int], int],
) -> None:
    """One walk finds what a walk around each node would: the nodes every run passes
    before the loop (all those reached, when no run reaches it)."""
    size, pairs, trigger_indexes, loop_index = graph
    names = [f"n{index}" for index in range(size)]
    outgoing: dict[str, list[Edge]] = {name: [] for name in names}
    for index, (source, target) in enumerate(pairs):
        outgoing[names[source]].append(Edge(names[source], "out", names[target], index))
    triggers = [names[index] for index in trigger_indexes]
    loop = names[loop_index]
    around = _reached_around(loop, triggers, outgoing)
    expected = {
        node
        for node in names
        if node != loop and node in around and loop not in _reached_around(node, triggers, outgoing)
    }
    assert _passed_before(loop, triggers, outgoing) == expected


_NODES = ["t", "a", "b", "c", "d", "l1", "l2", "l3"]


@settings(max_examples=400, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(_NODES),
            st.sampled_from(["out", "body", "done"]),
            st.sampled_from(_NODES),
        ),
        max_size=14,
    )
)
def test_nested_bodies_agree_with_the_walk_body_by_body(edges: list[tuple[str, str, str]]) -> None:
    """Bodies kept as a tree (`loop_nesting`) tell each node's loop, the edges back, and
    those entering or leaving a body as one set per body did, in any graph."""
    loops = ["l1", "l2", "l3"]
    graph_edges = [Edge(s, h, t, i) for i, (s, h, t) in enumerate(edges)]
    outgoing: dict[str, list[Edge]] = {node: [] for node in _NODES}
    into: dict[str, list[Edge]] = {node: [] for node in _NODES}
    for edge in graph_edges:
        outgoing[edge.source].append(edge)
        into[edge.target].append(edge)
    expected = Analysis()
    _bodies_one_by_one(expected, loops, outgoing, into, ["t"], "body")
    result = analyse(_NODES, graph_edges, triggers=["t"], loops=loops)
    assert result.loop_of == expected.loop_of
    assert result.back_edges == expected.back_edges
    assert result.entering_body == expected.entering_body
    assert result.leaving_body == expected.leaving_body


def test_loops_nested_thousands_deep_keep_each_node_once() -> None:
    depth = 3_000
    edges = [("t", "out", "l0")]
    for level in range(depth):
        inner = f"l{level + 1}" if level + 1 < depth else f"b{level}"
        edges.append((f"l{level}", "body", inner))
        if level + 1 < depth:
            edges.append((inner, "done", f"b{level}"))
        edges.append((f"b{level}", "out", f"l{level}"))
    result = run(edges, loops=tuple(f"l{level}" for level in range(depth)))
    assert result.loop_of["b0"] == "l0"
    assert result.loop_of[f"b{depth - 1}"] == f"l{depth - 1}"
    assert result.loop_of["l1"] == "l0"
    assert "l0" not in result.loop_of
    assert len(result.back_edges) == depth
    assert result.entering_body == result.leaving_body == []
    assert result.cycle == []
