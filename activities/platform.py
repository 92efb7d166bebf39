"""What one platform brings: its node types, its activities, and how its tokens are renewed.

Each platform package (`activities.http`, `activities.x`, `activities.instagram`) builds one
`Platform` in its `platform` module; `activities.registry` lists them, so a new platform is
one new package plus a line there.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from activities.accounts.tokens import RefreshPolicy
from activities.endpoints import PlatformEndpoints
from activities.services import ActionServices
from app.language.node_type import NodeType


class PlatformActivities(Protocol):
    """A platform's activities as methods of one object built with the worker's services."""

    def __init__(self, services: ActionServices) -> None: ...

    def all(self) -> Sequence[Callable[..., Any]]:
        """Every activity of the platform, each registered under its node type's name."""
        ...


@dataclass(frozen=True)
class Platform:
    """One platform the engine acts on."""

    name: str
    """The palette group of its node types and the platform of its accounts."""
    node_types: tuple[NodeType, ...]
    activities: type[PlatformActivities]
    refresh_policy: Callable[[PlatformEndpoints], RefreshPolicy] | None = None
    """How its accounts' tokens are renewed; None: its credentials do not expire."""
