"""Expressions and data built to be expensive, for searching what the cost model misses.

`expressions()` generates expression sources typed enough to mostly run (lists where lists
are expected, texts where texts are), made of what makes work: repeating and nesting
shared lists, writing values out, comparing, searching, sorting, slicing, decoding. The
context (`CONTEXT`) holds data as large as a run may carry: a trigger payload of about a
megabyte (long texts, many numbers, records, a 4,000-digit integer, deep nesting), node
outputs and a variable of two million characters built by sharing.

Used by the property tests (`test_expressions_cost_properties.py`) and by
`bench/slowest_expression.py`.
"""

from __future__ import annotations

import contextlib
from typing import Any

from hypothesis import strategies as st

from app.language.expressions import ExpressionError, Meter, compile_expression


def _deep(levels: int) -> Any:
    value: Any = "leaf"
    for level in range(levels):
        value = {"in": value} if level % 2 else [value]
    return value


def _shared_variable() -> Any:
    """What `set` can keep from an expression: 2 million characters in a few lists."""
    row = compile_expression("[str(i) for i in range(100)]").evaluate({})
    return [[row] * 30] * 30


_RECORDS = [
    {"id": index, "name": f"user {index}", "tags": ["a", "b", str(index)], "score": index / 7}
    for index in range(2_000)
]
CONTEXT: dict[str, Any] = {
    "trigger": {
        "text": "ab" * 50_000,
        "run": "a" * 29_999,
        "short": "a" * 2_499,
        "zeros": [0] * 100_000,
        "numbers": list(range(50_000)),
        "words": [f"word{index}" for index in range(10_000)],
        "records": _RECORDS,
        "big": 10**4000,
        "deep": _deep(60),
    },
    "nodes": {"fetch": {"status": 200, "body": {"items": _RECORDS[:200]}}},
    "vars": {"shared": _shared_variable(), "n": 3},
    "run": {"id": "run_bench"},
    "now": "2024-05-01T12:00:00+00:00",
}
"""Data within what a run may carry (the trigger's payload is about a megabyte)."""

_COUNTS = st.sampled_from(["0", "1", "2", "3", "10", "100", "1000", "3000", "10000"])
_TEXT_LEAVES = st.sampled_from(
    [
        "trigger.text",
        "trigger.run",
        "trigger.short",
        "'a'",
        "'ab'",
        "'a' * 98 + 'b'",
        "'a' * 1200 + 'b'",
        "vars.n * 'xy'",
        "now",
    ]
)
_LIST_LEAVES = st.sampled_from(
    [
        "trigger.zeros",
        "trigger.numbers",
        "trigger.words",
        "trigger.records",
        "trigger.deep",
        "vars.shared",
        "nodes.fetch.body.items",
        "[0] * 10000",
        "range(10000)",
        "[str(i) for i in range(100)]",
    ]
)
_NUMBER_LEAVES = st.sampled_from(
    ["0", "1", "7", "trigger.big", "2 ** 255", "vars.n", "1.5", "len(trigger.text)"]
)
_OBJECT_LEAVES = st.sampled_from(["trigger", "nodes", "vars", "nodes.fetch", "trigger.records[0]"])


def _format(template: str, *parts: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.tuples(*parts).map(lambda values: template.format(*values))


def _lists(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.one_of(
        _format("[{}] * {}", children, _COUNTS),
        _format("({}) * {}", children, _COUNTS),
        _format("({}) + ({})", children, children),
        _format("[{}, {}]", children, children),
        _format("[x for x in {}]", children),
        _format("[{} for x in range({})]", children, _COUNTS),
        _format("[[x, x] for x in {}]", children),
        _format("({})[{}:{}]", children, _COUNTS, _COUNTS),
        _format("sorted({})", children),
        _format("split({}, 'a')", children),
        _format("split({}, 'b')", children),
        _format("keys({})", children),
        _format("values({})", children),
        _format("json_decode(json_encode({}))", children),
        _format("range({})", _COUNTS),
    )


def _texts(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.one_of(
        _format("str({})", children),
        _format("json_encode({})", children),
        _format("join({}, ',')", children),
        _format("({}) * {}", children, _COUNTS),
        _format("({}) + ({})", children, children),
        _format("replace({}, 'a', 'bb')", children),
        _format("replace({}, 'ab', '')", children),
        _format("upper({})", children),
        _format("strip({})", children),
        _format("({})[{}:]", children, _COUNTS),
    )


def _values(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.one_of(
        _format("({}) == ({})", children, children),
        _format("({}) != ({})", children, children),
        _format("({}) in ({})", children, children),
        _format("({}) < ({})", children, children),
        _format("len({})", children),
        _format("min({})", children),
        _format("max({})", children),
        _format("sum({})", children),
        _format("contains({}, {})", children, children),
        _format("({}) * ({})", children, children),
        _format("({}) % 97", children),
        _format("get({}, 'a.b.0')", children),
        _format("default({}, {})", children, children),
        _format("({}) if ({}) else ({})", children, children, children),
        _format("{{'k': {}, 'v': {}}}", children, children),
    )


def expressions() -> st.SearchStrategy[str]:
    """Expression sources over `CONTEXT`, nested a few levels."""
    leaves = st.one_of(_TEXT_LEAVES, _LIST_LEAVES, _NUMBER_LEAVES, _OBJECT_LEAVES)
    return st.recursive(
        leaves,
        lambda children: st.one_of(_lists(children), _texts(children), _values(children)),
        max_leaves=8,
    )


def evaluate(source: str) -> Meter:
    """Evaluate `source` over `CONTEXT` with a meter of its own; the meter, whatever the
    outcome (a source that does not compile spends nothing)."""
    meter = Meter()
    # Refused or failed: either way, only the work done matters here.
    with contextlib.suppress(ExpressionError):
        compile_expression(source).evaluate(CONTEXT, meter=meter)
    return meter
