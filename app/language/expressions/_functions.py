"""Built-in functions: pure, deterministic, and bounded in time and output size.

Each entry of :data:`FUNCTIONS` carries its own one-line documentation, so the
table can be published as-is (see :data:`FUNCTIONS_DOC`).
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from ._convert import converted
from ._costs import sort_work
from ._datetime import DATE_FUNCTIONS
from ._errors import LimitProblem, Problem
from ._limits import Budget
from ._operators import membership, number
from ._registry import FunctionSpec, register
from ._text import TEXT_FUNCTIONS
from ._values import check_float, check_key, is_number, require, truthy, type_name

FUNCTIONS: dict[str, FunctionSpec] = {}
_MAX_NUMBER_TEXT = 100  # digits accepted by int()/float(): far below Python's own limit


def _scalars(budget: Budget, items: list[Any], function: str) -> list[Any]:
    """Items must all be numbers or all be texts, so ordering is well defined; charges the
    work of ordering them."""
    budget.charge(len(items))
    if all(is_number(item) for item in items):
        digits = sum(item.bit_length() for item in items if type(item) is int) // 4
        budget.work(sort_work(len(items), digits))
        return items
    if all(type(item) is str for item in items):
        budget.work(sort_work(len(items), sum(map(len, items))))
        return items
    raise Problem(f"{function}() needs a list of numbers only or of texts only")


@register(
    FUNCTIONS, "len(value)", "Number of characters of a text, or elements of a list or object.", 1
)
def _len(budget: Budget, value: Any) -> int:
    if type(value) in (str, list, dict):
        return len(value)
    raise Problem(f"len() needs text, a list or an object, not {type_name(value)}")


@register(
    FUNCTIONS,
    "str(value)",
    'Text form: null → "", true → "true", lists and objects → compact JSON.',
    1,
)
def _str(budget: Budget, value: Any) -> str:
    return converted(budget, value)


@register(
    FUNCTIONS,
    "int(value)",
    'Whole number from a number (truncated), a boolean or a text like "42".',
    1,
)
def _int(budget: Budget, value: Any) -> int:
    if type(value) is str:
        text = value.strip()
        if len(text) > _MAX_NUMBER_TEXT:
            raise Problem("int() got a text too long to be a number")
        try:
            return budget.integer(int(text))
        except ValueError:
            raise Problem("int() needs text that is a whole number") from None
    if type(value) is float:
        return budget.integer(int(check_float(value)))
    if type(value) in (int, bool):
        return budget.integer(int(value))
    raise Problem(f"int() needs a number or text, not {type_name(value)}")


@register(
    FUNCTIONS, "float(value)", 'Decimal number from a number, a boolean or a text like "1.5".', 1
)
def _float(budget: Budget, value: Any) -> float:
    if type(value) is str:
        if len(value) > _MAX_NUMBER_TEXT:
            raise Problem("float() got a text too long to be a number")
        try:
            return check_float(float(value))
        except ValueError:
            raise Problem("float() needs text that is a number") from None
    if type(value) in (int, float, bool):
        return check_float(float(value))
    raise Problem(f"float() needs a number or text, not {type_name(value)}")


@register(FUNCTIONS, "bool(value)", 'false for null, false, 0, "", [] and {}; true otherwise.', 1)
def _bool(budget: Budget, value: Any) -> bool:
    return truthy(value)


@register(
    FUNCTIONS,
    "round(number, digits?)",
    "Round half to even; without digits returns a whole number.",
    1,
    2,
)
def _round(budget: Budget, value: Any, digits: Any = None) -> int | float:
    if not is_number(value):
        raise Problem(f"round() needs a number, not {type_name(value)}")
    if digits is None:
        return number(budget, round(value))
    if type(digits) is not int or not -30 <= digits <= 30:
        raise Problem("round() needs a whole number of digits between -30 and 30")
    return number(budget, round(value, digits))


@register(FUNCTIONS, "abs(number)", "Absolute value.", 1)
def _abs(budget: Budget, value: Any) -> int | float:
    if not is_number(value):
        raise Problem(f"abs() needs a number, not {type_name(value)}")
    return number(budget, abs(value))


def _extreme(budget: Budget, args: tuple[Any, ...], function: str) -> list[Any]:
    items = args[0] if len(args) == 1 and type(args[0]) is list else list(args)
    if not items:
        raise Problem(f"{function}() needs at least one value")
    return _scalars(budget, items, function)


@register(FUNCTIONS, "min(list) | min(a, b, ...)", "Smallest of numbers or of texts.", 1, None)
def _min(budget: Budget, *args: Any) -> Any:
    return min(_extreme(budget, args, "min"))


@register(FUNCTIONS, "max(list) | max(a, b, ...)", "Largest of numbers or of texts.", 1, None)
def _max(budget: Budget, *args: Any) -> Any:
    return max(_extreme(budget, args, "max"))


@register(FUNCTIONS, "sum(list)", "Sum of a list of numbers (0 for an empty list).", 1)
def _sum(budget: Budget, items: Any) -> int | float:
    require(list, items, "sum", "a list")
    budget.charge(len(items))
    if not all(is_number(item) for item in items):
        raise Problem("sum() needs a list of numbers")
    budget.work(sum(item.bit_length() for item in items if type(item) is int) // 256)
    return number(budget, sum(items))


@register(
    FUNCTIONS, "sorted(list)", "Ascending copy of a list of numbers only or of texts only.", 1
)
def _sorted(budget: Budget, items: Any) -> list[Any]:
    require(list, items, "sorted", "a list")
    budget.collection(len(items))
    return sorted(_scalars(budget, items, "sorted"))


@register(FUNCTIONS, "keys(object)", "List of an object's keys, in their original order.", 1)
def _keys(budget: Budget, value: Any) -> list[str]:
    require(dict, value, "keys", "an object")
    budget.collection(len(value))
    return list(value)


@register(FUNCTIONS, "values(object)", "List of an object's values, in their original order.", 1)
def _values(budget: Budget, value: Any) -> list[Any]:
    require(dict, value, "values", "an object")
    budget.collection(len(value))
    return list(value.values())


@register(FUNCTIONS, "contains(container, value)", "Same as `value in container`.", 2)
def _contains(budget: Budget, container: Any, value: Any) -> bool:
    return membership(budget, value, container)


@register(FUNCTIONS, "default(value, fallback)", "value, or fallback when value is null.", 2)
def _default(budget: Budget, value: Any, fallback: Any) -> Any:
    return fallback if value is None else value


@register(
    FUNCTIONS, "coalesce(a, b, ...)", "The first argument that is not null, or null.", 1, None
)
def _coalesce(budget: Budget, *values: Any) -> Any:
    return next((value for value in values if value is not None), None)


@register(
    FUNCTIONS,
    "get(value, path, default?)",
    'Follow a path like "a.b.0.c" (or a list of keys and positions); default when missing.',
    2,
    3,
)
def _get(budget: Budget, value: Any, path: Any, fallback: Any = None) -> Any:
    if type(path) is str:
        steps: list[Any] = path.split(".") if path else []
    elif type(path) is list:
        steps = path
    else:
        raise Problem(f"get() needs a text or list path, not {type_name(path)}")
    budget.charge(len(steps))
    for step in steps:
        if type(value) is dict and type(step) is str:
            value = value.get(check_key(step))
        elif type(value) is list and type(step) is int:
            value = value[step] if -len(value) <= step < len(value) else None
        elif type(value) is list and type(step) is str and step.isascii() and step.isdigit():
            position = int(step[:18])
            value = value[position] if position < len(value) and len(step) <= 18 else None
        else:
            value = None
        if value is None:
            break
    return fallback if value is None else value


@register(
    FUNCTIONS,
    "range(stop) | range(start, stop, step?)",
    "List of whole numbers, as in Python.",
    1,
    3,
)
def _range(budget: Budget, *bounds: Any) -> list[int]:
    if not all(type(bound) is int for bound in bounds):
        raise Problem("range() needs whole numbers")
    if len(bounds) == 3 and bounds[2] == 0:
        raise Problem("range() step cannot be zero")
    numbers = range(*bounds)
    try:
        size = len(numbers)
    except OverflowError:
        raise LimitProblem("range() would produce too many numbers") from None
    budget.collection(size)
    budget.charge(len(numbers))
    return list(numbers)


@register(
    FUNCTIONS,
    "enumerate(list, start?)",
    "List of [position, element] pairs, positions from start (default 0), as in Python.",
    1,
    2,
)
def _enumerate(budget: Budget, items: Any, start: Any = 0) -> list[list[Any]]:
    require(list, items, "enumerate", "a list")
    if type(start) is not int:
        raise Problem(f"enumerate() needs a whole number start, not {type_name(start)}")
    budget.integer(start + len(items))
    # As many elements as the outer list again for each slot of the pairs: no list is
    # longer than the one given, the allocation is three times it.
    for _ in range(3):
        budget.collection(len(items))
    return [[position, item] for position, item in enumerate(items, start)]


FUNCTIONS.update(TEXT_FUNCTIONS)
FUNCTIONS.update(DATE_FUNCTIONS)

FUNCTIONS_DOC: Mapping[str, str] = MappingProxyType(
    {name: f"{spec.signature}: {spec.doc}" for name, spec in FUNCTIONS.items()}
)
"""Function name → "signature: description", for documentation and API catalogs."""
