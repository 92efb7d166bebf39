"""Keeping outputs small enough for Temporal's history (docs/architecture.md, invariant 7)."""

from __future__ import annotations

import json
from typing import Any

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from app.contract.failures import FailureType
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


def check_depth(value: Any, what: str = "the output") -> None:
    """Raise `ValueTooDeepError` when `value` nests deeper than `MAX_DEPTH` (iteratively:
    the value may be far deeper than the stack allows)."""
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
        pending.extend((child, depth + 1) for child in children)


def as_json(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, default=str)


def bounded(value: Any, limit: int = MAX_OUTPUT_BYTES) -> Any:
    """The value itself, or a marked preview when its JSON is larger than `limit` bytes;
    raises `ValueTooDeepError` for a value nested too deeply to keep."""
    try:
        text = as_json(value)
    except RecursionError:
        check_depth(value)  # raises: only a value nested hundreds deep gets here
        raise
    # Walking the value costs more than encoding it; a value nested past `MAX_DEPTH` has at
    # least that many brackets in its JSON, so most outputs need no walk. Brackets inside
    # strings count too: the walk then decides.
    if text.count("{") + text.count("[") > MAX_DEPTH:
        check_depth(value)
    size = len(text) if text.isascii() else len(text.encode())
    if size <= limit:
        return value
    return {"truncated": True, "size_bytes": size, "preview": text[:PREVIEW_CHARACTERS]}
