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
import math
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
_MANY = st.sampled_from(["10", "100", "1000", "3000"])
_MOST_REPEATED = 1_000_000
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
        "vars.data",
        "nodes.fetch.body.items",
        "[0] * 10000",
        "range(10000)",
        "[str(i) for i in range(100)]",
        "[[[str(i) for i in range(100)]] * 100] * 100",
    ]
)
_FRESH_LEAVES = st.sampled_from(
    [
        "[str(i) for i in range(100)]",
        "[[str(i), i * 1000, i / 3] for i in range(100)]",
        "json_decode(json_encode(trigger.records[0:50]))",
        "split(trigger.text[0:3000], 'b')",
        "[{'k': str(i)} for i in range(100)]",
    ]
)
"""Values built anew at each evaluation, of many distinct parts."""
_NUMBER_LEAVES = st.sampled_from(
    ["0", "1", "7", "trigger.big", "2 ** 255", "vars.n", "1.5", "len(trigger.text)"]
)
_OBJECT_LEAVES = st.sampled_from(["trigger", "nodes", "vars", "nodes.fetch", "trigger.records[0]"])


def _format(template: str, *parts: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.tuples(*parts).map(lambda values: template.format(*values))


def _repeated(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """A child inside one to three lists that repeat it: the values that are small to build
    and large to write out or compare, which a missed charge lets run away."""

    def wrap(child: str, counts: list[str]) -> str:
        for count in counts:
            child = f"[{child}] * {count}"
        return child

    depths = st.integers(1, 3)
    counts = depths.flatmap(lambda n: st.lists(_MANY, min_size=n, max_size=n)).filter(
        lambda counts: math.prod(map(int, counts)) <= _MOST_REPEATED
    )
    return st.builds(wrap, children, counts)


def _lists(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.one_of(
        _repeated(children),
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
    shared = _repeated(children)
    return st.one_of(
        _format("str({})", shared),
        _format("json_encode({})", shared),
        _format("join({}, ',')", shared),
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


def _operations(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.one_of(_values(children), _texts(children), _lists(children))


def _pairs(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """The same source on both sides: two values built alike, equal and never identical
    (Python skips comparing what is identical), so comparing them walks both."""
    return st.one_of(
        children.map("({0}) == ({0})".format),
        children.map("({0}) != ({0})".format),
        children.map("({0}) in [({0})]".format),
        st.builds("({0}) in ([({0})] * {1})".format, children, _COUNTS),
        st.builds("({0}) in ([({0})[0:{1}]] * {2})".format, children, _COUNTS, _COUNTS),
    )


def _operands() -> st.SearchStrategy[str]:
    leaves = st.one_of(_TEXT_LEAVES, _LIST_LEAVES, _NUMBER_LEAVES, _OBJECT_LEAVES)
    return st.recursive(leaves, _operations, max_leaves=6)


def operations() -> st.SearchStrategy[str]:
    """Expression sources over `CONTEXT`: an operation on operands nested a few levels."""
    return _operations(_operands())


def comparisons() -> st.SearchStrategy[str]:
    """The comparison of two values built alike, shared through repeated lists (a few
    hundred million elements at most: were a comparison not charged, it would take
    seconds, not hours)."""
    return _pairs(_repeated(_FRESH_LEAVES))


def expressions() -> st.SearchStrategy[str]:
    """Either of `operations` and `comparisons`."""
    return st.one_of(operations(), comparisons())


def _shared(children: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(
        st.tuples(children, st.integers(0, 300)).map(lambda pair: [pair[0]] * pair[1]),
        st.lists(children, max_size=5),
        st.dictionaries(st.sampled_from(["a", "b", "c", "d"]), children, max_size=4),
    )


def data() -> st.SearchStrategy[Any]:
    """JSON values that share parts (what earlier expressions may have left in a variable),
    at most `Limits.max_value_size` written out."""
    leaves = st.one_of(
        st.none(),
        st.booleans(),
        st.integers(-(10**30), 10**30),
        st.floats(allow_nan=False, allow_infinity=False),
        st.text(max_size=20),
        st.sampled_from(["a" * 1000, "ab" * 2000, '"\\\n' * 100]),
    )
    measured = Meter()
    return st.recursive(leaves, _shared, max_leaves=10).filter(lambda value: _fits(measured, value))


def _fits(meter: Meter, value: Any) -> bool:
    try:
        return meter.measure.size(value).text <= meter.limits.max_value_size
    except ExpressionError:
        return False


def evaluate(source: str, variable: Any = None) -> Meter:
    """Evaluate `source` over `CONTEXT` (with `variable` as `vars.data`) with a meter of its
    own; the meter, whatever the outcome (a source that does not compile spends nothing)."""
    meter = Meter()
    context = {**CONTEXT, "vars": {**CONTEXT["vars"], "data": variable}}
    # Refused or failed: either way, only the work done matters here.
    with contextlib.suppress(ExpressionError):
        compile_expression(source).evaluate(context, meter=meter)
    return meter
