"""X (Twitter): node types here; activities live in `actions`."""

from activities.x.nodes import NODE_TYPES

__all__ = ["NODE_TYPES"]
