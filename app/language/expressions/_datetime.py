"""Date and time functions working on ISO-8601 strings.

Nothing here reads the clock: the current time reaches expressions only as the
``now`` root supplied by the caller. Formatting is done by hand instead of
``strftime`` so the output never depends on the process locale.
"""

from __future__ import annotations

import calendar
import re
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ._errors import Problem
from ._limits import Budget
from ._registry import FunctionSpec, register
from ._values import is_number, type_name

DATE_FUNCTIONS: dict[str, FunctionSpec] = {}

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MAX_TEXT = 64
_MAX_FORMAT = 200
_DURATION = re.compile(
    r"([+-])?P(?:(\d{1,6})Y)?(?:(\d{1,6})M)?(?:(\d{1,6})W)?(?:(\d{1,8})D)?"
    r"(?:T(?:(\d{1,9})H)?(?:(\d{1,9})M)?(?:(\d{1,12}(?:[.,]\d{1,9})?)S)?)?"
)
_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def _parse(value: Any, function: str) -> datetime:
    """An aware datetime from ISO text (naive means UTC) or from unix seconds."""
    try:
        if is_number(value):
            return datetime.fromtimestamp(value, UTC)
        if type(value) is not str:
            raise Problem(f"{function}() needs an ISO date text, not {type_name(value)}")
        if len(value) > _MAX_TEXT:
            raise Problem(f"{function}() got a text too long to be a date")
        moment = datetime.fromisoformat(value.strip())
    except (ValueError, OverflowError, OSError):
        raise Problem(f"{function}() needs a date like 2024-05-01T12:00:00+00:00") from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _iso(moment: datetime) -> str:
    return moment.isoformat()


@register(
    DATE_FUNCTIONS,
    "parse_datetime(value)",
    "Normalise an ISO date text (no offset means UTC) or unix seconds to ISO text.",
    1,
)
def _parse_datetime(budget: Budget, value: Any) -> str:
    return _iso(_parse(value, "parse_datetime"))


def _add_months(moment: datetime, months: int) -> datetime:
    total = moment.year * 12 + moment.month - 1 + months
    year, month = divmod(total, 12)
    if not 1 <= year <= 9999:
        raise Problem("add_duration() result is out of the supported date range")
    day = min(moment.day, calendar.monthrange(year, month + 1)[1])
    return moment.replace(year=year, month=month + 1, day=day)


@register(
    DATE_FUNCTIONS,
    "add_duration(date, duration)",
    'Add an ISO duration like "P1DT2H" or "-PT30M", or a number of seconds. '
    "Years and months are calendar steps (Jan 31 + P1M = Feb 28/29).",
    2,
)
def _add_duration(budget: Budget, value: Any, duration: Any) -> str:
    moment = _parse(value, "add_duration")
    try:
        if is_number(duration):
            return _iso(moment + timedelta(seconds=duration))
        if type(duration) is not str:
            raise Problem(
                f"add_duration() needs a duration text or seconds, not {type_name(duration)}"
            )
        match = _DURATION.fullmatch(duration.strip())
        if match is None or not any(match.groups()[1:]) or duration.strip().endswith("T"):
            raise Problem("add_duration() needs a duration like P1D, PT2H30M or P1Y2M")
        sign = -1 if match[1] == "-" else 1
        years, months, weeks, days, hours, minutes = (int(g or 0) for g in match.groups()[1:7])
        seconds = float((match[8] or "0").replace(",", "."))
        moment = _add_months(moment, sign * (years * 12 + months))
        delta = timedelta(weeks=weeks, days=days, hours=hours, minutes=minutes, seconds=seconds)
        return _iso(moment + sign * delta)
    except OverflowError:
        raise Problem("add_duration() result is out of the supported date range") from None


def _two(number: int) -> str:
    return f"{number:02d}"


