"""The expression language of workflow parameters and conditions.

Expressions are a small, side-effect-free subset of Python expression syntax
evaluated over JSON values, for example::

    nodes.check.status == 200 and vars.count > 3
    "Hello {{ trigger.name }}, you have {{ len(nodes['fetch-1'].items) }} items"

* ``a.b`` and ``a["b"]`` read a key of an object; a missing key, or any key of
  null, gives null. There is no access to Python attributes or methods.
* Names start from the context roots :data:`ROOTS`; ``true``/``false``/``null``
  are accepted next to ``True``/``False``/``None``.
* Operators: ``+ - * / // % **``, comparisons (chained), ``in``/``not in``,
  ``and``/``or``/``not``, ``a if c else b``, list and object displays, slices,
  and one-``for`` list comprehensions ``[x.name for x in items if x.ok]``.
* Only the functions of :data:`FUNCTIONS_DOC` can be called, by name.

Evaluation is pure and deterministic (it never reads the clock: ``now`` is
supplied by the caller) and bounded by :class:`Limits`. Every failure is an
:class:`ExpressionError`; messages name positions and names from the source,
never values from the context.
"""

from ._errors import (
    ExpressionError,
    ExpressionEvaluationError,
    ExpressionLimitError,
    ExpressionSyntaxError,
    JsonPath,
)
from ._expression import Expression, compile_expression, evaluate_condition
from ._functions import FUNCTIONS_DOC
from ._limits import DEFAULT_LIMITS, Limits, Meter
from ._params import (
    CompiledValue,
    TemplateIssue,
    check_value,
    compile_value,
    find_template_errors,
    render_value,
)
from ._parser import ROOTS, Reference
from ._size import Measure, Size
from ._template import Placeholder, Template, compile_template
from ._values import to_text

__all__ = [
    "DEFAULT_LIMITS",
    "FUNCTIONS_DOC",
    "ROOTS",
    "CompiledValue",
    "Expression",
    "ExpressionError",
    "ExpressionEvaluationError",
    "ExpressionLimitError",
    "ExpressionSyntaxError",
    "JsonPath",
    "Limits",
    "Measure",
    "Meter",
    "Placeholder",
    "Reference",
    "Size",
    "Template",
    "TemplateIssue",
    "check_value",
    "compile_expression",
    "compile_template",
    "compile_value",
    "evaluate_condition",
    "find_template_errors",
    "render_value",
    "to_text",
]
