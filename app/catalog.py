"""The node catalog of this installation: the language's own node types and every
platform's actions (`activities.registry`: the built-in platforms and the installed
plug-ins). What the API publishes and validates against."""

from __future__ import annotations

from activities import plugins, registry
from app.language.nodes import CORE

CATALOG = CORE.with_types(registry.node_types())


def report_plugins() -> None:
    """Log which platform plug-ins this catalog holds, and why any were left out."""
    plugins.report(registry.PLUGINS)
