"""A plug-in that redefines a built-in node type, and an entry point that is no platform."""

from activities.http.platform import PLATFORM as HTTP
from activities.platform import Platform

PLATFORM = Platform(name="copycat", node_types=HTTP.node_types, activities=HTTP.activities)
NOT_A_PLATFORM = "a string"
