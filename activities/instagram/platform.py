"""Instagram as the registry lists it: its node types, activities and token renewal."""

from activities.instagram.actions import InstagramActivities
from activities.instagram.comment_nodes import COMMENT_NODE_TYPES
from activities.instagram.nodes import NODE_TYPES
from activities.instagram.tokens import refresh_policy
from activities.platform import Platform

PLATFORM = Platform(
    name="instagram",
    node_types=(*NODE_TYPES, *COMMENT_NODE_TYPES),
    activities=InstagramActivities,
    refresh_policy=refresh_policy,
)
