"""Parsing and whitelist checking of expression sources.

The standard library parser (C, fast) produces a Python AST; we then accept
only a small whitelist of node types. Everything not listed is refused with a
message naming the construct, so Python attribute access, imports, lambdas and
the like are unreachable by construction rather than by filtering values.
"""

from __future__ import annotations

import ast
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NamedTuple

from ._errors import ExpressionSyntaxError
from ._functions import FUNCTIONS
from ._limits import Limits
from ._source import bracket_depth_exceeds, node_offset, syntax_problem

ROOTS: tuple[str, ...] = (
    "trigger", "nodes", "vars", "run", "now", "item", "index", "error", "event",
)  # fmt: skip
"""Names an expression may start from, in the order shown to users."""

CONSTANT_NAMES = {"true": True, "false": False, "null": None}
"""JSON spellings accepted as aliases of ``True``, ``False`` and ``None``."""

_ROOT_SET = frozenset(ROOTS)
_ROOT_LIST = ", ".join(ROOTS)


class Reference(NamedTuple):
    """One piece of context an expression reads.

    Attributes:
        root: The context root, e.g. ``"nodes"`` or ``"trigger"``.
        node_id: For ``nodes``, the node read (``nodes.fetch`` or
            ``nodes["fetch-1"]``); None when the node cannot be known before
            running (``nodes[vars.k]``, ``keys(nodes)``). Always None for
            other roots.
    """

    root: str
    node_id: str | None = None


@dataclass(frozen=True, slots=True)
class Parsed:
    """A whitelisted syntax tree and what is needed to report positions."""

    source: str
    body: ast.expr
    lead: int
    """Characters of leading whitespace stripped before parsing."""
    references: frozenset[Reference]


_FORBIDDEN: dict[type[ast.AST], str] = {
    ast.Lambda: "defining functions (lambda) is not allowed",
    ast.NamedExpr: "assignments (':=') are not allowed",
    ast.Await: "'await' is not allowed",
    ast.Yield: "'yield' is not allowed",
    ast.YieldFrom: "'yield' is not allowed",
    ast.Starred: "'*' unpacking is not allowed",
    ast.Set: "sets are not supported; use a list [...]",
    ast.SetComp: "set comprehensions are not supported; use a list [...]",
    ast.DictComp: "object comprehensions are not supported",
    ast.GeneratorExp: "generator expressions are not supported; use a list [... for ...]",
    ast.JoinedStr: "f-strings are not supported; use a template with {{ }} instead",
    ast.FormattedValue: "f-strings are not supported; use a template with {{ }} instead",
}
_OPERATOR_NAMES: dict[type[ast.AST], str] = {
    ast.MatMult: "@",
    ast.LShift: "<<",
    ast.RShift: ">>",
    ast.BitOr: "|",
    ast.BitXor: "^",
    ast.BitAnd: "&",
    ast.Invert: "~",
    ast.Is: "is",
    ast.IsNot: "is not",
}
ALLOWED_BINARY = (ast.Add, ast.Sub, ast.Mult, ast.Div, ast.FloorDiv, ast.Mod, ast.Pow)
ALLOWED_UNARY = (ast.UAdd, ast.USub, ast.Not)
ALLOWED_COMPARE = (ast.Eq, ast.NotEq, ast.Lt, ast.LtE, ast.Gt, ast.GtE, ast.In, ast.NotIn)


def parse(source: str, limits: Limits) -> Parsed:
    """Parse ``source`` and check it against the whitelist.

    Raises:
        ExpressionSyntaxError: For any syntax error or forbidden construct.
    """

    def fail(message: str, position: int | None) -> ExpressionSyntaxError:
        return ExpressionSyntaxError(message, position=position, expression=source)

    if len(source) > limits.max_source_length:
        raise fail(
            f"the expression is too long ({len(source)} characters, "
            f"limit {limits.max_source_length})",
            limits.max_source_length,
        )
    text = source.lstrip()
    lead = len(source) - len(text)
    text = text.rstrip()
    if not text:
        raise fail("the expression is empty", 0)
    deep_at = bracket_depth_exceeds(text, limits.max_depth)
    if deep_at is not None:
        raise fail(
            f"the expression is nested too deeply (limit {limits.max_depth})", lead + deep_at
        )
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError as exc:
        message, position = syntax_problem(text, exc)
        raise fail(message, None if position is None else lead + position) from None
    except (RecursionError, MemoryError):
        raise fail("the expression is nested too deeply", None) from None
    except ValueError:  # null bytes in the source
        raise fail("the expression contains invalid characters", None) from None
    checker = _Checker(source, lead, limits)
    try:
        checker.check(tree.body, 1)
    except RecursionError:  # only reachable with a max_depth far above the default
        raise fail("the expression is nested too deeply", None) from None
    return Parsed(source, tree.body, lead, frozenset(checker.references))


