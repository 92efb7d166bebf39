"""Node types that run inside the workflow: triggers and control steps."""

from app.language.catalog import Catalog
from app.language.nodes import data, flow, triggers

CORE = Catalog([*triggers.NODE_TYPES, *flow.NODE_TYPES, *data.NODE_TYPES])
"""The language's own node types; platforms add their actions (`app.catalog`)."""

__all__ = ["CORE"]
