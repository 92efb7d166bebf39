"""Built-in functions of the expression language."""

from __future__ import annotations

from typing import Any

import pytest

from app.language.expressions import (
    FUNCTIONS_DOC,
    ExpressionEvaluationError,
    ExpressionLimitError,
    ExpressionSyntaxError,
    compile_expression,
)

CONTEXT: dict[str, Any] = {
    "trigger": {"obj": {"b": 1, "a": 2}, "words": "  Hello  big World ", "big": "9" * 500},
    "now": "2024-05-01T12:00:00+00:00",
}


def ev(source: str) -> Any:
    return compile_expression(source).evaluate(CONTEXT)


def fails(source: str) -> ExpressionEvaluationError:
    with pytest.raises(ExpressionEvaluationError) as info:
        ev(source)
    return info.value


CASES: list[tuple[str, Any]] = [
    ("len('héllo')", 5),
    ("len([1, 2])", 2),
    ("len({'a': 1})", 1),
    ("str(null)", ""),
    ("str(true)", "true"),
    ("str(1.5)", "1.5"),
    ("str(42)", "42"),
    ("str({'b': 1, 'a': [null]})", '{"a":[null],"b":1}'),
    ("int(3.9)", 3),
    ("int(-3.9)", -3),
    ("int(' 42 ')", 42),
    ("int(true)", 1),
    ("float('1.5')", 1.5),
    ("float(2)", 2.0),
    ("bool([])", False),
    ("bool('x')", True),
    ("round(2.5)", 2),
    ("round(3.14159, 2)", 3.14),
    ("round(7)", 7),
    ("abs(-3)", 3),
    ("abs(-1.5)", 1.5),
    ("min([3, 1, 2])", 1),
    ("min(3, 1.5)", 1.5),
    ("max('a', 'c', 'b')", "c"),
    ("max([1, 5])", 5),
    ("sum([1, 2, 3.5])", 6.5),
    ("sum([])", 0),
    ("sorted([3, 1, 2])", [1, 2, 3]),
    ("sorted(['b', 'a'])", ["a", "b"]),
    ("keys(trigger.obj)", ["b", "a"]),
    ("values(trigger.obj)", [1, 2]),
    ("contains([1, 2], 2)", True),
    ("contains('abc', 'bc')", True),
    ("contains({'a': 1}, 'b')", False),
    ("lower('AbC')", "abc"),
    ("upper('straße')", "STRASSE"),
    ("strip(trigger.words)", "Hello  big World"),
    ("split(trigger.words)", ["Hello", "big", "World"]),
    ("split('a,b,,c', ',')", ["a", "b", "", "c"]),
    ("join(['a', 'b'], '-')", "a-b"),
    ("join([1, null, true])", "1true"),
    ("replace('aXbX', 'X', '--')", "a--b--"),
    ("startswith('hello', 'he')", True),
    ("endswith('hello', 'lo')", True),
    ("json_encode({'b': 1, 'a': 'é'})", '{"a":"é","b":1}'),
    ("json_decode('{\"a\": [1, 2.5, null]}')", {"a": [1, 2.5, None]}),
    ("default(null, 'x')", "x"),
    ("default(0, 'x')", 0),
    ("coalesce(null, null, 3, 4)", 3),
    ("coalesce(null)", None),
    ("get({'a': {'b': [{'c': 7}]}}, 'a.b.0.c')", 7),
    ("get({'a': 1}, 'a.b.c', 'none')", "none"),
    ("get({'a': [1, 2]}, ['a', -1])", 2),
    ("range(3)", [0, 1, 2]),
    ("range(1, 7, 3)", [1, 4]),
    ("enumerate(['a', 'b'], 1)", [[1, "a"], [2, "b"]]),
    ("parse_datetime('2024-05-01T14:00:00+02:00')", "2024-05-01T14:00:00+02:00"),
    ("parse_datetime('2024-05-01T12:00:00Z')", "2024-05-01T12:00:00+00:00"),
    ("parse_datetime('2024-05-01')", "2024-05-01T00:00:00+00:00"),
    ("parse_datetime(0)", "1970-01-01T00:00:00+00:00"),
    ("add_duration(now, 'PT1H30M')", "2024-05-01T13:30:00+00:00"),
    ("add_duration(now, '-P1D')", "2024-04-30T12:00:00+00:00"),
    ("add_duration(now, 'P1W')", "2024-05-08T12:00:00+00:00"),
    ("add_duration(now, 90)", "2024-05-01T12:01:30+00:00"),
    ("add_duration('2024-01-31T00:00:00+00:00', 'P1M')", "2024-02-29T00:00:00+00:00"),
    ("add_duration(now, 'P1Y')", "2025-05-01T12:00:00+00:00"),
    ("add_duration(now, 'PT0.5S')", "2024-05-01T12:00:00.500000+00:00"),
    ("format_datetime(now, '%Y-%m-%d %H:%M:%S')", "2024-05-01 12:00:00"),
    ("format_datetime(now, '%a %A %b %B %j %y %z %%')", "Wed Wednesday May May 122 24 +0000 %"),
    ("format_datetime('2024-05-01T00:05:00-03:30', '%I %p %z')", "12 AM -0330"),
    ("format_datetime(now, '%G-W%V-%u')", "2024-W18-3"),
    ("to_timezone(now, 'Europe/Paris')", "2024-05-01T14:00:00+02:00"),
    ("to_timezone('2024-01-01T12:00:00+00:00', 'Europe/Paris')", "2024-01-01T13:00:00+01:00"),
    ("to_timezone('2024-05-01T14:00:00+02:00', 'UTC')", "2024-05-01T12:00:00+00:00"),
    ("timestamp(now)", 1714564800),
    ("timestamp('1970-01-01T00:00:01.5Z')", 1.5),
]


