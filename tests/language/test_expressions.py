"""Expressions: syntax, operators, lookups, references, conditions and errors."""

from __future__ import annotations

import pickle
from typing import Any

import pytest

from app.language.expressions import (
    ROOTS,
    Expression,
    ExpressionError,
    ExpressionEvaluationError,
    ExpressionLimitError,
    ExpressionSyntaxError,
    Limits,
    Reference,
    compile_expression,
    evaluate_condition,
)

CONTEXT: dict[str, Any] = {
    "trigger": {"name": "Ann", "items": [1, 2, 3], "secret": "hunter2", "_id": "x1"},
    "nodes": {
        "check": {"status": 200},
        "fetch-1": {"items": [{"name": "a", "ok": True}, {"name": "b", "ok": False}]},
    },
    "vars": {"count": 5, "key": "check", "empty": [], "text": "Hello World"},
    "run": {"id": "r1"},
    "now": "2024-05-01T12:00:00+00:00",
    "item": {"n": 1},
    "index": 0,
    "error": {"message": "boom"},
    "event": {"order": 7},
}


def ev(source: str, context: dict[str, Any] | None = None) -> Any:
    return compile_expression(source).evaluate(CONTEXT if context is None else context)


def syntax_error(source: str) -> ExpressionSyntaxError:
    with pytest.raises(ExpressionSyntaxError) as info:
        compile_expression(source)
    return info.value


def evaluation_error(source: str, context: dict[str, Any] | None = None) -> ExpressionError:
    with pytest.raises(ExpressionEvaluationError) as info:
        ev(source, context)
    return info.value


# Literals and names


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("1", 1),
        ("1.5", 1.5),
        ("'text'", "text"),
        ('"text"', "text"),
        ("True", True),
        ("False", False),
        ("None", None),
        ("true", True),
        ("false", False),
        ("null", None),
        ("[1, 'a', null]", [1, "a", None]),
        ("(1, 2)", [1, 2]),
        ("{'a': 1, 'b': [true]}", {"a": 1, "b": [True]}),
        ("[]", []),
        ("{}", {}),
    ],
)
def test_literals_evaluate_to_json_values(source: str, expected: Any) -> None:
    assert ev(source) == expected


def test_tuple_display_becomes_a_list() -> None:
    assert type(ev("(1, 2)")) is list


def test_object_display_keeps_insertion_order() -> None:
    assert list(ev("{'z': 1, 'a': 2, 'm': 3}")) == ["z", "a", "m"]


def test_every_root_reads_from_the_context() -> None:
    for root in ROOTS:
        assert ev(root) == CONTEXT[root]


def test_missing_root_reads_as_null() -> None:
    assert ev("item", {}) is None


def test_unknown_name_is_a_syntax_error_listing_the_roots() -> None:
    error = syntax_error("foo + 1")
    assert "unknown name 'foo'" in error.message
    assert "trigger, nodes, vars, run, now, item, index, error" in error.message
    assert error.position == 0


def test_function_name_used_as_a_value_is_a_syntax_error() -> None:
    assert "is a function" in syntax_error("len").message


def test_leading_and_trailing_whitespace_is_ignored() -> None:
    assert ev("  vars.count  ") == 5


def test_empty_expression_is_a_syntax_error() -> None:
    assert "empty" in syntax_error("   ").message


# Lookups


def test_dot_reads_a_key() -> None:
    assert ev("nodes.check.status") == 200


def test_bracket_reads_a_key_with_any_characters() -> None:
    assert ev("nodes['fetch-1'].items[0].name") == "a"


def test_missing_key_reads_as_null() -> None:
    assert ev("trigger.missing") is None


def test_key_of_null_reads_as_null() -> None:
    assert ev("trigger.missing.deeper.still") is None


def test_key_with_single_leading_underscore_is_allowed() -> None:
    assert ev("trigger._id") == "x1"


def test_dynamic_key_reads_a_key() -> None:
    assert ev("nodes[vars.key].status") == 200


def test_key_of_a_list_is_an_evaluation_error_naming_the_key() -> None:
    error = evaluation_error("trigger.items.name")
    assert "'name'" in error.message
    assert error.position == len("trigger.items.")


