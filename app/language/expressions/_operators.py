"""Operators on JSON values, with sizes checked before results are built and work charged
for what they touch (copies, comparisons, searches)."""

from __future__ import annotations

import ast
from typing import Any

from ._costs import product_work, search_work
from ._errors import LimitProblem, Problem
from ._limits import Budget
from ._values import check_float, check_key, is_number, type_name

_SYMBOLS: dict[type[ast.AST], str] = {
    ast.Add: "+",
    ast.Sub: "-",
    ast.Mult: "*",
    ast.Div: "/",
    ast.FloorDiv: "//",
    ast.Mod: "%",
    ast.Pow: "**",
    ast.Lt: "<",
    ast.LtE: "<=",
    ast.Gt: ">",
    ast.GtE: ">=",
}


def _mismatch(op: type[ast.AST], left: object, right: object) -> Problem:
    return Problem(f"cannot use '{_SYMBOLS[op]}' between {type_name(left)} and {type_name(right)}")


def number(budget: Budget, value: int | float) -> int | float:
    """Check a freshly computed number: bounded integer or finite float."""
    if type(value) is int:
        return budget.integer(value)
    if type(value) is float:
        return check_float(value)
    raise Problem("the result is not a real number")


def binary(budget: Budget, op: type[ast.AST], left: Any, right: Any) -> Any:
    """Apply an arithmetic operator (``+ - * / // % **``)."""
    if is_number(left) and is_number(right):
        return number(budget, _arithmetic(budget, op, left, right))
    if op is ast.Add:
        if type(left) is str and type(right) is str:
            budget.string(len(left) + len(right))
            return left + right
        if type(left) is list and type(right) is list:
            budget.collection(len(left) + len(right))
            return left + right
    elif op is ast.Mult:
        if type(right) is int and type(left) in (str, list):
            return _repeat(budget, left, right)
        if type(left) is int and type(right) in (str, list):
            return _repeat(budget, right, left)
    raise _mismatch(op, left, right)


def _repeat(budget: Budget, sequence: str | list[Any], times: int) -> str | list[Any]:
    # The size is computed from the operands first: 'a' * 10**9 is refused without
    # allocating anything.
    length = len(sequence) * max(times, 0)
    if type(sequence) is str:
        budget.string(length)
    else:
        budget.collection(length)
    return sequence * times


def _arithmetic(budget: Budget, op: type[ast.AST], left: Any, right: Any) -> int | float:
    if type(left) is int and type(right) is int and op is not ast.Pow:
        budget.work(product_work(left, right))
    if op is ast.Add:
        return left + right  # type: ignore[no-any-return]
    if op is ast.Sub:
        return left - right  # type: ignore[no-any-return]
    if op is ast.Mult:
        return left * right  # type: ignore[no-any-return]
    if op is ast.Pow:
        return _power(budget, left, right)
    if right == 0:
        raise Problem("division by zero")
    try:
        if op is ast.Div:
            return left / right  # type: ignore[no-any-return]
        if op is ast.FloorDiv:
            return left // right  # type: ignore[no-any-return]
        return left % right  # type: ignore[no-any-return]
    except OverflowError:
        raise LimitProblem("the number is too large") from None


def _power(budget: Budget, base: int | float, exponent: int | float) -> int | float:
    if type(base) is int and type(exponent) is int and exponent >= 0:
        size = abs(base).bit_length()
        # A result of at least (size - 1) * exponent + 1 bits: refuse before computing.
        if size > 1 and (size - 1) * exponent + 1 > budget.limits.max_int_bits:
            raise LimitProblem(
                f"the number would be too large (limit {budget.limits.max_int_bits} bits)"
            )
        power: int = base**exponent
        return power
    if base == 0 and exponent < 0:
        raise Problem("zero cannot be raised to a negative power")
    try:
        result = base**exponent
    except OverflowError:
        raise LimitProblem("the number is too large") from None
    if isinstance(result, complex):
        raise Problem("the result is not a real number")
    return result


