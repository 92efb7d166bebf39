"""Field types of the control and trigger nodes: expressions, handles, durations, schedules.

Checks any node type may use live in `app.language.parameter_validators`. Each check here
raises `ValueError` so pydantic reports the problem on the field a builder shows it next to.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    Field,
    PlainValidator,
    WithJsonSchema,
)
from pydantic_core import PydanticCustomError

from app.language.expressions import ExpressionSyntaxError, compile_expression, compile_template
from app.language.node_type import ERROR_HANDLE, Parameters
from app.language.parameter_validators import TEMPLATE_OPEN, worded_pattern

MAX_DURATION = timedelta(days=365)
"""The longest wait, delay or timeout a node accepts."""

HANDLE_PATTERN = worded_pattern(
    r"^[A-Za-z0-9_][A-Za-z0-9_\-]{0,63}$",
    "an output name: 1 to 64 letters, digits, _ and -, not starting with -",
)
"""What a user-chosen output handle (a switch case) may be called."""

MAX_EXPRESSION_LENGTH = 10_000


class Strict(Parameters):
    """Base of nested parameter objects: read as a node's `Parameters` are (unknown keys are
    mistakes, and a rendered template gives a text field its text)."""


# Expressions


EXPRESSION_SYNTAX = "expression_syntax"
"""The pydantic error type of a bare expression that does not compile: validation reports
it as an `expression_syntax` issue and a run as an `ExpressionError`, as for a template."""

MIXED_TEMPLATE = (
    "this field is one expression, not a template: write it without {{ }} "
    "(trigger.n > 3, not {{ trigger.n }} > 3)"
)


def expression_problem(message: str) -> PydanticCustomError:
    """The error of a bare-expression field that does not compile."""
    # The message travels in the context: a literal `{{` in it would break pydantic's formatting.
    return PydanticCustomError(EXPRESSION_SYNTAX, "{reason}", {"reason": message})


def bare_expression(value: str) -> str:
    """Check a condition-like field and return its bare expression text.

    A value written as one whole `{{ expr }}` is accepted and unwrapped, since builders and
    users often type the braces out of habit; braces around a part of it are refused, as
    the field is never rendered as a template. Validation and the interpreter both read the
    field through this one function.

    Raises:
        PydanticCustomError: `expression_syntax`, with the syntax error and its position in
            the value as written.
    """
    text = value.strip()
    lead = len(value) - len(value.lstrip())
    if text.startswith(TEMPLATE_OPEN) and text.endswith("}}"):
        try:
            template = compile_template(text)
        except ExpressionSyntaxError as error:
            raise expression_problem(error.relocated(offset=lead).located()) from None
        if template.single is None:
            raise expression_problem(MIXED_TEMPLATE)
        return template.single.expression.source.strip()
    try:
        compile_expression(text)
    except ExpressionSyntaxError as error:
        if _holds_a_placeholder(text):
            raise expression_problem(MIXED_TEMPLATE) from None
        raise expression_problem(error.relocated(offset=lead).located()) from None
    return text


def _holds_a_placeholder(text: str) -> bool:
    """Whether `text`, which does not compile as an expression, reads as a template."""
    if TEMPLATE_OPEN not in text:
        return False
    try:
        return not compile_template(text).is_constant
    except ExpressionSyntaxError:
        return False


ExpressionText = Annotated[
    str,
    Field(min_length=1, max_length=MAX_EXPRESSION_LENGTH),
    AfterValidator(bare_expression),
]
"""A bare expression such as `nodes.check.status == 200` (no `{{ }}` needed)."""


# Handles


def _not_reserved(value: str) -> str:
    if value == ERROR_HANDLE:
        raise ValueError(f"'{ERROR_HANDLE}' is reserved for the error output of every node")
    return value


HandleName = Annotated[str, Field(pattern=HANDLE_PATTERN), AfterValidator(_not_reserved)]
"""An output handle name: letters, digits, `_` and `-`, at most 64, never `error`."""


# Durations and time

Duration = Annotated[timedelta, Field(gt=timedelta(0), le=MAX_DURATION)]
"""A positive duration of at most 365 days: ISO 8601 (`PT15M`) or a number of seconds."""


# Cron

CRON_MACROS = ("@hourly", "@daily", "@weekly", "@monthly", "@yearly")

_MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
_DAYS = ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")
_CRON_FIELDS: tuple[tuple[str, int, int, dict[str, int]], ...] = (
    ("minute", 0, 59, {}),
    ("hour", 0, 23, {}),
    ("day of month", 1, 31, {}),
    ("month", 1, 12, {name: number for number, name in enumerate(_MONTHS, start=1)}),
    ("day of week", 0, 6, {name: number for number, name in enumerate(_DAYS)}),
)


def _cron_value(token: str, field: str, low: int, high: int, names: dict[str, int]) -> int:
    if token.upper() in names:
        return names[token.upper()]
    # isdecimal alone takes any script's digits ("٣"), which Temporal's cron parser refuses.
    if not (token.isascii() and token.isdecimal()):
        hint = f" or a name such as {next(iter(names))}" if names else ""
        raise ValueError(f"{field} field: '{token}' is not a number{hint}")
    number = int(token)
    if not low <= number <= high:
        raise ValueError(f"{field} field: {number} is out of range {low}-{high}")
    return number


def _check_cron_field(text: str, field: str, low: int, high: int, names: dict[str, int]) -> None:
    for item in text.split(","):
        span, slash, step = item.partition("/")
        if slash and not (step.isascii() and step.isdecimal() and int(step) >= 1):
            raise ValueError(f"{field} field: the step in '{item}' must be a whole number ≥ 1")
        if span == "*":
            continue
        start, dash, end = span.partition("-")
        if not start:
            raise ValueError(f"{field} field: '{item}' is empty or malformed")
        first = _cron_value(start, field, low, high, names)
        if dash and first > _cron_value(end, field, low, high, names):
            raise ValueError(f"{field} field: the range '{span}' ends before it starts")


def check_cron(value: str) -> str:
    """Check a 5-field cron expression (or a macro such as `@daily`).

    Fields: minute 0-59, hour 0-23, day of month 1-31, month 1-12 or JAN-DEC, day of week
    0-6 or SUN-SAT; each a `*`, number, range `a-b` or list `a,b`, optionally with a `/step`.

    Raises:
        ValueError: Naming the field that is wrong and why.
    """
    fields = value.split()
    if len(fields) == 1 and fields[0].startswith("@"):
        if fields[0].lower() not in CRON_MACROS:
            raise ValueError(
                f"unknown cron macro '{fields[0]}': use one of {', '.join(CRON_MACROS)}"
            )
        return value
    if len(fields) != 5:
        raise ValueError(
            "a cron expression has 5 fields (minute hour day-of-month month day-of-week), "
            f"this one has {len(fields)}"
        )
    for text, (field, low, high, names) in zip(fields, _CRON_FIELDS, strict=True):
        _check_cron_field(text, field, low, high, names)
    return value


CronExpression = Annotated[str, Field(max_length=200), AfterValidator(check_cron)]


# Calendar values (Temporal calendar specs): a number, a list of numbers, or "*"

CalendarValue = int | list[int] | Literal["*"]


def _calendar_check(field: str, low: int, high: int) -> Any:
    def check(value: object) -> CalendarValue:
        if value == "*":
            return "*"
        values: list[object] = value if isinstance(value, list) else [value]
        if not values:
            raise ValueError(f"give at least one {field}, or '*' for every {field}")
        for number in values:
            # bool is an int subclass, and `true` is never meant as a minute.
            if type(number) is not int:
                raise ValueError(
                    f"the {field} must be a whole number from {low} to {high}, "
                    "a list of them, or '*'"
                )
            if not low <= number <= high:
                raise ValueError(f"{field} {number} is out of range {low}-{high}")
        checked = [number for number in values if isinstance(number, int)]
        return checked if isinstance(value, list) else checked[0]

    return PlainValidator(check)


def _calendar_schema(low: int, high: int) -> WithJsonSchema:
    number = {"type": "integer", "minimum": low, "maximum": high}
    return WithJsonSchema(
        {"anyOf": [number, {"type": "array", "items": number, "minItems": 1}, {"const": "*"}]}
    )


CalendarMinute = Annotated[CalendarValue, _calendar_check("minute", 0, 59), _calendar_schema(0, 59)]
CalendarHour = Annotated[CalendarValue, _calendar_check("hour", 0, 23), _calendar_schema(0, 23)]
CalendarDay = Annotated[
    CalendarValue, _calendar_check("day of month", 1, 31), _calendar_schema(1, 31)
]
CalendarMonth = Annotated[CalendarValue, _calendar_check("month", 1, 12), _calendar_schema(1, 12)]
CalendarWeekday = Annotated[
    CalendarValue, _calendar_check("day of week", 0, 6), _calendar_schema(0, 6)
]
