"""Every action node type in the catalog has an activity registered under its name."""

from __future__ import annotations

from temporalio import activity

from activities.registry import all_activities
from activities.services import ActionServices
from app.catalog import CATALOG


def test_every_action_node_type_has_its_activity(services: ActionServices) -> None:
    registered = {
        activity._Definition.must_from_callable(function).name
        for function in all_activities(services)
    }
    actions = {node.activity for node in CATALOG.all_types() if node.kind == "action"}
    assert registered == actions
