"""HTTP: the `http.request` node type in `nodes`, its activity in `request`.

Only the node types are imported here: the catalog (and so the workflow sandbox) loads this
package, and the activity's dependencies have no business there.
"""

from activities.http.nodes import NODE_TYPES, HttpRequestParameters

__all__ = ["NODE_TYPES", "HttpRequestParameters"]
