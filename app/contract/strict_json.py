"""JSON the engine can keep: no NaN, no Infinity (nor a number too large for a float, which
Python reads as infinity), and no lone UTF-16 surrogate (`"\\ud800"`, what JavaScript's
`JSON.stringify` writes for a string cut inside an emoji).

Python's `json` accepts all three, but they cannot be stored, sent to Temporal or written out
again as standard JSON: a value would silently become `null`, or encoding it would fail later
with a 500. So the engine decides once, at every entrance: such a document is refused with a
422 that names the field (`first_problem`).
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from typing import Any

Path = tuple[str | int, ...]


class _Unkeepable:
    """Stands for a number JSON cannot keep, where the parser met it."""

    def __init__(self, text: str) -> None:
        self.text = text


def _constant(text: str) -> _Unkeepable:
    return _Unkeepable(text)


def _float(text: str) -> float | _Unkeepable:
    value = float(text)
    return value if math.isfinite(value) else _Unkeepable(text)


def _surrogate(text: str) -> int | None:
    for index, char in enumerate(text):
        if "\ud800" <= char <= "\udfff":
            return index
    return None


def loads(raw: bytes | str) -> Any:
    """Parse like `json.loads`, with unkeepable numbers left as markers for `first_problem`.

    Raises `ValueError` for text that is not JSON at all, as `json.loads` does.
    """
    return json.loads(raw, parse_constant=_constant, parse_float=_float)


def first_problem(value: Any, path: Path = ()) -> tuple[Path, str] | None:
    """Where the first value JSON cannot keep is, and what it is; None when all is well.

    The common case costs one encoding pass in C: only a document that fails it is walked.
    """
    try:
        json.dumps(value, ensure_ascii=False, allow_nan=False).encode()
    except (ValueError, TypeError, UnicodeEncodeError):
        pass
    else:
        return None
    return next(_problems(value, path), None)


def _problems(value: Any, path: Path) -> Iterator[tuple[Path, str]]:
    if isinstance(value, _Unkeepable):
        yield path, f"{value.text} is not a number JSON can keep: send a finite number"
    elif isinstance(value, float) and not math.isfinite(value):
        yield path, f"{value} is not a number JSON can keep: send a finite number"
    elif isinstance(value, str):
        index = _surrogate(value)
        if index is not None:
            yield (
                path,
                (
                    f"the text has a lone UTF-16 surrogate (U+{ord(value[index]):04X}) at "
                    f"character {index}: send whole characters (a string cut inside an emoji?)"
                ),
            )
    elif isinstance(value, dict):
        for key, item in value.items():
            if isinstance(key, str) and _surrogate(key) is not None:
                # Named escaped: the answer naming it must itself be valid UTF-8.
                shown = key.encode("utf-8", "backslashreplace").decode()
                yield (*path, shown), "the key has a lone UTF-16 surrogate: send whole characters"
            yield from _problems(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _problems(item, (*path, index))
