"""Tree-walking evaluator over a whitelisted AST and JSON values.

The AST has already been checked by the parser, so every node type seen here is
one we handle. Each visit costs one step of the :class:`Budget`; operations
check result sizes before building them and are charged for what they touch, and
the value returned is measured against what its `Meter` may produce.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Mapping
from typing import Any

from ._errors import (
    ExpressionError,
    ExpressionEvaluationError,
    ExpressionLimitError,
    LimitProblem,
    Problem,
)
from ._functions import FUNCTIONS
from ._limits import Budget, Limits, Meter
from ._operators import (
    binary,
    equal,
    get_key,
    membership,
    negate,
    order,
    slice_of,
    subscript,
)
from ._parser import CONSTANT_NAMES, Parsed
from ._source import node_offset
from ._values import check_key, truthy, type_name

# Python failures that hostile or unlucky input can still provoke inside an
# operation; they are reported as evaluation errors without their (possibly
# value-bearing) Python message.
_PYTHON_FAILURES: dict[type[BaseException], tuple[str, bool]] = {
    RecursionError: ("the data is nested too deeply", True),
    MemoryError: ("the expression needs too much memory", True),
    ZeroDivisionError: ("division by zero", False),
    OverflowError: ("the number is too large", True),
}
_GENERIC_FAILURE = "this operation is not possible on these values"


def evaluate(
    parsed: Parsed, context: Mapping[str, Any], limits: Limits, meter: Meter | None = None
) -> Any:
    """Evaluate a parsed expression against ``context``, drawing work from ``meter`` (a
    meter of its own when None).

    Raises:
        ExpressionEvaluationError: Including ExpressionLimitError, for any failure.
    """
    evaluator = _Evaluator(parsed, context, Budget(limits, meter))
    result = evaluator.visit(parsed.body)
    try:
        evaluator.budget.meter.produce(result)
    except LimitProblem as problem:
        raise evaluator._error(ExpressionLimitError, problem.message, parsed.body) from None
    return result


class _Evaluator:
    __slots__ = ("budget", "context", "locals", "parsed")

    def __init__(self, parsed: Parsed, context: Mapping[str, Any], budget: Budget) -> None:
        self.parsed = parsed
        self.context = context
        self.budget = budget
        self.locals: dict[str, Any] = {}

    def visit(self, node: ast.AST) -> Any:
        try:
            self.budget.charge(1)
            return _HANDLERS[type(node)](self, node)
        except ExpressionError:
            raise
        except LimitProblem as problem:
            raise self._error(ExpressionLimitError, problem.message, node) from None
        except Problem as problem:
            raise self._error(ExpressionEvaluationError, problem.message, node) from None
        except (
            ArithmeticError,
            LookupError,
            ValueError,
            TypeError,
            RecursionError,
            MemoryError,
        ) as exc:
            message, is_limit = _PYTHON_FAILURES.get(type(exc), (_GENERIC_FAILURE, False))
            kind = ExpressionLimitError if is_limit else ExpressionEvaluationError
            raise self._error(kind, message, node) from None

    def _error(
        self, kind: type[ExpressionEvaluationError], message: str, node: ast.AST
    ) -> ExpressionEvaluationError:
        position = node_offset(self.parsed.source, self.parsed.lead, node)
        return kind(message, position=position, expression=self.parsed.source)

    def constant(self, node: ast.Constant) -> Any:
        return node.value

    def name(self, node: ast.Name) -> Any:
        name = node.id
        if name in self.locals:
            return self.locals[name]
        if name in CONSTANT_NAMES:
            return CONSTANT_NAMES[name]
        return self.context.get(name)

    def attribute(self, node: ast.Attribute) -> Any:
        return get_key(self.visit(node.value), node.attr, show_key=True)

    def subscript(self, node: ast.Subscript) -> Any:
        value = self.visit(node.value)
        index = node.slice
        if isinstance(index, ast.Slice):
            bounds = [
                None if part is None else self.visit(part)
                for part in (index.lower, index.upper, index.step)
            ]
            return slice_of(self.budget, value, *bounds)
        if isinstance(index, ast.Constant) and type(index.value) is str:
            return get_key(value, index.value, show_key=True)
        return subscript(self.budget, value, self.visit(index))

    def unary(self, node: ast.UnaryOp) -> Any:
        operand = self.visit(node.operand)
        if isinstance(node.op, ast.Not):
            return not truthy(operand)
        return negate(self.budget, operand, type(node.op))

    def binary(self, node: ast.BinOp) -> Any:
        left = self.visit(node.left)
        right = self.visit(node.right)
        return binary(self.budget, type(node.op), left, right)

    def boolean(self, node: ast.BoolOp) -> Any:
        # Short-circuit and return the deciding value, as Python does.
        stop_when = isinstance(node.op, ast.Or)
        result: Any = None
        for operand in node.values:
            result = self.visit(operand)
            if truthy(result) is stop_when:
                return result
        return result

    def compare(self, node: ast.Compare) -> bool:
        left = self.visit(node.left)
        for op, comparator in zip(node.ops, node.comparators, strict=True):
            right = self.visit(comparator)
            if not self._compare_pair(type(op), left, right):
                return False
            left = right
        return True

    def _compare_pair(self, op: type[ast.cmpop], left: Any, right: Any) -> bool:
        if op is ast.Eq:
            return equal(self.budget, left, right)
        if op is ast.NotEq:
            return not equal(self.budget, left, right)
        if op is ast.In:
            return membership(self.budget, left, right)
        if op is ast.NotIn:
            return not membership(self.budget, left, right)
        return order(self.budget, op, left, right)

    def if_expression(self, node: ast.IfExp) -> Any:
        return self.visit(node.body if truthy(self.visit(node.test)) else node.orelse)

    def call(self, node: ast.Call) -> Any:
        assert isinstance(node.func, ast.Name)  # guaranteed by the parser
        spec = FUNCTIONS[node.func.id]
        arguments = [self.visit(argument) for argument in node.args]
        return spec.fn(self.budget, *arguments)

    def list_display(self, node: ast.List | ast.Tuple) -> list[Any]:
        self.budget.collection(len(node.elts))
        return [self.visit(element) for element in node.elts]

    def dict_display(self, node: ast.Dict) -> dict[str, Any]:
        self.budget.collection(len(node.keys))
        result: dict[str, Any] = {}
        for key_node, value_node in zip(node.keys, node.values, strict=True):
            assert key_node is not None  # '**' is refused by the parser
            key = self.visit(key_node)
            if type(key) is not str:
                raise Problem(f"object keys must be text, not {type_name(key)}")
            result[check_key(key)] = self.visit(value_node)
        return result

    def comprehension(self, node: ast.ListComp) -> list[Any]:
        generator = node.generators[0]
        assert isinstance(generator.target, ast.Name)  # guaranteed by the parser
        variable = generator.target.id
        iterable = self.visit(generator.iter)
        if type(iterable) not in (list, dict, str):
            raise Problem(f"cannot loop over {type_name(iterable)}")
        outer = self.locals.get(variable, _UNSET)
        result: list[Any] = []
        try:
            for element in iterable:
                self.budget.charge(1)
                self.locals[variable] = element
                if all(truthy(self.visit(condition)) for condition in generator.ifs):
                    result.append(self.visit(node.elt))
        finally:
            if outer is _UNSET:
                self.locals.pop(variable, None)
            else:
                self.locals[variable] = outer
        self.budget.collection(len(result))
        return result


_UNSET = object()

_HANDLERS: dict[type[ast.AST], Callable[[_Evaluator, Any], Any]] = {
    ast.Constant: _Evaluator.constant,
    ast.Name: _Evaluator.name,
    ast.Attribute: _Evaluator.attribute,
    ast.Subscript: _Evaluator.subscript,
    ast.UnaryOp: _Evaluator.unary,
    ast.BinOp: _Evaluator.binary,
    ast.BoolOp: _Evaluator.boolean,
    ast.Compare: _Evaluator.compare,
    ast.IfExp: _Evaluator.if_expression,
    ast.Call: _Evaluator.call,
    ast.List: _Evaluator.list_display,
    ast.Tuple: _Evaluator.list_display,
    ast.Dict: _Evaluator.dict_display,
    ast.ListComp: _Evaluator.comprehension,
}
