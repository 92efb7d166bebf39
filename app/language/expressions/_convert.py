"""Values written out as text, measured before anything is built.

``str([[0] * 10000] * 10000)`` is a few steps of work and 200 million characters of
text: the length is known from the value's `Size` (each shared part measured once), so
a text too long is refused without being written, and writing one that fits is charged
for what it walks.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from ._errors import Problem
from ._limits import Budget
from ._size import int_text_work
from ._values import check_float, to_json, to_text


class Writing(NamedTuple):
    """A value about to be written out: its length, and the work of writing it."""

    length: int
    work: int


def text_writing(budget: Budget, value: Any) -> Writing:
    """How ``to_text(value)`` would be written, spending the work of measuring it."""
    kind = type(value)
    if kind is str:
        return Writing(len(value), 0)
    if value is None:
        return Writing(0, 0)
    if value is True or value is False:
        return Writing(4 if value else 5, 0)
    if kind is int:
        return Writing(len(str(value)), int_text_work(value))
    if kind is float:
        return Writing(len(repr(check_float(value))), 0)
    return json_writing(budget, value)


def json_writing(budget: Budget, value: Any) -> Writing:
    """How ``to_json(value)`` would be written, spending the work of measuring it."""
    try:
        size = budget.size(value)
    except (TypeError, ValueError):
        raise Problem("the value cannot be written as JSON") from None
    return Writing(size.text, size.walk)


def converted(budget: Budget, value: Any, *, as_json: bool = False) -> str:
    """``to_text(value)`` (``to_json`` when ``as_json``), refused before it is built when
    longer than `Limits.max_string_length`."""
    writing = json_writing(budget, value) if as_json else text_writing(budget, value)
    budget.string(writing.length)
    budget.work(writing.work)
    return to_json(value) if as_json else to_text(value)