def test_list_position_reads_an_element() -> None:
    assert ev("trigger.items[1]") == 2


def test_negative_position_counts_from_the_end() -> None:
    assert ev("trigger.items[-1]") == 3


def test_position_past_the_end_reads_as_null() -> None:
    assert ev("trigger.items[10]") is None


def test_text_position_reads_a_character() -> None:
    assert ev("trigger.name[0]") == "A"


def test_position_of_an_object_is_an_evaluation_error() -> None:
    assert "text key" in evaluation_error("trigger[0]").message


def test_boolean_position_is_an_evaluation_error() -> None:
    evaluation_error("trigger.items[true]")


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("trigger.items[1:]", [2, 3]),
        ("trigger.items[:2]", [1, 2]),
        ("trigger.items[::-1]", [3, 2, 1]),
        ("trigger.items[::2]", [1, 3]),
        ("trigger.name[1:3]", "nn"),
        ("trigger.missing[1:]", None),
    ],
)
def test_slices(source: str, expected: Any) -> None:
    assert ev(source) == expected


def test_slice_with_zero_step_is_an_evaluation_error() -> None:
    assert "zero" in evaluation_error("trigger.items[::0]").message


def test_slice_of_an_object_is_an_evaluation_error() -> None:
    evaluation_error("trigger[1:2]")


# Operators


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("1 + 2", 3),
        ("'a' + 'b'", "ab"),
        ("[1] + [2]", [1, 2]),
        ("5 - 7", -2),
        ("3 * 4", 12),
        ("'ab' * 3", "ababab"),
        ("2 * 'ab'", "abab"),
        ("[0] * 3", [0, 0, 0]),
        ("'ab' * -1", ""),
        ("7 / 2", 3.5),
        ("7 // 2", 3),
        ("-7 // 2", -4),
        ("7 % 3", 1),
        ("7.5 % 2", 1.5),
        ("2 ** 10", 1024),
        ("2 ** -1", 0.5),
        ("4 ** 0.5", 2.0),
        ("-vars.count", -5),
        ("+vars.count", 5),
        ("not vars.empty", True),
        ("not 1", False),
        ("2 ** 3 ** 2", 512),
        ("(1 + 2) * 3", 9),
    ],
)
def test_arithmetic_follows_python(source: str, expected: Any) -> None:
    assert ev(source) == expected


@pytest.mark.parametrize(
    "source",
    ["1 + 'a'", "'a' - 'b'", "[1] * 'a'", "true + 1", "null + 1", "{} + {}", "-'a'", "-true"],
)
def test_arithmetic_on_wrong_types_is_an_evaluation_error(source: str) -> None:
    error = evaluation_error(source)
    assert "cannot use" in error.message


def test_type_error_message_names_types_not_values() -> None:
    error = evaluation_error("trigger.secret - 1")
    assert error.message == "cannot use '-' between text and number"
    assert "hunter2" not in str(error)


def test_percent_on_text_is_refused_so_no_formatting_happens() -> None:
    assert "cannot use '%'" in evaluation_error("'%s' % trigger.secret").message


@pytest.mark.parametrize("source", ["1 / 0", "1 // 0", "1 % 0", "1.0 / 0.0", "0 ** -1"])
def test_division_by_zero_is_an_evaluation_error(source: str) -> None:
    error = evaluation_error(source)
    assert "zero" in error.message
    assert not isinstance(error, ExpressionLimitError)


def test_complex_power_result_is_an_evaluation_error() -> None:
    assert "real number" in evaluation_error("(-8) ** 0.5").message


def test_float_overflow_is_a_limit_error() -> None:
    with pytest.raises(ExpressionLimitError):
        ev("10.0 ** 400")


def test_infinite_float_result_is_an_evaluation_error() -> None:
    assert "finite" in evaluation_error("1e308 * 10").message


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("1 == 1.0", True),
        ("'a' != 'b'", True),
        ("[1, {'a': 2}] == [1, {'a': 2}]", True),
        ("1 < 2", True),
        ("2 <= 2", True),
        ("3 > 4", False),
        ("'b' >= 'a'", True),
        ("1 < 2 < 3", True),
        ("1 < 3 < 2", False),
        ("2 in trigger.items", True),
        ("'x' not in trigger.items", True),
        ("'ell' in vars.text", True),
        ("'status' in nodes.check", True),
        ("'a' in trigger.missing", False),
        ("null == null", True),
    ],
)
def test_comparisons(source: str, expected: bool) -> None:
    assert ev(source) is expected


