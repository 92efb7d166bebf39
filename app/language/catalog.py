"""The node catalog: one registry that feeds the builder's palette, validation and the runtime.

A new node type is one new module that builds `NodeType`s, listed in `_MODULES`.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable, Iterator

from app.language.node_type import NodeType

_MODULES = (
    "app.language.nodes.triggers",
    "app.language.nodes.flow",
    "app.language.nodes.data",
    "activities.http",
    "activities.x",
    "activities.instagram",
)
"""Modules whose `NODE_TYPES` make up the catalog."""


def _load(module_names: Iterable[str]) -> dict[str, NodeType]:
    registry: dict[str, NodeType] = {}
    for module_name in module_names:
        module = importlib.import_module(module_name)
        for node_type in module.NODE_TYPES:
            if node_type.type in registry:
                raise ValueError(f"node type {node_type.type!r} is defined twice")
            registry[node_type.type] = node_type
    return dict(sorted(registry.items()))


_REGISTRY = _load(_MODULES)


def get(type_name: str) -> NodeType | None:
    return _REGISTRY.get(type_name)


def all_types() -> Iterator[NodeType]:
    return iter(_REGISTRY.values())
