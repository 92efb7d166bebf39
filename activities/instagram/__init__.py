"""Instagram (Graph API content publishing): node types here; activities live in `actions`
(not imported here: the catalog, and so the workflow sandbox, loads this package)."""

from activities.instagram.nodes import NODE_TYPES

__all__ = ["NODE_TYPES"]
