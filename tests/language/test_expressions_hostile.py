"""Hostile input: escapes to Python, resource exhaustion, and random garbage.

Each case must be refused at compile time or stopped by a limit, with the right
exception type, quickly.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.language.expressions import (
    FUNCTIONS_DOC,
    ROOTS,
    ExpressionError,
    ExpressionEvaluationError,
    ExpressionLimitError,
    ExpressionSyntaxError,
    Limits,
    compile_expression,
    compile_template,
)
from tests.utils.properties import examples


class _Secretive:
    """A non-JSON object in the context: its attributes must stay unreachable."""

    x = "attribute"


CONTEXT: dict[str, Any] = {
    "trigger": {"name": "Ann", "items": [1, 2, 3], "n": 7, "obj": {"a": 1}},
    "nodes": {"x": {"y": [1, {"z": "deep"}]}, "a-b": {"ok": True}},
    "vars": {"k": "__class__", "s": "abc", "f": 1.5, "zero": 0, "none": None},
    "run": {"id": "r"},
    "now": "2024-05-01T12:00:00+00:00",
    "item": {"v": 1},
    "index": 2,
    "error": None,
}

HARD_STOP_SECONDS = 2.0

# The parser warns about things like "1and" or "\\("; irrelevant here.
pytestmark = [
    pytest.mark.filterwarnings("ignore::SyntaxWarning"),
    pytest.mark.filterwarnings("ignore::DeprecationWarning"),
]


def refused_at_compile_time(source: str, limits: Limits | None = None) -> str:
    started = time.perf_counter()
    with pytest.raises(ExpressionSyntaxError) as info:
        compile_expression(source, **({"limits": limits} if limits else {}))
    assert time.perf_counter() - started < HARD_STOP_SECONDS
    return info.value.message


def stopped_by_a_limit(source: str) -> str:
    expression = compile_expression(source)
    started = time.perf_counter()
    with pytest.raises(ExpressionLimitError) as info:
        expression.evaluate(CONTEXT)
    assert time.perf_counter() - started < HARD_STOP_SECONDS
    return info.value.message


@pytest.mark.parametrize(
    "source",
    [
        "trigger.__class__",
        "().__class__.__bases__[0].__subclasses__()",
        "__import__('os').system('id')",
        "nodes.x.__globals__",
        "trigger['__class__']",
        "{'__class__': 1}",
        "getattr(trigger, 'x')",
        "eval('1')",
        "exec('1')",
        "compile('1', '', 'eval')",
        "open('/etc/passwd')",
        "globals()",
        "type(trigger)",
        "(lambda: 1)()",
        "lambda: 1",
        "'{0.__class__}'.format(trigger)",
        "trigger.name.upper()",
        "{**trigger}",
        "[*trigger.items]",
        "len(*trigger.items)",
        "len(**trigger)",
        "f'{trigger}'",
        "(x := 1)",
        "await trigger",
        "(yield)",
        "{1, 2}",
        "{x for x in trigger.items}",
        "{x: 1 for x in trigger.items}",
        "(x for x in trigger.items)",
        "[x async for x in trigger.items]",
        "[__x for __x in trigger.items]",
        "[x for (x, y) in trigger.items]",
        "1 << 10 ** 9",
        "1 | 2",
        "~1",
        "trigger.items @ trigger.items",
        "b'bytes'",
        "1j",
        "...",
        "import os",
        "os.system('id')",
        "_",
        "__builtins__",
        "trigger.x if True else __import__",
    ],
)
def test_escape_attempt_is_refused_at_compile_time(source: str) -> None:
    refused_at_compile_time(source)


def test_dynamic_dunder_key_is_refused_at_lookup_time() -> None:
    with pytest.raises(ExpressionEvaluationError, match="'__'"):
        compile_expression("trigger[vars.k]").evaluate(CONTEXT)


def test_dunder_key_is_refused_by_get() -> None:
    with pytest.raises(ExpressionEvaluationError, match="'__'"):
        compile_expression("get(trigger, '__class__')").evaluate(CONTEXT)


def test_python_attributes_of_context_objects_are_unreachable() -> None:
    with pytest.raises(ExpressionEvaluationError, match="only objects have keys"):
        compile_expression("trigger.x").evaluate({"trigger": _Secretive()})


def test_lambda_is_named_in_the_message() -> None:
    assert "lambda" in refused_at_compile_time("(lambda: 1)()")


def test_method_call_is_explained() -> None:
    assert "methods cannot be called" in refused_at_compile_time("'{0}'.format(1)")


@pytest.mark.parametrize(
    "source",
    [
        "[x for x in range(10**9)]",
        "[x for x in range(100000)]",
        "9**9**9",
        "2**100000",
        "(2**200) ** 2",
        "'a' * 10**9",
        "[1] * 10**9",
        "'x' * 1000 * 1000 * 1000",
        "10**9 * 'a'",
        "[' ' * 100000 for x in range(100)]",
        "[[0] * 10000 for x in range(200)]",
        "[trigger.items * 3000 for x in range(1000)]",
        "[[y for y in range(5000)] for x in range(5000)]",
        "json_decode('[' * 50000 + ']' * 50000)",
        "str(range(10000)) * 10",
        "replace('a' * 90000, 'a', 'bb')",
        "10.0 ** 10 ** 6",
    ],
)
def test_resource_exhaustion_is_stopped_by_a_limit(source: str) -> None:
    stopped_by_a_limit(source)


def test_deep_parentheses_are_refused_before_parsing() -> None:
    source = "(" * 10000 + "1" + ")" * 10000
    assert "too long" in refused_at_compile_time(source)
    big = Limits(max_source_length=10**6)
    assert "nested too deeply" in refused_at_compile_time(source, big)


def test_deep_list_displays_are_refused() -> None:
    source = "[" * 5000 + "]" * 5000
    refused_at_compile_time(source)
    refused_at_compile_time(source, Limits(max_source_length=10**6))


def test_deep_unary_chains_are_refused() -> None:
    refused_at_compile_time("-(" * 1000 + "1" + ")" * 1000)
    refused_at_compile_time("-" * 1999 + "1")
    refused_at_compile_time("not " * 499 + "vars")


def test_deep_nesting_is_refused_even_with_huge_limits() -> None:
    huge = Limits(max_source_length=10**7, max_depth=10**6, max_nodes=10**7)
    refused_at_compile_time("-" * 100_000 + "1", huge)
    refused_at_compile_time("(" * 100_000 + "1" + ")" * 100_000, huge)


def test_brackets_inside_strings_do_not_count_as_nesting() -> None:
    assert compile_expression("'" + "(" * 100 + "'").evaluate({}) == "(" * 100


def test_one_megabyte_expression_is_refused_by_length() -> None:
    assert "too long" in refused_at_compile_time("1+" * 500_000 + "1")


def test_too_many_nodes_are_refused() -> None:
    assert "too complex" in refused_at_compile_time("[" + ",".join(["1"] * 600) + "]")


def test_long_operator_chains_count_as_nesting() -> None:
    # a + b + c ... is a left-deep tree: 60 terms are 59 levels.
    assert "nested too deeply" in refused_at_compile_time("+".join(["1"] * 60))


def test_null_bytes_are_refused() -> None:
    refused_at_compile_time("1\x00")


def test_deeply_nested_context_data_is_an_evaluation_error() -> None:
    deep: list[Any] = []
    for _ in range(100_000):
        deep = [deep]
    for source in ("str(trigger)", "json_encode(trigger)", "trigger == [trigger]"):
        with pytest.raises(ExpressionEvaluationError):
            compile_expression(source).evaluate({"trigger": deep})


def test_huge_integer_in_context_does_not_leak_python_errors() -> None:
    with pytest.raises(ExpressionEvaluationError):
        compile_expression("str(trigger)").evaluate({"trigger": 10**5000})


# Random input

_TOKENS = [
    *ROOTS,
    *FUNCTIONS_DOC,
    *"0123456789+-*/%<>=!()[]{},.:'\" _",
    "**",
    "//",
    "==",
    " and ",
    " or ",
    " not ",
    " in ",
    " if ",
    " else ",
    " for x in ",
    "x",
    "true",
    "null",
    "1e308",
    "'a'",
    "'__class__'",
    ".name",
    ".items",
    "[0]",
    "[-1:]",
    "10**9",
]
token_sources = st.lists(st.sampled_from(_TOKENS), max_size=14).map("".join)
char_sources = st.text(alphabet="abtrigenodsvx_0129 .,:'\"()[]{}+-*/%<>=!\\@&|^~#", max_size=30)


def _is_json(value: Any) -> bool:
    if value is None or type(value) in (str, bool, int):
        return True
    if type(value) is float:
        return math.isfinite(value)
    if type(value) is list:
        return all(_is_json(item) for item in value)
    if type(value) is dict:
        return all(type(key) is str and _is_json(item) for key, item in value.items())
    return False


def _check_outcome(text: str, run: Callable[[], Any]) -> None:
    """``run`` must return a JSON value or raise one of our errors with a sane position."""
    error: ExpressionError | None = None
    try:
        result = run()
    except (ExpressionSyntaxError, ExpressionEvaluationError) as exc:
        error = exc
    if error is None:
        assert _is_json(result)
    else:
        assert error.position is None or 0 <= error.position <= len(text)


def _compile_and_evaluate(source: str) -> None:
    _check_outcome(source, lambda: compile_expression(source).evaluate(CONTEXT))


@settings(max_examples=examples(200), deadline=None)
@given(token_sources)
def test_random_token_sequences_compile_or_fail_cleanly(source: str) -> None:
    _compile_and_evaluate(source)


@settings(max_examples=examples(200), deadline=None)
@given(char_sources)
def test_random_character_strings_compile_or_fail_cleanly(source: str) -> None:
    _compile_and_evaluate(source)


@settings(max_examples=examples(200), deadline=None)
@given(st.lists(st.sampled_from([*_TOKENS, "{{", "}}", "{{ ", " }}", "text "]), max_size=12))
def test_random_templates_compile_or_fail_cleanly(tokens: list[str]) -> None:
    text = "".join(tokens)
    _check_outcome(text, lambda: compile_template(text).render(CONTEXT))
