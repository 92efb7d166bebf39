"""Built-in functions on text, and JSON encoding and decoding."""

from __future__ import annotations

import json
from typing import Any

from ._convert import converted, text_writing
from ._costs import search_work
from ._errors import Problem
from ._limits import Budget
from ._registry import FunctionSpec, register
from ._values import require, to_text

TEXT_FUNCTIONS: dict[str, FunctionSpec] = {}
_MAX_NUMBER_TEXT = 100  # digits accepted in decoded JSON numbers: far below Python's own limit


def _text_in(budget: Budget, value: Any, function: str) -> str:
    require(str, value, function, "text")
    budget.string(len(value))
    return value  # type: ignore[no-any-return]


@register(TEXT_FUNCTIONS, "lower(text)", "Text in lower case.", 1)
def _lower(budget: Budget, text: Any) -> str:
    return _text_in(budget, text, "lower").lower()


@register(TEXT_FUNCTIONS, "upper(text)", "Text in upper case.", 1)
def _upper(budget: Budget, text: Any) -> str:
    result = _text_in(budget, text, "upper").upper()
    budget.string(len(result))  # a few characters grow ('ß' → 'SS')
    return result


@register(TEXT_FUNCTIONS, "strip(text)", "Text without leading and trailing whitespace.", 1)
def _strip(budget: Budget, text: Any) -> str:
    return _text_in(budget, text, "strip").strip()


@register(
    TEXT_FUNCTIONS,
    "split(text, separator?)",
    "List of parts; without separator, splits on runs of whitespace.",
    1,
    2,
)
def _split(budget: Budget, text: Any, separator: Any = None) -> list[str]:
    source = _text_in(budget, text, "split")
    if separator is None:
        parts = source.split()
    else:
        require(str, separator, "split", "a text separator")
        if not separator:
            raise Problem("split() needs a non-empty separator")
        budget.work(2 * search_work(len(source), len(separator)))  # counting, then splitting
        budget.collection(source.count(separator) + 1)
        parts = source.split(separator)
    budget.collection(len(parts))
    return parts


@register(
    TEXT_FUNCTIONS,
    "join(list, separator?)",
    'One text from a list, each element as in str(); separator defaults to "".',
    1,
    2,
)
def _join(budget: Budget, items: Any, separator: Any = "") -> str:
    require(list, items, "join", "a list")
    require(str, separator, "join", "a text separator")
    budget.charge(len(items))
    # Measured first: the parts of shared lists are written out only once known to fit.
    writings = [text_writing(budget, item) for item in items]
    budget.string(sum(length for length, _ in writings) + len(separator) * max(len(items) - 1, 0))
    budget.work(sum(work for _, work in writings))
    return str(separator).join([to_text(item) for item in items])


@register(
    TEXT_FUNCTIONS,
    "replace(text, old, new)",
    "Text with every occurrence of old replaced by new.",
    3,
)
def _replace(budget: Budget, text: Any, old: Any, new: Any) -> str:
    source = _text_in(budget, text, "replace")
    require(str, old, "replace", "text to replace")
    require(str, new, "replace", "replacement text")
    budget.work(2 * search_work(len(source), len(old)))  # counting, then replacing
    count = source.count(old)  # for old == "" this is len + 1, as replace() inserts
    budget.string(len(source) + count * (len(new) - len(old)))
    return source.replace(old, new)


@register(TEXT_FUNCTIONS, "startswith(text, prefix)", "Whether text begins with prefix.", 2)
def _startswith(budget: Budget, text: Any, prefix: Any) -> bool:
    require(str, prefix, "startswith", "a text prefix")
    return _text_in(budget, text, "startswith").startswith(prefix)


@register(TEXT_FUNCTIONS, "endswith(text, suffix)", "Whether text ends with suffix.", 2)
def _endswith(budget: Budget, text: Any, suffix: Any) -> bool:
    require(str, suffix, "endswith", "a text suffix")
    return _text_in(budget, text, "endswith").endswith(suffix)


@register(TEXT_FUNCTIONS, "json_encode(value)", "Compact JSON text with sorted keys.", 1)
def _json_encode(budget: Budget, value: Any) -> str:
    return converted(budget, value, as_json=True)


def _refuse_constant(name: str) -> Any:
    raise Problem("json_decode() does not accept NaN or Infinity")


def _bounded_int(text: str) -> int:
    if len(text) > _MAX_NUMBER_TEXT:
        raise Problem("json_decode() got a number that is too long")
    return int(text)


@register(TEXT_FUNCTIONS, "json_decode(text)", "Value parsed from JSON text.", 1)
def _json_decode(budget: Budget, text: Any) -> Any:
    text = _text_in(budget, text, "json_decode")
    budget.charge(len(text) // 64)
    budget.work(len(text) // 8)  # parsing: a few times the work of scanning
    try:
        return json.loads(text, parse_constant=_refuse_constant, parse_int=_bounded_int)
    except json.JSONDecodeError as exc:
        raise Problem(f"json_decode() got invalid JSON (at character {exc.pos})") from None
