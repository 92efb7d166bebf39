"""Instagram (Graph API content publishing): node types here; activities live in `actions`."""

from activities.instagram.nodes import NODE_TYPES

__all__ = ["NODE_TYPES"]
