"""AI as the registry lists it: its node type and activity (its keys do not expire)."""

from activities.ai.actions import AiActivities
from activities.ai.nodes import NODE_TYPES
from activities.platform import Platform

PLATFORM = Platform(name="ai", node_types=NODE_TYPES, activities=AiActivities)