@pytest.mark.parametrize(("source", "expected"), CASES)
def test_function(source: str, expected: Any) -> None:
    result = ev(source)
    assert result == expected
    assert type(result) is type(expected)


def test_every_documented_function_has_a_test_case() -> None:
    called = {source.split("(", 1)[0] for source, _ in CASES}
    assert called == set(FUNCTIONS_DOC)


def test_function_docs_give_signature_and_description() -> None:
    assert FUNCTIONS_DOC["join"].startswith("join(list, separator?): ")


@pytest.mark.parametrize(
    "source",
    [
        "len(null)",
        "len(5)",
        "int('abc')",
        "int(trigger.big)",
        "float('nan')",
        "float('x')",
        "round('1')",
        "round(1.5, 100)",
        "abs('x')",
        "min([])",
        "min([1, 'a'])",
        "sum(['a'])",
        "sorted([1, 'a'])",
        "sorted([[1], [2]])",
        "keys([1])",
        "values('x')",
        "lower(1)",
        "split('abc', '')",
        "join('abc')",
        "replace(1, 'a', 'b')",
        "startswith('a', 1)",
        "json_decode('{')",
        "json_decode('NaN')",
        "json_decode('1' * 200)",
        "get(1, 5)",
        "range('a')",
        "range(1, 2, 0)",
        "parse_datetime('yesterday')",
        "parse_datetime([])",
        "add_duration(now, 'P')",
        "add_duration(now, 'PT')",
        "add_duration(now, '1 hour')",
        "add_duration(now, 'P99999999D')",
        "format_datetime(now, '%c')",
        "format_datetime(now, 5)",
        "to_timezone(now, 'Mars/Olympus')",
        "to_timezone(now, '../../etc/passwd')",
        "timestamp(null)",
    ],
)
def test_function_refuses_bad_input_with_an_evaluation_error(source: str) -> None:
    fails(source)


def test_function_error_message_does_not_contain_argument_values() -> None:
    error = fails("int(trigger.words)")
    assert "Hello" not in str(error)
    assert error.message == "int() needs text that is a whole number"


def test_wrong_argument_count_is_a_syntax_error_with_usage() -> None:
    with pytest.raises(ExpressionSyntaxError, match=r"len\(\) takes 1 argument but 2 were given"):
        compile_expression("len(1, 2)")


def test_named_arguments_are_refused() -> None:
    with pytest.raises(ExpressionSyntaxError, match="named arguments"):
        compile_expression("sorted([1], reverse=true)")


def test_unknown_function_is_a_syntax_error() -> None:
    with pytest.raises(ExpressionSyntaxError, match="unknown function 'print'"):
        compile_expression("print(1)")


def test_root_called_as_a_function_is_a_syntax_error() -> None:
    with pytest.raises(ExpressionSyntaxError, match="'trigger' is not a function"):
        compile_expression("trigger(1)")


def test_range_is_bounded_before_it_is_built() -> None:
    with pytest.raises(ExpressionLimitError):
        ev("range(10 ** 9)")


def test_replace_checks_the_result_size_before_building_it() -> None:
    with pytest.raises(ExpressionLimitError):
        ev("replace('a' * 50000, 'a', 'aaaa')")


def test_join_checks_the_result_size_before_building_it() -> None:
    with pytest.raises(ExpressionLimitError):
        ev("join(['a' * 60000, 'b' * 60000])")


def test_split_checks_the_number_of_parts_before_building_them() -> None:
    with pytest.raises(ExpressionLimitError):
        ev("split(',' * 20000, ',')")


def test_format_datetime_does_not_depend_on_locale() -> None:
    # Month and day names come from our own tables, never from strftime.
    assert ev("format_datetime('2024-12-25T00:00:00Z', '%A %B')") == "Wednesday December"


def test_enumerate_pairs_each_element_with_its_position() -> None:
    assert ev("enumerate(['a', 'b'])") == [[0, "a"], [1, "b"]]
    assert ev("enumerate(['a', 'b'], 1)") == [[1, "a"], [2, "b"]]
    assert ev("[pair[0] * 10 + len(pair[1]) for pair in enumerate(['x', 'yy'])]") == [1, 12]
    assert ev("enumerate([])") == []


def test_enumerate_refuses_what_is_not_a_list_and_a_whole_start() -> None:
    assert "enumerate() needs a list" in str(fails("enumerate('ab')"))
    assert "whole number start" in str(fails("enumerate([1], 1.5)"))


def test_enumerate_is_bounded_by_the_expression_budget() -> None:
    with pytest.raises(ExpressionLimitError):
        ev("enumerate(range(9000))")