def _offset(moment: datetime) -> str:
    offset = moment.utcoffset() or timedelta(0)
    sign = "-" if offset < timedelta(0) else "+"
    minutes = abs(offset) // timedelta(minutes=1)
    return f"{sign}{minutes // 60:02d}{minutes % 60:02d}"


_DIRECTIVES: dict[str, Any] = {
    "Y": lambda m: f"{m.year:04d}",
    "y": lambda m: _two(m.year % 100),
    "m": lambda m: _two(m.month),
    "d": lambda m: _two(m.day),
    "H": lambda m: _two(m.hour),
    "I": lambda m: _two(m.hour % 12 or 12),
    "p": lambda m: "AM" if m.hour < 12 else "PM",
    "M": lambda m: _two(m.minute),
    "S": lambda m: _two(m.second),
    "f": lambda m: f"{m.microsecond:06d}",
    "j": lambda m: f"{m.timetuple().tm_yday:03d}",
    "a": lambda m: _DAYS[m.weekday()][:3],
    "A": lambda m: _DAYS[m.weekday()],
    "b": lambda m: _MONTHS[m.month - 1][:3],
    "B": lambda m: _MONTHS[m.month - 1],
    "u": lambda m: str(m.isoweekday()),
    "G": lambda m: f"{m.isocalendar()[0]:04d}",
    "V": lambda m: _two(m.isocalendar()[1]),
    "z": _offset,
    "%": lambda m: "%",
}
FORMAT_DIRECTIVES = "".join(sorted(_DIRECTIVES))
"""The strftime directives format_datetime() understands."""


@register(
    DATE_FUNCTIONS,
    "format_datetime(date, format)",
    "Format with strftime directives %Y %y %m %d %H %I %p %M %S %f %j %a %A %b %B "
    "%u %G %V %z %% (English names, independent of locale).",
    2,
)
def _format_datetime(budget: Budget, value: Any, pattern: Any) -> str:
    moment = _parse(value, "format_datetime")
    if type(pattern) is not str:
        raise Problem(f"format_datetime() needs a format text, not {type_name(pattern)}")
    if len(pattern) > _MAX_FORMAT:
        raise Problem(f"format_datetime() format is too long (limit {_MAX_FORMAT})")
    out: list[str] = []
    i = 0
    while i < len(pattern):
        ch = pattern[i]
        if ch != "%":
            out.append(ch)
            i += 1
            continue
        directive = pattern[i + 1 : i + 2]
        render = _DIRECTIVES.get(directive)
        if render is None:
            raise Problem(
                f"format_datetime() does not support '%{directive}'; "
                f"use one of {' '.join('%' + d for d in FORMAT_DIRECTIVES)}"
            )
        out.append(render(moment))
        i += 2
    return "".join(out)


@register(
    DATE_FUNCTIONS,
    "to_timezone(date, zone)",
    'The same instant in an IANA time zone such as "Europe/Paris" or "UTC".',
    2,
)
def _to_timezone(budget: Budget, value: Any, zone: Any) -> str:
    moment = _parse(value, "to_timezone")
    if type(zone) is not str:
        raise Problem(f"to_timezone() needs a time zone name, not {type_name(zone)}")
    if zone == "UTC":
        return _iso(moment.astimezone(UTC))
    if len(zone) > _MAX_TEXT or not zone.isascii():
        raise Problem("to_timezone() needs a time zone name like Europe/Paris")
    try:
        target = ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise Problem("to_timezone() needs a known time zone name like Europe/Paris") from None
    try:
        return _iso(moment.astimezone(target))
    except OverflowError:
        raise Problem("to_timezone() result is out of the supported date range") from None


@register(
    DATE_FUNCTIONS,
    "timestamp(date)",
    "Unix time in seconds (a whole number unless the date has fractions of a second).",
    1,
)
def _timestamp(budget: Budget, value: Any) -> int | float:
    delta = _parse(value, "timestamp") - _EPOCH
    if delta.microseconds:
        return delta.total_seconds()
    return delta // timedelta(seconds=1)