@pytest.mark.parametrize("source", ["1 < 'a'", "null < 1", "[1] < [2]", "1 in 5", "1 in 'abc'"])
def test_comparing_incompatible_types_is_an_evaluation_error(source: str) -> None:
    evaluation_error(source)


def test_is_operator_is_refused_with_a_hint() -> None:
    assert "'=='" in syntax_error("trigger.x is None").message


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("0 or 'x'", "x"),
        ("'a' or 'x'", "a"),
        ("0 and 'x'", 0),
        ("1 and 'x'", "x"),
        ("vars.empty or [1]", [1]),
    ],
)
def test_and_or_return_the_deciding_value(source: str, expected: Any) -> None:
    assert ev(source) == expected


def test_and_short_circuits() -> None:
    assert ev("false and 1 / 0") is False


def test_or_short_circuits() -> None:
    assert ev("true or 1 / 0") is True


def test_conditional_expression_evaluates_only_the_chosen_branch() -> None:
    assert ev("'yes' if vars.count > 3 else 1 / 0") == "yes"


def test_list_comprehension_maps_and_filters() -> None:
    assert ev("[x.name for x in nodes['fetch-1'].items if x.ok]") == ["a"]


def test_list_comprehension_over_an_object_loops_over_its_keys() -> None:
    assert ev("[k for k in nodes]") == ["check", "fetch-1"]


def test_loop_variable_does_not_leak() -> None:
    assert ev("[[x for x in [1]], [x for x in [2]]]") == [[1], [2]]


def test_loop_variable_cannot_shadow_a_root() -> None:
    assert "loop variable" in syntax_error("[item for item in [1]]").message


def test_list_comprehension_with_two_fors_is_refused() -> None:
    assert "only one 'for'" in syntax_error("[x for x in [1] for y in [2]]").message


def test_loop_over_a_number_is_an_evaluation_error() -> None:
    evaluation_error("[x for x in 5]")


def test_object_keys_must_be_text() -> None:
    assert "keys must be text" in evaluation_error("{1: 2}").message


def test_keyword_after_dot_suggests_brackets() -> None:
    error = syntax_error("trigger.from")
    assert '["from"]' in error.message
    assert error.position == len("trigger.")


# References


def refs(source: str) -> set[Reference]:
    return set(compile_expression(source).references())


def test_references_of_dot_lookup() -> None:
    assert refs("nodes.fetch.items") == {Reference("nodes", "fetch")}


def test_references_of_bracket_lookup() -> None:
    assert refs("nodes['fetch-1'].items") == {Reference("nodes", "fetch-1")}


def test_references_of_dynamic_node_lookup() -> None:
    assert refs("nodes[vars.k]") == {Reference("nodes", None), Reference("vars")}


def test_references_of_whole_nodes_are_dynamic() -> None:
    assert refs("keys(nodes)") == {Reference("nodes", None)}


def test_references_inside_function_arguments() -> None:
    assert refs("len(nodes.a.items) + len(trigger.x)") == {
        Reference("nodes", "a"),
        Reference("trigger"),
    }


def test_references_of_a_condition() -> None:
    assert refs("nodes.check.status == 200 and vars.count > 3 or run.id") == {
        Reference("nodes", "check"),
        Reference("vars"),
        Reference("run"),
    }


def test_references_inside_a_comprehension() -> None:
    assert refs("[x.id for x in nodes.list.items if x.id != item]") == {
        Reference("nodes", "list"),
        Reference("item"),
    }


def test_loop_variables_are_not_references() -> None:
    assert refs("[x for x in [1]]") == set()


def test_roots_lists_root_names() -> None:
    assert compile_expression("nodes.a.b + vars.c").roots() == {"nodes", "vars"}


