"""X as the registry lists it: its node types, activities and token renewal."""

from activities.platform import Platform
from activities.x.actions import XActivities
from activities.x.nodes import NODE_TYPES
from activities.x.oauth import refresh_policy

PLATFORM = Platform(
    name="x", node_types=NODE_TYPES, activities=XActivities, refresh_policy=refresh_policy
)