def negate(budget: Budget, value: Any, op: type[ast.AST]) -> Any:
    """Unary ``-`` or ``+`` on a number."""
    if not is_number(value):
        symbol = "-" if op is ast.USub else "+"
        raise Problem(f"cannot use '{symbol}' on {type_name(value)}")
    return number(budget, -value if op is ast.USub else value)


def order(budget: Budget, op: type[ast.AST], left: Any, right: Any) -> bool:
    """``< <= > >=`` between two numbers or two texts."""
    if type(left) is str and type(right) is str:
        budget.scan(min(len(left), len(right)))
    elif not (is_number(left) and is_number(right)):
        raise _mismatch(op, left, right)
    if op is ast.Lt:
        return bool(left < right)
    if op is ast.LtE:
        return bool(left <= right)
    if op is ast.Gt:
        return bool(left > right)
    return bool(left >= right)


def equal(budget: Budget, left: Any, right: Any) -> bool:
    """Deep equality with Python semantics (``1 == 1.0``)."""
    if type(left) in (list, dict) and type(right) is type(left):
        budget.charge(min(len(left), len(right)))
        if len(left) == len(right):
            # Python walks both side by side, as deep as the smaller goes (unequal lengths
            # answer at once), and shared parts are walked again each time.
            budget.work(budget.smaller_walk(left, right))
    elif type(left) is str and type(right) is str and len(left) == len(right):
        budget.scan(len(left))
    return bool(left == right)


def membership(budget: Budget, needle: Any, container: Any) -> bool:
    """``needle in container``: element of a list, key of an object, part of a text.

    ``x in null`` is false, so optional data can be tested without a guard.
    """
    if container is None:
        return False
    if type(container) is list:
        budget.charge(len(container))
        # Compared with every element, the needle is walked as deep as each goes.
        budget.work(budget.smaller_walk(needle, container, times=len(container)))
        return needle in container
    if type(container) is dict:
        if type(needle) is not str:
            raise Problem(f"object keys are text; cannot look for {type_name(needle)}")
        budget.scan(len(needle))  # hashing it
        return needle in container
    if type(container) is str:
        if type(needle) is not str:
            raise Problem(f"cannot look for {type_name(needle)} in text")
        budget.charge(len(container) // 64)
        budget.work(search_work(len(container), len(needle)))
        return needle in container
    raise Problem(f"cannot use 'in' on {type_name(container)}")


def get_key(value: Any, key: str, *, show_key: bool) -> Any:
    """``value.key`` / ``value["key"]``: missing keys and null give null.

    ``show_key`` is False when the key was computed from context data, which
    must not appear in messages.
    """
    if type(value) is dict:
        return value.get(check_key(key))
    if value is None:
        return None
    what = f"'{key}'" if show_key else "a key"
    raise Problem(f"cannot read {what} from {type_name(value)}; only objects have keys")


def subscript(budget: Budget, value: Any, index: Any) -> Any:
    """``value[index]``; a position past the end gives null."""
    if type(index) is str:
        budget.scan(len(index))  # hashing it
        return get_key(value, index, show_key=False)
    if value is None:
        return None
    if type(index) is not int:
        raise Problem(f"a position must be a whole number, not {type_name(index)}")
    if type(value) in (list, str):
        if -len(value) <= index < len(value):
            return value[index]
        return None
    if type(value) is dict:
        raise Problem('object keys are text; use a text key such as x["name"]')
    raise Problem(f"cannot take a position from {type_name(value)}")


def slice_of(budget: Budget, value: Any, lower: Any, upper: Any, step: Any) -> Any:
    """``value[lower:upper:step]`` on a list or text; the result is never larger."""
    if value is None:
        return None
    if type(value) not in (list, str):
        raise Problem(f"cannot slice {type_name(value)}")
    for bound in (lower, upper, step):
        if bound is not None and type(bound) is not int:
            raise Problem(f"slice bounds must be whole numbers, not {type_name(bound)}")
    if step == 0:
        raise Problem("the slice step cannot be zero")
    # A slice copies: charge it so a loop cannot copy large inputs over and over.
    length = len(range(*slice(lower, upper, step).indices(len(value))))
    if type(value) is str:
        budget.string(length)
    else:
        budget.collection(length)
    return value[lower:upper:step]
