"""HTTP: the `http.request` node type in `nodes`, its activity in `request`."""

from activities.http.nodes import NODE_TYPES, HttpRequestParameters
from activities.http.request import http_request

__all__ = ["NODE_TYPES", "HttpRequestParameters", "http_request"]
