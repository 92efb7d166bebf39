"""Templates and templated JSON parameter structures."""

from __future__ import annotations

from typing import Any

import pytest

from app.language.expressions import (
    CompiledValue,
    ExpressionEvaluationError,
    ExpressionLimitError,
    ExpressionSyntaxError,
    Limits,
    Reference,
    compile_template,
    compile_value,
    find_template_errors,
    render_value,
)

CONTEXT: dict[str, Any] = {
    "trigger": {"name": "Ann", "items": [1, 2], "obj": {"b": 1, "a": None}, "n": 3},
    "nodes": {"fetch-1": {"items": ["x", "y", "z"]}},
}


def render(text: str) -> Any:
    return compile_template(text).render(CONTEXT)


def syntax_error(text: str) -> ExpressionSyntaxError:
    with pytest.raises(ExpressionSyntaxError) as info:
        compile_template(text)
    return info.value


def test_mixed_text_and_expressions() -> None:
    text = "Hello {{ trigger.name }}, you have {{ len(nodes['fetch-1'].items) }} items"
    assert render(text) == "Hello Ann, you have 3 items"


def test_single_expression_keeps_its_type() -> None:
    assert render("{{ trigger.items }}") == [1, 2]
    assert render("{{ trigger.n }}") == 3
    assert render("{{ trigger.missing }}") is None


def test_single_expression_with_surrounding_whitespace_keeps_its_type() -> None:
    assert render("  {{ trigger.obj }}\n") == {"b": 1, "a": None}


def test_two_expressions_make_text() -> None:
    assert render("{{ trigger.n }}{{ trigger.n }}") == "33"


@pytest.mark.parametrize(
    ("expression", "text"),
    [
        ("null", ""),
        ("true", "true"),
        ("false", "false"),
        ("1.5", "1.5"),
        ("trigger.obj", '{"a":null,"b":1}'),
        ("[1, 'é']", '[1,"é"]'),
    ],
)
def test_values_become_text_in_mixed_templates(expression: str, text: str) -> None:
    assert render(f"<{{{{ {expression} }}}}>") == f"<{text}>"


def test_text_without_placeholders_is_constant() -> None:
    template = compile_template("just text }} here")
    assert template.is_constant
    assert template.render(CONTEXT) == "just text }} here"


def test_closing_braces_inside_a_string_literal_do_not_end_the_placeholder() -> None:
    assert render('a{{ "}}" }}b') == "a}}b"


def test_object_display_closing_braces_do_not_end_the_placeholder() -> None:
    assert render('{{ {"a": {"b": 1}} }}') == {"a": {"b": 1}}


def test_literal_opening_braces_are_written_as_a_string_expression() -> None:
    assert render('x {{ "{{" }} y') == "x {{ y"


def test_unterminated_placeholder_is_a_syntax_error_at_its_opening() -> None:
    error = syntax_error("Hello {{ trigger.name")
    assert "unterminated" in error.message
    assert error.position == 6


def test_empty_placeholder_is_a_syntax_error() -> None:
    error = syntax_error("a {{ }} b")
    assert "empty" in error.message
    assert error.position == 4


def test_unclosed_bracket_is_reported_as_such() -> None:
    error = syntax_error("{{ len(trigger.items }}")
    assert "'(' was never closed" in error.message
    assert error.position == 6


def test_unclosed_quote_is_reported_as_such() -> None:
    assert "unterminated string" in syntax_error("{{ 'abc }}").message


def test_syntax_error_position_is_within_the_template() -> None:
    error = syntax_error("Hello {{ foo }}")
    assert error.position == 9
    assert error.expression == "Hello {{ foo }}"


def test_evaluation_error_position_is_within_the_template() -> None:
    with pytest.raises(ExpressionEvaluationError) as info:
        render("Hi {{ trigger.name - 1 }}")
    assert info.value.position == 6
    assert info.value.expression == "Hi {{ trigger.name - 1 }}"


def test_rendered_text_is_limited() -> None:
    template = compile_template("{{ 'a' * 60000 }}{{ 'b' * 60000 }}")
    with pytest.raises(ExpressionLimitError):
        template.render(CONTEXT)


def test_rendered_text_limit_counts_literal_text() -> None:
    with pytest.raises(ExpressionLimitError):
        compile_template("x" * 20 + "{{ 1 }}").render({}, limits=Limits(max_string_length=10))


def test_template_text_is_limited() -> None:
    with pytest.raises(ExpressionSyntaxError, match="too long"):
        compile_template("x" * 101, limits=Limits(max_template_length=100))


def test_template_references_are_the_union_of_its_expressions() -> None:
    template = compile_template("{{ nodes.a.x }} {{ trigger.y }} {{ nodes['b-2'] }}")
    assert template.references() == {
        Reference("nodes", "a"),
        Reference("trigger"),
        Reference("nodes", "b-2"),
    }


def test_compiled_templates_are_cached() -> None:
    assert compile_template("{{ trigger.n }}!") is compile_template("{{ trigger.n }}!")


# JSON parameter structures

PARAMETERS: dict[str, Any] = {
    "url": "https://api.example/{{ trigger.name }}",
    "body": {"items": ["{{ trigger.items }}", "plain", 5, None, True], "count": "{{ trigger.n }}"},
    "headers": [],
}


def test_render_value_renders_every_template() -> None:
    assert render_value(PARAMETERS, CONTEXT) == {
        "url": "https://api.example/Ann",
        "body": {"items": [[1, 2], "plain", 5, None, True], "count": 3},
        "headers": [],
    }


def test_render_value_builds_new_containers() -> None:
    compiled = compile_value(PARAMETERS)
    first = compiled.render(CONTEXT)
    first["headers"].append("mutated")
    assert compiled.render(CONTEXT)["headers"] == []


def test_compile_value_lists_templates_with_paths() -> None:
    paths = [path for path, _ in compile_value(PARAMETERS).templates()]
    assert paths == [("url",), ("body", "items", 0), ("body", "count")]


def test_compiled_value_references() -> None:
    assert compile_value(PARAMETERS).references() == {Reference("trigger")}


def test_value_without_templates_is_constant() -> None:
    compiled = compile_value({"a": [1, "text"]})
    assert isinstance(compiled, CompiledValue)
    assert compiled.is_constant


def test_find_template_errors_reports_every_error_with_its_path() -> None:
    value = {"a": "{{ ok }}", "b": ["fine", {"c": "{{ 1 + }}"}], "d": "{{ trigger.x }}"}
    issues = find_template_errors(value)
    assert [issue.path for issue in issues] == [("a",), ("b", 1, "c")]
    assert all(issue.error.path == issue.path for issue in issues)
    assert "unknown name 'ok'" in issues[0].error.message


def test_find_template_errors_is_empty_for_valid_values() -> None:
    assert find_template_errors(PARAMETERS) == []


def test_compile_value_raises_the_first_error_with_its_path() -> None:
    with pytest.raises(ExpressionSyntaxError) as info:
        compile_value({"x": [1, "{{ foo }}"]})
    assert info.value.path == ("x", 1)
    assert "['x'][1]" in str(info.value)


def test_render_errors_carry_the_json_path() -> None:
    with pytest.raises(ExpressionEvaluationError) as info:
        render_value({"body": {"list": ["ok", "{{ 1 / 0 }}"]}}, CONTEXT)
    assert info.value.path == ("body", "list", 1)
    assert info.value.position == 3
