"""Checks any node type's parameter model may use, and the errors they raise.

A value holding a `{{ }}` template is known only at run time, so when a graph is checked the
text checks here let it through. Once rendered it is checked with no such exemption
(`RENDERED`): run input or a webhook body can render into a value that itself holds `{{`,
and such a value is data like any other. Errors land on the field a builder shows them
next to.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import datetime
from types import MappingProxyType
from typing import Annotated, Any, TypeVar
from urllib.parse import unquote, urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import jsonschema
from pydantic import (
    AfterValidator,
    BaseModel,
    Field,
    ModelWrapValidatorHandler,
    ValidationError,
    ValidationInfo,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

from app.language.expressions import to_text

TEMPLATE_OPEN = "{{"

_RENDERED_KEY = "flowhold.rendered"
RENDERED: Mapping[str, Any] = MappingProxyType({_RENDERED_KEY: True})
"""Validation context for parameters whose templates have been rendered: every value is
checked as it is, `{{` or not (`model.model_validate(values, context=RENDERED)`)."""

M = TypeVar("M", bound=BaseModel)

Location = tuple[str | int, ...]
"""Where a field is inside a parameter model, e.g. `("cases", 0, "handle")`."""

Problems = list[tuple[Location, str, Any]]
"""For each problem: the field's location, the message and the value at fault."""


def is_templated(value: object) -> bool:
    """Whether a value is a string holding a `{{ }}` template, known only at run time."""
    return isinstance(value, str) and TEMPLATE_OPEN in value


def still_a_template(value: object, info: ValidationInfo) -> bool:
    """Whether `value` is a template not rendered yet, which its field's checks let through
    until it is: never when validating with the `RENDERED` context."""
    rendered = isinstance(info.context, Mapping) and info.context.get(_RENDERED_KEY) is True
    return not rendered and is_templated(value)


# --- What a template gives a text field ----------------------------------------------------


def rendered_as_text(data: Any, handler: ModelWrapValidatorHandler[M], info: ValidationInfo) -> M:
    """Validate a parameter model, giving each text field a rendered template's text.

    The one rule for a template's type: a template that is one whole placeholder keeps its
    value's type (a number stays a number for a number field), and a text field takes any
    rendered value as the text the template would write inside a longer text (`3` → "3",
    true → "true", null → "", a list or object → compact JSON), as n8n does. Only rendered
    parameters (`RENDERED`) are converted: as written in a graph, a text field takes text.
    """
    try:
        return handler(data)
    except ValidationError as error:
        rendered = isinstance(info.context, Mapping) and info.context.get(_RENDERED_KEY) is True
        if not rendered or not isinstance(data, dict):
            raise
        fixed: Any = data
        for problem in error.errors(include_url=False):
            if problem["type"] == "string_type":
                fixed = _replaced(fixed, problem["loc"], to_text(problem["input"]))
        if fixed is data:
            raise
        return handler(fixed)


def _replaced(value: Any, loc: Sequence[str | int], new: str) -> Any:
    """`value` with the item at `loc` replaced by `new` (copies along the path only); `value`
    itself when `loc` is not a path into it (a union's branch name, for one)."""
    if not loc:
        return new
    step, rest = loc[0], loc[1:]
    if isinstance(value, dict) and step in value:
        inner = _replaced(value[step], rest, new)
        return value if inner is value[step] else {**value, step: inner}
    if isinstance(value, list) and isinstance(step, int) and 0 <= step < len(value):
        inner = _replaced(value[step], rest, new)
        return value if inner is value[step] else [*value[:step], inner, *value[step + 1 :]]
    return value


# --- Errors -------------------------------------------------------------------------------


_PYDANTIC_PREFIXES = ("Value error, ", "Assertion failed, ")
_PATTERN_WORDS: dict[str, str] = {}


def worded_pattern(pattern: str, words: str) -> str:
    """Return `pattern`, remembering how it reads to a person: a text that does not match is
    reported as "must be {words}", never with the regular expression itself."""
    _PATTERN_WORDS[pattern] = words
    return pattern


