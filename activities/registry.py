"""Which activity runs each action node type. A new platform is one new module plus a line here.

Activities are methods of per-platform classes that receive the worker's `ActionServices`
(database, vault, platform endpoints), as in temporalio's samples; each is registered under
its node type's name.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from activities.attempts import reporting_attempt
from activities.http.request import HttpActivities
from activities.instagram.actions import InstagramActivities
from activities.services import ActionServices
from activities.x.actions import XActivities


def all_activities(services: ActionServices) -> list[Callable[..., Any]]:
    """Every action activity, bound to `services`, each reporting its attempt."""
    http, x = HttpActivities(services), XActivities(services)
    instagram = InstagramActivities(services)
    actions = [
        http.request,
        x.post, x.thread, x.delete, x.get_post, x.me,
        instagram.publish, instagram.insights,
    ]  # fmt: skip
    return [reporting_attempt(action) for action in actions]
