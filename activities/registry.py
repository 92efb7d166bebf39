"""Which activity runs each action node type. A new platform is one new module plus a line here."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from activities.http import http_request

ACTIVITIES: Mapping[str, Callable[..., Any]] = {
    "http.request": http_request,
}
"""Node type → activity function; the activity is registered under the node type's name."""


def all_activities() -> list[Callable[..., Any]]:
    return list(ACTIVITIES.values())
