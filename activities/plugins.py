"""Platform plug-ins: separate Python packages that add node types and their activities
without editing this repository.

A plug-in package declares, in its own metadata, an entry point in the group
`flowhold.platforms` naming a `Platform` (`activities.platform`), or a function that returns
one; installing the package next to Flowhold is all it takes. `activities.registry` loads
them after the built-in platforms, so the catalog (`GET /node-types`), validation, the
worker and the builder all see them. A plug-in that cannot be used (it fails to import, is
not a `Platform`, reuses a platform's name or a node type's name, or has a node type that is
not an action running its own activity) is left out with a `PluginProblem` saying why, and
everything else starts as usual: one broken package never stops the worker or the API.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from importlib.metadata import EntryPoint, entry_points

from activities.platform import Platform

ENTRY_POINT_GROUP = "flowhold.platforms"

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PluginProblem:
    """Why the plug-in at entry point `name` (`value`, `module:attribute`) was left out."""

    name: str
    value: str
    message: str

    def __str__(self) -> str:
        return f"platform plug-in '{self.name}' ({self.value}) is not loaded: {self.message}"


@dataclass(frozen=True)
class Plugins:
    platforms: tuple[Platform, ...]
    problems: tuple[PluginProblem, ...]


def _platform_of(entry_point: EntryPoint) -> Platform | str:
    """The entry point's platform, or why it has none."""
    try:
        loaded = entry_point.load()
    except Exception as error:
        # Anything a package does at import time may fail: its error names what is missing.
        return f"importing it failed: {type(error).__name__}: {error}"
    if not isinstance(loaded, Platform) and callable(loaded):
        try:
            loaded = loaded()
        except Exception as error:
            return f"calling it failed: {type(error).__name__}: {error}"
    if not isinstance(loaded, Platform):
        return (
            f"it is a {type(loaded).__name__}, not an activities.platform.Platform (or a "
            "function returning one)"
        )
    return loaded


def _problem(platform: Platform, platforms: dict[str, str], node_types: dict[str, str]) -> str:
    """Why `platform` cannot join (its names are taken, name → whose, or its node types are
    not actions run by their own activity); empty when it can."""
    if platform.name in platforms:
        return f"the platform name '{platform.name}' is taken by {platforms[platform.name]}"
    seen: set[str] = set()
    for node_type in platform.node_types:
        name = node_type.type
        if name in node_types or name in seen:
            whose = node_types.get(name, f"platform '{platform.name}' itself")
            return f"node type '{name}' is already defined by {whose}"
        if node_type.kind != "action" or node_type.activity != name:
            return (
                f"node type '{name}' must be an action whose activity is named '{name}' "
                "(activities.base.action_node_type makes one)"
            )
        seen.add(name)
    if not callable(getattr(platform.activities, "all", None)):
        return "its activities class has no all() listing its activities"
    return ""


def load_plugins(builtin: Iterable[Platform], group: str = ENTRY_POINT_GROUP) -> Plugins:
    """Every usable plug-in in `group`, in entry point name order, after `builtin`."""
    platforms = {platform.name: "a built-in platform" for platform in builtin}
    node_types = {
        node_type.type: f"built-in platform '{platform.name}'"
        for platform in builtin
        for node_type in platform.node_types
    }
    loaded: list[Platform] = []
    problems: list[PluginProblem] = []
    for entry_point in sorted(entry_points(group=group), key=lambda point: point.name):
        platform = _platform_of(entry_point)
        if isinstance(platform, str):
            problem = platform
        else:
            problem = _problem(platform, platforms, node_types)
        if problem or isinstance(platform, str):
            problems.append(PluginProblem(entry_point.name, entry_point.value, problem))
            continue
        owner = f"plug-in '{entry_point.name}'"
        platforms[platform.name] = owner
        node_types.update(dict.fromkeys((t.type for t in platform.node_types), owner))
        loaded.append(platform)
    return Plugins(tuple(loaded), tuple(problems))


def report(plugins: Plugins) -> None:
    """Log the plug-ins loaded, and an error for each one left out."""
    for platform in plugins.platforms:
        names = ", ".join(node_type.type for node_type in platform.node_types)
        log.info("platform plug-in '%s' loaded: %s", platform.name, names)
    for problem in plugins.problems:
        log.error("%s", problem)
