"""The node catalog of this installation: the language's own node types and every
platform's actions (`activities.registry`). What the API publishes and validates against."""

from __future__ import annotations

from activities import registry
from app.language.nodes import CORE

CATALOG = CORE.with_types(registry.node_types())
