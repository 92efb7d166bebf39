"""Helpers shared by operators, functions and templates for JSON values."""

from __future__ import annotations

import json
import math
from typing import Any

from ._errors import Problem

_TYPE_NAMES: dict[type, str] = {
    str: "text",
    int: "number",
    float: "number",
    bool: "boolean",
    list: "list",
    tuple: "list",
    dict: "object",
    type(None): "nothing (null)",
}


def type_name(value: object) -> str:
    """Name of a value's JSON type as shown to users (never the value itself)."""
    return _TYPE_NAMES.get(type(value), "unsupported value")


def is_number(value: object) -> bool:
    """True for int and float but not bool: arithmetic on booleans is refused."""
    return type(value) is int or type(value) is float


def check_float(value: float) -> float:
    """Refuse NaN and infinities: they cannot be written as JSON."""
    if not math.isfinite(value):
        raise Problem("the result is not a finite number")
    return value


def truthy(value: object) -> bool:
    """Python truthiness: null, false, 0, "", [] and {} are false."""
    return bool(value)


def require(kind: type, value: Any, function: str, what: str) -> None:
    """Refuse an argument of the wrong JSON type (bool is not a number here)."""
    if type(value) is not kind:
        raise Problem(f"{function}() needs {what}, not {type_name(value)}")


def check_key(key: str) -> str:
    """Second line of defence: keys that look like Python internals are refused."""
    if key.startswith("__"):
        raise Problem("keys starting with '__' are not allowed")
    return key


def to_json(value: Any) -> str:
    """Compact JSON with sorted keys and non-ASCII kept as is."""
    try:
        return json.dumps(
            value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
        )
    except (TypeError, ValueError) as exc:
        raise Problem("the value cannot be written as JSON") from exc


def to_text(value: Any) -> str:
    """Text form used by templates, ``str()`` and ``join()``.

    null becomes "", booleans "true"/"false", numbers their shortest form,
    lists and objects compact JSON with sorted keys.
    """
    if type(value) is str:
        return value
    if value is None:
        return ""
    if value is True:
        return "true"
    if value is False:
        return "false"
    if type(value) is int:
        return str(value)
    if type(value) is float:
        return repr(check_float(value))
    return to_json(value)
