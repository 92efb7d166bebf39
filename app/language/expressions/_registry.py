"""The shape of a built-in function entry and the decorator that registers it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

Implementation = Callable[..., Any]
"""Called as ``fn(budget, *arguments)``; raises ``Problem`` for bad input."""


@dataclass(frozen=True, slots=True)
class FunctionSpec:
    """A built-in function: implementation, accepted argument counts, documentation."""

    name: str
    fn: Implementation
    min_args: int
    max_args: int | None
    signature: str
    doc: str

    def accepts(self, count: int) -> bool:
        """Whether ``count`` positional arguments are accepted."""
        return self.min_args <= count and (self.max_args is None or count <= self.max_args)

    def arity_message(self, count: int) -> str:
        """Explain a wrong argument count in words."""
        if self.max_args is None:
            expected = f"at least {self.min_args}"
        elif self.min_args == self.max_args:
            expected = str(self.min_args)
        else:
            expected = f"{self.min_args} to {self.max_args}"
        plural = "" if expected == "1" else "s"
        return (
            f"{self.name}() takes {expected} argument{plural} but {count} "
            f"{'was' if count == 1 else 'were'} given; usage: {self.signature}"
        )


def register(
    table: dict[str, FunctionSpec],
    signature: str,
    doc: str,
    min_args: int,
    max_args: int | None = -1,
) -> Callable[[Implementation], Implementation]:
    """Add the decorated implementation to ``table`` under the name in ``signature``.

    ``max_args`` defaults to ``min_args``; pass None for "any number".
    """
    name = signature.split("(", 1)[0]

    def decorate(fn: Implementation) -> Implementation:
        maximum = min_args if max_args == -1 else max_args
        table[name] = FunctionSpec(name, fn, min_args, maximum, signature, doc)
        return fn

    return decorate
