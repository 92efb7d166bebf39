"""Which activity runs each action node type. A new platform is one new module plus a line here.

Activities are methods of per-platform classes that receive the worker's `ActionServices`
(database, vault, platform endpoints), as in temporalio's samples; each is registered under
its node type's name.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from activities.http.request import HttpActivities
from activities.services import ActionServices


def all_activities(services: ActionServices) -> list[Callable[..., Any]]:
    """Every action activity, bound to `services`."""
    http = HttpActivities(services)
    return [http.request]