class _Checker:
    """Walks the AST once: whitelist, limits, and references."""

    def __init__(self, source: str, lead: int, limits: Limits) -> None:
        self.source = source
        self.lead = lead
        self.limits = limits
        self.count = 0
        self.scope: list[str] = []
        self.references: set[Reference] = set()

    def fail(self, message: str, node: ast.AST) -> ExpressionSyntaxError:
        return ExpressionSyntaxError(
            message, position=node_offset(self.source, self.lead, node), expression=self.source
        )

    def check(self, node: ast.AST, depth: int) -> None:
        self.count += 1
        if self.count > self.limits.max_nodes:
            raise self.fail(f"the expression is too complex (limit {self.limits.max_nodes})", node)
        if depth > self.limits.max_depth:
            raise self.fail(
                f"the expression is nested too deeply (limit {self.limits.max_depth})", node
            )
        method = _CHECKS.get(type(node))
        if method is None:
            message = _FORBIDDEN.get(type(node), "this kind of expression is not supported")
            raise self.fail(message, node)
        method(self, node, depth + 1)

    def _Constant(self, node: ast.Constant, depth: int) -> None:
        value = node.value
        if isinstance(value, float) and not math.isfinite(value):
            raise self.fail("the number is too large", node)
        if isinstance(value, bool | str | float) or value is None:
            return
        if isinstance(value, int):
            if value.bit_length() > self.limits.max_int_bits:
                raise self.fail("the number is too large", node)
            return
        if isinstance(value, bytes):
            raise self.fail("byte strings are not supported", node)
        if isinstance(value, complex):
            raise self.fail("imaginary numbers are not supported", node)
        raise self.fail("this kind of literal is not supported", node)

    def _Name(self, node: ast.Name, depth: int) -> None:
        name = node.id
        if name in self.scope or name in CONSTANT_NAMES:
            return
        if name in _ROOT_SET:
            self.references.add(Reference(name))
            return
        if name.startswith("_"):
            raise self.fail(f"names starting with '_' are not allowed ('{name}')", node)
        if name in FUNCTIONS:
            raise self.fail(f"'{name}' is a function: call it, as in {name}(...)", node)
        raise self.fail(f"unknown name '{name}': an expression can start from {_ROOT_LIST}", node)

    def _key(self, key: object, node: ast.AST) -> None:
        if isinstance(key, str) and key.startswith("__"):
            raise self.fail("keys starting with '__' are not allowed", node)

    def _nodes_root(self, node: ast.expr) -> bool:
        return isinstance(node, ast.Name) and node.id == "nodes"

    def _Attribute(self, node: ast.Attribute, depth: int) -> None:
        self._key(node.attr, node)
        if self._nodes_root(node.value):
            self.count += 1
            self.references.add(Reference("nodes", node.attr))
            return
        self.check(node.value, depth)

    def _Subscript(self, node: ast.Subscript, depth: int) -> None:
        index = node.slice
        if isinstance(index, ast.Constant):
            self._key(index.value, index)
        if (
            self._nodes_root(node.value)
            and isinstance(index, ast.Constant)
            and isinstance(index.value, str)
        ):
            self.count += 2
            self.references.add(Reference("nodes", index.value))
            return
        self.check(node.value, depth)
        self.check(index, depth)

    def _Slice(self, node: ast.Slice, depth: int) -> None:
        for part in (node.lower, node.upper, node.step):
            if part is not None:
                self.check(part, depth)

    def _UnaryOp(self, node: ast.UnaryOp, depth: int) -> None:
        self._operator(node.op, ALLOWED_UNARY, node)
        self.check(node.operand, depth)

    def _BinOp(self, node: ast.BinOp, depth: int) -> None:
        self._operator(node.op, ALLOWED_BINARY, node)
        self.check(node.left, depth)
        self.check(node.right, depth)

    def _Compare(self, node: ast.Compare, depth: int) -> None:
        for op in node.ops:
            if isinstance(op, ast.Is | ast.IsNot):
                raise self.fail("'is' is not supported; use '==' or '!='", node)
            self._operator(op, ALLOWED_COMPARE, node)
        self.check(node.left, depth)
        for comparator in node.comparators:
            self.check(comparator, depth)

    def _operator(self, op: ast.AST, allowed: tuple[type[ast.AST], ...], node: ast.AST) -> None:
        if not isinstance(op, allowed):
            symbol = _OPERATOR_NAMES.get(type(op), type(op).__name__)
            raise self.fail(f"the operator '{symbol}' is not supported", node)

    def _BoolOp(self, node: ast.BoolOp, depth: int) -> None:
        for value in node.values:
            self.check(value, depth)

    def _IfExp(self, node: ast.IfExp, depth: int) -> None:
        self.check(node.test, depth)
        self.check(node.body, depth)
        self.check(node.orelse, depth)

    def _List(self, node: ast.List | ast.Tuple, depth: int) -> None:
        for element in node.elts:
            self.check(element, depth)

    _Tuple = _List

    def _Dict(self, node: ast.Dict, depth: int) -> None:
        for key, value in zip(node.keys, node.values, strict=True):
            if key is None:
                raise self.fail("'**' unpacking is not allowed", value)
            if isinstance(key, ast.Constant):
                self._key(key.value, key)
            self.check(key, depth)
            self.check(value, depth)

    def _Call(self, node: ast.Call, depth: int) -> None:
        func = node.func
        if not isinstance(func, ast.Name):
            if not isinstance(func, ast.Attribute):
                self.check(func, depth)  # reports a lambda or the like by name
            else:
                raise self.fail(
                    f"methods cannot be called ('.{func.attr}(...)'); "
                    "use a function such as lower(x) instead",
                    func,
                )
            raise self.fail("only functions can be called, by name, as in len(x)", node)
        name = func.id
        spec = FUNCTIONS.get(name)
        if spec is None:
            if name in _ROOT_SET:
                raise self.fail(f"'{name}' is not a function", node)
            raise self.fail(f"unknown function '{name}'", node)
        if node.keywords:
            raise self.fail(f"{name}() does not take named arguments", node)
        for arg in node.args:
            if isinstance(arg, ast.Starred):
                raise self.fail("'*' unpacking is not allowed", arg)
        if not spec.accepts(len(node.args)):
            raise self.fail(spec.arity_message(len(node.args)), node)
        self.count += 1  # the function name
        for arg in node.args:
            self.check(arg, depth)

    def _ListComp(self, node: ast.ListComp, depth: int) -> None:
        if len(node.generators) != 1:
            raise self.fail("a list comprehension may have only one 'for'", node)
        generator = node.generators[0]
        target = generator.target
        if generator.is_async:
            raise self.fail("'async for' is not allowed", node)
        if not isinstance(target, ast.Name):
            raise self.fail("the loop variable must be a single name", target)
        name = target.id
        if name.startswith("_") or name in _ROOT_SET or name in FUNCTIONS or name in CONSTANT_NAMES:
            raise self.fail(f"'{name}' cannot be used as a loop variable", target)
        self.check(generator.iter, depth)
        self.count += 1  # the target
        self.scope.append(name)
        for condition in generator.ifs:
            self.check(condition, depth)
        self.check(node.elt, depth)
        self.scope.pop()


_CHECKS: dict[type[ast.AST], Callable[[_Checker, Any, int], None]] = {
    ast.Constant: _Checker._Constant,
    ast.Name: _Checker._Name,
    ast.Attribute: _Checker._Attribute,
    ast.Subscript: _Checker._Subscript,
    ast.Slice: _Checker._Slice,
    ast.UnaryOp: _Checker._UnaryOp,
    ast.BinOp: _Checker._BinOp,
    ast.Compare: _Checker._Compare,
    ast.BoolOp: _Checker._BoolOp,
    ast.IfExp: _Checker._IfExp,
    ast.List: _Checker._List,
    ast.Tuple: _Checker._Tuple,
    ast.Dict: _Checker._Dict,
    ast.Call: _Checker._Call,
    ast.ListComp: _Checker._ListComp,
}
