"""Keeping outputs small enough for Temporal's history (docs/architecture.md, invariant 7).

An output may share parts (an expression's `[row] * 1000` holds one `row` a thousand
times), and its JSON writes every share out: it is measured (`Measure`, which visits each
distinct list and object once) before anything writes it, so the check costs what the
output holds, never what it stands for.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from app.contract.failures import FailureType
    from app.language.expressions import Measure, Size
    from workflows.errors import NodeFailedError

MAX_OUTPUT_BYTES = 32_768
PREVIEW_CHARACTERS = 1_000
MAX_DEPTH = 64
"""How deeply a node's output or a variable may nest. The run's state and continuation
wrap outputs in a dozen more levels, and JSON decoders (pydantic's among them) refuse
documents nested a few hundred levels deep, so a deeper value would make a payload the
next workflow task cannot read; far deeper, encoding it exhausts Python's stack."""


class ValueTooDeepError(NodeFailedError):
    """A value (`what`: the output, the variables) nests deeper than `MAX_DEPTH`."""

    def __init__(self, what: str) -> None:
        message = f"{what} is nested more than {MAX_DEPTH} levels deep"
        super().__init__(message, type=FailureType.ValueTooDeep)
        self.what = what


def check_depth(value: Any, what: str = "the output") -> int:
    """Raise `ValueTooDeepError` when `value` nests deeper than `MAX_DEPTH` (iteratively:
    the value may be far deeper than the stack allows). A part shared by many containers
    is walked again only when reached deeper than before, at most `MAX_DEPTH` times.
    Returns the number of values walked (the work done, in `Meter` units)."""
    deepest: dict[int, int] = {}
    walked = 0
    pending: list[tuple[Any, int]] = [(value, 0)]
    while pending:
        current, depth = pending.pop()
        if isinstance(current, dict):
            children: Any = current.values()
        elif isinstance(current, list | tuple):
            children = current
        else:
            continue
        if depth >= MAX_DEPTH:
            raise ValueTooDeepError(what)
        if deepest.get(id(current), -1) >= depth:
            continue  # its parts were checked from this deep or deeper
        deepest[id(current)] = depth
        walked += len(children) + 1
        pending.extend((child, depth + 1) for child in children)
    return walked


def as_json(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, default=str)


def _ignore(units: int) -> None:
    pass


def json_size(value: Any, spend: Callable[[int], None] = _ignore) -> Size:
    """The size of `as_json(value)` in UTF-8 bytes, and its depth, without writing it;
    `spend` is told the work of measuring. Raises `ValueTooDeepError` for a value nested
    too deeply to keep."""
    try:
        size = Measure(spend, utf8=True, lenient=True).size(value)
    except RecursionError:
        check_depth(value)  # raises: only a value nested hundreds deep gets here
        raise
    if size.height > MAX_DEPTH:
        raise ValueTooDeepError("the output")
    return size


def preview(value: Any) -> str:
    """The first `PREVIEW_CHARACTERS` of `as_json(value)`, writing no more than those."""
    encoder = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, default=str)
    text = ""
    for chunk in encoder.iterencode(value):
        text += chunk
        if len(text) >= PREVIEW_CHARACTERS:
            break
    return text[:PREVIEW_CHARACTERS]


def bounded(
    value: Any, limit: int = MAX_OUTPUT_BYTES, spend: Callable[[int], None] = _ignore
) -> Any:
    """The value itself, or a marked preview when its JSON is larger than `limit` bytes;
    raises `ValueTooDeepError` for a value nested too deeply to keep. `spend` is told the
    work of checking it (`Meter` units)."""
    return bounded_and_size(value, limit, spend)[0]


def bounded_and_size(
    value: Any, limit: int = MAX_OUTPUT_BYTES, spend: Callable[[int], None] = _ignore
) -> tuple[Any, int]:
    """`bounded(value)` and the UTF-8 bytes of its JSON."""
    size = json_size(value, spend).text
    if size <= limit:
        return value, size
    marker = {"truncated": True, "size_bytes": size, "preview": preview(value)}
    return marker, len(as_json(marker).encode())
