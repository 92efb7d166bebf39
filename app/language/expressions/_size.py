"""How large a JSON value is when written out, counting shared parts as often as they appear.

Expressions build values that share parts: ``[row] * 1000`` holds one ``row`` a thousand
times. Whatever walks such a value later (a conversion to text, a comparison, the output
check, Temporal's encoding) walks each share again, so its cost is the size of the value
written out, which can be a million times the memory it takes. Measuring visits each
distinct list and object once (remembered by identity), so it costs what the value holds,
not what it stands for, and can refuse a value before anything walks it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

from app.language.errors import LanguageError

_NEEDS_ESCAPE = re.compile(r'["\\\x00-\x1f]')
_SCALARS = frozenset({int, str, float})
_CONTAINERS = frozenset({list, dict, tuple})
_SMALL = 1 << 64
"""Integers below this in size are written out at once (`int_text_work`)."""
_FLAT = 16
"""Lists longer than this are first looked at whole: all texts, or all small integers, are
measured by C code alone."""
CONTAINER_WORK = 16
"""Units of work to measure one list or object, besides one per element: the Python code
that visits it (about a microsecond)."""
CHARACTERS_PER_UNIT = 32
"""Characters scanned or copied by C code for one unit of work (see `_limits`)."""
BIG_INT_BITS = 256
"""Integers up to this size are written out in constant time; larger ones take time that
grows with the square of their length (`int_text_work`)."""


class Size(NamedTuple):
    """What a value amounts to once written out as compact JSON."""

    text: int
    """Characters (or UTF-8 bytes, for a byte measure) of its compact JSON."""
    nodes: int
    """Values in it: every list, object, key and scalar, shares counted each time."""
    height: int
    """Lists and objects nested in one another: 0 for a scalar, 1 for ``[1]``."""

    @property
    def walk(self) -> int:
        """Units of work to walk it once (encode it, compare it) in C code."""
        return self.nodes + self.text // CHARACTERS_PER_UNIT


class TooLarge(LanguageError):
    """The value is larger than the cap it was measured against."""

    def __init__(self) -> None:
        super().__init__("the value is larger than its cap")


def int_text_work(value: int) -> int:
    """Units of work to write an integer in decimal: CPython's conversion is quadratic."""
    return (value.bit_length() // BIG_INT_BITS) ** 2


def _string_text(text: str, utf8: bool) -> int:
    if _NEEDS_ESCAPE.search(text) is not None:
        text = json.dumps(text, ensure_ascii=False)[1:-1]
    if utf8 and not text.isascii():
        return len(text.encode()) + 2  # raises on lone surrogates, as encoding the JSON does
    return len(text) + 2


class Measure:
    """Measures values against a cap, remembering every list and object it finished.

    Args:
        spend: Called with the units of work each step of measuring takes.
        utf8: Count UTF-8 bytes rather than characters.
        lenient: Measure what is not JSON as ``json.dumps(..., default=str)`` writes it
            (and NaN, Infinity as it writes them) instead of refusing it.
        known: Sizes another measure of the same kind remembered (`known`), taken as they
            are: values measured once for many measures (a run's trigger payload).

    The remembered sizes hold their values, so identities stay valid while this lives:
    make one per unit of work that reads the same values (a node's evaluations).
    """

    __slots__ = ("_base", "_known", "_lenient", "_spend", "_utf8")

    def __init__(
        self,
        spend: Callable[[int], None],
        *,
        utf8: bool = False,
        lenient: bool = False,
        known: Mapping[int, tuple[Any, Size]] | None = None,
    ) -> None:
        self._spend = spend
        self._utf8 = utf8
        self._lenient = lenient
        self._known: dict[int, tuple[Any, Size]] = {}
        self._base: Mapping[int, tuple[Any, Size]] = known or {}

    @property
    def known(self) -> Mapping[int, tuple[Any, Size]]:
        """Every list and object measured to the end, with its size, by identity."""
        return self._known

    def size(self, value: Any, cap: int | None = None) -> Size:
        """The size of ``value``; raises `TooLarge` as soon as its text passes ``cap``, and
        `RecursionError` for a value nested deeper than the stack allows."""
        return self._size(value, -1 if cap is None else cap)

    def _size(self, value: Any, cap: int) -> Size:
        if type(value) in _SCALARS or value is None or not isinstance(value, list | tuple | dict):
            size = Size(self._scalar(value), 1, 0)
        else:
            known = self._known.get(id(value)) or self._base.get(id(value))
            if known is not None:
                size = known[1]
            else:
                size = self._container(value, cap)
                self._known[id(value)] = (value, size)
        if 0 <= cap < size.text:
            raise TooLarge
        return size

    def _container(self, value: list[Any] | tuple[Any, ...] | dict[Any, Any], cap: int) -> Size:
        count = len(value)
        text = 2 + max(count - 1, 0)  # brackets and commas
        if 0 <= cap < text:
            raise TooLarge
        if count > _FLAT:
            self._spend(count + CONTAINER_WORK)  # before walking a large one
            if not isinstance(value, dict):
                kinds = set(map(type, value))
                if kinds == {str}:
                    return Size(text + self._texts(value), 1 + count, 1)
                if kinds == {int} and min(value) > -_SMALL and max(value) < _SMALL:
                    return Size(text + sum(map(len, map(int.__repr__, value))), 1 + count, 1)
        if isinstance(value, dict):
            keys = list(value)
            if set(map(type, keys)) != {str}:
                keys = []
                text += sum(map(self._key, value)) + count  # and colons
            children: Any = value.values()
            nodes = 1 + count
        else:
            keys, children, nodes = [], value, 1
        # Scalars are added up here (their texts scanned at once, below); only lists and
        # objects are measured one by one, the bulk of a payload's values never are.
        texts: list[str] = []
        height = 0
        known, base = self._known, self._base
        for child in children:
            kind = type(child)
            if kind is str:
                texts.append(child)
            elif kind is int and -_SMALL < child < _SMALL:
                text += len(int.__repr__(child))
            elif child is None or child is True:
                text += 4
            elif child is False:
                text += 5
            elif kind is float or kind is int:
                text += self._scalar(child)
            else:
                remembered = (
                    known.get(id(child)) or base.get(id(child)) if kind in _CONTAINERS else None
                )
                size = (
                    remembered[1]
                    if remembered is not None
                    else self._size(child, cap - text if cap >= 0 else -1)
                )
                text += size.text
                nodes += size.nodes - 1
                height = max(height, size.height)
                if 0 <= cap < text:
                    raise TooLarge
        nodes += count
        if keys:
            texts += keys
            text += count  # colons
        if texts:
            text += self._texts(texts, spent=0 if count > _FLAT else count + CONTAINER_WORK)
        elif count <= _FLAT:
            self._spend(count + CONTAINER_WORK)
        if 0 <= cap < text:
            raise TooLarge
        return Size(text, nodes, height + 1)

    def _texts(self, texts: list[str] | tuple[str, ...], spent: int = 0) -> int:
        """The text of many strings, written as JSON strings; spends the work of scanning
        them and ``spent`` units more."""
        characters = sum(map(len, texts))
        self._spend(spent + characters // CHARACTERS_PER_UNIT)
        joined = "".join(texts)
        if _NEEDS_ESCAPE.search(joined) is None and (not self._utf8 or joined.isascii()):
            return characters + 2 * len(texts)
        return sum(_string_text(text, self._utf8) for text in texts)

    def _key(self, key: Any) -> int:
        if isinstance(key, str):
            return self._scalar(key)
        # json.dumps writes these keys as texts; anything else it refuses.
        if key is None or isinstance(key, int | float):
            return self._scalar(key) + 2
        raise TypeError("keys must be str, int, float, bool or None")

    def _scalar(self, value: Any) -> int:
        if isinstance(value, str):
            self._spend(len(value) // CHARACTERS_PER_UNIT)
            return _string_text(value, self._utf8)
        if value is None or value is True:
            return 4
        if value is False:
            return 5
        if isinstance(value, int):
            self._spend(int_text_work(value))
            return len(int.__repr__(value))
        if isinstance(value, float):
            if value != value or value in (_INFINITY, -_INFINITY):
                if not self._lenient:
                    raise ValueError("NaN and infinities cannot be written as JSON")
                return len(json.dumps(value))
            return len(float.__repr__(value))
        if not self._lenient:
            raise TypeError(f"{type(value).__name__} cannot be written as JSON")
        return _string_text(str(value), self._utf8)


_INFINITY = float("inf")
