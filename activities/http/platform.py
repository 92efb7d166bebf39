"""HTTP as the registry lists it: its node types, activities and token renewal."""

from activities.http.nodes import NODE_TYPES
from activities.http.request import HttpActivities
from activities.platform import Platform

PLATFORM = Platform(name="http", node_types=NODE_TYPES, activities=HttpActivities)
