"""Templates inside JSON parameter structures (a node's ``parameters``).

Every string containing ``{{`` is compiled as a template; everything else is
kept as a constant. Validation reports every broken template with its JSON
path; rendering rebuilds the structure with fresh lists and objects.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

from ._errors import ExpressionError, ExpressionSyntaxError, JsonPath
from ._limits import DEFAULT_LIMITS, Limits, Meter
from ._parser import Reference
from ._template import OPEN, Template, compile_template


class TemplateIssue(NamedTuple):
    """A template that does not compile, and where it is."""

    path: JsonPath
    error: ExpressionSyntaxError


class _List(NamedTuple):
    items: tuple[_Node, ...]


class _Dict(NamedTuple):
    items: tuple[tuple[Any, _Node], ...]


class _Scalar(NamedTuple):
    value: Any


_Node = Template | _List | _Dict | _Scalar


@dataclass(frozen=True)
class CompiledValue:
    """A JSON parameter structure with its templates compiled.

    Create with :func:`compile_value`; render with :meth:`render` or
    :func:`render_value`.
    """

    _root: _Node

    def render(
        self,
        context: Mapping[str, Any],
        *,
        limits: Limits = DEFAULT_LIMITS,
        meter: Meter | None = None,
    ) -> Any:
        """Render every template and return a new JSON structure.

        Every template draws from ``meter`` (one for the whole structure when None), so
        a structure of many templates is bounded as a whole.

        Raises:
            ExpressionEvaluationError: With ``path`` set to where the failing
                template sits and ``position`` within that template.
        """
        return _render(self._root, context, limits, meter or Meter(limits))

    def templates(self) -> list[tuple[JsonPath, Template]]:
        """Every template with its JSON path, in document order."""
        found: list[tuple[JsonPath, Template]] = []
        _collect(self._root, (), found)
        return found

    def references(self) -> frozenset[Reference]:
        """Union of the references of every template."""
        return frozenset().union(*(template.references() for _, template in self.templates()))

    @property
    def is_constant(self) -> bool:
        """True when the structure holds no expression at all."""
        return all(template.is_constant for _, template in self.templates())


def _collect(node: _Node, path: JsonPath, found: list[tuple[JsonPath, Template]]) -> None:
    if isinstance(node, Template):
        found.append((path, node))
    elif isinstance(node, _List):
        for index, item in enumerate(node.items):
            _collect(item, (*path, index), found)
    elif isinstance(node, _Dict):
        for key, item in node.items:
            _collect(item, (*path, key), found)


def _compile(value: Any, path: JsonPath, issues: list[TemplateIssue], limits: Limits) -> _Node:
    if isinstance(value, str):
        if OPEN not in value:
            return _Scalar(value)
        try:
            return compile_template(value, limits=limits)
        except ExpressionSyntaxError as exc:
            issues.append(TemplateIssue(path, exc.relocated(path=path)))
            return _Scalar(value)
    if isinstance(value, list | tuple):
        return _List(
            tuple(
                _compile(item, (*path, index), issues, limits) for index, item in enumerate(value)
            )
        )
    if isinstance(value, dict):
        return _Dict(
            tuple(
                (key, _compile(item, (*path, key), issues, limits)) for key, item in value.items()
            )
        )
    return _Scalar(value)


def _compile_all(value: Any, limits: Limits) -> tuple[_Node, list[TemplateIssue]]:
    issues: list[TemplateIssue] = []
    try:
        root = _compile(value, (), issues, limits)
    except RecursionError:
        error = ExpressionSyntaxError("the value is nested too deeply", position=None)
        return _Scalar(None), [TemplateIssue((), error)]
    return root, issues


def find_template_errors(value: Any, *, limits: Limits = DEFAULT_LIMITS) -> list[TemplateIssue]:
    """Check every template in a JSON structure and report all that do not compile.

    Args:
        value: A JSON structure such as a node's parameters.
        limits: Compile-time budgets.

    Returns:
        One :class:`TemplateIssue` per broken template, in document order; empty
        when everything compiles. Each error's ``path`` is set too.
    """
    return _compile_all(value, limits)[1]


def check_value(
    value: Any, *, limits: Limits = DEFAULT_LIMITS
) -> tuple[CompiledValue | None, list[TemplateIssue]]:
    """Compile every template in a JSON structure once: the result, or every problem.

    Validation uses this rather than :func:`find_template_errors` then
    :func:`compile_value`, so that each template of a large graph is compiled once.
    """
    root, issues = _compile_all(value, limits)
    return (None if issues else CompiledValue(root)), issues


def compile_value(value: Any, *, limits: Limits = DEFAULT_LIMITS) -> CompiledValue:
    """Compile every template (string containing ``{{``) in a JSON structure.

    Args:
        value: A JSON structure such as a node's parameters.
        limits: Compile-time budgets.

    Raises:
        ExpressionSyntaxError: For the first broken template, with ``path`` set;
            use :func:`find_template_errors` to get all of them.
    """
    root, issues = _compile_all(value, limits)
    if issues:
        raise issues[0].error
    return CompiledValue(root)


def render_value(
    value: CompiledValue | Any,
    context: Mapping[str, Any],
    *,
    limits: Limits = DEFAULT_LIMITS,
    meter: Meter | None = None,
) -> Any:
    """Render a compiled structure, or compile and render a raw JSON structure.

    Raises:
        ExpressionSyntaxError: When ``value`` is raw JSON with a broken template.
        ExpressionEvaluationError: When a template fails, with ``path`` set.
    """
    compiled = value if isinstance(value, CompiledValue) else compile_value(value, limits=limits)
    return compiled.render(context, limits=limits, meter=meter)


def _render(node: _Node, context: Mapping[str, Any], limits: Limits, meter: Meter) -> Any:
    if isinstance(node, _Scalar):
        return node.value
    if isinstance(node, Template):
        return node.render(context, limits=limits, meter=meter)
    # The path is only built when something fails: each level prepends its key.
    if isinstance(node, _List):
        result: list[Any] = []
        for index, item in enumerate(node.items):
            try:
                result.append(_render(item, context, limits, meter))
            except ExpressionError as exc:
                raise exc.relocated(path=(index, *exc.path)) from None
        return result
    rendered: dict[Any, Any] = {}
    for key, item in node.items:
        try:
            rendered[key] = _render(item, context, limits, meter)
        except ExpressionError as exc:
            raise exc.relocated(path=(key, *exc.path)) from None
    return rendered
