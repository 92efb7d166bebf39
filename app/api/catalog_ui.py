"""How the builder's palette presents the catalog: categories, icons, colours, order, handle
labels. Presentation only: nothing here changes what a node does or what validation accepts.

Icons are names from `ICONS`, a small documented set (README, "Node catalog"), so every
builder draws them its own way (an icon font, SVGs, emoji).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from app.language.node_type import ERROR_HANDLE, NodeType

ICONS: Mapping[str, str] = {
    "play": "start by hand",
    "clock": "a time or a schedule",
    "webhook": "an incoming HTTP call",
    "branch": "choose a path",
    "merge": "join paths",
    "hourglass": "wait",
    "bell": "wait for an event",
    "check": "approval",
    "repeat": "loop",
    "variable": "set variables",
    "braces": "transform data",
    "workflow": "run another workflow",
    "stop": "end the run",
    "alert": "fail the run",
    "http": "an HTTP request",
    "x": "the X platform",
    "instagram": "the Instagram platform",
    "sparkles": "an AI model",
    "box": "anything else",
}
"""Every icon name the catalog uses, with what it stands for."""


@dataclass(frozen=True)
class Category:
    id: str
    title: str
    order: int
    icon: str
    color: str


CATEGORIES: tuple[Category, ...] = (
    Category("trigger", "Triggers", 0, "play", "#b35c00"),
    Category("flow", "Flow control", 10, "branch", "#5b4bb7"),
    Category("data", "Data", 20, "braces", "#0b6e99"),
    Category("http", "HTTP", 30, "http", "#1e7b34"),
    Category("x", "X", 40, "x", "#1d1d1f"),
    Category("instagram", "Instagram", 50, "instagram", "#c1356b"),
    Category("ai", "AI", 60, "sparkles", "#6b3fa0"),
)
"""Palette groups in the order shown."""
_CATEGORIES = {category.id: category for category in CATEGORIES}

_TYPE_ICONS: Mapping[str, str] = {
    "trigger.manual": "play",
    "trigger.schedule": "clock",
    "trigger.webhook": "webhook",
    "trigger.poll": "repeat",
    "if": "branch",
    "switch": "branch",
    "join": "merge",
    "delay": "hourglass",
    "wait_for_event": "bell",
    "approval": "check",
    "loop": "repeat",
    "sub_workflow": "workflow",
    "stop": "stop",
    "fail": "alert",
    "set": "variable",
    "transform": "braces",
}
_TYPE_ORDER: tuple[str, ...] = (
    "trigger.manual", "trigger.schedule", "trigger.webhook", "trigger.poll",
    "if", "switch", "join", "delay", "wait_for_event", "approval", "loop", "sub_workflow",
    "stop", "fail", "set", "transform",
)  # fmt: skip
"""Palette order within a category: the language's own types as people reach for them;
platform actions follow in name order."""

_HANDLE_LABELS: Mapping[str, str] = {
    "out": "",
    "true": "true",
    "false": "false",
    "default": "default",
    "timeout": "timeout",
    "approved": "approved",
    "rejected": "rejected",
    "body": "each item",
    "done": "done",
    ERROR_HANDLE: "on error",
}


def category_of(node_type: NodeType) -> Category:
    """The type's palette group; one not listed in `CATEGORIES` goes last, titled by its id."""
    known = _CATEGORIES.get(node_type.category)
    return known or Category(node_type.category, node_type.category, 1000, "box", "#5f6368")


def icon_of(node_type: NodeType) -> str:
    return _TYPE_ICONS.get(node_type.type, category_of(node_type).icon)


def order_of(node_type: NodeType, position_in_catalog: int) -> int:
    """Place in the palette within its category, in steps of 10 so others fit between."""
    if node_type.type in _TYPE_ORDER:
        return _TYPE_ORDER.index(node_type.type) * 10
    return (len(_TYPE_ORDER) + position_in_catalog) * 10


def handle_labels(node_type: NodeType) -> dict[str, str]:
    """What to write next to each fixed handle (a switch's cases are labelled by their
    names); `out` has no label, being the only way on."""
    handles = (*node_type.handles, *(() if node_type.kind == "trigger" else (ERROR_HANDLE,)))
    return {handle: _HANDLE_LABELS.get(handle, handle) for handle in handles}