def message_of(error: Mapping[str, Any]) -> str:
    """A pydantic error's message as a person reads it: a validator's own words without the
    `Value error, ` pydantic puts before them, so a mistake reads the same in any field."""
    if error["type"] == "string_pattern_mismatch":
        pattern = (error.get("ctx") or {}).get("pattern")
        words = _PATTERN_WORDS.get(pattern) if isinstance(pattern, str) else None
        return f"must be {words}" if words else "is not in the form this field takes"
    message = str(error["msg"])
    for prefix in _PYDANTIC_PREFIXES:
        if message.startswith(prefix):
            return message[len(prefix) :]
    return message


def problem(message: str) -> PydanticCustomError:
    """A validation error with `message`, for validators to raise."""
    # The message travels in the context: a literal `{{` in it would break pydantic's formatting.
    return PydanticCustomError("value_error", "{reason}", {"reason": message})


def field_errors(
    model: type[BaseModel], problems: Iterable[tuple[Location, str, Any]]
) -> ValidationError:
    """One validation error naming each field at fault, for rules that span several fields.

    Args:
        model: The parameter model being validated (its name titles the error).
        problems: For each problem, the field's location, the message and the value at fault.
            Give None as the value when the field's mere presence (or absence) is the problem:
            workflow validation drops errors whose input is a template, as not yet checkable.
    """
    details = [
        InitErrorDetails(type=problem(message), loc=loc, input=value)
        for loc, message, value in problems
    ]
    return ValidationError.from_exception_data(model.__name__, details)


def field_error(model: BaseModel, loc: Location, message: str) -> ValidationError:
    """An error a model validator raises to report `message` on the field at `loc`.

    A plain `ValueError` from a model validator lands on the whole model; this one lands on
    the field, so a builder can show it in place. Its input is the whole model, not the
    field's value: these checks are about how values combine, which a `{{ }}` template in
    one of them does not excuse.

    Args:
        model: The model being validated.
        loc: Field path inside the model; `()` for the model as a whole.
        message: What is wrong.
    """
    return field_errors(type(model), [(loc, message, model)])


def exactly_one(model: BaseModel, names: tuple[str, ...]) -> None:
    """Check that exactly one of the optional fields `names` is set.

    Raises:
        ValidationError: On the model when none is set; on the second field set when
            several are.
    """
    given = [name for name in names if getattr(model, name) is not None]
    listed = ", ".join(names[:-1]) + " or " + names[-1]
    if not given:
        raise field_error(model, (), f"give one of {listed}")
    if len(given) > 1:
        raise field_error(model, (given[1],), f"give only one of {listed}")


def check_unique(values: Iterable[str], what: str) -> None:
    """Raise `ValueError` naming the first value that appears twice."""
    seen: set[str] = set()
    for value in values:
        if value in seen:
            raise ValueError(f"{what} '{value}' is used twice")
        seen.add(value)


# --- Text, unless templated ---------------------------------------------------------------


def max_length_unless_templated(limit: int) -> AfterValidator:
    """Check that a string has at most `limit` characters, unless it is a template still to
    render: a template that renders too long fails when the activity checks its parameters.
    """

    def check(value: str, info: ValidationInfo) -> str:
        if not still_a_template(value, info) and len(value) > limit:
            raise problem(f"must have at most {limit} characters (it has {len(value)})")
        return value

    return AfterValidator(check)


def pattern_unless_templated(pattern: str, explanation: str) -> AfterValidator:
    """Check that a string matches `pattern`, unless it is a template still to render."""
    compiled = re.compile(pattern)

    def check(value: str, info: ValidationInfo) -> str:
        if not still_a_template(value, info) and not compiled.fullmatch(value):
            raise problem(explanation)
        return value

    return AfterValidator(check)


def url_unless_templated(schemes: Iterable[str]) -> AfterValidator:
    """Check that a string is an absolute URL with one of `schemes`, unless it is a template
    still to render."""
    allowed = tuple(schemes)

    def check(value: str, info: ValidationInfo) -> str:
        if still_a_template(value, info):
            return value
        try:
            parts = urlsplit(value)
        except ValueError:
            raise problem("is not a valid URL") from None
        if parts.scheme.lower() not in allowed or not parts.netloc:
            raise problem(f"must be an absolute {' or '.join(allowed)} URL")
        return value

    return AfterValidator(check)


