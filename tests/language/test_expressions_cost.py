"""Every operation is charged for the size of what it touches.

Values that share parts (``[row] * 1000``) are small in memory and huge once written out
or compared: each of these was charged a few steps and then did millions of operations.
Each is now refused, quickly, before the work is done, with a limit error.
"""

from __future__ import annotations

from typing import Any

import pytest

from app.language.expressions import (
    ExpressionLimitError,
    Limits,
    Meter,
    compile_expression,
    compile_template,
    render_value,
)

SHARED_ROWS = "[[0] * 10000] * 8000"
"""80 million zeros in two lists of ten thousand references."""
TEXTS = "[str(i) for i in range(100)]"
DEEP = f"[[[{TEXTS}] * 1000] * 1000] * 5"
"""500 million texts, built anew each time it is evaluated: nothing in two of them is identical."""


def refused(source: str, context: dict[str, Any] | None = None) -> str:
    with pytest.raises(ExpressionLimitError) as info:
        compile_expression(source).evaluate(context or {})
    return info.value.message


def meter_after(source: str, context: dict[str, Any] | None = None) -> Meter:
    meter = Meter()
    compile_expression(source).evaluate(context or {}, meter=meter)
    return meter


@pytest.mark.parametrize(
    "source",
    [
        f"str({SHARED_ROWS})",
        f"json_encode({SHARED_ROWS})",
        f"join({SHARED_ROWS}, ',')",
        f"json_encode([{SHARED_ROWS}])",
    ],
)
def test_a_text_of_shared_rows_is_refused_with_its_length_before_it_is_written(
    source: str,
) -> None:
    message = refused(source)
    assert message.startswith("the text would be too long (")
    assert "limit 100000" in message


def test_the_length_of_a_refused_text_is_exact() -> None:
    assert refused("str([[0] * 100] * 1000)") == (
        f"the text would be too long ({len(str([[0] * 100] * 1000).replace(' ', ''))} "
        "characters, limit 100000)"
    )


def test_a_template_refuses_a_shared_value_before_writing_it() -> None:
    # 800 000 characters written out: not too large a value, far too long a text.
    template = compile_template("rows: {{ [[0] * 10000] * 40 }}")
    with pytest.raises(ExpressionLimitError, match="the text would be too long"):
        template.render({})


def test_equality_of_deep_shared_values_is_refused() -> None:
    assert refused(f"{DEEP} == {DEEP}").startswith("the expression takes too much work")


def test_membership_of_a_deep_shared_value_is_refused() -> None:
    assert refused(f"{DEEP} in [{DEEP}]").startswith("the expression takes too much work")


def test_looking_for_a_small_value_in_a_list_of_large_ones_is_charged_for_the_small_one() -> None:
    # Each comparison stops at the end of the needle: a few units per element.
    meter = meter_after(f"0 in {SHARED_ROWS}")
    assert meter.work < 200_000


def test_comparing_values_of_different_lengths_costs_nothing_more() -> None:
    # Python answers at once; so does the charge.
    meter = meter_after(f"{SHARED_ROWS} == [1, 2]")
    assert meter.work < 50_000


def test_a_result_of_millions_of_shared_elements_is_refused() -> None:
    assert refused("[[[[0] * 100] * 100] * 100] * 20").startswith(
        "the value would be too large (limit 2000000 characters as JSON)"
    )


def test_a_meter_bounds_the_results_of_all_its_evaluations_together() -> None:
    meter = Meter(Limits(max_value_size=10_000))
    expression = compile_expression("'x' * 3000")
    for _ in range(3):
        expression.evaluate({}, meter=meter)
    with pytest.raises(ExpressionLimitError, match="the value would be too large"):
        expression.evaluate({}, meter=meter)


def test_a_meter_bounds_the_work_of_all_its_evaluations_together() -> None:
    meter = Meter(Limits(max_work=20_000))
    expression = compile_expression("len(str([x for x in range(1000)]))")
    expression.evaluate({}, meter=meter)
    spent = meter.work
    while meter.work + spent <= 20_000:
        expression.evaluate({}, meter=meter)
    with pytest.raises(ExpressionLimitError, match="takes too much work"):
        expression.evaluate({}, meter=meter)


def test_every_template_of_a_parameter_structure_shares_one_meter() -> None:
    parameters = {"items": ["{{ 'x' * 60000 }}"] * 40}
    with pytest.raises(ExpressionLimitError, match="the value would be too large") as info:
        render_value(parameters, {})
    assert info.value.path[0] == "items"


def test_a_meter_told_not_to_enforce_goes_on_as_evaluations_did_before() -> None:
    asked: list[bool] = []

    def enforce() -> bool:
        asked.append(True)
        return False

    meter = Meter(Limits(max_work=100, max_value_size=100), enforce=enforce)
    result = compile_expression("[[0] * 100] * 100").evaluate({}, meter=meter)
    assert result == [[0] * 100] * 100
    assert asked == [True]
    assert meter.work > 100


def test_measuring_a_shared_value_visits_each_distinct_part_once() -> None:
    meter = Meter()
    value = compile_expression("[[[[0] * 10] * 10] * 10] * 10").evaluate({}, meter=meter)
    size = meter.measure.size(value)
    assert size.nodes == 1 + 10 * (1 + 10 * (1 + 10 * (1 + 10)))
    assert size.text == len(str(value).replace(" ", ""))
    assert meter.work < 1_000


def test_writing_out_a_huge_integer_is_charged_for_its_square_length() -> None:
    big = 10**4000
    with pytest.raises(ExpressionLimitError, match="too much work"):
        compile_expression("[len(str(trigger)) for x in range(1000)]").evaluate({"trigger": big})


def test_sorting_texts_is_charged_for_their_length() -> None:
    texts = ["x" * 1000 + str(index) for index in range(5000)]
    with pytest.raises(ExpressionLimitError, match="too much work"):
        compile_expression("[sorted(trigger) for x in range(10)]").evaluate({"trigger": texts})


def test_searching_short_texts_is_charged_for_the_worst_case() -> None:
    text = "a" * 2499
    needle = "a" * 1200 + "b"
    meter = meter_after(
        "trigger.needle in trigger.text", {"trigger": {"text": text, "needle": needle}}
    )
    assert meter.work > len(text) * len(needle) // 16 // 32


def test_the_same_expression_on_the_same_data_counts_the_same_work() -> None:
    source = f"len(str([{TEXTS}] * 50)) + len(join({TEXTS}, '-'))"
    assert meter_after(source).work == meter_after(source).work
