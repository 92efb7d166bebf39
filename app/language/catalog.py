"""The node catalog: one registry that feeds the builder's palette, validation and the runtime.

The language knows its own node types (`app.language.nodes.CORE`: triggers, flow, data);
platform node types come from `activities`, and the installation's whole catalog is put
together above both (`app.catalog`), so the language never loads platform code.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from app.language.node_type import NodeType


class Catalog:
    """Node types by name, in name order."""

    def __init__(self, node_types: Iterable[NodeType]) -> None:
        registry: dict[str, NodeType] = {}
        for node_type in node_types:
            if node_type.type in registry:
                raise ValueError(f"node type {node_type.type!r} is defined twice")
            registry[node_type.type] = node_type
        self._registry = dict(sorted(registry.items()))

    def get(self, type_name: str) -> NodeType | None:
        return self._registry.get(type_name)

    def all_types(self) -> Iterator[NodeType]:
        return iter(self._registry.values())

    def __len__(self) -> int:
        return len(self._registry)

    def with_types(self, node_types: Iterable[NodeType]) -> Catalog:
        """This catalog and `node_types` together."""
        return Catalog([*self._registry.values(), *node_types])