def check_timestamp(value: str, info: ValidationInfo) -> str:
    """Check an ISO 8601 timestamp with an offset, unless it is a template still to render.

    Raises:
        ValueError: When the text is neither a template nor an aware ISO 8601 timestamp.
    """
    if still_a_template(value, info):
        return value
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        raise ValueError(
            "not an ISO 8601 timestamp such as 2025-01-31T09:00:00Z or a {{ }} template"
        ) from None
    if moment.tzinfo is None:
        raise ValueError("the timestamp needs a time zone: end it with Z or an offset like +02:00")
    return value


# --- Time zones and JSON Schema -----------------------------------------------------------


def check_timezone(value: str) -> str:
    """Check that `value` names an IANA time zone, e.g. `Europe/Paris`.

    Raises:
        ValueError: When no such zone is known.
    """
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise ValueError(
            f"unknown time zone '{value}': use an IANA name such as Europe/Paris"
        ) from None
    return value


TimeZoneName = Annotated[str, Field(min_length=1, max_length=64), AfterValidator(check_timezone)]


def check_json_schema(value: dict[str, Any]) -> dict[str, Any]:
    """Check that `value` is a valid JSON Schema (draft 2020-12) whose refs all resolve
    inside it: nothing is ever fetched, so a remote `$ref` could never be followed.

    Raises:
        ValueError: With the schema error's message and where in the schema it is.
    """
    try:
        jsonschema.Draft202012Validator.check_schema(value)
    except jsonschema.SchemaError as error:
        where = error.json_path if error.path else "the schema root"
        raise ValueError(f"not a valid JSON Schema: {error.message} (at {where})") from None
    anchors = set(_anchors(value))
    for where, ref in _refs(value, "$"):
        if not ref.startswith("#"):
            raise ValueError(
                f"$ref '{ref}' (at {where}) is not in this schema: only local refs such as "
                "#/$defs/name are allowed, nothing is fetched"
            )
        if not _resolves(value, ref[1:], anchors):
            raise ValueError(f"$ref '{ref}' (at {where}) points to nothing in this schema")
    return value


# Keywords whose values are data, not subschemas: a "$ref" inside them is not a reference.
_DATA_KEYWORDS = frozenset({"const", "enum", "default", "examples"})


def _subschemas(schema: Any, where: str) -> Iterator[tuple[str, dict[str, Any]]]:
    if isinstance(schema, dict):
        yield where, schema
        for key, item in schema.items():
            if key not in _DATA_KEYWORDS:
                yield from _subschemas(item, f"{where}.{key}")
    elif isinstance(schema, list):
        for index, item in enumerate(schema):
            yield from _subschemas(item, f"{where}[{index}]")


def _refs(schema: dict[str, Any], where: str) -> Iterator[tuple[str, str]]:
    for path, subschema in _subschemas(schema, where):
        for keyword in ("$ref", "$dynamicRef"):
            ref = subschema.get(keyword)
            if isinstance(ref, str):
                yield f"{path}.{keyword}", ref
        if path != where and isinstance(subschema.get("$id"), str):
            # A nested $id starts another resource, against which refs resolve elsewhere.
            raise ValueError(f"$id is only allowed at the schema root (found at {path}.$id)")


def _anchors(schema: dict[str, Any]) -> Iterator[str]:
    for _, subschema in _subschemas(schema, "$"):
        for keyword in ("$anchor", "$dynamicAnchor"):
            anchor = subschema.get(keyword)
            if isinstance(anchor, str):
                yield anchor


def _resolves(schema: dict[str, Any], fragment: str, anchors: set[str]) -> bool:
    """Whether `#fragment` (a JSON Pointer or an anchor name) names a part of `schema`."""
    fragment = unquote(fragment)
    if not fragment.startswith("/"):
        return fragment == "" or fragment in anchors
    found: Any = schema
    for token in fragment[1:].split("/"):
        token = token.replace("~1", "/").replace("~0", "~")
        if isinstance(found, dict) and token in found:
            found = found[token]
        elif isinstance(found, list) and token.isdecimal() and int(token) < len(found):
            found = found[int(token)]
        else:
            return False
    return True
