"""Each layer has one tree of exceptions, drawn in its module's docstring as it is."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
from types import ModuleType

import pytest

import activities.errors
import app.errors
import app.language.errors
import workflows.errors

TREES: dict[ModuleType, type[Exception]] = {
    app.language.errors: app.language.errors.LanguageError,
    app.errors: app.errors.FlowholdError,
    activities.errors: activities.errors.PlatformError,
    workflows.errors: workflows.errors.InterpreterError,
}
PACKAGES = ("app", "workflows", "activities", "temporal")
DRAWN = re.compile(r"^ *[*x+\-] (\w+)", re.MULTILINE)
"""A class in a drawing: `* Root`, `  x Child`, `    + Grandchild`, `      - Great-grandchild`."""


def _modules() -> list[ModuleType]:
    found = []
    for name in PACKAGES:
        package = importlib.import_module(name)
        for module in pkgutil.walk_packages(package.__path__, f"{name}."):
            if ".migrations" not in module.name:  # Alembic's scripts run only under Alembic
                found.append(importlib.import_module(module.name))
    return found


def _exception_classes() -> list[type[BaseException]]:
    return [
        value
        for module in _modules()
        for value in vars(module).values()
        if inspect.isclass(value)
        and issubclass(value, BaseException)
        and value.__module__ == module.__name__
    ]


def _descendants(root: type[Exception]) -> set[str]:
    return {root.__name__}.union(*(_descendants(child) for child in root.__subclasses__()))


def test_every_exception_class_belongs_to_a_layers_tree() -> None:
    roots = tuple(TREES.values())
    outside = [
        f"{cls.__module__}.{cls.__qualname__}"
        for cls in _exception_classes()
        if not issubclass(cls, roots)
    ]
    assert outside == []


@pytest.mark.parametrize("module", list(TREES), ids=lambda module: module.__name__)
def test_the_drawing_in_a_layers_module_names_each_class_of_its_tree(module: ModuleType) -> None:
    assert module.__doc__ is not None
    assert sorted(DRAWN.findall(module.__doc__)) == sorted(_descendants(TREES[module]))