# Conditions


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("nodes.check.status == 200 and vars.count > 3", True),
        ("vars.empty", False),
        ("trigger.missing", False),
        ("0", False),
        ("''", False),
        ("{}", False),
        ("'0'", True),
        ("[0]", True),
    ],
)
def test_conditions_use_truthiness(source: str, expected: bool) -> None:
    assert evaluate_condition(source, CONTEXT) is expected


def test_condition_accepts_a_compiled_expression() -> None:
    assert evaluate_condition(compile_expression("vars.count"), CONTEXT) is True


# Expression objects and errors


def test_compiled_expressions_are_cached() -> None:
    assert compile_expression("vars.count + 1") is compile_expression("vars.count + 1")


def test_expressions_compare_by_source() -> None:
    first = compile_expression("1 + 1")
    assert first == Expression(first.source, first._parsed)
    assert hash(first) == hash(compile_expression("1 + 1"))


def test_non_text_source_is_a_syntax_error() -> None:
    with pytest.raises(ExpressionSyntaxError):
        compile_expression(5)  # type: ignore[arg-type]


def test_syntax_error_reports_the_position() -> None:
    error = syntax_error("1 + (2 * 3")
    assert error.position == 4
    assert error.expression == "1 + (2 * 3"


def test_syntax_error_position_counts_characters_not_bytes() -> None:
    assert syntax_error("'éé' + foo").position == 7


def test_syntax_error_at_the_end_points_past_the_last_character() -> None:
    error = syntax_error("vars.count +")
    assert error.position == len("vars.count +")
    assert "ends too early" in error.message


def test_evaluation_error_reports_the_position_of_the_failing_operation() -> None:
    error = evaluation_error("vars.count + (trigger.name - 1)")
    assert error.position == len("vars.count + (")


def test_position_accounts_for_leading_whitespace() -> None:
    assert syntax_error("   foo").position == 3


def test_error_string_mentions_the_position() -> None:
    assert "at position 0" in str(syntax_error("foo"))


def test_errors_survive_pickling() -> None:
    error = syntax_error("foo")
    copy = pickle.loads(pickle.dumps(error))  # noqa: S301 - our own object
    assert (type(copy), copy.message, copy.position) == (
        ExpressionSyntaxError,
        error.message,
        error.position,
    )


def test_limit_error_is_an_evaluation_error() -> None:
    assert issubclass(ExpressionLimitError, ExpressionEvaluationError)
    assert issubclass(ExpressionEvaluationError, ExpressionError)
    assert issubclass(ExpressionSyntaxError, ExpressionError)


def test_limits_can_be_passed_per_call() -> None:
    with pytest.raises(ExpressionSyntaxError):
        compile_expression("1 + 1", limits=Limits(max_source_length=3))
    with pytest.raises(ExpressionLimitError):
        compile_expression("[1, 2, 3]").evaluate({}, limits=Limits(max_steps=2))


def test_integer_results_are_bounded() -> None:
    assert ev("2 ** 255") == 2**255
    with pytest.raises(ExpressionLimitError):
        ev("2 ** 256")
    with pytest.raises(ExpressionLimitError):
        ev("2 ** 255 * 2")


def test_too_large_integer_literal_is_a_syntax_error() -> None:
    assert "too large" in syntax_error("1" + "0" * 100).message


def test_infinite_float_literal_is_a_syntax_error() -> None:
    assert "too large" in syntax_error("1e999").message


def test_dunder_key_error_points_at_the_key() -> None:
    error = syntax_error("trigger.__class__")
    assert error.message == "keys starting with '__' are not allowed"
    assert error.position == len("trigger.")


def test_total_allocation_is_limited_across_an_evaluation() -> None:
    expression = compile_expression("[trigger.name * 1000 for x in range(20)]")
    expression.evaluate(CONTEXT)
    with pytest.raises(ExpressionLimitError, match="too much data"):
        expression.evaluate(CONTEXT, limits=Limits(max_total_allocation=10_000))


def test_default_limits() -> None:
    assert Limits() == Limits(
        max_source_length=2_000,
        max_template_length=100_000,
        max_depth=50,
        max_nodes=500,
        max_steps=10_000,
        max_string_length=100_000,
        max_collection_length=10_000,
        max_total_allocation=1_000_000,
        max_int_bits=256,
        max_work=400_000,
        max_value_size=2_000_000,
    )
